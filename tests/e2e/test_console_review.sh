#!/usr/bin/env bash
# test_console_review.sh: the console's Review list end to end, in tmux at
# 80x24. A database from `vigil ingest` of three and a half weeks of one
# gateway series (tests/support/baseline_weeks.awk: a new snapshot answers
# 60% slower from Wednesday of week 3; the refresh of week 4 makes a review
# item for the provider's aggregate (#1) and for the alias at the marker
# (#2)). `vigil console` with no daemon: b opens the baselines view, which
# lists both with what changed in the metric's unit and how warm the
# baselines are (as `vigil baseline show` counts them under the same
# config); j, a, a note and Enter accept #2: the action reaches
# operator_actions as `vigil baseline review accept 2` writes it for a running
# daemon (accept, review_id 2, the operator, unapplied) and the item shows
# waiting*. Then `vigil run` starts on the database: it applies the action
# (marked applied, the item accepted by the operator, the model no longer
# waiting) and the console shows the outcome; r rejects #1 the same way.
# Last, on a JSON snapshot with --actions, an accept is a JSON line naming
# the review item.
source "$(dirname "$0")/tmux_lib.sh"

BIN=${VIGIL_BIN:?}
WORK=$(mktemp -d)
DPID=
cleanup() {
	tm_cleanup
	[[ -n $DPID ]] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
DB=$WORK/t.db
q() { sqlite3 -cmd ".timeout 5000" "file:$DB?mode=ro" "$1"; }

# Poll a shell condition for up to $2 seconds.
wait_for() {
	local cond=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		if eval "$cond"; then return 0; fi
		sleep 0.1
	done
	[[ -f $WORK/run.log ]] && cat "$WORK/run.log" >&2
	fail "timed out waiting for: $cond"
}

mkdir -p "$WORK/ev"
cat >"$WORK/vigil.yaml" <<EOF
store:
  path: $DB
  batch_interval: 50ms
metrics:
  listen: 127.0.0.1:0
events:
  - path: $WORK/ev/*.jsonl
baselines:
  warm:
    weeks: 1.5
    samples: 30
EOF
awk -v seed=17 -f "$(dirname "$0")/../support/baseline_weeks.awk" >"$WORK/weeks.jsonl"
"$BIN" ingest "$WORK/weeks.jsonl" --db "$DB" --config "$WORK/vigil.yaml" >/dev/null
[[ $(q "SELECT group_concat(id || ':' || alias, ',') FROM baseline_reviews WHERE state = 'waiting'") == "1:,2:gpt-4o" ]] ||
	fail "the ingest left no review items to decide"

tm_start 80 24 "$BIN" console --db "$DB" --config "$WORK/vigil.yaml" --user carol
tm_wait "1 Health" 30
tm_keys b
tm_wait "Baselines" 10
tm_wait "#2 openai/gpt-4o gateway" 10
tm_shows " #1 openai gateway " || fail "the aggregate's item is not listed"
# the warmth agrees with `vigil baseline show` under the same config: the
# mean over both series of their latency and availability shares
pct=$(for m in latency availability; do
	"$BIN" baseline show --db "$DB" --config "$WORK/vigil.yaml" --provider openai --metric "$m" --json
done | jq -s '[.[][].warm_share] | add / length * 100 | round')
tm_shows " $pct% of slots warm (2 gateway series)" ||
	fail "the console's warmth is not baseline show's $pct%"
tm_keys j
tm_wait "── #2 openai/gpt-4o gateway: " 10
# what changed, in the metric's unit, and the new snapshot
screen=$(tm_screen)
grep -qE "(p95 [0-9.]+(ms|s)|tokens/s [0-9.]+k?) -> [0-9.]+(ms|s|k)? after gpt-4o-2024-11-20 since (Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2}:00 UTC" <<<"$screen" ||
	fail "the step of #2 is not shown in its unit"

# Accept #2 with a note; no daemon runs yet, so it waits.
tm_keys a
tm_wait "accept review #2 (absorb the step), note (optional):" 10
tm_keys "new snapshot" Enter
tm_wait "accepted review #2" 10
wait_for '[[ $(q "SELECT action || '"':'"' || review_id || '"':'"' || actor || '"':'"' || note || '"':'"' || applied || '"':'"' || coalesce(incident_id, 0) FROM operator_actions") == "accept:2:carol:new snapshot:0:0" ]]' 10
tm_wait "waiting*" 10
[[ $(q "SELECT state FROM baseline_reviews WHERE id = 2") == waiting ]] ||
	fail "the console changed the review item itself"

# The daemon applies it: the action is marked applied, the item accepted by
# carol, the alias's model no longer waits; the console shows the outcome.
"$BIN" run --config "$WORK/vigil.yaml" 2>"$WORK/run.log" &
DPID=$!
wait_for '[[ $(q "SELECT applied FROM operator_actions WHERE review_id = 2") == 1 ]]' 30
wait_for '[[ $(q "SELECT state || '"':'"' || actor FROM baseline_reviews WHERE id = 2") == accepted:carol ]]' 10
[[ $(q "SELECT review FROM baseline_models WHERE alias = 'gpt-4o'") == 0 ]] ||
	fail "the alias's model still waits for review"
grep -q '"msg":"operator action applied".*"review":2' "$WORK/run.log" ||
	fail "the daemon did not log the action applied"
tm_wait "accepted by carol" 15
tm_shows "the baseline absorbed the step" || fail "no outcome under the list"
[[ -n ${SHOW_SCREEN:-} ]] && tm_screen >&2

# Reject #1 (the first row): applied the same way.
tm_keys g r
tm_wait "reject review #1 (keep the old baseline), note (optional):" 10
tm_keys Enter
tm_wait "rejected review #1" 10
wait_for '[[ $(q "SELECT state || '"':'"' || actor FROM baseline_reviews WHERE id = 1") == rejected:carol ]]' 30
tm_wait "rejected by carol" 15
[[ $(q "SELECT count(*) FROM operator_actions WHERE applied = 1") == 2 ]] ||
	fail "not every action was applied"

# Nothing waits now; q leaves the view, q again quits.
tm_keys q
tm_wait "PROVIDER/MODEL" 10
tm_keys q
[[ $(tm_wait_exit 10) == 0 ]] || fail "the console did not exit 0"
tm_restart

# On a JSON snapshot (--snapshot, --actions), an accept comes out as a JSON
# line naming the review item, not an incident.
tm_start 80 24 "$BIN" console --snapshot "${VIGIL_TEST_DATA:?}/tui/baselines.json" \
	--actions "$WORK/actions.jsonl" --user carol
tm_wait "2 reviews waiting (b)" 10
tm_keys b
tm_wait "#7 openai/gpt-4o gateway  latency      p95 900ms -> 1.6s" 10
tm_keys a
tm_wait "accept review #7" 10
tm_keys Enter
tm_wait "accepted review #7" 10
grep -q '"kind":"accept","review":7,"by":"carol"' "$WORK/actions.jsonl" ||
	fail "accept not written: $(cat "$WORK/actions.jsonl")"
tm_keys q q
[[ $(tm_wait_exit 10) == 0 ]] || fail "the console did not exit 0"
echo ok
