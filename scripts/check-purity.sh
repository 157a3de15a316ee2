#!/usr/bin/env bash
# check-purity.sh LIB: core/ must stay pure (docs/architecture.md). Lists the
# undefined symbols of the core static library (nm -u) and fails on any not in the
# allow-list: libc string/memory/math functions, jansson, regex, and the
# compiler's own runtime. No clock, file, socket, environment or randomness
# call, and nothing from libuv, libcurl, SQLite or ncurses.
set -euo pipefail
LIB=${1:?usage: check-purity.sh libvigil_core.a}
ALLOW='^(mem(cpy|move|set|cmp|chr|rchr)|str(len|nlen|cmp|ncmp|chr|rchr|str|dup|ndup|spn|cspn|pbrk|casecmp|ncasecmp|tol|toll|toul|toull|tod|tof)|(v)?s(n)?printf|__(v)?s(n)?printf_chk|__memcpy_chk|__memmove_chk|__memset_chk|__strcpy_chk|__strcat_chk|__stpcpy_chk|__stack_chk_fail|__assert_fail|malloc|calloc|realloc|free|qsort|bsearch|abs|labs|llabs|(sqrt|exp|log|log2|log10|pow|floor|ceil|round|lround|llround|fabs|fmod|fmin|fmax|trunc|isnan|isinf|nan|erf|lgamma|tgamma|cos|sin|tan|atan|atan2|exp2|expm1|log1p|cbrt|hypot)f?|__isnan|__isinf|__finite|__ctype_b_loc|__ctype_tolower_loc|__ctype_toupper_loc|tolower|toupper|isalpha|isdigit|isspace|isalnum|isupper|islower|isxdigit|ispunct|json_[a-z_]+|jsonp_[a-z_]+|regcomp|regexec|regfree|regerror|pcre2_[a-z_0-9]+|__udivti3|__divti3|__umodti3|__modti3|__muldc3|_GLOBAL_OFFSET_TABLE_|__errno_location|__asan_.*|__ubsan_.*|__sanitizer_.*|__sancov_.*|__start___sancov.*|__stop___sancov.*)$'

syms=$(nm -u --format=posix "$LIB" | awk '$2=="U" {print $1}' | sort -u)
bad=$(printf '%s\n' "$syms" | grep -vE "$ALLOW" | grep -v '^$' || true)
# Symbols defined inside the library itself (one object calling another) are fine.
defined=$(nm --defined-only --format=posix "$LIB" 2>/dev/null | awk 'NF>=2 && $2 ~ /^[TDBRtdbr]$/ {print $1}' | sort -u)
if [[ -n "$bad" ]]; then
	bad=$(comm -23 <(printf '%s\n' "$bad" | sort -u) <(printf '%s\n' "$defined"))
fi
if [[ -n "$bad" ]]; then
	echo "core purity: these symbols are not allowed in core/ (no clock, I/O, env or randomness):"
	printf '  %s\n' $bad
	for s in $bad; do
		nm -A --format=posix "$LIB" 2>/dev/null | awk -v s="$s" '$2==s && $3=="U" {print "    used by " $1}' | head -3
	done
	exit 1
fi
echo "core purity: ok ($(printf '%s\n' "$syms" | wc -l) undefined symbols, all allowed)"

# Headers too: core/ never includes the shell's libraries.
inc=$(grep -rnE '#[[:space:]]*include[[:space:]]*[<"](uv|curl/curl|sqlite3|ncurses|ncursesw/ncurses|curses|pthread|time|sys/time|unistd|stdio)\.h[>"]' "$(dirname "$0")/../core" || true)
# stdio.h is allowed only for snprintf-family formatting; flag everything else.
inc=$(printf '%s\n' "$inc" | grep -v 'stdio\.h' || true)
if [[ -n "$inc" ]]; then
	echo "core purity: core/ includes a header of the shell:"
	printf '  %s\n' "$inc"
	exit 1
fi
