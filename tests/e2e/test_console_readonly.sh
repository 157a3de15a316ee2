#!/usr/bin/env bash
# test_console_readonly.sh: a user who may read a database but not write it
# (the file 0444, its folder 0555, no daemon running so no -wal or -shm)
# gets a console: it shows the data, says READ-ONLY in the title bar and
# that actions are unavailable, refuses `a` with the reason, and quits with
# status 0. Before, SQLite could not set up WAL's shared memory and the
# console stopped at "attempt to write a readonly database". Then the same
# with a daemon's -wal and -shm present (readable, not writable).
#
# Permissions do not bind root: run as root (CI containers), the console
# runs as the user `nobody` through setpriv.
source "$(dirname "$0")/tmux_lib.sh"

BIN=${VIGIL_BIN:?}
WORK=$(mktemp -d)
trap 'tm_cleanup; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
chmod 0755 "$WORK"

# A database with one incident, written as this user.
mkdir "$WORK/db"
ev='{"schema_version":1,"ts":"2026-11-27T10:00:00.000Z","request_id":"r1","provider":"openai","model":"gpt-4o","http":{"status":500}}'
echo "$ev" >"$WORK/ev.jsonl"
"$BIN" ingest --db "$WORK/db/v.db" "$WORK/ev.jsonl" >/dev/null
rm -f "$WORK/db/v.db-wal" "$WORK/db/v.db-shm"
[[ -s $WORK/db/v.db ]] || fail "ingest wrote no database"
chmod 0444 "$WORK/db/v.db"
chmod 0555 "$WORK/db"

# The console as a user without write access.
cp "$BIN" "$WORK/vigil"
chmod 0755 "$WORK/vigil"
as=()
if [[ $(id -u) == 0 ]]; then
	command -v setpriv >/dev/null || fail "running as root needs setpriv to drop to nobody"
	as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
	"${as[@]}" test -w "$WORK/db/v.db" && fail "nobody can write the database"
	"${as[@]}" test -r "$WORK/db/v.db" || fail "nobody cannot read the database"
fi

tm_start 100 30 "${as[*]}" "$WORK/vigil" console --db "$WORK/db/v.db" --user dora
tm_wait "1 Health" 20
tm_wait "READ-ONLY"
tm_wait "actions are unavailable"
tm_shows "attempt to write" && fail "SQLite's error reached the screen"
# The data is there: the incident of the 500.
tm_keys 4
tm_wait "provider/"
tm_keys a
tm_wait "read-only: $WORK/db/v.db"
tm_shows "acknowledge #" && fail "a read-only console prompted for an acknowledgement"
tm_keys q
status=$(tm_wait_exit 10)
[[ $status == 0 ]] || fail "exit status $status"
tm_restart

# A daemon running: its -wal and -shm are there, readable, not writable by
# this user (store.group gives 0640): read-only too, the data shown.
chmod 0755 "$WORK/db"
chmod 0644 "$WORK/db/v.db"
python3 - "$WORK/db/v.db" <<'PY'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE IF NOT EXISTS scratch(x)"); c.commit()
c2 = sqlite3.connect(sys.argv[1]); c2.execute("SELECT 1").fetchall()
os._exit(0)  # no checkpoint: -wal and -shm stay
PY
[[ -e $WORK/db/v.db-shm ]] || fail "no -shm to test with"
chmod 0444 "$WORK/db/v.db" "$WORK/db/v.db-wal" "$WORK/db/v.db-shm"
chmod 0555 "$WORK/db"
tm_start 100 30 "${as[*]}" "$WORK/vigil" console --db "$WORK/db/v.db" --user dora
tm_wait "1 Health" 20
tm_wait "READ-ONLY"
tm_keys 4
tm_wait "provider/"
tm_keys q
status=$(tm_wait_exit 10)
[[ $status == 0 ]] || fail "exit status $status (with -wal and -shm)"
echo "console read-only: ok"
