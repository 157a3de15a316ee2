#!/usr/bin/env bash
# dev.sh: the two commands of the README, and the pieces CI uses.
#
#   scripts/dev.sh demo [args]  install, build, run the main job (vigil demo; without a
#                               terminal: headless for 60 s unless --duration is given)
#   scripts/dev.sh test         install, build, run the whole suite (what CI runs):
#                               gcc build + every CTest label, clang ASan/UBSan
#                               build + unit and integration labels, core purity,
#                               layer check, format check, fuzz corpus replay +
#                               short fuzzing
#   scripts/dev.sh build        install and build (gcc) only
#
# Each stage prints how many seconds it took.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc)
STAGE_START=0
TOTAL_START=$(date +%s)

stage() {
	STAGE_START=$(date +%s)
	echo "== $1"
}
stage_done() {
	echo "== $1: $(($(date +%s) - STAGE_START)) s"
}

build_gcc() {
	cmake -S . -B build/gcc -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc >/dev/null
	cmake --build build/gcc -j "$JOBS"
}

build_asan() {
	cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DCMAKE_CXX_COMPILER=clang++ -DVIGIL_SANITIZE=ON >/dev/null
	cmake --build build/asan -j "$JOBS"
}

build_fuzz() {
	cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DCMAKE_CXX_COMPILER=clang++ -DVIGIL_FUZZ=ON -DVIGIL_TESTS=OFF >/dev/null
	cmake --build build/fuzz -j "$JOBS"
}

cmd=${1:-}
shift || true
case "$cmd" in
demo)
	"$ROOT/scripts/setup.sh"
	build_gcc >/dev/null
	# On a terminal: the console (q quits). Without one (CI, a pipe): vigil
	# demo is headless by itself and ends; give it a duration unless one
	# was asked for, so that a script never waits for the whole scenario.
	if [[ -t 0 && -t 1 ]] || [[ " $* " == *" --duration "* ]]; then
		exec "$ROOT/build/gcc/vigil" demo "$@"
	fi
	exec "$ROOT/build/gcc/vigil" demo --duration 60s "$@"
	;;
build)
	"$ROOT/scripts/setup.sh"
	build_gcc
	;;
test)
	stage "install packages"
	"$ROOT/scripts/setup.sh" --test
	stage_done "install packages"

	stage "build (gcc, -Werror)"
	build_gcc
	stage_done "build (gcc, -Werror)"

	stage "format check"
	"$ROOT/scripts/check-format.sh"
	stage_done "format check"

	stage "core purity check"
	"$ROOT/scripts/check-purity.sh" build/gcc/libvigil_core.a
	stage_done "core purity check"

	stage "layer check"
	"$ROOT/scripts/check-layers.sh" build/gcc
	stage_done "layer check"

	stage "tests (gcc): unit, integration, e2e, soak"
	ctest --test-dir build/gcc --output-on-failure -j "$JOBS" --timeout 1800
	stage_done "tests (gcc): unit, integration, e2e, soak"

	stage "build (clang, ASan + UBSan)"
	build_asan
	stage_done "build (clang, ASan + UBSan)"

	stage "tests (ASan + UBSan): unit, integration"
	ctest --test-dir build/asan --output-on-failure -j "$JOBS" -L 'unit|integration' --timeout 1800
	stage_done "tests (ASan + UBSan): unit, integration"

	stage "fuzz: build, replay corpus, fuzz briefly"
	build_fuzz
	"$ROOT/scripts/fuzz.sh" build/fuzz "${VIGIL_FUZZ_SECONDS:-20}"
	stage_done "fuzz: build, replay corpus, fuzz briefly"

	echo "== all stages passed in $(($(date +%s) - TOTAL_START)) s"
	;;
*)
	echo "usage: scripts/dev.sh demo|test|build" >&2
	exit 2
	;;
esac
