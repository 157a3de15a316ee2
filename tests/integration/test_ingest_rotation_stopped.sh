#!/usr/bin/env bash
# test_ingest_rotation_stopped.sh: files rotated while vigil is down (issue 18). vigil reads
# ev.jsonl and stops; 50 lines are appended; the file is rotated; a new ev.jsonl is
# written; vigil starts again. The 50 lines must be read, before the new file's, and
# nothing twice:
#   1. rename, one path, `vigil ingest` (no follow);
#   2. rename, one path, `vigil ingest --follow` stopped with SIGTERM each time;
#   3. rename, `vigil run` following the glob ev*.jsonl (which ev.jsonl.1 does not match);
#   4. copytruncate (cp then truncate, the copy under a name no pattern names), `vigil ingest`;
#   5. rotated twice across two stops (ev.jsonl.2 then ev.jsonl.1 hold unread lines);
#   6. the rotated file is gone (compressed) with bytes vigil saw and never read (a last
#      line it was waiting for): `vigil run` raises one monitor incident (tail_file_gone)
#      saying how many bytes, once (not again at the next start).
# Lines lost and lines stored twice are counted for each case (both must be 0).
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"
fail() {
	echo "FAIL: $*"
	exit 1
}

# gen FILE TAG FROM TO: lines TAG-FROM .. TAG-(TO-1), appended
gen() {
	python3 - "$@" <<'PY'
import json, sys
path, tag, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(path, "a") as f:
    for i in range(a, b):
        f.write(json.dumps({"schema_version": 1, "ts": "2026-11-27T10:00:00.000Z",
                            "request_id": "%s-%d" % (tag, i), "provider": "openai",
                            "http": {"status": 200}}) + "\n")
PY
}
rows() { sqlite3 "$1" "SELECT count(*) FROM observations" 2>/dev/null || echo 0; }
wait_rows() { # db want (a shortfall is counted by check)
	for _ in $(seq 1 150); do
		[[ $(rows "$1") == "$2" ]] && return 0
		sleep 0.1
	done
	echo "timed out: $(rows "$1") of $2 rows in $1"
}
BAD=0
# check NAME DB OLD_TAG OLD_N NEW_TAG NEW_N: every line once, the old file's before the new one's
check() {
	local name=$1 db=$2 ot=$3 on=$4 nt=$5 nn=$6
	local got_o got_n dup lost
	got_o=$(sqlite3 "$db" "SELECT count(DISTINCT request_id) FROM observations WHERE request_id LIKE '$ot-%'")
	got_n=$(sqlite3 "$db" "SELECT count(DISTINCT request_id) FROM observations WHERE request_id LIKE '$nt-%'")
	dup=$(sqlite3 "$db" "SELECT count(*) - count(DISTINCT request_id) FROM observations")
	lost=$((on - got_o + nn - got_n))
	# lines read again: "N already stored, M repeated" in the summaries of `vigil ingest`
	local again=0 a
	if [[ -f "$db.sum" ]]; then
		for a in $(sed -n 's/.* \([0-9]*\) already stored, \([0-9]*\) repeated.*/\1 \2/p' "$db.sum"); do
			again=$((again + a))
		done
	fi
	echo "$name: $((got_o + got_n)) of $((on + nn)) lines, lost $lost, stored twice $dup, read again $again"
	[[ $lost -eq 0 && $dup -eq 0 && $again -eq 0 ]] || { echo "FAIL: $name"; BAD=1; return 0; }
	# the rotated file is finished before the new file starts
	local last_old first_new
	last_old=$(sqlite3 "$db" "SELECT max(id) FROM observations WHERE request_id LIKE '$ot-%'")
	first_new=$(sqlite3 "$db" "SELECT min(id) FROM observations WHERE request_id LIKE '$nt-%'")
	[[ $last_old -lt $first_new ]] || { echo "FAIL: $name: the new file was read first"; BAD=1; }
}

# 1. rename, one path, ingest
mkdir "$T/1"
gen "$T/1/ev.jsonl" A 0 200
"$VIGIL" ingest "$T/1/ev.jsonl" --db "$T/1.db" >>"$T/1.db.sum"
gen "$T/1/ev.jsonl" A 200 250
mv "$T/1/ev.jsonl" "$T/1/ev.jsonl.1"
gen "$T/1/ev.jsonl" B 0 120
"$VIGIL" ingest "$T/1/ev.jsonl" --db "$T/1.db" >>"$T/1.db.sum" 2>"$T/1.err" || fail "1: $(cat "$T/1.err")"
check "rename, ingest" "$T/1.db" A 250 B 120
# again: nothing new is read, nothing twice
"$VIGIL" ingest "$T/1/ev.jsonl" --db "$T/1.db" >>"$T/1.db.sum"
check "rename, ingest again" "$T/1.db" A 250 B 120

# 2. rename, one path, --follow and SIGTERM
mkdir "$T/2"
gen "$T/2/ev.jsonl" A 0 200
follow() { # db pattern want
	"$VIGIL" ingest --follow "$2" --db "$1" >>"$1.sum" 2>/dev/null &
	local pid=$!
	PIDS+=($pid)
	wait_rows "$1" "$3"
	kill -TERM "$pid"
	wait "$pid" || fail "ingest --follow exited $?"
}
follow "$T/2.db" "$T/2/ev.jsonl" 200
gen "$T/2/ev.jsonl" A 200 250
mv "$T/2/ev.jsonl" "$T/2/ev.jsonl.1"
gen "$T/2/ev.jsonl" B 0 120
follow "$T/2.db" "$T/2/ev.jsonl" 370
check "rename, --follow + SIGTERM" "$T/2.db" A 250 B 120

# 3. rename, `vigil run` on a glob that the rotated name does not match
mkdir "$T/3"
cat >"$T/3.yaml" <<YAML
store:
  path: $T/3.db
  batch_interval: 20ms
metrics:
  listen: 127.0.0.1:0
events:
  - path: $T/3/ev*.jsonl
YAML
run() { # want
	"$VIGIL" run --config "$T/3.yaml" 2>"$T/3.log" &
	local pid=$!
	PIDS+=($pid)
	wait_rows "$T/3.db" "$1"
	kill -TERM "$pid"
	wait "$pid" || fail "vigil run exited $?"
}
gen "$T/3/ev.jsonl" A 0 200
run 200
gen "$T/3/ev.jsonl" A 200 250
mv "$T/3/ev.jsonl" "$T/3/ev.jsonl.1"
gen "$T/3/ev.jsonl" B 0 120
run 370
check "rename, vigil run on a glob" "$T/3.db" A 250 B 120

# 4. copytruncate: the copy holds the unread lines; the path holds fewer bytes than read
mkdir "$T/4"
gen "$T/4/ev.jsonl" A 0 200
"$VIGIL" ingest "$T/4/ev.jsonl" --db "$T/4.db" >>"$T/4.db.sum"
gen "$T/4/ev.jsonl" A 200 250
cp "$T/4/ev.jsonl" "$T/4/ev.jsonl.1"
truncate -s 0 "$T/4/ev.jsonl"
gen "$T/4/ev.jsonl" B 0 120
"$VIGIL" ingest "$T/4/ev.jsonl" --db "$T/4.db" >>"$T/4.db.sum" 2>"$T/4.err" || fail "4: $(cat "$T/4.err")"
check "copytruncate, ingest" "$T/4.db" A 250 B 120

# 5. two renames while stopped, each with unread lines
mkdir "$T/5"
gen "$T/5/ev.jsonl" A 0 200
"$VIGIL" ingest "$T/5/ev.jsonl" --db "$T/5.db" >>"$T/5.db.sum"
gen "$T/5/ev.jsonl" A 200 250
mv "$T/5/ev.jsonl" "$T/5/ev.jsonl.1"
gen "$T/5/ev.jsonl" B 0 120
"$VIGIL" ingest "$T/5/ev.jsonl" --db "$T/5.db" >>"$T/5.db.sum"
gen "$T/5/ev.jsonl" B 120 160
mv "$T/5/ev.jsonl.1" "$T/5/ev.jsonl.2"
mv "$T/5/ev.jsonl" "$T/5/ev.jsonl.1"
gen "$T/5/ev.jsonl" C 0 80
"$VIGIL" ingest "$T/5/ev.jsonl" --db "$T/5.db" >>"$T/5.db.sum"
check "two renames, ingest" "$T/5.db" B 160 C 80
check "two renames, ingest (first file)" "$T/5.db" A 250 C 80
# 6. gone: compressed while stopped, with a last line vigil was waiting for
mkdir "$T/6"
sed "s|$T/3|$T/6|g" "$T/3.yaml" >"$T/6.yaml"
N6=0
run6() { # want
	N6=$((N6 + 1))
	"$VIGIL" run --config "$T/6.yaml" 2>"$T/6.$N6.log" &
	local pid=$!
	PIDS+=($pid)
	for _ in $(seq 1 150); do
		grep -q '"msg":"running"' "$T/6.$N6.log" && break
		sleep 0.1
	done
	wait_rows "$T/6.db" "$1"
	kill -TERM "$pid"
	wait "$pid" || fail "vigil run exited $?"
}
gen "$T/6/ev.jsonl" A 0 200
printf '{"schema_version": 1, "ts": "2026-11-27T10:00' >>"$T/6/ev.jsonl"
partial=45
run6 200
printf ':00.000Z", "request_id": "A-200", "provider": "openai", "http": {"status": 200}}\n' >>"$T/6/ev.jsonl"
gen "$T/6/ev.jsonl" A 201 250
mv "$T/6/ev.jsonl" "$T/6/ev.jsonl.1"
gzip "$T/6/ev.jsonl.1"
gen "$T/6/ev.jsonl" B 0 120
run6 320
run6 320
gone=$(sqlite3 "$T/6.db" "SELECT count(*) FROM failure_events WHERE subtype = 'tail_file_gone'")
inc=$(sqlite3 "$T/6.db" "SELECT count(*) FROM incidents WHERE subtype = 'tail_file_gone'")
said=$(cat "$T"/6.*.log | grep -c "\"bytes_never_read\":$partial" || true)
echo "gone: $gone tail_file_gone event(s), $inc incident(s), $said log line(s) with $partial bytes"
[[ $gone == 1 && $inc == 1 && $said == 1 ]] || { echo "FAIL: gone"; BAD=1; }
grep -q "$partial bytes never read" <<<"$(sqlite3 "$T/6.db" "SELECT detail FROM failure_events WHERE subtype = 'tail_file_gone'")" ||
	{ echo "FAIL: gone: the event does not say $partial bytes"; BAD=1; }
check "gone (compressed)" "$T/6.db" A 200 B 120
# the same with `vigil ingest`: its summary says the bytes
mkdir "$T/7"
gen "$T/7/ev.jsonl" A 0 200
printf '{"schema_version": 1, "ts": "2026-11-27T10:00' >>"$T/7/ev.jsonl"
"$VIGIL" ingest "$T/7/ev.jsonl" --db "$T/7.db" >>"$T/7.db.sum"
mv "$T/7/ev.jsonl" "$T/7/ev.jsonl.1"
gzip "$T/7/ev.jsonl.1"
gen "$T/7/ev.jsonl" B 0 120
"$VIGIL" ingest "$T/7/ev.jsonl" --db "$T/7.db" >"$T/7.out" 2>/dev/null || true
grep -q ", $partial bytes of rotated files gone before they were read" "$T/7.out" ||
	{ echo "FAIL: gone, ingest: $(cat "$T/7.out")"; BAD=1; }
"$VIGIL" ingest "$T/7/ev.jsonl" --db "$T/7.db" >"$T/7.out" 2>/dev/null || true
grep -q "gone before" "$T/7.out" && { echo "FAIL: gone, ingest: said twice"; BAD=1; }
check "gone (compressed), ingest" "$T/7.db" A 200 B 120

[[ $BAD -eq 0 ]] || fail "lines lost or repeated"
echo "ok: rotated while stopped (rename in 3 modes, copytruncate, two rotations, gone): nothing lost or repeated, the gone bytes reported once"
