# tmux_lib.sh: helpers for the console's end-to-end tests (sourced, not a test).
# Every test runs its own tmux server (tmux -L vigil-test-<pid>), so it never
# touches the user's sessions, and kills it on exit.
#
#   tm_start COLS ROWS CMD...   start CMD in a detached session of that size
#   tm_screen                   the visible screen as text
#   tm_wait TEXT [SECONDS]      poll the screen until TEXT shows (default 30 s)
#   tm_keys KEYS...             send keys (tmux send-keys syntax)
#   tm_resize COLS ROWS         resize the window
#   fail MESSAGE                print the screen and exit 1
set -euo pipefail

TM_SOCK="vigil-test-$$"
TM_TARGET="vigil"

tm() { tmux -L "$TM_SOCK" "$@"; }

tm_cleanup() { tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1 || true; }

# Stop this test's server and use a fresh one for the next tm_start.
tm_restart() {
	tm_cleanup
	TM_SOCK="vigil-test-$$-$((++TM_GEN))"
}
TM_GEN=0
trap tm_cleanup EXIT

tm_start() {
	local cols=$1 rows=$2
	shift 2
	# A clean environment: a UTF-8 locale and a known terminal type.
	# The pane stays after the program exits, so its last screen and exit
	# status can be read.
	TM_STATUS=$(mktemp)
	rm -f "$TM_STATUS"
	tm -f /dev/null start-server \; set-option -g remain-on-exit on \; \
		new-session -d -s "$TM_TARGET" -x "$cols" -y "$rows" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $*; echo \$? > $TM_STATUS"
}

# Wait until the program in the pane has exited; prints its exit status.
tm_wait_exit() {
	local secs=${1:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		# (tmux's own #{pane_dead_status} is sometimes empty: the
		# command writes its status to a file instead.)
		if [[ -s $TM_STATUS ]]; then
			cat "$TM_STATUS"
			rm -f "$TM_STATUS"
			return 0
		fi
		sleep 0.1
	done
	fail "the program did not exit within $secs s"
}

tm_screen() { tm capture-pane -p -t "$TM_TARGET"; }

fail() {
	echo "FAIL: $*" >&2
	echo "---- screen" >&2
	tm_screen >&2 || true
	exit 1
}

# True when the screen shows TEXT (no pipe: grep -q under pipefail could
# turn a find into a SIGPIPE failure).
tm_shows() {
	local screen
	screen=$(tm_screen)
	[[ $screen == *"$1"* ]]
}

tm_wait() {
	local text=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		if tm_shows "$text"; then
			return 0
		fi
		sleep 0.1
	done
	fail "timed out waiting for '$text'"
}

tm_keys() { tm send-keys -t "$TM_TARGET" "$@"; }

tm_resize() {
	tm resize-window -t "$TM_TARGET" -x "$1" -y "$2"
}

# The window's size as the terminal sees it: "COLSxROWS".
tm_size() { tm display-message -p -t "$TM_TARGET" '#{pane_width}x#{pane_height}'; }
