#!/usr/bin/env bash
# test_backfill_pages.sh: a backfill never pages (issue 18). Events older than the wall
# clock minus incidents.quiet_period are stored and classified and make history, and never
# reach a sink; a live file still pages. Through the real binary and a local stand-in for
# PagerDuty's Events API (the one test_ha_pair.sh uses):
#   A. `vigil ingest --config` of a day-old file (sinks configured), then `vigil run`
#      following an older file on the same database: incidents stored, no outbox row,
#      no trigger received;
#   B. a fresh database given an old file by `vigil run`: the same;
#   C. a fresh database given a live file: it pages (the stand-in receives triggers);
#   D. a fresh database given a long old file (longer to read than a tick): the daemon's
#      ticks do not move time to now while it reads the backlog, so every incident is
#      history (opened and resolved within the file's hours), none in the present;
#   E. the same with `vigil ingest --follow`, which ticks too;
#   F. `vigil sim gateway --scenario oncall-day` for a day ago and for two days ago: the
#      older day makes the same incidents (key, severity, state, count, first and last
#      event) after the newer day's as on a fresh database, through `vigil run` and
#      through `vigil ingest`, and pages nothing (the restored newer incidents once set
#      the tracker's clock, so each older event opened an incident resolved at once).
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"
fail() {
	echo "FAIL: $*"
	tail -5 "$T"/run-*.log 2>/dev/null || true
	exit 1
}
WAIT_TRIES=400

: >"$T/recv.jsonl"
python3 "$(dirname "$0")/../support/sink_recv.py" "$T/recv.jsonl" >"$T/recv.port" 2>"$T/recv.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$T/recv.port" ]] && break; sleep 0.05; done
RECV=$(cat "$T/recv.port")

# gen FILE TAG HOURS_AGO [LINES]: 5 regions x upstream 503s every 0.5 s, from HOURS_AGO
# hours before now
cat >"$T/gen.py" <<'PY'
import json, sys, time
path, tag, ago = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = int(sys.argv[4]) if len(sys.argv) > 4 else 100
t0 = time.time() - ago * 3600
with open(path, "w") as f:
    for i in range(n):
        t = t0 + i * 0.5
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        f.write(json.dumps({"schema_version": 1, "ts": ts, "request_id": "%s-%d" % (tag, i),
                            "provider": "openai", "model": "gpt-4o", "region": "r%d" % (i % 5),
                            "http": {"status": 503}, "transport": {"total_ms": 80}}) + "\n")
PY
export VIGIL_TEST_PD_KEY="R0UTING-KEY-TEST"
config() { # name events-file
	cat <<YAML
store:
  path: $T/$1.db
  batch_interval: 20ms
metrics:
  listen: 127.0.0.1:0
sinks:
  - name: pd
    kind: pagerduty
    url: http://127.0.0.1:$RECV/pd/$1
    secret_env: VIGIL_TEST_PD_KEY
    min_severity: low
events:
  - path: $2
YAML
}
triggers() { # name -> PagerDuty triggers the stand-in received for it
	python3 - "$T/recv.jsonl" "/pd/$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == sys.argv[2] and r["body"].get("event_action") == "trigger":
        n += 1
print(n)
PY
}
q() { sqlite3 "$T/$1.db" "$2"; }
rows_are() { [[ $(q "$1" "SELECT count(*) FROM observations" 2>/dev/null) == "$2" ]]; }
# run NAME EVENTS: `vigil run` until the file is stored, a few ticks pass, then SIGTERM
run() {
	config "$1" "$2" >"$T/$1.yaml"
	local want have=0
	[[ -f "$T/$1.db" ]] && have=$(q "$1" "SELECT count(*) FROM observations")
	want=$((have + $(wc -l <"$2")))
	"$VIGIL" run --config "$T/$1.yaml" 2>"$T/run-$1.log" &
	local pid=$!
	PIDS+=($pid)
	wait_for "$1: $want rows" rows_are "$1" "$want"
	sleep 3 # ticks: incidents resolve, the outbox delivers what it holds
	kill -TERM "$pid"
	wait "$pid" || fail "$1: vigil run exited $?"
}

# A: a day ingested with sinks configured, then the daemon on an older file
python3 "$T/gen.py" "$T/day.jsonl" day 24
python3 "$T/gen.py" "$T/older.jsonl" older 30
config a "$T/older.jsonl" >"$T/a.yaml"
"$VIGIL" ingest --config "$T/a.yaml" --db "$T/a.db" "$T/day.jsonl" >"$T/ingest-a.out" ||
	fail "ingest: $(cat "$T/ingest-a.out")"
run a "$T/older.jsonl"
# B: a fresh database, an old file
python3 "$T/gen.py" "$T/old-b.jsonl" oldb 3
run b "$T/old-b.jsonl"
# C: a fresh database, a live file (its events are seconds old)
python3 "$T/gen.py" "$T/live.jsonl" live 0.01
run c "$T/live.jsonl"
# D: a long old file (100,000 lines over 14 hours, from 20 h to 6 h ago)
python3 "$T/gen.py" "$T/long.jsonl" long 20 100000
run d "$T/long.jsonl"
# E: the same file through `vigil ingest --follow` (it ticks too), stopped with SIGTERM
"$VIGIL" ingest --follow "$T/long.jsonl" --db "$T/e.db" >/dev/null 2>&1 &
EPID=$!
PIDS+=($EPID)
wait_for "e: 100000 rows" rows_are e 100000
sleep 2
kill -TERM "$EPID"
wait "$EPID" || fail "e: ingest --follow exited $?"
now_incidents=$(q e "SELECT count(*) FROM incidents WHERE last_ms > (strftime('%s','now') - 3600) * 1000")
echo "e: $(q e "SELECT count(*) FROM incidents") incidents, $now_incidents in the present"
[[ $now_incidents == 0 ]] || fail "e: $now_incidents incidents in the present from a file that ended 6 h ago"

# F: a newer and an older day of the on-call scenario (hour-aligned starts, own seeds)
day_ms=$(( ($(date -u +%s) / 3600 * 3600 - 86400) * 1000 ))
"$VIGIL" sim gateway --scenario oncall-day --seed 11 --out "$T/newer.jsonl" \
	--start "$(date -u -d "@$((day_ms / 1000))" +%Y-%m-%dT%H:%M:%SZ)" 2>/dev/null
"$VIGIL" sim gateway --scenario oncall-day --seed 12 --out "$T/older.jsonl" \
	--start "$(date -u -d "@$((day_ms / 1000 - 86400))" +%Y-%m-%dT%H:%M:%SZ)" 2>/dev/null
hist="SELECT key, severity, state, count, first_ms, last_ms FROM incidents"
hist_older="$hist WHERE first_ms < $day_ms ORDER BY first_ms, key"
run f "$T/older.jsonl" # fresh, through the daemon
config g "$T/older.jsonl" >"$T/g.yaml"
"$VIGIL" ingest --config "$T/g.yaml" --db "$T/g.db" "$T/newer.jsonl" >/dev/null ||
	fail "g: ingest of the newer day"
newer_g=$(q g "$hist ORDER BY first_ms, key")
run g "$T/older.jsonl" # the older day through the daemon, after the newer day
config h "$T/older.jsonl" >"$T/h.yaml"
"$VIGIL" ingest --config "$T/h.yaml" --db "$T/h.db" "$T/older.jsonl" >/dev/null # fresh
config i "$T/older.jsonl" >"$T/i.yaml"
"$VIGIL" ingest --config "$T/i.yaml" --db "$T/i.db" "$T/newer.jsonl" >/dev/null
newer_i=$(q i "$hist ORDER BY first_ms, key")
"$VIGIL" ingest --config "$T/i.yaml" --db "$T/i.db" "$T/older.jsonl" >/dev/null
for x in f g h i; do
	echo "$x: $(q $x "SELECT count(*) FROM incidents WHERE first_ms < $day_ms") older-day" \
		"incidents, $(q $x "SELECT count(*) FROM incidents WHERE first_ms >= $day_ms") newer-day," \
		"$(q $x "SELECT count(*) FROM outbox") outbox rows, $(triggers $x) PagerDuty triggers"
	[[ $(q $x "SELECT count(*) FROM outbox") == 0 ]] || fail "$x: outbox rows from the past"
	[[ $(triggers $x) == 0 ]] || fail "$x: $(triggers $x) PagerDuty triggers from the past"
done
[[ $(q f "SELECT count(*) FROM incidents") -ge 10 ]] || fail "f: the older day made no incidents"
[[ $(q g "$hist_older") == "$(q f "$hist_older")" ]] ||
	fail "g: the older day after the newer one made $(q g "SELECT count(*) FROM incidents WHERE first_ms < $day_ms") incidents, $(q f "SELECT count(*) FROM incidents") on a fresh database"
[[ $(q i "$hist_older") == "$(q h "$hist_older")" ]] ||
	fail "i: the older day after the newer one made $(q i "SELECT count(*) FROM incidents WHERE first_ms < $day_ms") incidents, $(q h "SELECT count(*) FROM incidents") on a fresh database"
# the newer day's incidents are neither joined nor continued by the older events
# (g's daemon may resolve those it restored open: compare all but the state)
[[ $(q i "$hist WHERE first_ms >= $day_ms ORDER BY first_ms, key") == "$newer_i" ]] ||
	fail "i: the older day changed the newer day's incidents"
strip() { cut -d'|' -f1,2,4-; }
[[ $(q g "$hist WHERE first_ms >= $day_ms ORDER BY first_ms, key" | strip) == "$(strip <<<"$newer_g")" ]] ||
	fail "g: the older day changed the newer day's incidents"

for x in a b c d; do
	inc=$(q $x "SELECT count(*) FROM incidents")
	past=$(q $x "SELECT count(*) FROM incidents WHERE state = 'resolved'")
	echo "$x: $inc incidents ($past resolved), $(q $x "SELECT count(*) FROM outbox") outbox rows," \
		"$(triggers $x) PagerDuty triggers"
done
for x in a b d; do
	[[ $(q $x "SELECT count(*) FROM incidents") -ge 5 ]] || fail "$x: the old failures made no incidents"
	[[ $(q $x "SELECT count(*) FROM outbox") == 0 ]] || fail "$x: outbox rows from the past"
	[[ $(triggers $x) == 0 ]] || fail "$x: $(triggers $x) PagerDuty triggers from the past"
done
[[ $(q a "SELECT count(*) FROM incidents WHERE last_ms < (strftime('%s','now') - 3600 * 20) * 1000") -ge 5 ]] ||
	fail "a: the day's incidents are not in the past"
now_incidents=$(q d "SELECT count(*) FROM incidents WHERE last_ms > (strftime('%s','now') - 3600) * 1000")
[[ $now_incidents == 0 ]] || fail "d: $now_incidents incidents in the present from a file that ended 6 h ago"
[[ $(q c "SELECT count(*) FROM incidents") -ge 5 ]] || fail "c: the live failures made no incidents"
[[ $(triggers c) -ge 5 ]] || fail "c: a live file paged only $(triggers c) times"
echo "ok: old files stored and classified without a page; a live file pages"
