#!/usr/bin/env bash
# test_notify_crash.sh: notifications across kill -9 (seeded; issue 20). `vigil run` follows
# a file whose failures open 60 incidents (one provider in 60 regions: a provider incident
# is kept apart per region), each change a webhook delivery to a slow receiver; the daemon
# is killed with SIGKILL at 9 seeded moments and restarted each time, then left to drain.
# Delivery is at least once: a delivery whose outcome was not committed before the kill
# is sent again. What must hold: every outbox row reached the receiver, every delivery
# carried the Idempotency-Key of its row (so a repeat carries the key it had), and the
# distinct keys received are exactly the rows: a receiver that drops keys it has seen
# gets each notification once.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
SEED=${VIGIL_SOAK_SEED:-20261127}
T=$(mktemp -d)
PIDS=()
VPID=
cleanup() {
	[[ -n "$VPID" ]] && kill -9 "$VPID" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	tail -5 "$T"/run*.log
	exit 1
}

cat >"$T/hook.py" <<'PY'
import http.server, json, socketserver, sys, time
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(n))
        time.sleep(0.03)  # a slow receiver: deliveries stay in flight
        out.write(json.dumps({"key": self.headers.get("idempotency-key"),
                              "kind": body["change"]["kind"]}) + "\n")
        out.flush()
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/hook.py" "$T/hook.jsonl" >"$T/hook.port" 2>"$T/hook.err" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$T/hook.port" ]] && break; sleep 0.05; done

python3 - "$T/ev.jsonl" <<'PY'
import json, sys, time
t0 = time.time()
with open(sys.argv[1], "w") as f:
    for i in range(1200):
        t = t0 + i * 0.001
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        f.write(json.dumps({"schema_version": 1, "ts": ts, "request_id": "r-%d" % i,
                            "provider": "openai", "model": "gpt-4o", "region": "r%02d" % (i % 60),
                            "http": {"status": 503}, "transport": {"total_ms": 80}}) + "\n")
PY
cat >"$T/vigil.yaml" <<EOF
store:
  path: $T/vigil.db
  batch_interval: 20ms
incidents:
  instance: crash-pair
sinks:
  - name: hook
    kind: webhook
    url: http://127.0.0.1:$(cat "$T/hook.port")/hook
    min_severity: low
events:
  - path: $T/ev.jsonl
EOF

RANDOM=$SEED
killed=0
for i in $(seq 1 9); do
	"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run$i.log" &
	VPID=$!
	ms=$((RANDOM % 700 + 150))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if kill -9 "$VPID" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$VPID" 2>/dev/null || true
	VPID=
	echo "kill $i after ${ms} ms: $(wc -l <"$T/hook.jsonl" 2>/dev/null || echo 0) deliveries so far"
done
[[ $killed -ge 7 ]] || fail "only $killed of 9 runs were killed"

# the last run drains the outbox
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run-last.log" &
VPID=$!
q() { sqlite3 -cmd ".timeout 5000" "$T/vigil.db" "$1" 2>/dev/null || echo ""; }
for _ in $(seq 1 600); do
	[[ "$(q "SELECT count(*) FROM outbox WHERE state = 'pending'")" == 0 &&
		"$(q "SELECT count(*) FROM outbox")" -gt 0 ]] && break
	sleep 0.1
done
kill "$VPID"
wait "$VPID" || fail "the last run did not stop cleanly"
VPID=

q "SELECT idempotency_key FROM outbox WHERE state = 'delivered' ORDER BY 1" >"$T/rows.txt"
[[ "$(q "SELECT count(*) FROM outbox WHERE state != 'delivered'")" == 0 ]] || fail "rows not delivered"
[[ "$(q "SELECT count(*) FROM outbox WHERE idempotency_key IS NULL")" == 0 ]] || fail "rows without a key"
[[ $(q "SELECT count(*) FROM incidents") -ge 60 ]] || fail "$(q "SELECT count(*) FROM incidents") incidents"
python3 - "$T/hook.jsonl" "$T/rows.txt" <<'PY' || fail "deliveries and rows disagree"
import collections, json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
rows = [l.rstrip("\n") for l in open(sys.argv[2])]
assert all(g["key"] for g in got), "a delivery without an Idempotency-Key"
seen = collections.Counter(g["key"] for g in got)
assert len(rows) == len(set(rows)), "two rows with one key"
assert set(seen) == set(rows), (len(set(seen)), len(rows), sorted(set(seen) ^ set(rows))[:5])
repeats = sum(n - 1 for n in seen.values())
print("%d rows, %d deliveries: %d repeated after kills (each with its row's key), "
      "%d distinct keys = rows" % (len(rows), len(got), repeats, len(seen)))
PY
echo "ok: at least once across $killed kills; repeats carry their row's Idempotency-Key"
