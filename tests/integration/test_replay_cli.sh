#!/usr/bin/env bash
# test_replay_cli.sh: `vigil replay` from the outside: usage errors (exit 2),
# --events as JSON lines (checked with jq), --json, --speed, and --db mode
# against a database made by `vigil ingest`.
set -euo pipefail

VIGIL=${VIGIL_BIN:-build/gcc/vigil}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
check() { # check NAME CONDITION...
	local name=$1
	shift
	if "$@" >/dev/null; then echo "ok $name"; else echo "FAIL $name"; fail=1; fi
}
status() { # status CMD... -> prints the exit status
	local rc=0
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	echo $rc
}

# A few minutes of overload waves: failure events, two incidents, a page.
"$VIGIL" sim gateway --scenario anthropic-529-waves --duration 10m --speed max \
	--out "$TMP/ev.jsonl" --truth "$TMP/truth.json" 2>/dev/null

# Usage errors.
check "help exits 0" test "$(status "$VIGIL" replay --help)" = 0
check "help names --db" grep -q -- "--db PATH" "$TMP/out"
check "no file" test "$(status "$VIGIL" replay)" = 2
check "no file message" grep -q "no FILE given" "$TMP/err"
check "missing file" test "$(status "$VIGIL" replay "$TMP/nope.jsonl")" = 2
check "unknown option" test "$(status "$VIGIL" replay --frobnicate "$TMP/ev.jsonl")" = 2
check "bad speed" test "$(status "$VIGIL" replay --speed fast "$TMP/ev.jsonl")" = 2
check "bad format" test "$(status "$VIGIL" replay --format xml "$TMP/ev.jsonl")" = 2
check "files and --db" test "$(status "$VIGIL" replay --db "$TMP/x.db" "$TMP/ev.jsonl")" = 2
check "--from without --db" test "$(status "$VIGIL" replay --from 0 "$TMP/ev.jsonl")" = 2
check "bad --from" test "$(status "$VIGIL" replay --db "$TMP/ev.jsonl" --from yesterday)" = 2
check "--json with --events on stdout" \
	test "$(status "$VIGIL" replay --json --events "$TMP/ev.jsonl")" = 2
echo '{"incidents": [{"name": "x", "category": "nonsense"}]}' >"$TMP/bad.expect.json"
check "invalid expectation file" \
	test "$(status "$VIGIL" replay --expect "$TMP/bad.expect.json" "$TMP/ev.jsonl")" = 2
check "invalid expectation names the field" grep -q "incidents\[0\].category" "$TMP/err"
echo '{"incidents": [], "surprise": 1}' >"$TMP/bad2.expect.json"
check "unknown key in expectations" \
	test "$(status "$VIGIL" replay --expect "$TMP/bad2.expect.json" "$TMP/ev.jsonl")" = 2
echo 'not json' >"$TMP/bad.truth.json"
check "invalid truth file" \
	test "$(status "$VIGIL" replay --truth "$TMP/bad.truth.json" "$TMP/ev.jsonl")" = 2
printf 'semantic:\n  nonsense_key: 1\n' >"$TMP/bad.yaml"
check "invalid config" test "$(status "$VIGIL" replay --config "$TMP/bad.yaml" "$TMP/ev.jsonl")" = 2

# --events: one failure event per line, the model's encoding.
check "--events exits 0" test "$(status "$VIGIL" replay --events "$TMP/ev.jsonl")" = 0
cp "$TMP/out" "$TMP/events.jsonl"
check "--events lines are JSON" jq -e . "$TMP/events.jsonl"
check "--events has overload events" \
	test "$(jq -r 'select(.category=="provider" and .subtype=="overloaded") | .request_id' \
		"$TMP/events.jsonl" | wc -l)" -gt 10
check "--events fields" jq -e -s 'all(.[]; has("id") and has("severity") and has("provider")
	and has("request_id") and has("retryable") and has("category") and has("subtype"))' \
	"$TMP/events.jsonl"
check "--events ids in order" jq -e -s '[.[].id] == ([.[].id] | sort)' "$TMP/events.jsonl"
check "--events=FILE with --json" \
	test "$(status "$VIGIL" replay --json --events="$TMP/ev2.jsonl" "$TMP/ev.jsonl")" = 0
check "--events=FILE same lines" cmp -s "$TMP/events.jsonl" "$TMP/ev2.jsonl"
check "--json event total matches" \
	test "$(jq .events.total "$TMP/out")" = "$(wc -l <"$TMP/events.jsonl")"

# --json with truth: incidents and time to detect.
"$VIGIL" replay --json --truth "$TMP/truth.json" "$TMP/ev.jsonl" >"$TMP/rep.json"
check "report has the overload incident" jq -e '.incidents | any(.category=="provider"
	and .provider=="anthropic" and (.subtypes | index("overloaded")))' "$TMP/rep.json"
check "report incident fields" jq -e '.incidents | all(has("severity") and has("timeline")
	and has("count") and has("first") and has("last") and has("related"))' "$TMP/rep.json"
check "time to detect wave-1" jq -e '.truth.faults[] | select(.name=="wave-1")
	| .detect_ms != null and .detect_symptom_ms <= 5000' "$TMP/rep.json"
check "pagerduty payload built" jq -e '.payloads | any(.kind=="pagerduty" and .op=="trigger"
	and (.payload.payload.summary | length > 0))' "$TMP/rep.json"

# stdin, and a bad line is counted, not fatal.
(head -200 "$TMP/ev.jsonl"; echo 'not json'; sed -n '201,400p' "$TMP/ev.jsonl") >"$TMP/mixed.jsonl"
check "bad line exits 0" test "$(status "$VIGIL" replay --json - <"$TMP/mixed.jsonl")" = 0
check "bad line counted" test "$(jq .input.bad_lines "$TMP/out")" = 1
check "bad line reported" grep -q "mixed\|-:201\|could not be used" "$TMP/err"

# Files are read and decoded ahead on a second thread, in batches: several
# files (batches across their ends) give the report one stream gives.
split -l 300 "$TMP/ev.jsonl" "$TMP/part."
"$VIGIL" replay --json "$TMP"/part.* >"$TMP/parts.json"
"$VIGIL" replay --json - <"$TMP/ev.jsonl" >"$TMP/stdin.json"
"$VIGIL" replay --json "$TMP/ev.jsonl" >"$TMP/one.json"
check "several files: a report" jq -e '.input.observations > 600' "$TMP/parts.json"
check "several files = stdin" cmp -s "$TMP/parts.json" "$TMP/stdin.json"
check "several files = one file" cmp -s "$TMP/parts.json" "$TMP/one.json"

# --speed N paces on the events' own clock: 3 s of traffic at 30x is ~0.1 s.
jq -c 'select(.ts < "2026-11-27T10:00:03")' "$TMP/ev.jsonl" >"$TMP/3s.jsonl"
check "--speed 30" test "$(status "$VIGIL" replay --speed 30 "$TMP/3s.jsonl")" = 0
# ... and says where it is: a line on stderr every speed x 0.5 s of the
# events' clock (twice a second of its pace), with the time and the counts
# so far; stdout keeps the report alone. 30 s at 20x: lines at 0, 10, 20 s.
jq -c 'select(.ts < "2026-11-27T10:00:30")' "$TMP/ev.jsonl" >"$TMP/30s.jsonl"
check "--speed 20" test "$(status "$VIGIL" replay --speed 20 "$TMP/30s.jsonl")" = 0
check "--speed shows progress" test "$(grep -c '^vigil replay: at 2026-11-27T10:00:[0-9.]*Z (x20): [0-9]* observations, [0-9]* failure events$' "$TMP/err")" = 3
check "progress counts grow" awk '/^vigil replay: at/ { n = $6 + 0; if (n < last) exit 1; last = n; if (n > 0) grew = 1 } END { exit !grew }' "$TMP/err"
check "progress stays off stdout" test "$(grep -c 'vigil replay: at' "$TMP/out")" = 0
check "no progress at max speed" test "$(status "$VIGIL" replay "$TMP/30s.jsonl"; grep -c 'vigil replay: at' "$TMP/err")" = "0
0"

# --db: the observations `vigil ingest` stored, re-run through today's rules.
"$VIGIL" ingest --db "$TMP/v.db" "$TMP/ev.jsonl" >/dev/null
check "--db exits 0" test "$(status "$VIGIL" replay --db "$TMP/v.db" --json)" = 0
check "--db replays every observation" \
	test "$(jq .input.observations "$TMP/out")" = "$(wc -l <"$TMP/ev.jsonl")"
check "--db finds the overload" jq -e '.incidents | any(.provider=="anthropic"
	and (.subtypes | index("overloaded")))' "$TMP/out"
check "--db --from/--to" test "$(status "$VIGIL" replay --db "$TMP/v.db" --json \
	--from 2026-11-27T10:06:00Z --to 2026-11-27T10:08:00Z)" = 0
check "--db range only" jq -e '.input.first >= "2026-11-27T10:06" and
	.input.last < "2026-11-27T10:09" and .input.observations > 0' "$TMP/out"
check "--db missing" test "$(status "$VIGIL" replay --db "$TMP/none.db")" = 3
check "--db not a database" test "$(status "$VIGIL" replay --db "$TMP/ev.jsonl")" = 6

exit $fail
