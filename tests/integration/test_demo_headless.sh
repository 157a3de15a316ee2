#!/usr/bin/env bash
# test_demo_headless.sh: `vigil demo` without a terminal plays the whole
# oncall-day scenario (at 100x) and ends by itself: one summary line per
# second, a final incident table that matches the database, every failure
# category of the scenario detected, pages for HIGH incidents only, /metrics
# served on a port it picked, usage errors with status 2.
set -euo pipefail
BIN=${VIGIL_BIN:?}
WORK=$(mktemp -d)
PID=
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[[ -f $WORK/out ]] && tail -n 40 "$WORK/out" >&2
	exit 1
}
DIR=$WORK/demo
DB=$DIR/vigil.db
q() { sqlite3 -cmd ".timeout 5000" "file:$DB?mode=ro" "$1"; }

# Usage errors.
for args in "--speed 0" "--duration x" "--bogus" "extra"; do
	set +e
	# shellcheck disable=SC2086
	"$BIN" demo $args </dev/null >/dev/null 2>"$WORK/err"
	st=$?
	set -e
	[[ $st == 2 ]] || fail "'vigil demo $args' exited $st, not 2"
	grep -q "vigil demo:" "$WORK/err" || fail "no message for '$args'"
done

: >"$WORK/out" # exists before the background job opens it
"$BIN" demo --dir "$DIR" --speed 100 --metrics-listen 127.0.0.1:0 </dev/null >"$WORK/out" 2>&1 &
PID=$!

# /metrics while it runs, on the port it reports (after the baselines' seed:
# a second or two, ten under ASan).
port=
for _ in $(seq 1 600); do
	port=$(sed -n 's/^vigil demo: metrics on port \([0-9]*\).*/\1/p' "$WORK/out" || true)
	[[ -n $port ]] && break
	sleep 0.1
done
[[ -n $port && $port != 0 ]] || fail "no metrics port reported"
grep -Eq '^vigil demo: baselines seeded from the baseline-weeks scenario .*this hour warm in [1-9][0-9]* of [1-9]' "$WORK/out" ||
	fail "no warm baselines seeded"
for _ in $(seq 1 100); do
	grep -q '^t+' "$WORK/out" && break
	sleep 0.1
done
sleep 2
curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics" || fail "no /metrics"
grep -q '^vigil_requests_total{source="gateway"' "$WORK/metrics" ||
	fail "no gateway requests counted on /metrics"
# gateway traffic by the OpenTelemetry GenAI names; no model="" row beside
# the model rows (the provider's own rows are vigil_provider_*); promtool clean
grep -q '^gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",' "$WORK/metrics" ||
	fail "no gen_ai_client_operation_duration_seconds on /metrics"
grep -q '^vigil_provider_availability_ratio{provider="openai"}' "$WORK/metrics" ||
	fail "no vigil_provider_availability_ratio on /metrics"
if grep -n 'model=""' "$WORK/metrics"; then fail 'a model="" row on /metrics'; fi
command -v promtool >/dev/null || fail "promtool not found: install prometheus (scripts/setup.sh --test)"
promtool check metrics <"$WORK/metrics" >"$WORK/promtool" 2>&1 || fail "promtool: $(cat "$WORK/promtool")"
[[ ! -s $WORK/promtool ]] || fail "promtool: $(cat "$WORK/promtool")"

# It ends by itself (the scenario's end), with status 0.
for _ in $(seq 1 1800); do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PID" 2>/dev/null && fail "the demo did not end within 180 s"
set +e
wait "$PID"
st=$?
set -e
PID=
[[ $st == 0 ]] || fail "exit status $st"

grep -q "^vigil demo: files in $DIR " "$WORK/out" || fail "it did not say where its files are"
[[ $(grep -c '^t+[0-9]*s requests ' "$WORK/out") -ge 3 ]] || fail "fewer than 3 summary lines"
grep -q $'\r' "$WORK/out" && fail "carriage returns in headless output"
grep -q $'\x1b' "$WORK/out" && fail "escape sequences in headless output"

# The table: a header, then one row per incident in the database.
table=$(sed -n '/^incidents:$/,$p' "$WORK/out" | tail -n +2)
head -n1 <<<"$table" | grep -q '^ID  *SEVERITY  *CATEGORY  *SUBTYPE  *PROVIDER  *COUNT' ||
	fail "no table header"
rows=$(($(wc -l <<<"$table") - 1))
n=$(q "SELECT count(*) FROM incidents")
[[ $rows -ge 1 && $rows == "$n" ]] || fail "table has $rows rows, the database $n incidents"
for id in $(q "SELECT id FROM incidents"); do
	sev=$(q "SELECT severity FROM incidents WHERE id = $id")
	grep -Eq "^$id +$sev " <<<"$table" || fail "incident #$id ($sev) not in the table"
done

# Every category the scenario plays was detected.
for cat in provider quality cost security data; do
	awk '{print $3}' <<<"$table" | grep -qx "$cat" || fail "no $cat incident"
done

# The semantic checks ran in the daemon: the scenario's schemas written next
# to its files and compiled, the sidecar started, structured answers
# validated by vigil itself (format violations carry the JSON pointer of the
# first failure), hallucinations screened against the retrieved context.
[[ -f $DIR/schemas/support_answer.v1.json && -f $DIR/schemas/kyc_summary.v1.json ]] ||
	fail "the scenario's schemas were not written"
grep -q '"msg":"sidecar started"' "$DIR/vigil.log" || fail "no sidecar in the daemon"
for sub in format_violation hallucination; do
	awk '$3 == "quality" {print $4}' <<<"$table" | grep -qx "$sub" || fail "no quality/$sub incident"
done
[[ $(q "SELECT count(*) FROM failure_events WHERE subtype = 'format_violation' AND json_extract(detail, '\$.causal.detail') LIKE '/%'") -ge 1 ]] ||
	fail "no format violation with a JSON pointer"

# Pages: the last summary's count is what the pager logged, and every page
# is for an incident that reached high or critical (the incidents of one
# episode share its dedup key: the worst of them).
last=$(grep '^t+' "$WORK/out" | tail -n1)
triggers=$(sed -n 's/.* pages trigger \([0-9]*\) .*/\1/p' <<<"$last")
[[ $triggers -ge 1 ]] || fail "no page sent"
[[ $(grep -c '"event_action":"trigger"' "$DIR/pager.jsonl") == "$triggers" ]] ||
	fail "pager log and summary disagree on triggers"
checked=0
for key in $(sed -n 's/.*"event_action":"trigger","dedup_key":"\([^"]*\)".*/\1/p' "$DIR/pager.jsonl"); do
	sev=$(q "SELECT severity FROM incidents WHERE json_extract(detail, '\$.dedup_key') = '$key'
		ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END LIMIT 1")
	[[ $sev == high || $sev == critical ]] || fail "paged incident $key is '$sev'"
	checked=$((checked + 1))
done
[[ $checked == "$triggers" ]] || fail "checked $checked paged incidents of $triggers"

# The database is private.
[[ $(stat -c %a "$DB") == 600 ]] || fail "vigil.db mode $(stat -c %a "$DB")"
echo "ok"
