#!/usr/bin/env bash
# test_replay_incidents.sh: oncall-day and the three public-incident shapes
# against their expectation files (tests/integration/replay_scenarios.bash
# has the generation and the KNOWN_GAPS list).
set -euo pipefail
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
source "$(dirname "$0")/replay_scenarios.bash"

fail=0
check_scenarios "${SCENARIOS_B[@]}"
exit $fail
