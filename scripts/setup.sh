#!/usr/bin/env bash
# setup.sh: install what vigil needs on Debian (idempotent: quick when all is
# there) and configure the build directories.
#
#   scripts/setup.sh            packages for building and running vigil
#   scripts/setup.sh --test     also the packages the test suite uses
set -euo pipefail

BUILD_PKGS=(build-essential cmake ninja-build pkg-config libncurses-dev libcurl4-openssl-dev
	libsqlite3-dev libjansson-dev libuv1-dev libfyaml-dev libcmocka-dev libjsmn-dev)
TEST_PKGS=(clang libclang-rt-14-dev clang-format tmux sqlite3 python3 prometheus
	prometheus-alertmanager nginx openssl curl util-linux procps jq)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then
	want+=("${TEST_PKGS[@]}")
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	SUDO=""
	if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# Daemons shipped by these packages must not start on install (policy-rc.d
	# says no); the tests start their own instances on free loopback ports.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
