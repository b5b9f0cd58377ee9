#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install the build and test dependencies that are missing.
# Idempotent and silent when everything is there: one dpkg query, and
# apt-get only for what is absent.
set -eu

pkgs=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libmnl-dev libcjson-dev libmicrohttpd-dev libcurl4-openssl-dev
	libsystemd-dev
	# test
	libcmocka-dev libclang-rt-14-dev iproute2 iputils-ping tcpdump ethtool
	curl jq procps psmisc util-linux kmod strace man-db
	# lint, bench, packaging
	clang-format clang-tidy cppcheck shellcheck wrk gnuplot-nox rpm scdoc
	systemd dpkg-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
