#!/usr/bin/env bash
# test_db_errors.sh: every command that takes --db says what is wrong with a
# database it cannot use, in its own words rather than SQLite's ("unable to
# open database file", "disk I/O error"), and exits with the same status for
# the same failure (README, "Commands"):
#   3 missing (no such file; for run and ingest, which create one, no folder)
#   4 a directory
#   5 not readable by this user
#   6 not a vigil database (a text file, another application's SQLite file)
# Permissions do not bind root: run as root, every command runs as `nobody`
# through setpriv.
set -uo pipefail
VIGIL=${VIGIL_BIN:?}
T=$(mktemp -d)
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
chmod 0755 "$T"
fails=0

ev='{"schema_version":1,"ts":"2026-11-27T10:00:00.000Z","request_id":"r1","provider":"openai","http":{"status":200}}'
echo "$ev" >"$T/ev.jsonl"
chmod 0644 "$T/ev.jsonl"
cp "$VIGIL" "$T/vigil" && chmod 0755 "$T/vigil"

# The failures.
mkdir "$T/adir"
"$VIGIL" ingest --db "$T/locked.db" "$T/ev.jsonl" >/dev/null 2>&1 || { echo "FAIL: setup ingest"; exit 1; }
rm -f "$T/locked.db-wal" "$T/locked.db-shm"
chmod 0000 "$T/locked.db"
echo "just some text, long enough to be more than a header" >"$T/text.db"
python3 - "$T/other.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA application_id = 1234")
c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
c.commit()
PY
chmod 0644 "$T/text.db" "$T/other.db"
chmod 0777 "$T/adir"

as=()
if [[ $(id -u) == 0 ]]; then
	command -v setpriv >/dev/null || { echo "FAIL: running as root needs setpriv"; exit 1; }
	as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
fi

# failure path -> status, and a word the message must hold
declare -A want=(
	["$T/nowhere/v.db"]="3:no such"
	["$T/adir"]="4:a directory"
	["$T/locked.db"]="5:cannot read"
	["$T/text.db"]="6:not a vigil database"
	["$T/other.db"]="6:another application"
)
cmds=(
	"console --db @"
	"baseline show --db @"
	"baseline rebuild --db @"
	"db check --db @"
	"db recover --db @ --out $T/out.db"
	"ingest --db @ $T/ev.jsonl"
	"replay --db @"
	"run --db @"
)
for path in "${!want[@]}"; do
	status=${want[$path]%%:*}
	words=${want[$path]#*:}
	for cmd in "${cmds[@]}"; do
		read -ra args <<<"${cmd//@/$path}"
		rm -f "$T/out.db"
		(cd "$T" && timeout 30 "${as[@]}" "$T/vigil" "${args[@]}" </dev/null >"$T/out" 2>"$T/err")
		got=$?
		name="vigil ${cmd//@/$(basename "$path")}"
		if [[ $got != "$status" ]]; then
			echo "FAIL: $name: exit $got, expected $status: $(head -c 300 "$T/err")"
			fails=$((fails + 1))
			continue
		fi
		if ! grep -q "$words" "$T/err"; then
			echo "FAIL: $name: the message does not say '$words': $(head -c 300 "$T/err")"
			fails=$((fails + 1))
		fi
		if grep -qiE "disk I/O error|unable to open database file" "$T/err"; then
			echo "FAIL: $name: SQLite's words: $(head -c 300 "$T/err")"
			fails=$((fails + 1))
		fi
		[[ -e $T/out.db ]] && { echo "FAIL: $name: wrote --out"; fails=$((fails + 1)); }
	done
done
# A vigil database this user may read but not write: the commands that
# write it say so (5); those that read it do not mind.
"$VIGIL" ingest --db "$T/ro.db" "$T/ev.jsonl" >/dev/null 2>&1 || { echo "FAIL: setup ro.db"; exit 1; }
rm -f "$T/ro.db-wal" "$T/ro.db-shm"
chmod 0444 "$T/ro.db"
for cmd in "ingest --db $T/ro.db $T/ev.jsonl" "run --db $T/ro.db" "baseline rebuild --db $T/ro.db"; do
	read -ra args <<<"$cmd"
	(cd "$T" && timeout 30 "${as[@]}" "$T/vigil" "${args[@]}" </dev/null >"$T/out" 2>"$T/err")
	got=$?
	[[ $got == 5 ]] && grep -q "cannot write" "$T/err" ||
		{ echo "FAIL: vigil $cmd on a read-only file: exit $got: $(head -c 300 "$T/err")"; fails=$((fails + 1)); }
done
(cd "$T" && timeout 30 "${as[@]}" "$T/vigil" db check --db "$T/ro.db" >"$T/out" 2>"$T/err") ||
	{ echo "FAIL: db check of a read-only file: $(cat "$T/err")"; fails=$((fails + 1)); }

# Nothing was created or changed where it failed.
[[ ! -e $T/nowhere ]] || { echo "FAIL: a command created the missing folder"; fails=$((fails + 1)); }
[[ -z $(ls -A "$T/adir") ]] || { echo "FAIL: a command wrote into the directory"; fails=$((fails + 1)); }

if ((fails)); then echo "$fails failure(s)"; exit 1; fi
echo "db errors: ok (${#want[@]} failures x ${#cmds[@]} commands)"
