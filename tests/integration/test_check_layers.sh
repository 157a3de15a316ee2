#!/usr/bin/env bash
# test_check_layers.sh: scripts/check-layers.sh on small planted trees: a
# tree that keeps the layer rule passes; each kind of forbidden include
# (a folder above, sim beyond core's error codes, a foreign library header)
# and each kind of forbidden symbol (tui calling SQLite, a library calling
# upward, sim using core beyond vgerr) fails, naming the file and the rule.
set -uo pipefail
SRC=${VIGIL_SOURCE_DIR:?}
CHECK="$SRC/scripts/check-layers.sh"
CC=${CC:-cc}
fails=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
T="$TMP/tree"

check() { # check WANT_STATUS DESCRIPTION [BUILD_DIR] -- expected output fragments...
	local want=$1 desc=$2 build=$3
	shift 4
	"$CHECK" --root "$T" $build >"$TMP/out" 2>&1
	local got=$?
	if [[ $got != "$want" ]]; then
		echo "FAIL: $desc: exit $got, expected $want"; cat "$TMP/out"; fails=$((fails + 1))
	fi
	for frag in "$@"; do
		grep -qF -- "$frag" "$TMP/out" || {
			echo "FAIL: $desc: no '$frag' in:"; cat "$TMP/out"; fails=$((fails + 1))
		}
	done
}

# A tree that keeps the rule: each layer includes what it may.
mkdir -p "$T"/{core,net,probes,data,tui,sim,app}
printf '#include <math.h>\n#include <jansson.h>\n' >"$T/core/model.h"
printf 'int vg_strerror_(int);\n' >"$T/core/vgerr.h"
printf '#include "core/model.h"\n#include <uv.h>\n#include <curl/curl.h>\n' >"$T/net/http.h"
printf '#include "net/http.h"\n#include "core/model.h"\n#include <curl/curl.h>\n' >"$T/probes/canary.c"
printf '#include "net/http.h"\n#include <sqlite3.h>\n' >"$T/data/store.c"
printf '#include "data/store.h"\n#include "core/model.h"\n#include <ncurses.h>\n' >"$T/tui/pane.c"
printf '#include "sim/sim.h"\n#include "core/vgerr.h"\n#include <libfyaml.h>\n#include <jansson.h>\n' >"$T/sim/sim.c"
printf '#include "tui/pane.h"\n#include "sim/sim.h"\n#include "probes/canary.h"\n#include <sqlite3.h>\n' >"$T/app/main.c"
check 0 "a clean tree" "" -- "layers: ok (8 files"

# Planted forbidden includes, one at a time (each removed again).
plant() { # plant FILE LINE...
	local f=$1
	shift
	printf '%s\n' "/* planted */" "$@" >"$T/$f"
}
plant core/bad.c '#include "net/http.h"'
check 1 "core includes net" "" -- "core/bad.c:2: #include \"net/http.h\": core -> nothing of the shell"
rm "$T/core/bad.c"
plant data/bad.c '#include "probes/canary.h"'
check 1 "data includes probes" "" -- "data/bad.c:2:" "data -> core, net"
rm "$T/data/bad.c"
plant tui/bad.h '#include "core/model.h"' '#include "app/config.h"'
check 1 "tui includes app" "" -- "tui/bad.h:3:" "tui -> core, data"
rm "$T/tui/bad.h"
plant sim/bad.c '#include "core/vgerr.h"' '# include "core/model.h"'
check 1 "sim beyond core's error codes" "" -- "sim/bad.c:3:" "core's error codes only"
rm "$T/sim/bad.c"
plant tui/bad.c '#include <sqlite3.h>'
check 1 "tui includes sqlite3.h" "" -- "tui/bad.c:2: #include <sqlite3.h>"
rm "$T/tui/bad.c"
plant data/bad.c '#include <curl/curl.h>'
check 1 "data includes libcurl" "" -- "data/bad.c:2: #include <curl/curl.h>"
rm "$T/data/bad.c"
plant core/bad.h '#include <uv.h>'
check 1 "core includes libuv" "" -- "core/bad.h:2: #include <uv.h>"
rm "$T/core/bad.h"
plant net/bad.c '#include <ncurses.h>'
check 1 "net includes ncurses" "" -- "net/bad.c:2: #include <ncurses.h>"
rm "$T/net/bad.c"
check 0 "clean again" "" -- "layers: ok"

# Symbols: one small library per layer, as CMake names them.
B="$TMP/build"
mkdir -p "$B/obj"
lib() { # lib LAYER OBJNAME C-SOURCE (each object is compiled once)
	if [[ ! -f "$B/obj/$2.c.o" ]]; then
		printf '%s\n' "$3" >"$B/obj/$2.c"
		"$CC" -c -o "$B/obj/$2.c.o" "$B/obj/$2.c" || { echo "FAIL: cc $2"; fails=$((fails + 1)); }
	fi
	ar rcs "$B/libvigil_$1.a" "$B/obj/$2.c.o"
}
build_clean() {
	rm -f "$B"/libvigil_*.a
	lib core vgerr 'int vg_strerror(int e) { return -e; }'
	lib core model 'int model_parse(int x) { return x + 1; }'
	lib net http 'int vg_strerror(int); int http_request(int x) { return vg_strerror(x); }'
	lib probes canary 'int http_request(int); int model_parse(int); int canary_start(int x) { return http_request(model_parse(x)); }'
	lib data store 'int http_request(int); int sqlite3_open(const char *, void **); int store_open(int x) { void *d; return http_request(x) + sqlite3_open("", &d); }'
	lib tui pane 'int store_open(int); int model_parse(int); int pane_draw(int x) { return store_open(model_parse(x)); }'
	lib sim sim 'int vg_strerror(int); int sim_start(int x) { return vg_strerror(x); }'
	lib app main 'int pane_draw(int); int sim_start(int); int canary_start(int); int app_main(int x) { return pane_draw(x) + sim_start(x) + canary_start(x); }'
}
build_clean
check 0 "clean libraries" "$B" -- "symbols of 7 libraries"
lib tui snapshot_db 'int sqlite3_step(void *); int snap(void *s) { return sqlite3_step(s); }'
check 1 "tui calls SQLite" "$B" -- "libvigil_tui.a[snapshot_db.c.o]: calls a foreign library refused in tui/" "sqlite3_step"
build_clean
lib data upward 'int app_main(int); int up(int x) { return app_main(x); }'
check 1 "data calls app" "$B" -- "libvigil_data.a[upward.c.o]: uses libvigil_app.a: data -> core, net: app_main"
build_clean
lib sim scenario 'int model_parse(int); int scn(int x) { return model_parse(x); }'
check 1 "sim uses core beyond vgerr" "$B" -- "libvigil_sim.a[scenario.c.o]: uses libvigil_core.a" "model_parse"
build_clean
lib net curlish 'int sqlite3_close(void *); int n(void *d) { return sqlite3_close(d); }'
check 1 "net calls SQLite" "$B" -- "libvigil_net.a[curlish.c.o]" "sqlite3_close"
build_clean
rm "$B/libvigil_probes.a"
check 1 "a missing library" "$B" -- "libvigil_probes.a: missing"

if ((fails)); then
	echo "$fails failure(s)"
	exit 1
fi
echo "check-layers: all cases behave"
