#!/usr/bin/env bash
# test_baseline_cli.sh: `vigil baseline show|review|rebuild|refresh` on a
# database built by `vigil ingest` of a generated multi-week file.
#
# The file (written by the awk generator below, seeded): three weeks and a
# day and a half of one gateway series, two requests a minute, a long-
# context workload (business hours Monday to Friday 13:00-21:59 UTC at a
# median of 6 s, nights at 0.8 s); from Wednesday 12:00 of week 3 a new
# snapshot (gpt-4o-2024-11-20) answers 60% slower everywhere: the refresh of
# Monday 04:00, week 4, finds that step (latency up, throughput down) in the
# alias series, at the marker, and in the provider's aggregate, and creates
# a review item for each. The config makes slots warm after a week and a half at this rate
# (warm.weeks 1.5, warm.samples 30), so three weeks suffice.
#
# Checks: show draws the week (the afternoon peak on a weekday, warmth
# marks, plain text: no control characters) and --json gives 168 slots with
# the same shape; review lists the step, accept applies it to the stored
# model without a daemon (and the operator action is kept, applied), a
# second accept and an unknown id fail; rebuild from the hour rollups gives
# byte for byte the models ingest learned live; refresh by hand moves every
# model's refresh to the newest hour; usage errors exit 2.
set -euo pipefail
VIGIL=${VIGIL_BIN:-build/gcc/vigil}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if ! "$@" >/dev/null; then
		echo "FAIL: $what"
		fail=1
	fi
}

cat >"$TMP/vigil.yaml" <<'YAML'
baselines:
  warm:
    weeks: 1.5
    samples: 30
YAML

# Monday 2026-01-05 00:00 UTC = 1767571200 s; 23 days and 12 hours.
awk -v seed=17 -f "$(dirname "$0")/../support/baseline_weeks.awk" >"$TMP/ev.jsonl"

"$VIGIL" ingest "$TMP/ev.jsonl" --db "$TMP/t.db" --config "$TMP/vigil.yaml" >"$TMP/ingest.out"
check "two series have models" test "$(sqlite3 "$TMP/t.db" 'SELECT count(*) FROM baseline_models')" = 2
check "hour rollups kept" test "$(sqlite3 "$TMP/t.db" \
	"SELECT count(*) FROM rollup_hour WHERE alias = 'gpt-4o'")" -ge 500

# ---- show ----------------------------------------------------------------------------------
"$VIGIL" baseline show --db "$TMP/t.db" --config "$TMP/vigil.yaml" --provider openai \
	--model gpt-4o >"$TMP/show.txt"
check "show names the series" grep -q "^openai/gpt-4o gateway: latency p95, learning: [0-9]*% of slots warm" "$TMP/show.txt"
for d in Mon Tue Wed Thu Fri Sat Sun; do
	check "show has $d" grep -q "^$d    " "$TMP/show.txt"
done
check "a weekday's peak is in the afternoon" grep -qE "^Tue .*peak (1[3-9]|2[01]):00" "$TMP/show.txt"
check "Sunday is flat and quick" grep -qE "^Sun .* [0-9.]+ (ms|s)-[0-9.]+ (ms|s)" "$TMP/show.txt"
check "warmth marks" grep -qE "^       [#+.]{24}$" "$TMP/show.txt"
check "some slots warm" grep -qE "^       .*#" "$TMP/show.txt"
check "the step waits for review" grep -q "a review waits" "$TMP/show.txt"
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/show.txt"; then
	echo "FAIL: show printed a control character"
	fail=1
fi
"$VIGIL" baseline show --db "$TMP/t.db" --config "$TMP/vigil.yaml" --provider openai \
	--model gpt-4o-2024-08-06 --json >"$TMP/show.json"
check "json: one series, 168 slots" test "$(jq '.[0].slots | length' "$TMP/show.json")" = 168
check "json: Mon 15:00 usual > 3 x Mon 03:00" jq -e \
	'.[0].slots[15].expected > 3 * .[0].slots[3].expected' "$TMP/show.json"
check "json: band around the usual" jq -e \
	'.[0].slots[15] | .lo < .expected and .expected < .hi' "$TMP/show.json"
check "json: warm share" jq -e '.[0].warm_share > 0.3 and .[0].unit == "ms"' "$TMP/show.json"
"$VIGIL" baseline show --db "$TMP/t.db" --config "$TMP/vigil.yaml" --provider openai \
	--metric availability >"$TMP/avail.txt"
check "the aggregate with --provider" grep -q "^openai/(all) gateway: availability" "$TMP/avail.txt"

# ---- rebuild: the same models as ingest learned live --------------------------------------
cp "$TMP/t.db" "$TMP/r.db"
sqlite3 "$TMP/t.db" "SELECT provider || alias || source || refreshed_ms || hex(model) FROM baseline_models ORDER BY 1" >"$TMP/live.models"
"$VIGIL" baseline rebuild --db "$TMP/r.db" --config "$TMP/vigil.yaml" >"$TMP/rebuild.out"
sqlite3 "$TMP/r.db" "SELECT provider || alias || source || refreshed_ms || hex(model) FROM baseline_models ORDER BY 1" >"$TMP/rebuilt.models"
check "rebuild reproduces the live models" cmp -s "$TMP/live.models" "$TMP/rebuilt.models"
check "rebuild reports 4 refreshes" grep -q "openai/gpt-4o gateway .* 4 refreshes" "$TMP/rebuild.out"
check "rebuild's reviews supersede the old ones" test "$(sqlite3 "$TMP/r.db" \
	"SELECT group_concat(id || state || ':' || coalesce(actor, ''), ',') FROM baseline_reviews")" = \
	"1rejected:vigil baseline rebuild,2rejected:vigil baseline rebuild,3waiting:,4waiting:"
# a window: rebuilding the first two weeks only
"$VIGIL" baseline rebuild --db "$TMP/r.db" --config "$TMP/vigil.yaml" \
	--to 2026-01-19T04:00:00Z >/dev/null
check "rebuild --to stops at its refresh" test "$(sqlite3 "$TMP/r.db" \
	"SELECT refreshed_ms FROM baseline_models WHERE alias = 'gpt-4o'")" = 1768795200000

# ---- review ------------------------------------------------------------------------------
"$VIGIL" baseline review --db "$TMP/t.db" >"$TMP/review.txt"
check "review lists the aggregate's step" grep -qE \
	"^#1 +waiting +openai/\(all\) gateway +(latency \+|throughput -)[0-9]+% since Wed [0-9]{2}:00 UTC" \
	"$TMP/review.txt"
check "review lists the alias's step at the new snapshot" grep -qE \
	"^#2 +waiting +openai/gpt-4o gateway +(latency \+|throughput -)[0-9]+% since Wed [0-9]{2}:00 UTC \(\+1 more\) \(gpt-4o-2024-11-20\)" \
	"$TMP/review.txt"
"$VIGIL" baseline review --db "$TMP/t.db" --json >"$TMP/review.json"
check "review json" jq -e '.[1].id == 2 and .[1].near_marker and (.[1].delta | fabs) > 0.3 and .[1].state == "waiting"' "$TMP/review.json"
"$VIGIL" baseline review --db "$TMP/t.db" accept 2 --actor alice >"$TMP/accept.txt"
check "accept applied without a daemon" grep -q "review #2 (openai/gpt-4o gateway) accepted" "$TMP/accept.txt"
check "the review is accepted by alice" test "$(sqlite3 "$TMP/t.db" \
	"SELECT state || ':' || actor FROM baseline_reviews WHERE id = 2")" = "accepted:alice"
check "the model no longer waits" test "$(sqlite3 "$TMP/t.db" \
	"SELECT review FROM baseline_models WHERE alias = 'gpt-4o'")" = 0
check "the operator action is kept, applied" test "$(sqlite3 "$TMP/t.db" \
	"SELECT action || ':' || review_id || ':' || applied FROM operator_actions")" = "accept:2:1"
"$VIGIL" baseline show --db "$TMP/t.db" --provider openai --model gpt-4o >"$TMP/show2.txt"
check "show: no review waits" bash -c "! grep -q 'a review waits' '$TMP/show2.txt'"
rc=0
"$VIGIL" baseline review --db "$TMP/t.db" accept 2 2>"$TMP/again.err" || rc=$?
check "accepting twice fails" test $rc -eq 1
check "... and says why" grep -q "#2 was accepted already" "$TMP/again.err"
rc=0
"$VIGIL" baseline review --db "$TMP/t.db" reject 99 2>/dev/null || rc=$?
check "an unknown review is a usage error" test $rc -eq 2

# ---- refresh by hand: every model moves to the newest hour; the hours the
# old baseline alarmed on (the step, until it was accepted) and those under
# review are not learned ------------------------------------------------------------
"$VIGIL" baseline refresh --db "$TMP/t.db" --config "$TMP/vigil.yaml" >"$TMP/refresh.out"
check "refresh moves every model to the newest hour" test "$(sqlite3 "$TMP/t.db" \
	"SELECT count(*) FROM baseline_models WHERE refreshed_ms = (SELECT max(start_ms) + 3600000 FROM rollup_hour)")" = 2
check "the alias skips its alarmed hours" grep -qE \
	"^openai/gpt-4o gateway .* 0 hours learned \([1-9][0-9]* alarmed" "$TMP/refresh.out"
check "the aggregate still waits" grep -qE \
	"^openai/\(all\) gateway .*[1-9][0-9]* under review skipped.*review waiting" "$TMP/refresh.out"
"$VIGIL" baseline review --db "$TMP/t.db" reject 1 >/dev/null
"$VIGIL" baseline review --db "$TMP/t.db" --all >"$TMP/none.txt"
check "nothing waits" bash -c "! grep -q ' waiting ' '$TMP/none.txt'"
check "--all lists the decided ones" grep -qE "^#1 +rejected .* by " "$TMP/none.txt"

# ---- usage -------------------------------------------------------------------------------
for args in "" "show" "nonsense --db x" "show --db $TMP/t.db --metric nope" \
	"rebuild --db $TMP/t.db --from yesterday" "review --db $TMP/t.db accept" \
	"show --db $TMP/t.db extra"; do
	rc=0
	# shellcheck disable=SC2086
	"$VIGIL" baseline $args >/dev/null 2>&1 || rc=$?
	check "vigil baseline $args exits 2" test $rc -eq 2
done
rc=0
"$VIGIL" baseline show --db "$TMP/missing.db" 2>/dev/null || rc=$?
check "a missing database fails (3, as in every command)" test $rc -eq 3
"$VIGIL" --help | grep -q "baseline" || { echo "FAIL: --help lacks baseline"; fail=1; }
"$VIGIL" baseline --help | grep -q "vigil baseline rebuild --db PATH" || {
	echo "FAIL: baseline --help"
	fail=1
}
exit $fail
