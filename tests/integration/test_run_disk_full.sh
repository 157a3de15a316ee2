#!/usr/bin/env bash
# test_run_disk_full.sh: `vigil run` on a REALLY full disk (issue 18, "the daemon stays up when
# the disk is full"). Without root: the daemon runs under `unshare -r -m` with a 2 MiB tmpfs as
# its database folder. After 200 events are stored, a filler file takes every free byte; the
# next events make the store meet SQLITE_FULL. The daemon must stay up, raise the monitor
# incident store_unwritable, and still page an outage (100 x 503, read after the disk filled)
# to a loopback PagerDuty stand-in; the filler deleted, every event line is stored exactly once
# and no page was sent twice. Before: the daemon exited at the first SQLITE_FULL.
# Then a stop while the disk is full: the daemon exits promptly (1) with nothing stored past
# what was stored; started again with space, every line is stored exactly once.
# unshare missing or refused FAILS this test (never skipped).
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"
fail() {
	echo "FAIL: $*"
	for f in "$T/run.log" "$T/inner.out" "$T/recv.jsonl"; do [[ -e $f ]] && { echo "--- $f"; tail -30 "$f"; }; done
	exit 1
}
command -v unshare >/dev/null || fail "unshare is not installed (util-linux): this test needs it"
unshare -r -m sh -c "mount -t tmpfs -o size=1m tmpfs '$T'" ||
	fail "unshare -r -m with a tmpfs mount is refused here: this test needs user namespaces"

: >"$T/recv.jsonl"
python3 "$(dirname "$0")/../support/sink_recv.py" "$T/recv.jsonl" >"$T/recv.port" 2>"$T/recv.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$T/recv.port" ]] && break; sleep 0.05; done
RECV=$(cat "$T/recv.port")

cat >"$T/gen.py" <<'PY'
import json, sys, time
path, tag, count, status = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(path, "a") as f:
    for i in range(count):
        t = time.time()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        f.write(json.dumps({"schema_version": 1, "ts": ts, "request_id": "%s-%d" % (tag, i),
                            "provider": "openai", "model": "gpt-4o", "region": "r%d" % (i % 5),
                            "http": {"status": status}, "transport": {"total_ms": 80}}) + "\n")
PY

mkdir -p "$T/db"
export VIGIL_TEST_PD_KEY="R0UTING-KEY-TEST"
cat >"$T/vigil.yaml" <<YAML
store:
  path: $T/db/vigil.db
  batch_interval: 20ms
metrics:
  listen: 127.0.0.1:0
sinks:
  - name: pd
    kind: pagerduty
    url: http://127.0.0.1:$RECV/pd
    secret_env: VIGIL_TEST_PD_KEY
    min_severity: low
events:
  - path: $T/ev.jsonl
YAML
: >"$T/ev.jsonl"

# inside the namespace: the tmpfs, the daemon, the full disk, then space again
cat >"$T/inner.sh" <<'SH2'
set -euo pipefail
T=$1 VIGIL=$2
mount -t tmpfs -o size=2m tmpfs "$T/db"
fail() { echo "FAIL(inner): $*"; exit 1; }
wait_for() { # description command...
	local what=$1
	shift
	for _ in $(seq 1 400); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for: $what"
}
q() { sqlite3 -cmd ".timeout 5000" "$T/db/vigil.db" "$1" 2>/dev/null || echo ""; }
rows_are() { [[ "$(q "SELECT count(*) FROM observations")" == "$1" ]]; }
log_has() { grep -q "$1" "$T/run.log"; }
pd_has() { grep -q "$1" "$T/recv.jsonl"; }
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run.log" &
VPID=$!
wait_for "running" log_has '"msg":"running"'
python3 "$T/gen.py" "$T/ev.jsonl" ok 200 200
wait_for "200 rows" rows_are 200
dd if=/dev/zero of="$T/db/filler" bs=64k 2>/dev/null || true
[[ $(df --output=avail "$T/db" | tail -1) -lt 64 ]] || fail "the tmpfs is not full"
python3 "$T/gen.py" "$T/ev.jsonl" more 200 200
wait_for "store_unwritable" log_has '"msg":"store unwritable, tailer paused"'
python3 "$T/gen.py" "$T/ev.jsonl" down 100 503
wait_for "a store_unwritable page" pd_has '"subtype": "store_unwritable"'
wait_for "an outage page" pd_has '"class": "outage"'
kill -0 "$VPID" || fail "the daemon exited on a full disk"
[[ "$(q "SELECT count(*) FROM observations")" == 200 ]] || fail "rows committed while full"
rm "$T/db/filler"
wait_for "500 rows" rows_are 500
sleep 2 # ticks: the outbox delivers what the database now holds
kill -TERM "$VPID"
wait "$VPID" || fail "vigil run exited $?"
[[ "$(q "SELECT count(DISTINCT request_id) FROM observations")" == 500 ]] || fail "distinct rows"
[[ "$(q "SELECT count(*) FROM outbox WHERE state = 'pending'")" == 0 ]] || fail "pages still pending"
ev=$(q "SELECT count(*) || '/' || count(DISTINCT request_id) FROM failure_events WHERE request_id LIKE 'down-%'")
[[ $ev == 100/100 ]] || fail "failure events of the 100 x 503: $ev, want 100/100"
[[ "$(q "SELECT count(*) FROM outbox WHERE dedup_key LIKE '%store_unwritable%' AND state = 'delivered'")" -ge 1 ]] ||
	fail "the store_unwritable page sent from memory is not stored as delivered"
echo inner-ok
SH2
unshare -r -m bash "$T/inner.sh" "$T" "$VIGIL" >"$T/inner.out" 2>&1 || fail "inside the namespace"
grep -q inner-ok "$T/inner.out" || fail "inner script did not finish"
python3 - "$T/recv.jsonl" <<'PY' || fail "a page sent twice"
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["path"] == "/pd"]
seen = collections.Counter((r["body"].get("dedup_key"), r["body"].get("event_action")) for r in rows)
twice = {k: n for k, n in seen.items() if n > 1}
assert not twice, twice
trig = [k for k in seen if k[1] == "trigger"]
assert len(trig) >= 2, seen
PY
# a stop while the disk is full, then a start with space
sed -i "s#$T/db/vigil.db#$T/db/stop.db#; s#$T/ev.jsonl#$T/ev2.jsonl#; s#/pd\$#/pd2#" "$T/vigil.yaml"
: >"$T/ev2.jsonl"
cat >"$T/stop.sh" <<'SH3'
set -euo pipefail
T=$1 VIGIL=$2
mount -t tmpfs -o size=2m tmpfs "$T/db"
fail() { echo "FAIL(stop): $*"; exit 1; }
q() { sqlite3 -cmd ".timeout 5000" "$T/db/stop.db" "$1" 2>/dev/null || echo ""; }
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run.log" &
VPID=$!
for _ in $(seq 1 100); do grep -q '"msg":"running"' "$T/run.log" && break; sleep 0.1; done
python3 "$T/gen.py" "$T/ev2.jsonl" a 100 200
for _ in $(seq 1 100); do [[ "$(q "SELECT count(*) FROM observations")" == 100 ]] && break; sleep 0.1; done
dd if=/dev/zero of="$T/db/filler" bs=64k 2>/dev/null || true
python3 "$T/gen.py" "$T/ev2.jsonl" b 300 200
for _ in $(seq 1 200); do grep -q '"msg":"store unwritable' "$T/run.log" && break; sleep 0.1; done
grep -q '"msg":"store unwritable' "$T/run.log" || fail "not unwritable"
kill -TERM "$VPID"
for _ in $(seq 1 100); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$VPID" 2>/dev/null && fail "still running 10 s after SIGTERM on a full disk"
rc=0
wait "$VPID" || rc=$?
[[ $rc == 1 ]] || fail "exit $rc on a stop while full, want 1"
[[ "$(q "SELECT count(*) FROM observations")" == 100 ]] || fail "rows changed while full"
rm "$T/db/filler"
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run.log" &
VPID=$!
for _ in $(seq 1 300); do [[ "$(q "SELECT count(*) FROM observations")" == 400 ]] && break; sleep 0.1; done
kill -TERM "$VPID"
wait "$VPID" || fail "second run exited $?"
[[ "$(q "SELECT count(*) || '/' || count(DISTINCT request_id) FROM observations")" == 400/400 ]] ||
	fail "after the restart: $(q "SELECT count(*) || '/' || count(DISTINCT request_id) FROM observations"), want 400/400"
echo stop-ok
SH3
unshare -r -m bash "$T/stop.sh" "$T" "$VIGIL" >"$T/inner.out" 2>&1 || fail "stop while full"
grep -q stop-ok "$T/inner.out" || fail "stop script did not finish"
echo "ok: a full disk under a running daemon: stayed up, paged store_unwritable and the outage, 500 rows once, no page twice; a stop while full exits 1 at once and the restart stores the 400 lines once"
