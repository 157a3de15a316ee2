#!/usr/bin/env bash
# test_replay_baselines_off.sh: with `baselines.enabled: false` a replay is
# what it was before baselines existed, byte for byte: the --json report of
# six minutes of the oncall-day scenario (generated here, --speed max, the
# scenario's seed), replayed with tests/data/replay/vigil.yaml and baselines
# off, equals tests/data/replay/oncall-day-6m.baselines-off.json, written by
# the binary of main before baselines were wired into the pipeline (76
# failure events, two incidents, their payloads). Regenerated twice with
# that binary plus one change each, never with a binary that has
# baselines: when incident keys came to be derived from the events (the
# diff was only those keys), and when the simulator moved to one random
# stream per concern (new traffic: 110 events became 76).
#
# The same replay with baselines on (the default) is compared too: six
# minutes from a cold start are judged by today's static rules alone, so
# the report is the same (a cold deployment behaves as before).
#
# If a change elsewhere changes replay output on purpose (the simulator, a
# rule), regenerate the file with that change's binary and say so.
set -euo pipefail
VIGIL=${VIGIL_BIN:-build/gcc/vigil}
SRC=${VIGIL_SOURCE_DIR:-.}
DATA=$SRC/tests/data/replay
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

"$VIGIL" sim gateway --scenario oncall-day --speed max --duration 6m --out "$TMP/ev.jsonl" \
	--truth "$TMP/truth.json" 2>/dev/null
# the replay config, its schema folder made absolute, with baselines off
sed "s|schemas_dir: .*|schemas_dir: $(cd "$SRC" && pwd)/sim/schemas|" "$DATA/vigil.yaml" \
	>"$TMP/on.yaml"
cp "$TMP/on.yaml" "$TMP/off.yaml"
printf '\nbaselines:\n  enabled: false\n' >>"$TMP/off.yaml"

"$VIGIL" replay "$TMP/ev.jsonl" --truth "$TMP/truth.json" --config "$TMP/off.yaml" --json \
	>"$TMP/off.json"
if ! cmp -s "$DATA/oncall-day-6m.baselines-off.json" "$TMP/off.json"; then
	echo "FAIL: with baselines off the report differs from before baselines:"
	diff <(jq -S . "$DATA/oncall-day-6m.baselines-off.json") <(jq -S . "$TMP/off.json") |
		head -40
	fail=1
fi
jq -e '.events.total == 76 and (.incidents | length) == 2' "$TMP/off.json" >/dev/null || {
	echo "FAIL: the reference replay is not the one described"
	fail=1
}

"$VIGIL" replay "$TMP/ev.jsonl" --truth "$TMP/truth.json" --config "$TMP/on.yaml" --json \
	>"$TMP/on.json"
if ! cmp -s "$TMP/off.json" "$TMP/on.json"; then
	echo "FAIL: a cold start with baselines on judges differently from today's rules"
	diff <(jq -S . "$TMP/off.json") <(jq -S . "$TMP/on.json") | head -40
	fail=1
fi
exit $fail
