#!/usr/bin/env bash
# test_ingest_cli.sh: `vigil ingest` as a user meets it: usage errors (exit 2),
# a file mixing events-v1 and OTLP lines (auto-detected per line, or forced
# with --format), the store path from --config, a rerun reading nothing new.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect_exit() { # want cmd...
	local want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	set -e
	if [[ $rc -ne $want ]]; then
		echo "expected exit $want, got $rc: $*"
		cat "$T/out" "$T/err"
		exit 1
	fi
}

# usage errors: one line on stderr, exit 2, no database created
expect_exit 2 "$VIGIL" ingest
grep -q "no FILE" "$T/err"
expect_exit 2 "$VIGIL" ingest --bogus x.jsonl
grep -q "unknown option" "$T/err"
expect_exit 2 "$VIGIL" ingest --format xml "$T/none.jsonl"
grep -q "auto, vigil or otlp" "$T/err"
expect_exit 2 "$VIGIL" ingest "$T/none.jsonl" --db "$T/x.db"
grep -q "no such file" "$T/err"
[[ ! -e "$T/x.db" ]]
printf 'store:\n  path: [1, 2]\n' >"$T/bad.yaml"
: >"$T/empty.jsonl"
expect_exit 2 "$VIGIL" ingest --config "$T/bad.yaml" "$T/empty.jsonl"
grep -q "bad.yaml" "$T/err"
expect_exit 0 "$VIGIL" ingest --help
grep -q "usage: vigil ingest" "$T/out"

# a mixed file: 3 events-v1 lines and one OTLP line with two GenAI spans and one other span
cat >"$T/mixed.jsonl" <<'JSON'
{"schema_version":1,"ts":"2026-11-27T10:00:00.000Z","request_id":"a","provider":"openai","http":{"status":200}}
{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"t1","spanId":"s1","startTimeUnixNano":"1795773601000000000","endTimeUnixNano":"1795773601500000000","attributes":[{"key":"gen_ai.provider.name","value":{"stringValue":"anthropic"}},{"key":"http.response.status_code","value":{"intValue":"529"}}]},{"traceId":"t1","spanId":"s2","startTimeUnixNano":"1795773602000000000","attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}}]},{"traceId":"t1","spanId":"s3","startTimeUnixNano":"1795773602000000000","attributes":[]}]}]}]}
{"schema_version":1,"ts":"2026-11-27T10:00:03.000Z","request_id":"b","provider":"google","selection":{"attempt":2},"http":{"status":503}}
{"schema_version":1,"ts":"2026-11-27T10:00:04.000Z","request_id":"c","provider":"anthropic","transport":{"error":"timeout"}}
JSON
printf 'store:\n  path: %s/cfg.db\n' "$T" >"$T/vigil.yaml"
expect_exit 0 "$VIGIL" ingest --config "$T/vigil.yaml" "$T/mixed.jsonl"
grep -q "ingested 4 lines" "$T/out"
grep -q "5 stored" "$T/out"
grep -q "1 non-GenAI spans ignored" "$T/out"
[[ $(sqlite3 "$T/cfg.db" "SELECT count(*) FROM observations") == 5 ]]
[[ $(sqlite3 "$T/cfg.db" "SELECT http_status FROM observations WHERE request_id='t1/s1'") == 529 ]]
[[ $(sqlite3 "$T/cfg.db" "SELECT attempt FROM observations WHERE request_id='b'") == 2 ]]
[[ $(sqlite3 "$T/cfg.db" "SELECT transport_error FROM observations WHERE request_id='c'") == timeout ]]
# the event's own time, never the wall clock
[[ $(sqlite3 "$T/cfg.db" "SELECT ts_ms FROM observations WHERE request_id='a'") == 1795773600000 ]]
[[ $(stat -c %a "$T/cfg.db") == 600 ]]
# a rerun reads nothing new
expect_exit 0 "$VIGIL" ingest --config "$T/vigil.yaml" "$T/mixed.jsonl"
grep -q "ingested 0 lines" "$T/out"

# forced formats: the other format's lines are quarantined, with the count
expect_exit 1 "$VIGIL" ingest --format vigil --db "$T/v.db" "$T/mixed.jsonl"
grep -q "1 line quarantined" "$T/err"
[[ $(sqlite3 "$T/v.db" "SELECT line_no || ':' || reason FROM quarantine") == "2:missing_field" ]]
expect_exit 1 "$VIGIL" ingest --format otlp --db "$T/o.db" "$T/mixed.jsonl"
grep -q "3 lines quarantined" "$T/err"
[[ $(sqlite3 "$T/o.db" "SELECT count(*) FROM observations") == 2 ]]
echo "ok: usage errors, mixed formats, config store path, rerun"
