#!/usr/bin/env bash
# check-layers.sh [--root DIR] [BUILD_DIR]: the layer rule of
# docs/architecture.md, checked rather than hoped for.
#
#   core   -> nothing of the shell
#   net    -> core
#   probes -> core, net
#   data   -> core, net
#   tui    -> core, data
#   sim    -> core's error codes only (core/vgerr.h)
#   app    -> anything
#
# 1. Includes. Every `#include "..."` of every .c/.h in core net probes data
#    tui sim app must name a folder its layer may use (a quoted include
#    always names its folder: "core/model.h"). Angle includes of another
#    layer's libraries are refused too:
#      core    no libuv, libcurl, SQLite, ncurses, pthread, libfyaml, and none
#              of the clock/file/socket headers (time.h, unistd.h, fcntl.h,
#              dirent.h, netdb.h, sys/*, netinet/*, arpa/*); check-purity.sh
#              checks its symbols
#      net     no SQLite, ncurses, libfyaml
#      probes  no SQLite, ncurses, libfyaml (HTTP through net/; curl/curl.h
#              for CURLE_* codes is fine)
#      data    no libcurl (HTTP through net/), ncurses, libfyaml
#      tui     no SQLite (through data/), libcurl, libfyaml
#      sim     no SQLite, libcurl, ncurses: it speaks HTTP on its own libuv
#              server, and reads YAML (libfyaml) and writes JSON (jansson)
#              itself, sharing no code with the parsers it exercises
#      app     anything
# 2. Symbols (with BUILD_DIR, e.g. build/gcc): the linker enforces part of
#    the rule through one library per folder, but a static library may still
#    call upward. For each libvigil_<layer>.a, every undefined symbol that
#    another vigil library defines must come from a layer it may use (sim:
#    only core's vgerr.c.o); and a few foreign libraries are refused by
#    symbol prefix: tui calls no sqlite3_* (tui -> data -> SQLite is allowed,
#    tui's own objects calling SQLite are not) and no curl_*; net, probes and
#    sim call no sqlite3_*; data and sim call no curl_*.
#
# Each violation is printed as file:line (or library[object]) with the rule;
# the exit status is 1 when there is any.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ "${1:-}" == "--root" ]]; then
	ROOT=$(cd "${2:?usage: check-layers.sh [--root DIR] [BUILD_DIR]}" && pwd)
	shift 2
fi
BUILD=${1:-}

LAYERS=(core net probes data tui sim app)
declare -A USES=(
	[core]="core"
	[net]="core net"
	[probes]="core net probes"
	[data]="core net data"
	[tui]="core data tui"
	[sim]="sim core/vgerr.h"
	[app]="core net probes data tui sim app"
)
declare -A RULE=(
	[core]="core -> nothing of the shell"
	[net]="net -> core"
	[probes]="probes -> core, net"
	[data]="data -> core, net"
	[tui]="tui -> core, data"
	[sim]="sim -> core's error codes only (core/vgerr.h)"
	[app]="app -> anything"
)
# Angle includes refused per layer (an ERE on the header's path).
declare -A NO_SYS=(
	[core]='^(uv|sqlite3|ncurses|curses|pthread|libfyaml|time|unistd|fcntl|dirent|netdb)\.h$|^(curl|ncursesw|sys|netinet|arpa)/'
	[net]='^(sqlite3|ncurses|curses|libfyaml)\.h$|^ncursesw/'
	[probes]='^(sqlite3|ncurses|curses|libfyaml)\.h$|^ncursesw/'
	[data]='^(ncurses|curses|libfyaml)\.h$|^(curl|ncursesw)/'
	[tui]='^(sqlite3|libfyaml)\.h$|^curl/'
	[sim]='^(sqlite3|ncurses|curses)\.h$|^(curl|ncursesw)/'
	[app]=''
)
# Symbol prefixes refused per layer's library.
declare -A NO_SYM=(
	[core]='' # check-purity.sh
	[net]='^sqlite3_'
	[probes]='^sqlite3_'
	[data]='^curl_'
	[tui]='^(sqlite3|curl)_'
	[sim]='^(sqlite3|curl)_'
	[app]=''
)

bad=0
nfiles=0
nincs=0
fail() {
	echo "  $1"
	bad=$((bad + 1))
}

echo "layers: includes"
for layer in "${LAYERS[@]}"; do
	dir="$ROOT/$layer"
	[[ -d "$dir" ]] || continue
	mapfile -t files < <(find "$dir" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) | sort)
	((${#files[@]})) || continue
	nfiles=$((nfiles + ${#files[@]}))
	# "file line kind path" for every #include line of the layer
	while read -r rel line kind path; do
		nincs=$((nincs + 1))
		if [[ $kind == '"' ]]; then
			ok=0
			for u in ${USES[$layer]}; do
				if [[ $u == */*.h ]]; then
					[[ $path == "$u" ]] && ok=1
				elif [[ $path == "$u"/* ]]; then
					ok=1
				fi
			done
			((ok)) || fail "$rel:$line: #include \"$path\": ${RULE[$layer]}"
		elif [[ -n ${NO_SYS[$layer]} ]] && [[ $path =~ ${NO_SYS[$layer]} ]]; then
			fail "$rel:$line: #include <$path>: not in $layer/ (see the table in scripts/check-layers.sh; ${RULE[$layer]})"
		fi
	done < <(cd "$ROOT" && awk '
		match($0, /^[ \t]*#[ \t]*include[ \t]*["<][^">]+[">]/) {
			s = substr($0, RSTART, RLENGTH)
			sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
			k = substr(s, 1, 1)
			p = substr(s, 2, length(s) - 2)
			print FILENAME, FNR, (k == "\"" ? "\"" : "<"), p
		}' "${files[@]#"$ROOT"/}")
done

if [[ -n "$BUILD" ]]; then
	echo "layers: symbols ($BUILD)"
	T=$(mktemp -d)
	trap 'rm -rf "$T"' EXIT
	for layer in "${LAYERS[@]}"; do
		lib="$BUILD/libvigil_$layer.a"
		if [[ ! -f "$lib" ]]; then
			fail "$lib: missing (build first)"
			continue
		fi
		# global definitions, per object too (sim may use core's vgerr.c.o only)
		nm -A --defined-only --format=posix "$lib" 2>/dev/null |
			awk '$3 ~ /^[TDBRVWCGSi]$/ {print $2}' | sort -u >"$T/def.$layer"
		nm -A --defined-only --format=posix "$lib" 2>/dev/null |
			awk '$3 ~ /^[TDBRVWCGSi]$/ {o = $1; sub(/:$/, "", o); print $2, o}' \
				>"$T/defobj.$layer"
		nm -A -u --format=posix "$lib" 2>/dev/null |
			awk '{o = $1; sub(/:$/, "", o); print $2, o}' | sort -u >"$T/use.$layer"
		comm -23 <(cut -d' ' -f1 "$T/use.$layer" | sort -u) "$T/def.$layer" >"$T/undef.$layer"
	done
	# "object symbol what" for every refused use, then one line per object
	: >"$T/bad"
	for layer in "${LAYERS[@]}"; do
		[[ -f "$T/undef.$layer" ]] || continue
		for other in "${LAYERS[@]}"; do
			[[ $other != "$layer" && -f "$T/def.$other" ]] || continue
			mapfile -t hits < <(comm -12 "$T/undef.$layer" "$T/def.$other")
			((${#hits[@]})) || continue
			allowed=0
			for u in ${USES[$layer]}; do
				[[ $u == "$other" ]] && allowed=1
			done
			for s in "${hits[@]}"; do
				if [[ $layer == sim && $other == core ]]; then
					# sim may use core's error codes only
					grep -qE "^$s .*\[vgerr\.c\.o\]$" "$T/defobj.core" && continue
				elif ((allowed)); then
					continue
				fi
				awk -v s="$s" -v w="uses libvigil_$other.a: ${RULE[$layer]}" \
					'$1 == s {print $2 "\t" s "\t" w}' "$T/use.$layer" >>"$T/bad"
			done
		done
		if [[ -n ${NO_SYM[$layer]} ]]; then
			while read -r s; do
				awk -v s="$s" -v w="calls a foreign library refused in $layer/ (${RULE[$layer]})" \
					'$1 == s {print $2 "\t" s "\t" w}' "$T/use.$layer" >>"$T/bad"
			done < <(grep -E "${NO_SYM[$layer]}" "$T/undef.$layer" || true)
		fi
	done
	while IFS=$'\t' read -r obj syms what; do
		fail "${obj##*/}: $what: $syms"
	done < <(sort "$T/bad" | awk -F'\t' '
		{ k = $1 "\t" $3; if (k in m) m[k] = m[k] ", " $2; else { m[k] = $2; o[++n] = k } }
		END { for (i = 1; i <= n; i++) { split(o[i], a, "\t"); print a[1] "\t" m[o[i]] "\t" a[2] } }')
else
	echo "layers: symbols not checked (no BUILD_DIR given)"
fi

if ((bad)); then
	echo "layers: $bad violation(s) of the layer rule (docs/architecture.md; table in scripts/check-layers.sh)"
	exit 1
fi
echo "layers: ok ($nfiles files, $nincs includes${BUILD:+, symbols of ${#LAYERS[@]} libraries})"
