#!/usr/bin/env bash
# test_run_corrupt.sh: `vigil run` when its database is damaged under it (issue 20). The
# daemon stores 20k events; the file's pages are then overwritten (after a checkpoint, so
# they are read from the file); the next events make the store meet SQLITE_CORRUPT. The
# daemon must stop writing, log the damage naming the file, page a `monitor` incident
# (subtype store_corrupt) to its webhook although the outbox table cannot take it, and
# exit 1; started again on the damaged file it refuses to start, with the same advice.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
source "$(dirname "$0")/../support/common.bash"
fail() {
	echo "FAIL: $*"
	for f in "$T"/run*.log "$T/hook.jsonl"; do [[ -e $f ]] && { echo "--- $f"; cat "$f"; }; done
	exit 1
}

cat >"$T/hook.py" <<'PY'
import http.server, json, sys
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        out.write(json.dumps({"path": self.path, "key": self.headers.get("idempotency-key"),
                              "body": json.loads(self.rfile.read(n))}) + "\n")
        out.flush()
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$T/hook.py" "$T/hook.jsonl" >"$T/hook.port" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$T/hook.port" ]] && break; sleep 0.05; done
HOOK_PORT=$(cat "$T/hook.port")

cat >"$T/gen.py" <<'PY'
import json, sys, time
path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "a") as f:
    for i in range(count):
        t = time.time()
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)
        f.write(json.dumps({"schema_version": 1, "ts": ts, "request_id": "%s-%d" % (prefix, i),
                            "provider": "openai", "model": "gpt-4o", "http": {"status": 200},
                            "transport": {"total_ms": 120}}) + "\n")
PY

cat >"$T/vigil.yaml" <<EOF
store:
  path: $T/vigil.db
  batch_interval: 50ms
incidents:
  instance: vigil-corrupt
sinks:
  - name: hook
    kind: webhook
    url: http://127.0.0.1:$HOOK_PORT/hook
    min_severity: high
events:
  - path: $T/ev.jsonl
EOF
q() { sqlite3 -cmd ".timeout 5000" "$T/vigil.db" "$1" 2>/dev/null || echo ""; }
log_has() { grep -q "$2" "$1"; }
count_is() { [[ "$(q "SELECT count(*) FROM observations")" == "$1" ]]; }

python3 "$T/gen.py" "$T/ev.jsonl" ok 20000
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run1.log" &
VPID=$!
PIDS+=($VPID)
wait_for "running" log_has "$T/run1.log" '"msg":"running"'
wait_for "20000 observations" count_is 20000

# every page but the first (header and schema) overwritten, once they are in the file
[[ "$(q "PRAGMA wal_checkpoint(TRUNCATE)")" == 0\|* ]] || fail "checkpoint refused"
pages=$(($(stat -c %s "$T/vigil.db") / 4096))
((pages > 500)) || fail "only $pages pages"
for ((p = 1; p < pages; p++)); do
	dd if="$T/ev.jsonl" of="$T/vigil.db" bs=4096 skip=$p seek=$p count=1 conv=notrunc status=none
done
python3 "$T/gen.py" "$T/ev.jsonl" more 2000

# the daemon stops by itself, exit 1, having said why and paged it
for _ in $(seq 1 300); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$VPID" 2>/dev/null && fail "still running on a damaged database"
set +e
wait "$VPID"
rc=$?
set -e
[[ $rc == 1 ]] || fail "exit $rc, want 1"
grep '"msg":"database corrupt, writing stopped"' "$T/run1.log" | grep -q "$T/vigil.db: the database is corrupt" ||
	fail "no damage line naming the file"
grep -q "vigil db recover --db $T/vigil.db" "$T/run1.log" || fail "no advice"
python3 - "$T/hook.jsonl" <<'PY' || fail "no store_corrupt page"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pages = [r for r in rows if r["body"]["incident"]["category"] == "monitor"]
assert pages, rows
inc = pages[0]["body"]["incident"]
assert inc["subtype"] == "store_corrupt", inc
assert pages[0]["body"]["change"]["kind"] == "opened", pages[0]
assert "the database is corrupt" in json.dumps(inc), inc
assert pages[0]["key"] and pages[0]["key"].startswith(inc["dedup_key"] + "/hook/opened/"), pages[0]
PY

# started again: refused before anything is written
set +e
"$VIGIL" run --config "$T/vigil.yaml" 2>"$T/run2.log"
rc=$?
set -e
[[ $rc == 1 ]] || fail "second start: exit $rc, want 1"
grep -q '"msg":"cannot start".*the database is corrupt' "$T/run2.log" || fail "second start: no refusal"
echo "ok: damage under a running daemon: stopped writing, paged store_corrupt, exit 1; restart refused"
