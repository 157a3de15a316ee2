#!/usr/bin/env bash
# test_secrets.sh: no API key reaches what vigil stores, sends or logs.
# The environment holds an OpenAI key and a webhook token (the config names
# both variables); the gateway's lines carry that key (a 401 body quoting
# it, a key alias that is the key itself, a quarantined line) and keys of
# the usual shapes that vigil does not hold (Anthropic, Google, a bearer
# token) in error types and codes, request ids and model output. Then
# `vigil ingest`, `vigil run` (with a webhook sink on a local receiver) and
# `vigil replay --json` run, and the database (and its -wal), the daemon's
# log and /metrics (a model name carries the key: a label value), every body
# the receiver got and every command's output are searched
# for each key: none may appear. The searches are not vacuous: the
# receiver got payloads, the database holds the events and the quarantined
# line, and the masked keys' prefixes are there.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	if [[ -n ${KEEP:-} ]]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail=0

export OPENAI_API_KEY=sk-proj-HELDKEY0123456789abcdefghijklmnopqrstuvwxyzAB
export WEBHOOK_TOKEN=hooktoken-HELD-9f8e7d6c5b4a3928
ANTHROPIC=sk-ant-api03-NOTHELDanthropic0123456789abcdefghijklmnop
GOOGLE=AIzaSyNOTHELDgoogle0123456789abcdefghij
BEARER="Bearer eyJhbGciOiJIUzI1NiJ9.NOTHELDbearer0123456789"
SECRETS=("$OPENAI_API_KEY" "$WEBHOOK_TOKEN" "${ANTHROPIC#sk-}" "${GOOGLE#AIza}"
	"NOTHELDbearer0123456789" "HELDKEY0123456789")

# A receiver for the webhook sink: records every body it is sent.
cat >"$T/recv.py" <<'PY'
import http.server, sys
out = open(sys.argv[1], "ab", buffering=0)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out.write(body + b"\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/recv.py" "$T/received" >"$T/recv.port" &
PIDS+=($!)
for _ in $(seq 1 50); do [[ -s $T/recv.port ]] && break; sleep 0.1; done
port=$(cat "$T/recv.port")

now=$(date -u +%s)
ts() { date -u -d "@$(($now - 60 + $1))" +%Y-%m-%dT%H:%M:%S.000Z; }
ev=$T/events.jsonl
{
	for i in $(seq 1 8); do
		printf '{"schema_version":1,"ts":"%s","request_id":"r%d-%s %s","provider":"openai","model":"gpt-4o-mini","key_alias":"%s","template":"support","traffic_class":"revenue","http":{"status":401,"body":{"error":{"message":"Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error %s","code":"%s"}}}}\n' \
			"$(ts "$i")" "$i" "$GOOGLE" "$BEARER" "$OPENAI_API_KEY" "$OPENAI_API_KEY" "$ANTHROPIC" "$GOOGLE"
	done
	printf '{"schema_version":1,"ts":"%s","request_id":"r9","provider":"anthropic","model":"claude %s","http":{"status":200},"response":{"text":"Sure, use %s or %s"}}\n' "$(ts 9)" "$OPENAI_API_KEY" "$ANTHROPIC" "$OPENAI_API_KEY"
	# quarantined: its first 256 bytes are kept
	printf '{"schema_version":1,"ts":"%s","request_id":"bad","provider":"openai","key":"%s","google":"%s","http":{"status":"401"}}\n' "$(ts 10)" "$OPENAI_API_KEY" "$GOOGLE"
} >"$ev"

cat >"$T/vigil.yaml" <<YAML
store:
  path: $T/run.db
metrics:
  listen: 127.0.0.1:0
probes:
  enabled: false
providers:
  - name: openai
    kind: openai
    base_url: http://127.0.0.1:1/v1
    api_key_env: OPENAI_API_KEY
sinks:
  - name: hook
    kind: webhook
    url: http://127.0.0.1:$port/hook
    secret_env: WEBHOOK_TOKEN
    min_severity: low
events:
  - path: $ev
YAML

"$VIGIL" ingest --config "$T/vigil.yaml" --db "$T/ingest.db" "$ev" >"$T/ingest.out" 2>"$T/ingest.err" || true
"$VIGIL" replay --config "$T/vigil.yaml" "$ev" --json >"$T/replay.json" 2>"$T/replay.err" || true
"$VIGIL" run --config "$T/vigil.yaml" >"$T/run.out" 2>"$T/run.err" &
pid=$!
PIDS+=($pid)
for _ in $(seq 1 150); do
	[[ -s $T/received ]] && grep -q 'incident' "$T/received" 2>/dev/null && break
	sleep 0.1
done
sleep 1
cp "$T/run.db-wal" "$T/run.db-wal.copy" 2>/dev/null || true
mport=$(grep -o '"metrics listening"[^}]*"port":[0-9]*' "$T/run.err" | grep -o '[0-9]*$' || true)
if [[ -n $mport ]]; then
	curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics.txt" || true
	grep -q 'provider="anthropic"' "$T/metrics.txt" ||
		{ echo "FAIL: /metrics has no anthropic series"; fail=1; }
else
	echo "FAIL: the daemon's /metrics port is not in its log"
	fail=1
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true

# Not vacuous: the receiver got payloads, the stores hold what they should.
[[ -s $T/received ]] || { echo "FAIL: the webhook receiver got nothing"; fail=1; }
q() { sqlite3 "$1" "$2"; }
[[ $(q "$T/ingest.db" "SELECT count(*) FROM quarantine") -ge 1 ]] ||
	{ echo "FAIL: no quarantined line in the database"; fail=1; }
[[ $(q "$T/ingest.db" "SELECT count(*) FROM failure_events") -ge 1 ]] ||
	{ echo "FAIL: no failure event in the database"; fail=1; }
grep -q 'sk-\*\*\*\*' "$T/received" "$T/replay.json" ||
	{ echo "FAIL: no masked key in the payloads (were the keys there at all?)"; fail=1; }
[[ $(q "$T/ingest.db" "SELECT count(*) FROM quarantine WHERE instr(CAST(head AS TEXT), 'AIza****') > 0") -ge 1 ]] ||
	{ echo "FAIL: the quarantined line's head was not masked"; fail=1; }

for f in "$T/ingest.db" "$T/ingest.db-wal" "$T/run.db" "$T/run.db-wal" "$T/run.db-wal.copy" \
	"$T/run.err" "$T/run.out" "$T/received" "$T/replay.json" "$T/replay.err" \
	"$T/ingest.out" "$T/ingest.err" "$T/metrics.txt"; do
	[[ -f $f ]] || continue
	for s in "${SECRETS[@]}"; do
		if grep -aqF -- "$s" "$f"; then
			echo "FAIL: $(basename "$f") holds a key: ${s:0:12}..."
			fail=1
		fi
	done
done
echo "searched $(ls "$T" | wc -l) files for ${#SECRETS[@]} keys"
exit $fail
