#!/usr/bin/env bash
# test_console_snapshot.sh: the real console binary in tmux on frozen
# snapshots: 80x24 drawing, pane keys, acknowledge with a note (the action
# comes out), the triage wizard to a finding and its runbook section,
# resize to 120x40 and back, and outside text carrying terminal escapes (an
# OSC title, clear screen) showing inert.
source "$(dirname "$0")/tmux_lib.sh"

BIN=${VIGIL_BIN:?}
DATA=${VIGIL_TEST_DATA:?}/tui
WORK=$(mktemp -d)
trap 'tm_cleanup; rm -rf "$WORK"' EXIT
ACTIONS=$WORK/actions.jsonl

tm_start 80 24 "$BIN" console --snapshot "$DATA/outage.json" --actions "$ACTIONS" --user carol
tm_wait "1 Health"
[[ $(tm_size) == 80x24 ]] || fail "size $(tm_size)"
tm_wait "openai/gpt-4o-mini    62.0%"

# Incidents, acknowledge #12 with a note.
tm_keys 4
tm_wait "provider/server_error"
tm_keys a
tm_wait "acknowledge #12, note (optional):"
tm_keys "looking into it" Enter
tm_wait "acknowledged #12"
grep -q '"kind":"ack","incident":12,"by":"carol","note":"looking into it"' "$ACTIONS" ||
	fail "ack not written: $(cat "$ACTIONS")"

# The triage wizard starts at the incident's own branch with its own
# evidence; accepting every suggestion ends in its category.
tm_keys t
tm_wait "hard failures in the incident's scope: 404 of 1204 requests (34%)"
tm_wait "suggested: yes"
for _ in 1 2; do tm_keys Enter; sleep 0.1; done
tm_wait "provider/server_error  hard failures, no healthy fallback"
tm_wait "triage path recorded on #12"
grep -q '"kind":"triage","incident":12' "$ACTIONS" || fail "triage path not written"
# The finding's runbook section, from the runbooks embedded in the binary.
tm_wait "runbook docs/runbooks/provider.md, Hard failures:"
tm_wait "1. Check the breaker pane: is the provider's breaker open?"
tm_shows "runbook file not found" && fail "the wizard found no runbook"
tm_keys Escape
tm_wait "Enter detail"

# Resize to 120x40: the wide layout; and back to 80x24.
tm_resize 120 40
tm_wait "ACK BY         REL"
tm_keys 1
tm_wait "GEN T/S  QUAL  COST"
tm_resize 80 24
tm_wait "PROVIDER/MODEL        AVAIL"
tm_shows "GEN T/S" && fail "wide columns still shown at 80x24"
tm_keys q
status=$(tm_wait_exit 10)
[[ $status == 0 ]] || fail "exit status $status"
tm_restart

# Hostile text: an OSC title and a clear-screen inside model text stay inert.
tm_start 80 24 "$BIN" console --snapshot "$DATA/hostile.json"
tm_wait "1 Health"
tm_keys 4
tm_wait "model said: Sure! Here is your answer ok"
tm_keys Enter
tm_wait "error message link text"
title=$(tm display-message -p -t "$TM_TARGET" '#{pane_title}')
[[ $title != *pwned* ]] || fail "the pane title was changed to '$title'"
# The screen was not cleared: the title bar is still there.
tm_shows "1 Health" || fail "the screen was cleared"
tm_shows $'\x1b' && fail "an escape reached the screen"
tm_keys q # back from the detail
tm_wait "Enter detail"
tm_keys q
status=$(tm_wait_exit 10)
[[ $status == 0 ]] || fail "exit status $status"
echo "ok"
