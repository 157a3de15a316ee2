#!/usr/bin/env bash
# test_cli.sh: the vigil binary's dispatch: --help, version, unknown commands
# and bad flags (one line on stderr, exit 2), and `vigil check` on configs.
set -uo pipefail
BIN=${VIGIL_BIN:?}
SRC=${VIGIL_SOURCE_DIR:?}
fails=0
expect() { # expect STATUS DESCRIPTION -- command...
	local want=$1 desc=$2
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [[ $got != "$want" ]]; then
		echo "FAIL: $desc: exit $got, expected $want"; cat "$TMP/err"; fails=$((fails + 1))
	fi
}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

expect 0 "--help" -- "$BIN" --help
grep -q "usage: vigil <command>" "$TMP/out" || { echo "FAIL: --help text"; fails=$((fails + 1)); }
expect 0 "version" -- "$BIN" version
grep -qE '^vigil [0-9]+\.[0-9]+\.[0-9]+$' "$TMP/out" || { echo "FAIL: version text"; fails=$((fails + 1)); }
expect 2 "no arguments" -- "$BIN"
expect 2 "unknown command" -- "$BIN" frobnicate
[[ $(wc -l <"$TMP/err") == 1 ]] || { echo "FAIL: unknown command error is not one line"; fails=$((fails + 1)); }
grep -q "unknown command 'frobnicate'" "$TMP/err" || { echo "FAIL: unknown command text"; fails=$((fails + 1)); }
expect 2 "unknown top-level flag" -- "$BIN" --frobnicate
expect 2 "bad flag" -- "$BIN" check --nope
[[ $(wc -l <"$TMP/err") == 1 ]] || { echo "FAIL: bad flag error is not one line"; fails=$((fails + 1)); }
grep -q "vigil check: unknown option '--nope'" "$TMP/err" || { echo "FAIL: bad flag text"; cat "$TMP/err"; fails=$((fails + 1)); }
expect 2 "flag without its value" -- "$BIN" check --config
expect 2 "stray argument" -- "$BIN" check extra
expect 0 "check --help" -- "$BIN" check --help
grep -q "usage: vigil check" "$TMP/out" || { echo "FAIL: check --help text"; fails=$((fails + 1)); }
# every command in --help has its own --help
for cmd in $("$BIN" --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}'); do
	expect 0 "$cmd --help" -- "$BIN" "$cmd" --help
done
# README's command table has a row for every command --help lists (and
# lists no command that does not exist).
listed=$("$BIN" --help | awk '/^commands:/{f=1;next} f && /^  [a-z]/{print $1}')
[[ -n $listed ]] || { echo "FAIL: --help lists no commands"; fails=$((fails + 1)); }
for cmd in $listed; do
	grep -q "^| \`vigil $cmd[ \`]" "$SRC/README.md" ||
		{ echo "FAIL: README's command table has no row for vigil $cmd"; fails=$((fails + 1)); }
done
for cmd in $(sed -n 's/^| `vigil \([a-z][a-z]*\).*/\1/p' "$SRC/README.md" | sort -u); do
	[[ $cmd == version ]] && continue
	grep -qx "$cmd" <<<"$listed" ||
		{ echo "FAIL: README lists vigil $cmd, which --help does not"; fails=$((fails + 1)); }
done
expect 0 "check example config" -- "$BIN" check --config "$SRC/examples/vigil.yaml"
grep -q "providers: 3" "$TMP/out" || { echo "FAIL: check summary"; fails=$((fails + 1)); }
expect 1 "check bad config" -- "$BIN" check --config "$SRC/tests/data/config/bad_enum.yaml"
grep -q "bad_enum.yaml:4:11: providers\[0\].kind: unknown value 'azure'" "$TMP/err" || { echo "FAIL: config error text"; cat "$TMP/err"; fails=$((fails + 1)); }
expect 1 "check missing config" -- "$BIN" check --config "$TMP/nope.yaml"

if ((fails)); then echo "$fails failure(s)"; exit 1; fi
echo "cli: ok"
