# replay_scenarios.bash: sourced by test_replay_scenarios.sh and
# test_replay_incidents.sh (split in two to keep each short under ASan).
# check_scenarios S...: generates each shipped scenario at test time
# (--speed max, nothing kept in the repository), replays it with its truth
# file against tests/data/replay/<scenario>.expect.json (the expected
# verdicts, docs/replay.md) and sets fail=1 on a failure.
#
# KNOWN_GAPS lists the checks that fail today, one "scenario|start of the
# diff line" per entry: they are tolerated, every other failure fails the
# test, and a listed gap that no longer fails also fails the test (so the
# list is kept honest; remove the entry).

VIGIL=${VIGIL_BIN:-build/gcc/vigil}
SRC=${VIGIL_SOURCE_DIR:-.}
DATA=$SRC/tests/data/replay

KNOWN_GAPS=()

# The long scenarios are cut to what their verdicts need (calm: half an
# hour of healthy traffic; openai at 97% errors by 50m; google's wave 20
# minutes in) to keep the tests short under ASan.
declare -A DURATION=([calm]=30m [openai-dec-2024]=55m [google-jun-2025]=30m)

check_scenarios() {
	local s
	for s in "$@"; do
		check_one "$s"
	done
}

check_one() {
	local s=$1 exp=$DATA/$1.expect.json rc=0 line known g
	if [[ ! -f $exp ]]; then
		echo "FAIL $s: no expectation file $exp"
		fail=1
		return
	fi
	local dur=()
	[[ $s == faults ]] && dur=(--duration 5m)
	[[ -n ${DURATION[$s]:-} ]] && dur=(--duration "${DURATION[$s]}")
	"$VIGIL" sim gateway --scenario "$s" --speed max --out "$TMP/$s.jsonl" \
		--truth "$TMP/$s.truth.json" "${dur[@]}" 2>/dev/null
	"$VIGIL" replay "$TMP/$s.jsonl" --truth "$TMP/$s.truth.json" \
		--config "$DATA/vigil.yaml" --expect "$exp" >"$TMP/$s.out" 2>"$TMP/$s.err" || rc=$?
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		echo "FAIL $s: replay exited $rc"
		cat "$TMP/$s.err"
		fail=1
		return
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
	if [[ $rc -eq 0 ]]; then
		echo "ok $s"
	fi
	return 0
}

# Every shipped scenario belongs to exactly one of the tests.
SCENARIOS_A=(calm latency-ramp silent-update injection faults)
SCENARIOS_B=(oncall-day openai-dec-2024 google-jun-2025 anthropic-529-waves)
# Four weeks of traffic: checked by tests/soak/test_replay_weeks.sh (gcc only).
SCENARIOS_SOAK=(baseline-weeks)
check_coverage() {
	local s
	for s in $(ls "$SRC"/sim/scenarios/*.yaml | xargs -n1 basename | sed 's/\.yaml$//'); do
		if [[ " ${SCENARIOS_A[*]} ${SCENARIOS_B[*]} ${SCENARIOS_SOAK[*]} " != *" $s "* ]]; then
			echo "FAIL $s: a shipped scenario no replay test checks (add it to a list)"
			fail=1
		fi
	done
}
