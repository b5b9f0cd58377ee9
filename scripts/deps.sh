#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - the packages fwd needs, in groups, and a check of the build's.
#
#   scripts/deps.sh [GROUP...]   install what is missing of the groups
#                                (default: build test); root only
#   scripts/deps.sh --check      say which pkg-config module or tool the
#                                build lacks; exit 1 if any (no root)
#
# Groups: build, test, bench, lint, pkg. Idempotent and silent when all is
# there: one dpkg query, apt-get only for what is absent.
set -eu

declare -A group=(
	[build]="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev
		 zlib1g-dev libmnl-dev libcjson-dev libmicrohttpd-dev
		 libcurl4-openssl-dev libsystemd-dev libsqlite3-dev"
	[test]="libcmocka-dev libclang-rt-14-dev iproute2 iputils-ping tcpdump
		ethtool curl jq procps psmisc util-linux kmod strace man-db
		systemd scdoc nftables sqlite3 frr prometheus tmux"
	[bench]="wrk gnuplot-nox"
	[lint]="clang-format clang-tidy cppcheck shellcheck"
	[pkg]="rpm scdoc systemd dpkg-dev"
)

# What the build links and runs, as it would be found: by pkg-config and
# $PATH, whatever installed it.
check() {
	local m t missing=()

	for t in make cc clang bpftool pkg-config; do
		command -v "$t" >/dev/null || missing+=("tool $t")
	done
	if command -v pkg-config >/dev/null; then
		for m in libbpf libelf zlib libmnl libcjson libmicrohttpd \
			libsystemd libcurl sqlite3; do
			pkg-config --exists "$m" || missing+=("pkg-config module $m")
		done
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	printf -v m '%s, ' "${missing[@]}"
	echo "deps: missing ${m%, }; \`make deps\` installs them (as root)" >&2
	return 1
}

if [ "${1:-}" = --check ]; then
	check
	exit
fi

[ $# -gt 0 ] || set -- build test
pkgs=()
for g in "$@"; do
	[ -n "${group[$g]:-}" ] || {
		echo "deps: unknown group '$g' (build test bench lint pkg)" >&2
		exit 2
	}
	read -rd '' -a p <<<"${group[$g]}" || true	# all lines
	pkgs+=("${p[@]}")
done

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
# FRR is for the tests, which run it in namespaces of their own: its
# package must not start (nor, on a systemd host, enable) a routing daemon
# on this host. A policy-rc.d that refuses keeps invoke-rc.d from starting
# it while it installs.
new_frr=
if printf '%s\n' "${missing[@]}" | grep -qx frr; then
	new_frr=1
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ -n "$new_frr" ] && [ -d /run/systemd/system ]; then
	systemctl disable --quiet frr.service 2>/dev/null || true
fi
