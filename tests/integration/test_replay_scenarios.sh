#!/usr/bin/env bash
# test_replay_scenarios.sh: every scenario the simulator ships, generated at
# test time (--speed max, nothing kept in the repository), replayed with its
# truth file against tests/data/replay/<scenario>.expect.json (written from
# the chapter's verdicts, docs/replay.md). Also: replaying the same file
# twice gives byte-identical --json, and a deliberately wrong expectation
# exits 1 with a diff naming the incident.
#
# KNOWN_GAPS lists the checks that fail today, one "scenario|start of the
# diff line" per entry: they are tolerated, every other failure fails the
# test, and a listed gap that no longer fails also fails the test (so the
# list is kept honest; remove the entry).
set -euo pipefail

VIGIL=${VIGIL_BIN:-build/gcc/vigil}
SRC=${VIGIL_SOURCE_DIR:-.}
DATA=$SRC/tests/data/replay
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

KNOWN_GAPS=(
	"faults|forbidden 'any incident' (*/*): incident #1 quality/regression openai peaked low"
	"oncall-day|incident 'search context stuffing' (cost/context_stuffing template internal-search): missing"
	"oncall-day|forbidden 'nothing before the first fault' (*/*): incident #1 quality/regression google peaked low"
	"oncall-day|detect 'search-context-stuffing': first event never"
	"oncall-day|detect 'tagline-jailbreak': first event after"
	"silent-update|incident 'gpt-4o hallucination' (quality/hallucination openai): missing"
	"silent-update|incident 'gpt-4o regression' (quality/regression openai): missing"
	"silent-update|forbidden 'background alone' (quality/*): incident #1 quality/hallucination openai"
	"silent-update|forbidden 'background alone' (quality/*): incident #2 quality/regression openai"
)

# The two long public-incident shapes are cut to what their verdicts need
# (onset at 10m; openai at 97% errors by 50m; google's wave 20 minutes in) to
# keep the test short under ASan.
declare -A DURATION=([openai-dec-2024]=55m [google-jun-2025]=30m)

fail=0
scenarios=$(ls "$SRC"/sim/scenarios/*.yaml | xargs -n1 basename | sed 's/\.yaml$//')
for s in $scenarios; do
	exp=$DATA/$s.expect.json
	if [[ ! -f $exp ]]; then
		echo "FAIL $s: no expectation file $exp"
		fail=1
		continue
	fi
	dur=()
	[[ $s == faults ]] && dur=(--duration 5m)
	[[ -n ${DURATION[$s]:-} ]] && dur=(--duration "${DURATION[$s]}")
	"$VIGIL" sim gateway --scenario "$s" --speed max --out "$TMP/$s.jsonl" \
		--truth "$TMP/$s.truth.json" "${dur[@]}" 2>/dev/null
	rc=0
	"$VIGIL" replay "$TMP/$s.jsonl" --truth "$TMP/$s.truth.json" \
		--config "$DATA/vigil.yaml" --expect "$exp" >"$TMP/$s.out" 2>"$TMP/$s.err" || rc=$?
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		echo "FAIL $s: replay exited $rc"
		cat "$TMP/$s.err"
		fail=1
		continue
	fi
	# Every failed check must be a known gap ...
	while IFS= read -r line; do
		[[ -z $line || $line == "vigil replay:"* ]] && continue
		known=0
		for g in "${KNOWN_GAPS[@]}"; do
			[[ ${g%%|*} == "$s" && $line == "${g#*|}"* ]] && known=1
		done
		if [[ $known -eq 1 ]]; then
			echo "known gap $s: $line"
		else
			echo "FAIL $s: $line"
			fail=1
		fi
	done <"$TMP/$s.err"
	# ... and every known gap must still fail.
	for g in "${KNOWN_GAPS[@]}"; do
		[[ ${g%%|*} == "$s" ]] || continue
		if ! grep -qF -- "${g#*|}" "$TMP/$s.err"; then
			echo "FAIL $s: known gap now passes, remove it from KNOWN_GAPS: ${g#*|}"
			fail=1
		fi
	done
	[[ $rc -eq 0 ]] && echo "ok $s"
done

# Byte-identical reports from the same input.
"$VIGIL" replay "$TMP/injection.jsonl" --truth "$TMP/injection.truth.json" \
	--config "$DATA/vigil.yaml" --json >"$TMP/a.json"
"$VIGIL" replay "$TMP/injection.jsonl" --truth "$TMP/injection.truth.json" \
	--config "$DATA/vigil.yaml" --json >"$TMP/b.json"
if ! cmp -s "$TMP/a.json" "$TMP/b.json"; then
	echo "FAIL: two replays of the same file differ"
	fail=1
fi
jq -e '.incidents | length > 0' "$TMP/a.json" >/dev/null || { echo "FAIL: empty report"; fail=1; }

# A deliberately wrong expectation: exit 1, a diff naming the incident.
cat >"$TMP/wrong.json" <<'JSON'
{"incidents": [{"name": "wrong severity", "category": "security", "subtype": "prompt_injection",
                "severity": "critical"},
               {"name": "absent outage", "category": "provider", "subtype": "server_error",
                "provider": "openai"}],
 "forbidden": [{"name": "no cost", "category": "cost"}]}
JSON
rc=0
"$VIGIL" replay "$TMP/injection.jsonl" --config "$DATA/vigil.yaml" --expect "$TMP/wrong.json" \
	>/dev/null 2>"$TMP/wrong.err" || rc=$?
if [[ $rc -ne 1 ]]; then
	echo "FAIL: a wrong expectation exited $rc, not 1"
	fail=1
fi
for want in "incident 'wrong severity' (security/prompt_injection): peak severity" \
	"incident 'absent outage' (provider/server_error openai): missing" \
	"forbidden 'no cost' (cost/*): incident #"; do
	if ! grep -qF -- "$want" "$TMP/wrong.err"; then
		echo "FAIL: the diff lacks: $want"
		cat "$TMP/wrong.err"
		fail=1
	fi
done

exit $fail
