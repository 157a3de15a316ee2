#!/usr/bin/env bash
# test_ha_pair.sh: two daemons as one (issue 20; docs/deploy.md, "An HA pair").
#
# Two `vigil run` daemons, each with its own database, follow the same events file and share
# `incidents.instance` (the pair's name). Each posts its alerts to both members of a real
# two-node Alertmanager cluster (two prometheus-alertmanager processes gossiping on loopback
# ports), whose receiver is a local webhook; each also has a direct PagerDuty sink (a local
# fake Events API that records which daemon sent what).
# The databases have different pasts (b's holds an earlier incident), so local ids differ.
#   1. three incidents (openai us-east-1, google europe-west4, anthropic): the Alertmanager
#      receiver gets exactly one notification per incident, although four (daemon, member)
#      pairs posted each alert;
#   2. both daemons sent PagerDuty the same dedup_keys (PagerDuty merges them: the keys are
#      what is tested, not the count);
#   3. one daemon killed (SIGKILL): a new incident is still paged, by the other, through
#      PagerDuty and through the Alertmanager cluster.
# The receiver's log for one incident is printed (the issue asks for it in the note).
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[[ -n $AM_BIN ]] || { echo "prometheus-alertmanager not found (scripts/setup.sh --test)"; exit 1; }
T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$T"/*.log; do echo "--- $f"; tail -20 "$f"; done
	[[ -e "$T/recv.jsonl" ]] && { echo "--- receiver"; cat "$T/recv.jsonl"; }
	exit 1
}
wait_for() { # description command...
	local what=$1
	shift
	for _ in $(seq 1 400); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for: $what"
}

# free loopback ports: bound to port 0 together, read back, released
read -r AM1 AM2 C1 C2 < <(python3 - <<'PY'
import socket
s = [socket.socket() for _ in range(4)]
for x in s:
    x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
for x in s:
    x.close()
PY
)

# the receiver: Alertmanager's webhook (/am) and a fake PagerDuty Events API (/pd/<daemon>)
python3 "$(dirname "$0")/../support/sink_recv.py" "$T/recv.jsonl" >"$T/recv.port" 2>"$T/recv.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$T/recv.port" ]] && break; sleep 0.05; done
RECV=$(cat "$T/recv.port")

# the Alertmanager cluster: one route, one group per incident, to the receiver
cat >"$T/am.yml" <<EOF
route:
  receiver: hook
  group_by: ['incident_key']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$RECV/am
        send_resolved: false
EOF
start_am() { # n web cluster peer
	mkdir -p "$T/am$1"
	"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am$1" \
		--web.listen-address="127.0.0.1:$2" --cluster.listen-address="127.0.0.1:$3" \
		--cluster.peer="127.0.0.1:$4" --cluster.settle-timeout=2s \
		--cluster.peer-timeout=4s --cluster.pushpull-interval=1s \
		--cluster.gossip-interval=100ms --log.level=info >"$T/am$1.log" 2>&1 &
	PIDS+=($!)
}
start_am 1 "$AM1" "$C1" "$C2"
start_am 2 "$AM2" "$C2" "$C1"
am_peers() { # web-port -> number of cluster peers it sees
	python3 -c "import json,urllib.request,sys; print(len(json.load(urllib.request.urlopen('http://127.0.0.1:%s/api/v2/status' % sys.argv[1], timeout=2))['cluster']['peers']))" "$1" 2>/dev/null || echo 0
}
wait_for "a two-node cluster" bash -c "[[ \$(python3 -c \"import json,urllib.request; print(len(json.load(urllib.request.urlopen('http://127.0.0.1:$AM1/api/v2/status', timeout=2))['cluster']['peers']))\" 2>/dev/null) == 2 ]]"
[[ $(am_peers "$AM2") == 2 ]] || fail "member 2 sees $(am_peers "$AM2") peers"

# the pair: same events, same instance, own databases, both Alertmanager members, PagerDuty
export VIGIL_TEST_PD_KEY="R0UTING-KEY-TEST"
config() { # name
	cat <<EOF
store:
  path: $T/$1.db
  batch_interval: 50ms
metrics:
  listen: 127.0.0.1:0
incidents:
  instance: pair-eu
sinks:
  - name: pd
    kind: pagerduty
    url: http://127.0.0.1:$RECV/pd/$1
    secret_env: VIGIL_TEST_PD_KEY
  - name: am1
    kind: alertmanager
    url: http://127.0.0.1:$AM1
    resend_interval: 2s
  - name: am2
    kind: alertmanager
    url: http://127.0.0.1:$AM2
    resend_interval: 2s
events:
  - path: $T/ev.jsonl
EOF
}
config a >"$T/a.yaml"
config b >"$T/b.yaml"
: >"$T/ev.jsonl"
# the two databases have different pasts: b's already holds an incident (an earlier
# outage, ingested without sinks), so b numbers its incidents from 2 and a from 1; keys
# made of local ids would differ
python3 - "$T/old.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(20):
        f.write(json.dumps({"schema_version": 1, "ts": "2026-01-05T10:00:%02d.000Z" % i,
                            "request_id": "old-%d" % i, "provider": "openai",
                            "http": {"status": 503}}) + "\n")
PY
"$VIGIL" ingest --db "$T/b.db" "$T/old.jsonl" >/dev/null
[[ $(sqlite3 "$T/b.db" "SELECT count(*) FROM incidents") == 1 ]] || fail "no earlier incident in b"
declare -A VPID
start_daemon() { # name
	"$VIGIL" run --config "$T/$1.yaml" 2>"$T/run-$1.log" &
	VPID[$1]=$!
	PIDS+=($!)
	wait_for "daemon $1 running" grep -q '"msg":"running"' "$T/run-$1.log"
}
start_daemon a
start_daemon b

# failures with the current time: gen PROVIDER REGION STATUS COUNT
cat >"$T/gen.py" <<'PY'
import json, sys, time
provider, region, status, count = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
with open(sys.argv[1], "a") as f:
    for i in range(count):
        t = time.time()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        e = {"schema_version": 1, "ts": ts, "request_id": "%s-%s-%d-%d" % (provider, region, status, i),
             "provider": provider, "model": "m1", "http": {"status": status},
             "transport": {"total_ms": 90}}
        if region != "-":
            e["region"] = region
        f.write(json.dumps(e) + "\n")
PY
gen() { python3 "$T/gen.py" "$T/ev.jsonl" "$@"; }
gen openai us-east-1 503 30
gen google europe-west4 503 30
gen anthropic - 529 30

# keys: from the receiver's log
pd_keys() { # daemon -> sorted dedup_keys of its PagerDuty triggers
	python3 - "$T/recv.jsonl" "$1" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == "/pd/" + sys.argv[2] and r["body"]["event_action"] == "trigger":
        print(r["body"]["dedup_key"])
PY
}
am_count() { # incident_key -> notifications from the Alertmanager cluster that hold it
	python3 - "$T/recv.jsonl" "$1" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["path"] == "/am" and
          any(a["labels"].get("incident_key") == sys.argv[2] for a in json.loads(l)["body"]["alerts"])))
PY
}
n_lines() { [[ -e "$T/recv.jsonl" && $(pd_keys "$1" | sort -u | wc -l) -ge $2 ]]; }
wait_for "three triggers from daemon a" n_lines a 3
wait_for "three triggers from daemon b" n_lines b 3

# 2. identical dedup keys from both daemons
pd_keys a | sort -u >"$T/keys-a"
pd_keys b | sort -u >"$T/keys-b"
cmp -s "$T/keys-a" "$T/keys-b" || fail "dedup keys differ: $(diff "$T/keys-a" "$T/keys-b")"
[[ $(wc -l <"$T/keys-a") == 3 ]] || fail "$(wc -l <"$T/keys-a") keys"
grep -q '^pair-eu/provider/openai/us-east-1/outage/' "$T/keys-a" || fail "no openai us-east-1 key"
grep -q '^pair-eu/provider/google/europe-west4/outage/' "$T/keys-a" || fail "no google key"
grep -q '^pair-eu/provider/anthropic/outage/' "$T/keys-a" || fail "no anthropic key"
echo "dedup keys, identical from both daemons:"
sed 's/^/  /' "$T/keys-a"

# 1. one Alertmanager notification per incident: each arrives, and no second one comes
# after the other member's peer timeout (4 s) and a few group intervals more
has_one() { [[ $(am_count "$1") -ge 1 ]]; }
while read -r key; do wait_for "an Alertmanager notification for $key" has_one "$key"; done <"$T/keys-a"
sleep 9
while read -r key; do
	n=$(am_count "$key")
	[[ $n == 1 ]] || fail "$n Alertmanager notifications for $key"
done <"$T/keys-a"
# both members held the alert, posted by both daemons (the cluster deduplicated the rest)
for port in "$AM1" "$AM2"; do
	n=$(python3 -c "import json,urllib.request,sys; print(len(json.load(urllib.request.urlopen('http://127.0.0.1:%s/api/v2/alerts' % sys.argv[1], timeout=2))))" "$port")
	[[ $n == 3 ]] || fail "member on $port holds $n alerts, want 3"
done
grep -q '"sink":"am2"' "$T/run-a.log" && fail "daemon a logged a failure of am2"

# the receiver's log for one incident (for the note)
KEY=$(grep '/openai/' "$T/keys-a")
echo "receiver log for incident $KEY:"
python3 - "$T/recv.jsonl" "$KEY" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    b = r["body"]
    if r["path"] == "/am" and any(a["labels"].get("incident_key") == sys.argv[2] for a in b["alerts"]):
        a = b["alerts"][0]
        print("  POST /am (from the Alertmanager cluster): status=%s groupLabels=%s" % (b["status"], json.dumps(b["groupLabels"])))
        print("    labels=%s" % json.dumps(a["labels"], sort_keys=True))
        print("    startsAt=%s summary=%s" % (a["startsAt"], a["annotations"]["summary"][:90]))
    elif r["path"].startswith("/pd/") and b.get("dedup_key") == sys.argv[2]:
        print("  POST %s (daemon %s, direct): event_action=%s dedup_key=%s severity=%s" % (
            r["path"], r["path"][4:], b["event_action"], b["dedup_key"],
            b.get("payload", {}).get("severity", "-")))
PY

# 3. one daemon down: the other still pages
kill -9 "${VPID[a]}"
wait "${VPID[a]}" 2>/dev/null || true
gen anthropic eu-west-1 529 30
new_key() { pd_keys b | grep -q '^pair-eu/provider/anthropic/eu-west-1/outage/'; }
wait_for "daemon b pages the new incident" new_key
NEW=$(pd_keys b | grep '^pair-eu/provider/anthropic/eu-west-1/outage/' | head -1)
! pd_keys a | grep -q "$NEW" || fail "the killed daemon paged"
wait_for "the cluster notifies the new incident" has_one "$NEW"
echo "after daemon a was killed, daemon b paged $NEW (PagerDuty and Alertmanager)"
kill "${VPID[b]}"
wait "${VPID[b]}" || fail "daemon b did not stop cleanly"
echo "ok: one Alertmanager notification per incident, identical PagerDuty keys, a survivor pages"
