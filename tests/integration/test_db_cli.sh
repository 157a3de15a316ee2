#!/usr/bin/env bash
# test_db_cli.sh: a damaged database and a foreign one, as a user meets them (issue 20).
# A 14k-row database with 30 of its 4 KiB blocks overwritten: `vigil ingest` must not
# report success (it reported "5,000 stored", exit 0) and must not write to it; `vigil db
# check` lists the damage; `vigil db recover` writes a new vigil database holding exactly
# rows of the original (none invented), which `vigil ingest` then uses. A database another
# program made (a table, rollback journal) is refused by ingest, replay and db check and
# left byte for byte as it was (its journal mode used to become WAL).
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

# 14k rows, then a copy of the file as it was
"$VIGIL" sim gateway --scenario calm --duration 10m --rate 24 --seed 7 --out "$T/a.jsonl" 2>/dev/null
"$VIGIL" sim gateway --scenario calm --duration 2m --rate 24 --seed 8 \
	--start 2026-11-27T12:00:00Z --out "$T/b.jsonl" 2>/dev/null
expect_exit 0 "$VIGIL" ingest --db "$T/v.db" "$T/a.jsonl"
rows=$(sqlite3 "$T/v.db" "SELECT count(*) FROM observations")
((rows > 14000)) || { echo "only $rows rows"; exit 1; }
[[ $(sqlite3 "$T/v.db" "PRAGMA application_id") == 1986488684 ]]
cp "$T/v.db" "$T/orig.db"

# The case: 30 blocks overwritten that the next writes never read (leaves of the
# observations table, away from its end), with bytes that are not a page (text of the
# events file). Before, ingest stored the next file and exited 0. The rows on those pages
# are what is lost; dbstat says how many.
sqlite3 "$T/v.db" "SELECT pageno FROM dbstat WHERE name = 'observations' AND
  pagetype = 'leaf' ORDER BY pageno LIMIT 30 OFFSET 10" >"$T/leaves"
lost=$(sqlite3 "$T/v.db" "SELECT sum(ncell) FROM dbstat WHERE name = 'observations' AND
  pagetype = 'leaf' AND pageno IN ($(paste -sd, "$T/leaves"))")
[[ $(wc -l <"$T/leaves") == 30 ]]
i=0
while read -r page; do
	i=$((i + 1))
	dd if="$T/a.jsonl" of="$T/v.db" bs=4096 skip=$i seek=$((page - 1)) count=1 conv=notrunc \
		status=none
done <"$T/leaves"
sum_before=$(sha256sum <"$T/v.db")

# ingest refuses, names the file and the remedy, writes nothing
expect_exit 1 "$VIGIL" ingest --db "$T/v.db" "$T/b.jsonl"
grep -q "v.db: the database is corrupt" "$T/err"
grep -q "vigil db recover --db $T/v.db" "$T/err"
! grep -q "stored" "$T/out"
[[ $(sha256sum <"$T/v.db") == "$sum_before" ]]
[[ ! -e "$T/v.db-wal" ]]

# check lists the damage
expect_exit 1 "$VIGIL" db check --db "$T/v.db"
grep -q "DAMAGED" "$T/out"
grep -Eq "^  (Page|Tree|row|wrong|On tree|Freelist|Multiple)" "$T/out"
expect_exit 0 "$VIGIL" db check --db "$T/orig.db"
grep -q "orig.db: ok" "$T/out"
grep -q "application_id 0x7667696c" "$T/out"

# recover: a new vigil database with what was readable, nothing invented
expect_exit 0 "$VIGIL" db recover --db "$T/v.db" --out "$T/r.db"
cat "$T/out"
grep -q "passes integrity_check" "$T/out"
[[ $(sha256sum <"$T/v.db") == "$sum_before" ]]
[[ $(sqlite3 "$T/r.db" "PRAGMA integrity_check") == ok ]]
[[ $(sqlite3 "$T/r.db" "PRAGMA application_id") == 1986488684 ]]
[[ $(stat -c %a "$T/r.db") == 600 ]]
saved=$(sqlite3 "$T/r.db" "SELECT count(*) FROM observations")
# every row but those of the 30 pages
((saved == rows - lost)) || { echo "saved $saved of $rows, $lost on damaged pages"; exit 1; }
same=$(sqlite3 "$T/r.db" "ATTACH '$T/orig.db' AS o;
  SELECT count(*) FROM observations r JOIN o.observations p USING (id)
  WHERE p.request_id = r.request_id AND p.ts_ms = r.ts_ms AND p.provider = r.provider")
[[ $same == "$saved" ]]
grep -Eq "^  observations +$saved " "$T/out"
echo "recovered $saved of $rows observations"
expect_exit 1 "$VIGIL" db recover --db "$T/v.db" --out "$T/r.db"
grep -q "exists already" "$T/err"
# the recovered file is one vigil goes on with
expect_exit 0 "$VIGIL" ingest --db "$T/r.db" "$T/b.jsonl"
grep -q " stored" "$T/out"

# 30 blocks anywhere (index and interior pages too; block 0, the header and schema,
# spared), chosen by a seeded generator: refused, checked, and what reads is recovered
cp "$T/orig.db" "$T/x.db"
pages=$(($(stat -c %s "$T/x.db") / 4096))
RANDOM=20
for ((i = 0; i < 30; i++)); do
	dd if="$T/a.jsonl" of="$T/x.db" bs=4096 skip=$((i + 40)) seek=$((1 + RANDOM % (pages - 1))) \
		count=1 conv=notrunc status=none
done
expect_exit 1 "$VIGIL" ingest --db "$T/x.db" "$T/b.jsonl"
grep -q "x.db: the database is corrupt" "$T/err"
expect_exit 1 "$VIGIL" db check --db "$T/x.db"
expect_exit 0 "$VIGIL" db recover --db "$T/x.db" --out "$T/rx.db"
[[ $(sqlite3 "$T/rx.db" "PRAGMA integrity_check") == ok ]]
saved=$(sqlite3 "$T/rx.db" "SELECT count(*) FROM observations")
same=$(sqlite3 "$T/rx.db" "ATTACH '$T/orig.db' AS o;
  SELECT count(*) FROM observations r JOIN o.observations p USING (id)
  WHERE p.request_id = r.request_id AND p.ts_ms = r.ts_ms AND p.provider = r.provider")
((saved > rows / 2)) && [[ $same == "$saved" ]]
echo "random blocks: recovered $saved of $rows observations"

# usage
expect_exit 2 "$VIGIL" db
expect_exit 2 "$VIGIL" db check
grep -q "\-\-db PATH is required" "$T/err"
expect_exit 2 "$VIGIL" db recover --db "$T/v.db"
expect_exit 2 "$VIGIL" db fix --db "$T/v.db"

# another program's database: refused by name, left exactly as it was
sqlite3 "$T/f.db" "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
  INSERT INTO notes (body) VALUES ('keep me');"
[[ $(sqlite3 "$T/f.db" "PRAGMA journal_mode") == delete ]]
sum_f=$(sha256sum <"$T/f.db")
expect_exit 6 "$VIGIL" ingest --db "$T/f.db" "$T/b.jsonl"
grep -q "f.db: not a vigil database" "$T/err"
expect_exit 6 "$VIGIL" replay --db "$T/f.db"
grep -q "not a vigil database" "$T/err"
expect_exit 6 "$VIGIL" db check --db "$T/f.db"
grep -q "not a vigil database" "$T/err"
[[ $(sha256sum <"$T/f.db") == "$sum_f" ]]
[[ ! -e "$T/f.db-wal" && ! -e "$T/f.db-shm" && ! -e "$T/f.db-journal" ]]
[[ $(sqlite3 "$T/f.db" "PRAGMA journal_mode") == delete ]]
echo "ok: damaged database refused, checked and recovered; foreign database untouched"
