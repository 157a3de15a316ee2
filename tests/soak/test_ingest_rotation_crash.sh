#!/usr/bin/env bash
# test_ingest_rotation_crash.sh: kill -9 and rotation while stopped (seeded; issue 18), the
# rotation modes of test_ingest_crash.sh's kill cycles. Per mode, CYCLES times: lines are
# appended to ev.jsonl, vigil starts and is killed with SIGKILL at a seeded moment, and,
# when vigil has a position in the current ev.jsonl, the file is rotated while vigil is down
# (the next cycle's lines go to a new ev.jsonl):
#   rename        `vigil ingest DIR/ev.jsonl`, mv ev.jsonl ev.jsonl.N
#   rename-glob   `vigil ingest --follow 'DIR/ev*.jsonl'` (ev.jsonl.N does not match it)
#   copytruncate  `vigil ingest DIR/ev.jsonl`, cp ev.jsonl ev.jsonl.N then truncate ev.jsonl
# A last run without a kill finishes. Every line written must be stored, none twice; the
# numbers per mode (kills, rotations, lines lost and repeated) are printed.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
SEED=${VIGIL_SOAK_SEED:-20261127}
CYCLES=${VIGIL_SOAK_ROT_CYCLES:-20}
T=$(mktemp -d)
PID=
cleanup() {
	[[ -n "$PID" ]] && kill -9 "$PID" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

# gen FILE TAG FROM TO SEED: lines of varied length, appended
cat >"$T/gen.py" <<'PY'
import json, random, sys
path, tag, a, b, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rnd = random.Random(seed)
with open(path, "a") as f:
    for i in range(a, b):
        f.write(json.dumps({"schema_version": 1, "ts": "2026-11-27T10:00:%02d.%03dZ" % (i % 60, i % 1000),
                            "request_id": "%s-%d" % (tag, i), "provider": "openai",
                            "model": "gpt-4o-" + "x" * rnd.randrange(0, 40),
                            "http": {"status": 200}}) + "\n")
PY

RANDOM=$SEED
FAILED=0
for mode in ${VIGIL_SOAK_ROT_MODES:-rename rename-glob copytruncate}; do
	D="$T/$mode"
	mkdir -p "$D"
	db="$T/$mode.db"
	n=0
	kills=0
	rotations=0
	for c in $(seq 1 "$CYCLES"); do
		k=$((RANDOM % 10000 + 2000))
		python3 "$T/gen.py" "$D/ev.jsonl" "$mode" "$n" $((n + k)) $((SEED + c))
		n=$((n + k))
		if [[ $mode == rename-glob ]]; then
			"$VIGIL" ingest --follow "$D/ev*.jsonl" --db "$db" >/dev/null 2>&1 &
		else
			"$VIGIL" ingest "$D/ev.jsonl" --db "$db" >/dev/null 2>&1 &
		fi
		PID=$!
		# odd cycles: killed early (mid-file, often mid-rotated-file); even cycles: later,
		# once the rotated file is finished and the new one started (follow waits for
		# its poll, 500 ms, to finish a rotated file)
		if ((c % 2)); then
			# `vigil ingest` without follow reads a cycle's lines in a few hundred ms
			if [[ $mode == rename-glob ]]; then ms=$((RANDOM % 500 + 40)); else ms=$((RANDOM % 230 + 20)); fi
		else
			ms=$((RANDOM % 1500 + 1000))
		fi
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		if kill -9 "$PID" 2>/dev/null; then kills=$((kills + 1)); fi
		wait "$PID" 2>/dev/null || true
		PID=
		# rotate while stopped, when vigil has read from the current file (its first line
		# is stored, so a position in it is too; a file written and rotated away before
		# vigil read any of it has no position to be found by)
		first=$(head -1 "$D/ev.jsonl" | sed -n 's/.*"request_id": "\([^"]*\)".*/\1/p')
		known=0
		[[ -n $first ]] && known=$(sqlite3 "$db" "SELECT count(*) FROM observations WHERE request_id = '$first'" 2>/dev/null || echo 0)
		if [[ $known == 1 ]]; then
			rotations=$((rotations + 1))
			if [[ $mode == copytruncate ]]; then
				cp "$D/ev.jsonl" "$D/ev.jsonl.$c"
				truncate -s 0 "$D/ev.jsonl"
			else
				mv "$D/ev.jsonl" "$D/ev.jsonl.$c"
			fi
			: >>"$D/ev.jsonl"
		fi
	done
	if [[ $mode == rename-glob ]]; then
		"$VIGIL" ingest "$D/ev*.jsonl" --db "$db" >"$T/final.out" 2>&1 || true
	else
		"$VIGIL" ingest "$D/ev.jsonl" --db "$db" >"$T/final.out" 2>&1 || true
	fi
	got=$(sqlite3 "$db" "SELECT count(DISTINCT request_id) FROM observations")
	twice=$(sqlite3 "$db" "SELECT count(*) - count(DISTINCT request_id) FROM observations")
	again=$(sed -n 's/.* \([0-9]*\) already stored, \([0-9]*\) repeated.*/\1/p' "$T/final.out")
	echo "$mode: $kills kill -9 cycles, $rotations rotations while stopped, $n lines written," \
		"lost $((n - got)), stored twice $twice, read again at the end ${again:-?}"
	[[ $got == "$n" && $twice == 0 ]] || FAILED=1
done
[[ $FAILED == 0 ]] || { echo "FAIL: lines lost or repeated"; exit 1; }
echo "ok: kill -9 with rotation while stopped, every mode: nothing lost or repeated"
