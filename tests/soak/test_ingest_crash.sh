#!/usr/bin/env bash
# test_ingest_crash.sh: crash safety of ingest (seeded). 1,000,000 lines
# (with repeated lines, retries and 30 malformed ones); `vigil ingest` is
# killed with SIGKILL at 20 seeded random moments and restarted each time,
# then run to the end. The database must hold exactly the file's distinct
# (request_id, attempt) pairs, none twice, and each bad line quarantined once.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
BENCH=${VIGIL_BUILD_DIR:?}/ingest_bench
SEED=${VIGIL_SOAK_SEED:-20261127}
LINES=${VIGIL_SOAK_LINES:-1000000}
T=$(mktemp -d)
PID=
cleanup() {
	[[ -n "$PID" ]] && kill -9 "$PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
echo "seed $SEED, $LINES lines"
"$BENCH" --generate "$T/events.jsonl" --lines "$LINES" --seed "$SEED" --bad 30 >/dev/null

# The expected pairs, computed independently of vigil.
python3 - "$T/events.jsonl" "$T/expect.txt" <<'PY'
import json, sys
pairs = set()
bad = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        try:
            e = json.loads(line)
            if e["schema_version"] != 1:
                raise ValueError
            pairs.add("%s|%d" % (e["request_id"], (e.get("selection") or {}).get("attempt", 1)))
        except (ValueError, KeyError, UnicodeDecodeError):
            bad += 1
with open(sys.argv[2], "w") as out:
    out.write("".join(p + "\n" for p in sorted(pairs)))
print("expect %d pairs, %d bad lines" % (len(pairs), bad))
PY

RANDOM=$SEED
killed=0
for i in $(seq 1 20); do
	"$VIGIL" ingest "$T/events.jsonl" --db "$T/v.db" >"$T/run.out" 2>&1 &
	PID=$!
	ms=$((RANDOM % 350 + 30))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if kill -9 "$PID" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$PID" 2>/dev/null || true
	PID=
	n=$(sqlite3 "$T/v.db" "SELECT count(*) FROM observations" 2>/dev/null || echo "-")
	echo "kill $i after ${ms} ms: $n rows"
done
set +e
"$VIGIL" ingest "$T/events.jsonl" --db "$T/v.db" >"$T/run.out" 2>&1
rc=$?
set -e
cat "$T/run.out"
[[ $rc -eq 0 || $rc -eq 1 ]] || { echo "final run failed: $rc"; exit 1; }
[[ $killed -ge 15 ]] || { echo "only $killed of 20 runs were killed mid-way"; exit 1; }

sqlite3 "$T/v.db" "SELECT request_id || '|' || attempt FROM observations ORDER BY 1" >"$T/got.txt"
LC_ALL=C sort -o "$T/got.txt" "$T/got.txt"
LC_ALL=C sort -o "$T/expect.txt" "$T/expect.txt"
if ! cmp -s "$T/expect.txt" "$T/got.txt"; then
	echo "pairs differ:"; diff "$T/expect.txt" "$T/got.txt" | head -20; exit 1
fi
dups=$(uniq -d "$T/got.txt" | wc -l)
[[ $dups -eq 0 ]] || { echo "$dups pairs twice"; exit 1; }
q=$(sqlite3 "$T/v.db" "SELECT count(*), count(DISTINCT line_no) FROM quarantine")
[[ "$q" == "30|30" ]] || { echo "quarantine rows: $q (want 30|30)"; exit 1; }
pos=$(sqlite3 "$T/v.db" "SELECT read_offset FROM tail_positions")
[[ "$pos" == "$(stat -c %s "$T/events.jsonl")" ]] || { echo "position $pos"; exit 1; }
echo "ok: $(wc -l <"$T/got.txt") pairs exactly once after $killed kills; 30 quarantined once"
