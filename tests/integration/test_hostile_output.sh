#!/usr/bin/env bash
# test_hostile_output.sh: no command lets a control sequence through to the
# terminal. Event lines, a config and a file name carry OSC 52 (clipboard),
# OSC 0 (title), CSI, C1 controls (U+009B), DEL, bidirectional overrides
# and line separators in every field a command prints; each command's
# stdout and stderr (text and JSON) are then searched byte by byte for
# anything a terminal could act on: C0 controls but '\n', DEL, C1 (raw or
# UTF-8), U+2028/2029 and the bidi controls. The hostile names must still be
# there in a harmless form (the commands printed something).
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
checked=0

# Every hostile sequence as a JSON string escape, and what should remain.
OSC52='\u001b]52;c;cHduZWQ=\u0007'
OSC0='\u001b]0;pwned\u001b\\'
CSI='\u001b[2J\u001b[31m'
C1='\u009b31m'
BIDI='\u202e\u2066'
LSEP='\u2028'
DEL='\u007f'
H="${OSC52}${OSC0}${CSI}${C1}${BIDI}${LSEP}${DEL}"
P='\u001b]0;t\u0007\u009b\u202e' # short enough for a provider name

ev=$T/$'ev\e]0;file\a.jsonl'
{
	for i in 1 2 3 4 5 6; do
		printf '{"schema_version":1,"ts":"2026-11-27T10:00:0%d.000Z","request_id":"r%d%s","provider":"open%sai","model":"gpt%s-4o","region":"us%s","key_alias":"k%s","template":"t%s","traffic_class":"revenue","http":{"status":500,"body":{"error":{"message":"boom %s","type":"server_error%s","code":"c%s"}}},"response":{"text":"answer %s","finish_reason":"stop%s"}}\n' \
			"$i" "$i" "$H" "$P" "$H" "$H" "$H" "$H" "$H" "$H" "$H" "$H" "$H"
	done
	# a line that is quarantined, its detail quoting hostile text
	printf '{"schema_version":1,"ts":"2026-11-27T10:00:09.000Z","request_id":"q","provider":"openai","transport":{"error":"%s"}}\n' "$H"
	printf 'not json \x1b]0;title\x07 at all\n'
} >"$ev"

cfg=$T/hostile.yaml
cat >"$cfg" <<'YAML'
store:
  path: hostile.db
providers:
  - name: "evil\e]0;t\a\u009b31m\u202e"
    kind: openai
    base_url: http://127.0.0.1:1/v1
    api_key_env: NO_SUCH_KEY_VAR
    key_alias: "alias\e[2J"
    models:
      - {name: "gpt\e]52;c;eA==\a-4o"}
YAML
badcfg=$T/bad.yaml
printf 'providers:\n  - name: x\n    kind: "azure\\e]0;t\\a"\n    base_url: http://127.0.0.1:1\n' >"$badcfg"

# check FILE... : the bytes a terminal could act on, with their offsets.
scan() {
	python3 - "$@" <<'PY'
import re, sys
bad = re.compile(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]|[\x80-\xff]')
rc = 0
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    try:
        data.decode('utf-8')
    except UnicodeDecodeError as e:
        print("%s: invalid UTF-8 at %d" % (path, e.start)); rc = 1; continue
    for m in re.finditer(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]', data):
        print("%s: byte %r at %d: ...%r..." % (path, m.group(), m.start(), data[max(0, m.start()-20):m.start()+20]))
        rc = 1
        break
sys.exit(rc)
PY
}

# run NAME CMD...: run a command, keep its stdout and stderr, scan both.
run() {
	local name=$1 rc=0
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null || rc=$?
	if [[ $rc -gt 2 ]]; then
		echo "FAIL $name: exit $rc"
		cat "$T/$name.err"
		fail=1
	fi
	if ! scan "$T/$name.out" "$T/$name.err"; then
		echo "FAIL $name: a control sequence reached the terminal"
		fail=1
	fi
	checked=$((checked + 1))
}

cd "$T"
run ingest "$VIGIL" ingest --db "$T/h.db" "$ev"
run ingest_again "$VIGIL" ingest --db "$T/h.db" "$ev"
run replay "$VIGIL" replay "$ev"
run replay_json "$VIGIL" replay "$ev" --json
run replay_events "$VIGIL" replay "$ev" --events
run replay_db "$VIGIL" replay --db "$T/h.db"
run replay_db_json "$VIGIL" replay --db "$T/h.db" --json
run check "$VIGIL" check --config "$cfg"
run check_bad "$VIGIL" check --config "$badcfg"
run probe "$VIGIL" probe --once --config "$cfg"
run probe_json "$VIGIL" probe --once --json --config "$cfg"
run runbook "$VIGIL" runbook $'\e]0;x\a\xc2\x9b'
run usage "$VIGIL" $'\e]0;x\a'
run missing "$VIGIL" replay $'/nonexistent/\e]0;x\a'

# The daemon's log (JSON lines on stderr) for a moment.
cat >"$T/run.yaml" <<YAML
store:
  path: $T/run.db
metrics:
  listen: 127.0.0.1:0
probes:
  enabled: false
events:
  - path: $ev
YAML
"$VIGIL" run --config "$T/run.yaml" >"$T/run.out" 2>"$T/run.err" &
pid=$!
for _ in $(seq 1 100); do
	grep -q '"incident opened"' "$T/run.err" 2>/dev/null && break
	sleep 0.1
done
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
if ! scan "$T/run.out" "$T/run.err"; then
	echo "FAIL run: a control sequence reached the terminal"
	fail=1
fi
grep -q '"incident opened"' "$T/run.err" || { echo "FAIL run: the daemon opened no incident"; head -3 "$T/run.err"; fail=1; }
checked=$((checked + 1))

# The hostile names were printed, in a harmless form.
grep -q 'openai' "$T/replay.out" || { echo "FAIL replay: the provider is not in the report"; fail=1; }
grep -q '\\u001' "$T/replay_json.out" || { echo "FAIL replay --json: the escapes are gone"; fail=1; }
grep -q '\\u009b\|\\u202e' "$T/replay_json.out" || { echo "FAIL replay --json: C1/bidi not escaped"; fail=1; }
grep -q 'evil' "$T/check.out" || { echo "FAIL check: the provider is not listed"; fail=1; }
grep -q 'quarantined\|could not be used' "$T/ingest.err" "$T/ingest.out" || { echo "FAIL ingest: no quarantine report"; fail=1; }

echo "checked $checked commands' output"
exit $fail
