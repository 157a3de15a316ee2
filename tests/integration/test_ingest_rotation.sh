#!/usr/bin/env bash
# test_ingest_rotation.sh: `vigil ingest --follow` while a writer appends
# (with partial lines), pauses, rotates and resumes:
#   A. a glob over app.log*: rename rotation (the writer keeps writing to the
#      old file for a moment), then copytruncate (the copy is also matched);
#   B. a single path: rename rotation only (the old file must be finished).
# Every line written must be stored exactly once.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"

cat >"$T/writer.py" <<'PY'
import json, os, shutil, sys, time, random
path, prefix, mode, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
random.seed(seed)
n = 0
def line():
    global n
    n += 1
    return (json.dumps({"schema_version": 1, "ts": "2026-11-27T10:00:00.000Z",
                        "request_id": "%s-%d" % (prefix, n), "provider": "openai",
                        "http": {"status": 200}}) + "\n").encode()
def burst(fd, count):
    for _ in range(count):
        b = line()
        if random.random() < 0.05:      # a partial line, finished a moment later
            k = random.randrange(1, len(b) - 1)
            os.write(fd, b[:k]); time.sleep(0.02); os.write(fd, b[k:])
        else:
            os.write(fd, b)
        if random.random() < 0.01:
            time.sleep(0.01)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
burst(fd, 1500)
time.sleep(0.3)
# rename rotation; the writer still writes to the old file for a moment
os.rename(path, path + ".1")
burst(fd, 200)
os.close(fd)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
burst(fd, 1500)
time.sleep(0.3)
if mode == "copytruncate":
    shutil.copyfile(path, path + ".2")
    os.truncate(path, 0)
    burst(fd, 1500)
    time.sleep(0.3)
    burst(fd, 500)
os.close(fd)
print(n)
PY

wait_count() { # db want
	for _ in $(seq 1 600); do
		got=$(sqlite3 "$1" "SELECT count(*) FROM observations" 2>/dev/null || echo 0)
		[[ "$got" == "$2" ]] && return 0
		sleep 0.1
	done
	echo "timed out: $got of $2 stored in $1"
	return 1
}

# A: glob, rename then copytruncate
"$VIGIL" ingest --follow "$T/a/app.log*" --db "$T/a.db" >"$T/a.out" 2>"$T/a.err" &
PIDS+=($!)
APID=$!
# B: one path, rename only
"$VIGIL" ingest --follow "$T/b/app.log" --db "$T/b.db" >"$T/b.out" 2>"$T/b.err" &
PIDS+=($!)
BPID=$!
mkdir -p "$T/a" "$T/b"
sleep 0.3
python3 "$T/writer.py" "$T/a/app.log" A copytruncate 1 >"$T/na" &
WA=$!
python3 "$T/writer.py" "$T/b/app.log" B rename 2 >"$T/nb"
wait $WA
na=$(cat "$T/na")
nb=$(cat "$T/nb")
wait_count "$T/a.db" "$na"
wait_count "$T/b.db" "$nb"
kill -TERM "$APID" "$BPID"
wait "$APID"; ra=$?
wait "$BPID"; rb=$?
cat "$T/a.out" "$T/a.err" "$T/b.out" "$T/b.err"
[[ $ra -eq 0 && $rb -eq 0 ]] || { echo "exit $ra $rb"; exit 1; }
# exactly once: every id present, none twice (the table is unique on it,
# and the count equals the number written)
for x in a:A:$na b:B:$nb; do
	IFS=: read -r db prefix n <<<"$x"
	got=$(sqlite3 "$T/$db.db" "SELECT count(DISTINCT request_id) FROM observations WHERE request_id LIKE '$prefix-%'")
	[[ "$got" == "$n" ]] || { echo "$db: $got distinct of $n"; exit 1; }
	[[ $(sqlite3 "$T/$db.db" "SELECT count(*) FROM quarantine") == 0 ]] || { echo "$db: quarantined"; exit 1; }
done
# the copy made by copytruncate was read too, and every line of it was
# recognised as seen (by the dedupe window or by the database)
copy=$(wc -l <"$T/a/app.log.2")
seen=$(sed -n 's/.* \([0-9]*\) already stored, \([0-9]*\) repeated.*/\1 \2/p' "$T/a.out")
read -r already repeated <<<"$seen"
[[ $((already + repeated)) -eq $copy && $copy -gt 0 ]] || { echo "copy $copy, seen $seen"; exit 1; }
echo "ok: A $na lines (rename + copytruncate), B $nb lines (rename) stored once"
