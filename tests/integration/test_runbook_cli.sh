#!/usr/bin/env bash
# test_runbook_cli.sh: `vigil runbook [NAME]` from the outside: the list
# (every docs/runbooks/*.md by name and title), one runbook printed whole
# (byte for byte the file), the names it accepts, an unknown name and a
# stray argument (one line on stderr, exit 2), and --help. The binary runs
# from an empty folder with a copy of itself, so nothing can come from the
# working directory: the runbooks are the ones embedded at build time.
set -uo pipefail
BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
fails=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
no() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
cp "$BIN" "$TMP/vigil"
mkdir "$TMP/empty"
run() { # run ARGS... -> $TMP/out, $TMP/err, $rc
	(cd "$TMP/empty" && "$TMP/vigil" "$@") >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# The list: one line per runbook, name then title, in name order.
run runbook
[[ $rc == 0 ]] || no "list: exit $rc"
[[ -s $TMP/err ]] && no "list: stderr: $(cat "$TMP/err")"
want=$(for f in "$SRC"/docs/runbooks/*.md; do
	n=$(basename "$f" .md)
	printf '%-10s %s\n' "$n" "$(sed -n 's/^# //p' "$f" | head -n1)"
done | LC_ALL=C sort)
[[ $(cat "$TMP/out") == "$want" ]] || no "list differs:"$'\n'"$(diff <(echo "$want") "$TMP/out")"
grep -q '^provider   Runbook: PROVIDER failures$' "$TMP/out" || no "list: no provider line"
[[ $(wc -l <"$TMP/out") -ge 7 ]] || no "list: fewer than 7 runbooks"

# One runbook, whole: the file as shipped (these are plain text, so the
# sanitiser leaves them as they are), under each name it answers to.
for name in provider provider.md docs/runbooks/provider.md; do
	run runbook "$name"
	[[ $rc == 0 ]] || no "print $name: exit $rc"
	cmp -s "$TMP/out" "$SRC/docs/runbooks/provider.md" || no "print $name: not the file"
done
for f in "$SRC"/docs/runbooks/*.md; do
	run runbook "$(basename "$f" .md)"
	cmp -s "$TMP/out" "$f" || no "print $(basename "$f"): not the file"
done
# The last section too (nothing cut).
run runbook provider
tail -n1 "$TMP/out" | grep -q "full cooldown cycle" || no "provider: last line missing"

# Unknown names and stray arguments: one line, exit 2.
run runbook nope
[[ $rc == 2 ]] || no "unknown name: exit $rc"
[[ -s $TMP/out ]] && no "unknown name: printed on stdout"
[[ $(wc -l <"$TMP/err") == 1 ]] || no "unknown name: error is not one line"
grep -q "^vigil runbook: unknown runbook 'nope' (see 'vigil runbook --help')$" "$TMP/err" ||
	no "unknown name text: $(cat "$TMP/err")"
run runbook $'x\e]0;pwned\a'
[[ $rc == 2 ]] || no "hostile name: exit $rc"
grep -q $'\e' "$TMP/err" && no "hostile name: an escape reached stderr"
run runbook provider cost
[[ $rc == 2 ]] || no "two names: exit $rc"
grep -q "unexpected argument 'cost'" "$TMP/err" || no "two names text: $(cat "$TMP/err")"
run runbook --nope
[[ $rc == 2 ]] || no "bad flag: exit $rc"
run runbook --help
[[ $rc == 0 ]] || no "help: exit $rc"
grep -q "usage: vigil runbook \[NAME\]" "$TMP/out" || no "help text"
run --help
grep -q "^  runbook " "$TMP/out" || no "vigil --help does not list runbook"

if ((fails)); then
	echo "$fails failure(s)"
	exit 1
fi
echo "runbook cli: ok"
