#!/usr/bin/env bash
# bench-ab.sh BASE_REV [ROUNDS] [BENCH ARGS...]: a benchmark against a baseline
# revision, measured in the same session on the same machine.
#
# Builds tests/bench/semantic_bench of BASE_REV (git archive into a temporary
# folder, the same compiler and flags as build/gcc, and this tree's bench
# source, so both sides are timed the same way), then runs the baseline and
# build/gcc/semantic_bench alternately ROUNDS times (default 6; arguments
# default to "20000 3000") and prints, per side, the median and best of each
# figure. Alternating matters on a shared machine: load comes and goes within
# a minute, and a before/after taken an hour apart says more about the
# neighbours than about the code. With valgrind installed it also prints the
# instructions per inline response (callgrind), which no neighbour changes.
#
#   scripts/bench-ab.sh d261751 6
set -euo pipefail
BASE=${1:?usage: bench-ab.sh BASE_REV [ROUNDS] [BENCH ARGS...]}
ROUNDS=${2:-6}
shift $(($# >= 2 ? 2 : 1))
ARGS=("$@")
[[ ${#ARGS[@]} -gt 0 ]] || ARGS=(20000 3000)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEW=$ROOT/build/gcc/semantic_bench
[[ -x $NEW ]] || { echo "build build/gcc first" >&2; exit 2; }

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
git -C "$ROOT" archive "$BASE" | tar -x -C "$T"
cp "$ROOT/tests/bench/semantic_bench.c" "$T/tests/bench/semantic_bench.c"
cmake -S "$T" -B "$T/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
	>/dev/null
cmake --build "$T/build" -j2 --target semantic_bench >/dev/null
OLD=$T/build/semantic_bench

for _ in $(seq 1 "$ROUNDS"); do
	for side in base new; do
		bin=$OLD
		[[ $side == new ]] && bin=$NEW
		"$bin" "${ARGS[@]}" | awk -v side=$side '
			/all together/ {w50 = $5; w99 = $8}
			/thread CPU time/ {c50 = $7; c99 = $10}
			/responses of/ {rs = $(NF - 5)}
			END {print side, w50, w99, c50, c99, rs}'
	done
done | python3 -c '
import statistics as st, sys
d = {}
for line in sys.stdin:
    f = line.split()
    d.setdefault(f[0], []).append([float(x) for x in f[1:]])
names = ["inline p50 us", "inline p99 us", "cpu p50 us", "cpu p99 us", "sidecar resp/s"]
for side in ("base", "new"):
    rows = d[side]
    print("%-4s (%d runs)" % (side, len(rows)))
    for i, n in enumerate(names):
        col = [r[i] for r in rows]
        best = max(col) if "resp/s" in n else min(col)
        print("  %-15s median %8.2f   best %8.2f" % (n, st.median(col), best))
'

if command -v valgrind >/dev/null; then
	ir() { # instructions per response: (3000 - 1000 responses) x 2 timed passes
		local a c
		a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 1000 1 inline 2>&1 \
			>/dev/null | sed -n 's/.*Collected : //p')
		c=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" 3000 1 inline 2>&1 \
			>/dev/null | sed -n 's/.*Collected : //p')
		echo $(((c - a) / 4000))
	}
	echo "instructions per inline response: base $(ir "$OLD"), new $(ir "$NEW")"
fi
