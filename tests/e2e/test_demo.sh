#!/usr/bin/env bash
# test_demo.sh: `vigil demo` in tmux at 80x24, end to end: wait for a HIGH
# incident on the console, acknowledge it with send-keys, check that the
# action reached operator_actions, was applied to the incident (database) and
# paged as an acknowledgement (the simulated pager's log); walk the triage
# wizard to its end and check the path was recorded; the demo says where
# its files are inside the console (bottom row, help overlay); resize to 120x40 and
# back; a gateway line whose model name carries an OSC title and a
# clear-screen shows inert. Time in the scenario runs 30x.
source "$(dirname "$0")/tmux_lib.sh"

BIN=${VIGIL_BIN:?}
WORK=$(mktemp -d)
trap 'tm_cleanup; rm -rf "$WORK"' EXIT
DIR=$WORK/demo
DB=$DIR/vigil.db
q() { sqlite3 -cmd ".timeout 5000" "file:$DB?mode=ro" "$1"; }

# Poll a shell condition for up to $2 seconds.
wait_for() {
	local cond=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		if eval "$cond"; then return 0; fi
		sleep 0.1
	done
	fail "timed out waiting for: $cond"
}

tm_start 80 24 "$BIN" demo --dir "$DIR" --speed 30 --user carol
tm_wait "1 Health" 30
[[ $(tm_size) == 80x24 ]] || fail "size $(tm_size)"
# Where the demo's files are, inside the console: on the bottom row at the
# start, and on top of the help overlay (? opens and closes it).
tm_wait "demo files in $DIR" 10
tm_keys "?"
tm_wait "demo files" 10
tm_wait "vigil console --db $DIR/vigil.db" 10
tm_keys "?"
tm_wait "anthropic (f)" 30

# The first HIGH incident: filter the incidents pane on "high".
tm_keys 4
tm_wait " HIGH " 120
tm_keys /
tm_keys "high" Enter
# The screen follows the filter on its next redraw: poll until the selected
# incident (the rule above its summary) is a high or critical one.
id= sev=
for _ in $(seq 1 100); do
	id=$(tm_screen | sed -n 's/^── #\([0-9][0-9]*\) ─.*/\1/p' | head -n1)
	[[ -n $id ]] && sev=$(q "SELECT severity FROM incidents WHERE id = $id")
	[[ $sev == high || $sev == critical ]] && break
	sleep 0.1
done
[[ -n $id ]] || fail "no selected incident"
[[ $sev == high || $sev == critical ]] || fail "incident #$id is '$sev', not high"

# Acknowledge it with a note.
tm_keys a
tm_wait "acknowledge #$id, note (optional):"
tm_keys "on it" Enter
tm_wait "acknowledged #$id"
wait_for '[[ $(q "SELECT count(*) FROM operator_actions WHERE incident_id = $id AND action = '"'ack'"' AND actor = '"'carol'"' AND note = '"'on it'"' AND applied = 1") == 1 ]]' 20
wait_for '[[ $(q "SELECT state FROM incidents WHERE id = $id") == acknowledged ]]' 20
[[ $(q "SELECT count(*) FROM incident_history WHERE incident_id = $id AND what = 'acknowledged' AND actor = 'carol'") == 1 ]] ||
	fail "no acknowledged history row for #$id"
# The pager saw the trigger and then the acknowledgement, under the incident's dedup key
# (from its events: instance, key, first event's time; the row keeps it in its detail).
key=$(q "SELECT json_extract(detail, '\$.dedup_key') FROM incidents WHERE id = $id")
[[ $key == */20??-??-??T??:??:??.???Z ]] || fail "dedup key of #$id: '$key'"
wait_for "grep -qF '\"event_action\":\"acknowledge\",\"dedup_key\":\"$key\"' '$DIR/pager.jsonl'" 20
grep -qF "\"event_action\":\"trigger\",\"dedup_key\":\"$key\"" "$DIR/pager.jsonl" ||
	fail "the pager never got the trigger for #$id"
tm_wait "acked" 10

# The triage wizard: accept each live suggestion until it ends in a category.
tm_keys t
tm_wait "suggested:" 10
for _ in $(seq 1 20); do
	tm_shows "triage path recorded on #$id" && break
	tm_keys Enter
	sleep 0.3
done
tm_wait "triage path recorded on #$id" 10
wait_for '[[ $(q "SELECT count(*) FROM operator_actions WHERE incident_id = $id AND action = '"'triage'"' AND applied = 1 AND note LIKE '"'%? % => %/%'"'") == 1 ]]' 20
[[ $(q "SELECT count(*) FROM incident_history WHERE incident_id = $id AND what = 'note' AND note LIKE 'triage: %'") -ge 1 ]] ||
	fail "the wizard path is not on the incident's history"
tm_keys Escape
tm_wait "Enter detail" 10

# Resize to 120x40 (the wide incident columns) and back.
tm_resize 120 40
tm_wait "ACK BY         REL" 10
tm_keys 1
tm_wait "GEN T/S  QUAL  COST" 10
tm_resize 80 24
tm_wait "PROVIDER/MODEL        AVAIL" 10
tm_shows "GEN T/S" && fail "wide columns still shown at 80x24"

# A gateway line with escapes in the model name and the provider's message.
python3 - "$DIR/events.jsonl" <<'EOF'
import json, sys, time
path = sys.argv[1]
line = {
    "schema_version": 1,
    "ts": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    "request_id": "hostile-1", "provider": "openai",
    "model": "gpt-evil\x1b]0;pwned\x07\x1b[2J-v2",
    "template": "support-answer", "traffic_class": "revenue",
    "selection": {"reason": "primary", "attempt": 1}, "stream": False,
    "transport": {"total_ms": 120},
    "http": {"status": 500, "body_bytes": 80,
             "body": {"error": {"message": "boom\x1b]0;pwned\x07\x1b[2J",
                                "type": "server_error", "param": None, "code": None}}},
}
with open(path, "a") as f:
    f.write(json.dumps(line) + "\n")
EOF
tm_wait "gpt-evil-v2" 20
title=$(tm display-message -p -t "$TM_TARGET" '#{pane_title}')
[[ $title != *pwned* ]] || fail "the pane title was changed to '$title'"
tm_shows "1 Health" || fail "the screen was cleared"
tm_shows $'\x1b' && fail "an escape reached the screen"
tm_shows "pwned" && fail "the escape's payload was shown"
[[ $(q "SELECT count(*) FROM observations WHERE request_id = 'hostile-1'") == 1 ]] ||
	fail "the hostile line was not stored"

tm_keys q
status=$(tm_wait_exit 20)
[[ $status == 0 ]] || fail "exit status $status"
echo "ok"
