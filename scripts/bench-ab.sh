#!/usr/bin/env bash
# bench-ab.sh BASE_REV [BENCH] [ROUNDS]: a benchmark against a baseline
# revision, measured in the same session on the same machine.
#
#   BENCH   semantic (default), core, ingest or replay: tests/bench/<BENCH>_bench.c
#   ROUNDS  alternated runs per side (default 6; at least 5 for a claim)
#
# Builds BASE_REV's bench (git archive into a temporary folder, the same
# compiler and flags as build/gcc) and runs it and build/gcc's alternately
# ROUNDS times, then prints per side the median and best of each figure and
# the new/base ratio of the medians. Alternating matters on a shared
# machine: load comes and goes within a minute, and a before/after taken an
# hour apart says more about the neighbours than about the code. Each side
# is built from its own revision's bench source (BENCH_SAME_SOURCE=1 uses
# this tree's source for both, as the semantic bench always did: its source
# changed after the product code it measures).
#
# With valgrind installed it also prints instructions per item (callgrind:
# the difference of two runs of different sizes, so set-up cancels out),
# which no neighbour changes.
#
#   scripts/bench-ab.sh 3a36002 core 5
set -euo pipefail
BASE=${1:?usage: bench-ab.sh BASE_REV [semantic|core|ingest|replay] [ROUNDS]}
BENCH=${2:-semantic}
ROUNDS=${3:-6}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEW=$ROOT/build/gcc/${BENCH}_bench
[[ -x $NEW ]] || { echo "build build/gcc first (no $NEW)" >&2; exit 2; }

# Per bench: its arguments, the awk program that prints the figures of one
# run, their names (a name ending in /s: higher is better), and the two
# sizes for callgrind with the items each run handles.
case $BENCH in
semantic)
	ARGS=(20000 3000)
	[[ -n ${BENCH_SAME_SOURCE+x} ]] || BENCH_SAME_SOURCE=1
	AWK='/all together/ {a = $5; b = $8} /thread CPU time/ {c = $7; d = $10}
	     /responses of/ {e = $(NF - 5)} END {print a, b, c, d, e}'
	NAMES="inline_p50_us inline_p99_us cpu_p50_us cpu_p99_us sidecar_resp/s"
	IR_SMALL=(1000 1 inline) IR_BIG=(3000 1 inline) IR_ITEMS=4000
	;;
core)
	ARGS=(2000000)
	AWK='/cpu ns\/observation/ {a = $(NF - 2)} /M observations\/s,/ {b = $(NF - 4)}
	     END {print a, b * 1e6}'
	NAMES="cpu_ns/obs wall_obs/s"
	IR_SMALL=(100000) IR_BIG=(300000) IR_ITEMS=200000
	;;
ingest)
	ARGS=(--lines 300000)
	AWK='/^vigil / {for (i = 1; i < NF; i++) if ($(i + 1) == "events/s" && a == "") a = $i;
	                for (i = 1; i < NF; i++) if ($(i + 1) == "us") b = $i}
	     /^parse / {for (i = 2; i < NF; i++) if ($(i + 1) == "lines/s" && $(i - 1) ~ /normalise/) c = $i}
	     END {print a, b, c}'
	NAMES="ingest_events/s cpu_us/event decode_lines/s"
	IR_SMALL=() IR_BIG=() IR_ITEMS=0 # ingest runs threads and python: no callgrind
	;;
replay)
	ARGS=(--hours 6 --rate 100)
	AWK='function fig(   i) {for (i = 1; i < NF; i++) if ($(i + 1) == "events/s") return $i}
	     /replay engine/ {a = fig()} /^lines +one thread/ {b = fig()} /^lines +two threads/ {c = fig()}
	     END {print a, b, c}'
	NAMES="memory_events/s lines1_events/s lines2_events/s"
	IR_SMALL=(--hours 1 --rate 20 --pool 20000 --only memory --runs 1)
	IR_BIG=(--hours 3 --rate 20 --pool 20000 --only memory --runs 1)
	IR_ITEMS=144000
	;;
*)
	echo "bench-ab.sh: unknown bench '$BENCH' (semantic, core, ingest, replay)" >&2
	exit 2
	;;
esac

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
git -C "$ROOT" archive "$BASE" | tar -x -C "$T"
if [[ ${BENCH_SAME_SOURCE:-0} == 1 ]]; then
	cp "$ROOT/tests/bench/${BENCH}_bench.c" "$T/tests/bench/${BENCH}_bench.c"
fi
cmake -S "$T" -B "$T/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
	>/dev/null
# ingest_bench runs the vigil binary beside it: build both.
cmake --build "$T/build" -j2 --target "${BENCH}_bench" vigil >/dev/null
OLD=$T/build/${BENCH}_bench

echo "bench-ab: ${BENCH}_bench ${ARGS[*]}, $ROUNDS alternated rounds, base $BASE vs this tree"
for _ in $(seq 1 "$ROUNDS"); do
	for side in base new; do
		bin=$OLD
		[[ $side == new ]] && bin=$NEW
		echo "$side $("$bin" "${ARGS[@]}" 2>&1 | awk "$AWK")"
	done
done | python3 -c '
import statistics as st, sys
names = sys.argv[1].split()
d = {}
for line in sys.stdin:
    f = line.split()
    if len(f) != len(names) + 1:
        sys.exit("bench-ab: a run printed no figures: %r" % line)
    d.setdefault(f[0], []).append([float(x) for x in f[1:]])
med = {}
for side in ("base", "new"):
    rows = d[side]
    print("%-4s (%d runs)" % (side, len(rows)))
    for i, n in enumerate(names):
        col = [r[i] for r in rows]
        best = max(col) if n.endswith("/s") else min(col)
        med[(side, n)] = st.median(col)
        print("  %-18s median %14.2f   best %14.2f" % (n, st.median(col), best))
print("new/base (medians)")
for n in names:
    b, v = med[("base", n)], med[("new", n)]
    print("  %-18s %.3f%s" % (n, v / b if b else float("nan"),
          "  (higher is better)" if n.endswith("/s") else "  (lower is better)"))
' "$NAMES"

if command -v valgrind >/dev/null && ((IR_ITEMS > 0)); then
	ir() {
		local a c
		a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "${IR_SMALL[@]}" 2>&1 \
			>/dev/null | sed -n 's/.*Collected : //p')
		c=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "${IR_BIG[@]}" 2>&1 \
			>/dev/null | sed -n 's/.*Collected : //p')
		echo $(((c - a) / IR_ITEMS))
	}
	echo "instructions per item (callgrind): base $(ir "$OLD"), new $(ir "$NEW")"
fi
