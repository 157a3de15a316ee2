#!/usr/bin/env bash
# test_db_modes.sh: the database's files are private. A database, -wal and
# -shm that exist with modes 0644 and 0666 are tightened to 0600 when vigil
# opens them (and it says so); with store.group they become 0640 and owned
# by that group; a group that does not exist is a clear error.
set -euo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
mode() { stat -c %a "$1"; }
line='{"schema_version":1,"ts":"2026-11-27T10:00:00.000Z","request_id":"r1","provider":"openai","http":{"status":200}}'
echo "$line" >"$T/ev.jsonl"

# A database left behind with loose modes (its -wal and -shm too).
"$VIGIL" ingest --db "$T/v.db" "$T/ev.jsonl" >/dev/null 2>&1
python3 - "$T/v.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE IF NOT EXISTS scratch(x)"); c.commit()
c2 = sqlite3.connect(sys.argv[1]); c2.execute("SELECT 1").fetchall()
# keep -wal and -shm: exit without checkpoint
import os; os._exit(0)
PY
chmod 0644 "$T/v.db"
[[ -f $T/v.db-wal ]] && chmod 0666 "$T/v.db-wal"
[[ -f $T/v.db-shm ]] && chmod 0666 "$T/v.db-shm"
before="$(mode "$T/v.db") $(mode "$T/v.db-wal" 2>/dev/null || echo -) $(mode "$T/v.db-shm" 2>/dev/null || echo -)"
"$VIGIL" ingest --db "$T/v.db" "$T/ev.jsonl" >"$T/out" 2>"$T/err" || true
for f in "$T/v.db" "$T/v.db-wal" "$T/v.db-shm"; do
	[[ -f $f ]] || continue
	[[ $(mode "$f") == 600 ]] || { echo "FAIL: $(basename "$f") is $(mode "$f"), not 600 (was $before)"; fail=1; }
done
grep -q 'tightened to 0600' "$T/err" || { echo "FAIL: ingest did not say it tightened the modes"; cat "$T/err"; fail=1; }

# store.group: 0640, owned by the group.
g=$(id -gn)
printf 'store:\n  path: %s/g.db\n  group: %s\n' "$T" "$g" >"$T/g.yaml"
"$VIGIL" ingest --config "$T/g.yaml" "$T/ev.jsonl" >/dev/null 2>"$T/gerr" || true
[[ $(mode "$T/g.db") == 640 ]] || { echo "FAIL: g.db is $(mode "$T/g.db"), not 640"; fail=1; }
[[ $(stat -c %G "$T/g.db") == "$g" ]] || { echo "FAIL: g.db's group is $(stat -c %G "$T/g.db"), not $g"; fail=1; }

# A group that does not exist: refused, clearly.
printf 'store:\n  path: %s/n.db\n  group: no-such-group-vigil\n' "$T" >"$T/n.yaml"
rc=0
"$VIGIL" ingest --config "$T/n.yaml" "$T/ev.jsonl" >/dev/null 2>"$T/nerr" || rc=$?
[[ $rc -ne 0 ]] || { echo "FAIL: an unknown store.group was accepted"; fail=1; }
grep -q "no group named 'no-such-group-vigil'" "$T/nerr" || { echo "FAIL: unclear error: $(cat "$T/nerr")"; fail=1; }
exit $fail
