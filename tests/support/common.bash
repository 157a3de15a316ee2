# common.bash: what the shell tests share, sourced after `set -euo pipefail`:
# a temporary folder $T, removed at exit after the background processes
# whose pids the test adds to PIDS are killed, and wait_for. Each test
# defines its own fail() (what it prints about its logs), which wait_for
# calls when it gives up.
T=$(mktemp -d)
PIDS=()
vt_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap vt_cleanup EXIT

# wait_for DESCRIPTION COMMAND...: run COMMAND every 0.1 s until it
# succeeds, at most WAIT_TRIES times (300: 30 s), then fail.
wait_for() {
	local what=$1
	shift
	for _ in $(seq 1 "${WAIT_TRIES:-300}"); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for: $what"
}
