#!/usr/bin/env bash
# test_replay_scenarios.sh: the three replay scenarios (latency-ramp,
# silent-update, injection; docs/replay.md), calm and
# faults against their expectation files (tests/integration/
# replay_scenarios.bash has the rest: generation, KNOWN_GAPS); every shipped
# scenario is in this test or in test_replay_incidents.sh. Also: replaying
# the same file twice gives byte-identical --json, and a deliberately wrong
# expectation exits 1 with a diff naming the incident.
set -euo pipefail
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
source "$(dirname "$0")/replay_scenarios.bash"

fail=0
check_coverage
check_scenarios "${SCENARIOS_A[@]}"

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
