#!/usr/bin/env bash
# test_ingest_malformed.sh: a file mixing good lines with truncated lines,
# binary garbage, invalid UTF-8, a 5 MiB line and an unknown schema_version.
# Every bad line must be quarantined with its own line number, byte offset
# and reason; every good line stored; exit status 1 with the count.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

python3 - "$T" <<'PY'
import json, random, sys
random.seed(5)
T = sys.argv[1]
good = lambda i: json.dumps({"schema_version": 1, "ts": "2026-11-27T10:%02d:%02d.000Z" % (i // 60 % 60, i % 60),
                             "request_id": "m-%d" % i, "provider": "openai", "http": {"status": 200},
                             "usage": {"input_tokens": 10}}).encode()
bad = [
    ("not_json", lambda i: good(i)[:50]),                                    # truncated
    ("not_json", lambda i: good(i)[:-1]),                                    # truncated at the end
    ("not_utf8", lambda i: bytes(random.randrange(128, 256) for _ in range(40))),  # binary garbage
    ("not_json", lambda i: b"\x00\x01\x02\x03garbage\x7f"),
    ("not_utf8", lambda i: good(i).replace(b'"openai"', b'"open\xffai"')),   # invalid UTF-8
    ("too_long", lambda i: b'{"schema_version":1,"pad":"' + b"x" * (5 << 20) + b'"}'),  # 5 MiB
    ("unknown_schema_version", lambda i: good(i).replace(b'"schema_version": 1', b'"schema_version": 7')),
    ("missing_field", lambda i: good(i).replace(b'"provider": "openai", ', b"")),
]
lines, expect = [], []
off = 0
n = 0
for i in range(2000):
    if i % 97 == 5:
        reason, make = bad[len(expect) % len(bad)]
        b = make(i)
        expect.append((len(lines) + 1, off, reason))
    else:
        b = good(i)
        n += 1
    lines.append(b)
    off += len(b) + 1
open(T + "/events.jsonl", "wb").write(b"\n".join(lines) + b"\n")
open(T + "/expect.txt", "w").write("".join("%d|%d|%s\n" % e for e in expect))
open(T + "/good.txt", "w").write("%d\n" % n)
PY

set +e
"$VIGIL" ingest "$T/events.jsonl" --db "$T/v.db" >"$T/out" 2>"$T/err"
rc=$?
set -e
cat "$T/out" "$T/err"
[[ $rc -eq 1 ]] || { echo "expected exit 1, got $rc"; exit 1; }
nbad=$(wc -l <"$T/expect.txt")
grep -q "$nbad lines quarantined" "$T/err" || { echo "count not reported"; exit 1; }

sqlite3 "$T/v.db" "SELECT line_no, byte_offset, reason FROM quarantine ORDER BY line_no" >"$T/got.txt"
diff -u "$T/expect.txt" "$T/got.txt"
stored=$(sqlite3 "$T/v.db" "SELECT count(*) FROM observations")
[[ $stored -eq $(cat "$T/good.txt") ]] || { echo "stored $stored of $(cat "$T/good.txt")"; exit 1; }
# heads are capped at 256 bytes; the 5 MiB line kept its beginning
[[ $(sqlite3 "$T/v.db" "SELECT max(length(head)) FROM quarantine") -le 256 ]]
sqlite3 "$T/v.db" "SELECT detail FROM quarantine WHERE reason='too_long'" | grep -q "5242"
# a second run reads nothing new and quarantines nothing twice
"$VIGIL" ingest "$T/events.jsonl" --db "$T/v.db" | grep -q "ingested 0 lines"
[[ $(sqlite3 "$T/v.db" "SELECT count(*) FROM quarantine") -eq $nbad ]]
echo "ok: $nbad quarantined at the right lines, $stored stored"
