#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - the packages fwd needs, in groups, and a check of the build's.
#
#   scripts/deps.sh [GROUP...]   install what is missing of the groups
#                                (default: build test); root only
#   scripts/deps.sh --check      say which library, tool or libbpf version
#                                (the Makefile's LIBBPF_MIN) the build
#                                lacks; exit 1 if any (no root)
#
# Groups: build, test, bench, lint, pkg. Idempotent and silent when all is
# there: one dpkg query, apt-get only for what is absent.
set -eu

# What the build links and runs, as it would be found: by pkg-config and
# $PATH, whatever installed it. A library without a .pc (the Makefile then
# links it by its -l flag) counts if the compiler finds its header.
declare -A header=(
	[libbpf]=bpf/libbpf.h [zlib]=zlib.h [libmnl]=libmnl/libmnl.h
	[libcjson]=cjson/cJSON.h [libmicrohttpd]=microhttpd.h
	[libsystemd]=systemd/sd-daemon.h [libcurl]=curl/curl.h
	[sqlite3]=sqlite3.h
)
check() {
	local m t v='' min missing=()

	min=$(sed -n 's/^LIBBPF_MIN := *//p' "$(dirname "$0")/../Makefile")
	for t in make cc clang bpftool pkg-config; do
		command -v "$t" >/dev/null || missing+=("tool $t")
	done
	command -v cc >/dev/null || { report "${missing[@]}"; return; }
	pkg-config --exists "${!header[@]}" 2>/dev/null ||
		for m in "${!header[@]}"; do
			pkg-config --exists "$m" 2>/dev/null ||
				printf '#include <%s>\n' "${header[$m]}" |
				cc -E -x c - >/dev/null 2>&1 ||
				missing+=("$m (no .pc, no ${header[$m]})")
		done
	if pkg-config --exists libbpf 2>/dev/null; then
		pkg-config --atleast-version "$min" libbpf ||
			v=$(pkg-config --modversion libbpf)
	else
		v=$(printf '#include <bpf/libbpf_version.h>\n%s\n' \
			'LIBBPF_MAJOR_VERSION.LIBBPF_MINOR_VERSION' |
			cc -E -P -x c - 2>/dev/null | tail -n1 | tr -d ' ') || v=
		[ "$(printf '%s\n' "$min" "$v" | sort -V | head -n1)" = "$min" ] && v=
	fi
	report "${missing[@]}" || return
	[ -z "$v" ] && return
	echo "deps: libbpf $v is older than $min, which fwd needs;" \
		"install a newer libbpf-dev" >&2
	return 1
}

report() {
	local m

	[ $# -eq 0 ] && return 0
	printf -v m '%s, ' "$@"
	echo "deps: missing ${m%, }; \`make deps\` installs them (as root)" >&2
	return 1
}

if [ "${1:-}" = --check ]; then
	check
	exit
fi

# The fuzzer's runtime (clang -fsanitize=fuzzer) is packaged per clang
# major version: the installed clang's, or, before clang is installed, the
# one Debian's clang package brings (libclang-rt-dev follows it).
clang_rt() {
	local v

	v=$(${CLANG:-clang} -dumpversion 2>/dev/null) &&
		echo "libclang-rt-${v%%.*}-dev" || echo libclang-rt-dev
}

declare -A group=(
	[build]="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev
		 zlib1g-dev libmnl-dev libcjson-dev libmicrohttpd-dev
		 libcurl4-openssl-dev libsystemd-dev libsqlite3-dev"
	[test]="libcmocka-dev $(clang_rt) iproute2 iputils-ping tcpdump
		ethtool curl jq procps psmisc util-linux kmod strace man-db
		systemd scdoc nftables sqlite3 frr prometheus tmux"
	[bench]="wrk gnuplot-nox"
	[lint]="clang-format clang-tidy cppcheck shellcheck"
	[pkg]="rpm scdoc systemd dpkg-dev"
)

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

declare -A have=()
while read -r p st; do
	[ "$st" = "install ok installed" ] && have[$p]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
missing=()
for p in "${pkgs[@]}"; do
	[ -n "${have[$p]:-}" ] || missing+=("$p")
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
