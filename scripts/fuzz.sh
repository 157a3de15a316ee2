#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS: for every tests/fuzz/fuzz_<name>.c harness, replay
# its corpus (tests/fuzz/corpus/<name>/) and then fuzz it for SECONDS seconds
# with a scratch copy of the corpus, so the repository is never written to.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:?build dir}
SECONDS_EACH=${2:-20}
for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	bin="$BUILD/$name"
	corpus="$ROOT/tests/fuzz/corpus/$short"
	mkdir -p "$corpus"
	echo "-- $name: replay $(ls "$corpus" | wc -l) corpus inputs"
	"$bin" -runs=0 "$corpus" 2>&1 | tail -n 2
	scratch=$(mktemp -d)
	cp -r "$corpus/." "$scratch/"
	echo "-- $name: fuzz for ${SECONDS_EACH}s"
	"$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$scratch" 2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' || true
	rm -rf "$scratch"
done
