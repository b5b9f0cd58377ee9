#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lab.sh - the original's three-VM experiment rebuilt with network
# namespaces, so that `make demo` and the e2e tests can replay it on one
# machine without touching the host's network.
#
#   node A  forwarder  enp0s3 10.10.2.4  enp0s8 192.168.56.4    enp0s9 10.10.3.6
#   node B  client     enp0s3 10.10.2.7  enp0s8 192.168.56.103
#   node C  server     enp0s3 10.10.2.6  enp0s8 192.168.56.102  enp0s9 10.10.3.5
#   gw      10.10.2.1 and 10.10.3.1, both 52:54:00:12:35:00, not routing
#
# Every node interface is one end of a veth pair whose other end sits on a
# bridge (one per segment) in a switch namespace, so the three segments
# behave like the original's VirtualBox networks. Each interface carries the
# original's name, address and MAC; A's interfaces are created in the
# original's order so that enp0s9 is ifindex 4, the "iface": "4" of the
# original's UpdateForward request.
#
# usage: lab.sh up | down | status | exec NODE CMD... |
#               fwd-start [FWD-ARG...] | fwd-stop | counters
#   NODE is A, B, C, gw or sw (the switch).
#   fwd-start runs build/fwd in A on enp0s3 and enp0s9 with its API on
#   192.168.56.4:5555 behind a token and on the control socket
#   LAB_DIR/fwd.sock, a bpffs and state database of the lab's own;
#   fwd-stop stops it (SIGTERM: fwd detaches and unpins).
#   counters prints the XDP program's counters, read from its own map.
#   up also sets B's and C's default routes via 10.10.2.1 (C's second,
#   metric 102, via 10.10.3.1), ip_forward=1 in A only, no IPv6.
#
# env: LAB_PREFIX (default "fwdlab-") prefixes every namespace name, so two
#      labs, or a lab and the tests, never collide; LAB_DIR (default
#      /run/<prefix>) holds the lab's bpffs mount, token, state and logs;
#      FWD / FWDCTL override the binaries (default build/fwd, build/fwdctl).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
P=${LAB_PREFIX:-fwdlab-}
LAB_DIR=${LAB_DIR:-/run/${P%-}}
FWD=${FWD:-$top/build/fwd}
FWDCTL=${FWDCTL:-$top/build/fwdctl}
SW=${P}sw
NODES="A B C gw"
API=192.168.56.4:5555

# node  iface  ifindex  bridge  MAC  address -- in creation order
LINKS="
A  enp0s3 2 br2  08:00:27:f0:1e:41 10.10.2.4/24
A  enp0s8 3 br56 08:00:27:f3:81:0e 192.168.56.4/24
A  enp0s9 4 br3  08:00:27:13:df:b6 10.10.3.6/24
B  enp0s3 2 br2  08:00:27:3b:8d:be 10.10.2.7/24
B  enp0s8 3 br56 08:00:27:66:a9:e8 192.168.56.103/24
C  enp0s3 2 br2  08:00:27:99:cf:ce 10.10.2.6/24
C  enp0s8 3 br56 08:00:27:ac:af:9f 192.168.56.102/24
C  enp0s9 4 br3  08:00:27:f2:cb:f9 10.10.3.5/24
gw net2   2 br2  52:54:00:12:35:00 10.10.2.1/24
gw net3   3 br3  52:54:00:12:35:00 10.10.3.1/24
"

die() {
	echo "lab: $*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
}

ns_of() {
	case $1 in
	A | B | C | gw | sw) echo "$P$1" ;;
	GW) echo "${P}gw" ;;
	SW) echo "$SW" ;;
	*) die "unknown node '$1' (A, B, C, gw, sw)" ;;
	esac
}

ns_exists() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"
}

lab_exists() {
	local n
	for n in $NODES sw; do
		ns_exists "$P$n" && return 0
	done
	mountpoint -q "$LAB_DIR/bpffs" 2>/dev/null
}

# Sysctls every namespace gets before its interfaces exist, so that the
# interfaces inherit them through conf.default: no IPv6 (router
# solicitations and MLD would only add noise to captures and counters), no
# reverse-path filter whatever the host's default is (C receives requests
# on enp0s9 while its best route back is enp0s3, as in the original).
ns_setup() {
	local ns=$1 fwd=$2
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw \
		net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.ip_forward="$fwd"
}

fail_point() {
	# Test hook: make `up` fail at a given step, to prove it cleans up.
	if [ "${LAB_FAIL_AT:-}" = "$1" ]; then
		die "failing at '$1' as LAB_FAIL_AT asks"
	fi
}

up_failed() {
	[ "$1" -eq 0 ] && return
	echo "lab: up failed, removing what was made" >&2
	lab_down >/dev/null 2>&1 || true
}

lab_up() {
	local node ifc idx br mac addr ns peer got
	need_root
	lab_exists && die "a lab with prefix '$P' exists already: run '$0 down' first"

	trap 'up_failed $?' EXIT

	mkdir -p "$LAB_DIR"
	chmod 0700 "$LAB_DIR"

	ns_setup "$SW" 0
	for br in br2 br3 br56; do
		# No STP and no forward delay: ports forward the moment they
		# are up, like the original's virtual networks.
		ip -n "$SW" link add "$br" type bridge stp_state 0 \
			forward_delay 0 mcast_snooping 0
		ip -n "$SW" link set "$br" up
	done
	fail_point switch

	for node in $NODES; do
		if [ "$node" = A ]; then
			ns_setup "$P$node" 1
		else
			ns_setup "$P$node" 0
		fi
	done
	fail_point nodes

	while read -r node ifc idx br mac addr; do
		[ -n "$node" ] || continue
		ns=$P$node
		peer=$node-$ifc
		ip -n "$ns" link add name "$ifc" index "$idx" address "$mac" \
			type veth peer name "$peer" netns "$SW"
		got=$(ip -n "$ns" -j link show dev "$ifc" | jq '.[0].ifindex')
		[ "$got" = "$idx" ] || die "$node $ifc is ifindex $got, not $idx"
		ip -n "$SW" link set "$peer" master "$br" up
		ip -n "$ns" addr add "$addr" dev "$ifc"
		ip -n "$ns" link set "$ifc" up
	done <<<"$LINKS"
	fail_point links

	# Frames that A's XDP program redirects into a veth are received by
	# the peer's NAPI instance; a veth peer without XDP has NAPI only
	# when GRO is on, and without it the redirected frames are dropped
	# silently (visible only in `ethtool -S`).
	for peer in A-enp0s3 A-enp0s9; do
		ip netns exec "$SW" ethtool -K "$peer" gro on
		ip netns exec "$SW" ethtool -k "$peer" |
			grep -q '^generic-receive-offload: on' ||
			die "cannot turn GRO on for $peer"
	done

	# The original's routes: B and C default to the gateway 10.10.2.1;
	# C also has the higher-metric default through 10.10.3.1 that takes
	# over when its enp0s3 goes down.
	ip -n "${P}B" route add default via 10.10.2.1 dev enp0s3 metric 100
	ip -n "${P}C" route add default via 10.10.2.1 dev enp0s3 metric 100
	ip -n "${P}C" route add default via 10.10.3.1 dev enp0s9 metric 102
	fail_point routes

	# A bpffs of the lab's own: fwd pins hfwd there, never in the
	# host's /sys/fs/bpf (which `ip netns exec` would hide anyway, as it
	# remounts /sys for the namespace).
	mkdir -p "$LAB_DIR/bpffs" "$LAB_DIR/bin"
	mount -t bpf bpf "$LAB_DIR/bpffs"
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
		>"$LAB_DIR/token")
	# fwdctl inside the lab talks to the lab's fwd without flags, over
	# its control socket (the lab's, not the host's /run/fwd).
	cat >"$LAB_DIR/bin/fwdctl" <<EOF
#!/bin/sh
exec "$FWDCTL" --socket "$LAB_DIR/fwd.sock" "\$@"
EOF
	chmod 0755 "$LAB_DIR/bin/fwdctl"
	fail_point files

	trap - EXIT
	echo "lab: up (prefix '$P', files in $LAB_DIR)"
}

fwd_pid() {
	local pid
	[ -f "$LAB_DIR/fwd.pid" ] || return 1
	pid=$(cat "$LAB_DIR/fwd.pid")
	# Guard against a recycled pid: it must still be fwd.
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = fwd ] ||
		return 1
	echo "$pid"
}

fwd_stop() {
	local pid i
	pid=$(fwd_pid) || {
		rm -f "$LAB_DIR/fwd.pid"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "lab: fwd ($pid) ignored SIGTERM for 5 s, killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$LAB_DIR/fwd.pid"
	echo "lab: fwd stopped"
}

api_ready() {
	ip netns exec "${P}A" curl -s -m 1 -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $(cat "$LAB_DIR/token")" \
		-d '{"action":"QueryStats"}' "http://$API/" 2>/dev/null |
		grep -qx 200
}

fwd_start() {
	local i pid
	need_root
	ns_exists "${P}A" || die "no lab with prefix '$P': run '$0 up' first"
	[ -x "$FWD" ] || die "$FWD is not built (make all)"
	fwd_pid >/dev/null && die "fwd is already running in the lab"
	# setsid: fwd outlives the shell (and terminal) of `make demo`. The
	# shell records its own pid and execs fwd, so the pid file is fwd's.
	# shellcheck disable=SC2016 # expanded by that inner shell
	ip netns exec "${P}A" setsid -f sh -c 'echo $$ >"$1"; shift; exec "$@"' \
		sh "$LAB_DIR/fwd.pid" "$FWD" --iface enp0s3 --iface enp0s9 \
		--control "$LAB_DIR/fwd.sock" \
		--listen "$API" --token-file "$LAB_DIR/token" \
		--bpffs "$LAB_DIR/bpffs" --state "$LAB_DIR/fwd.db" "$@" \
		</dev/null >"$LAB_DIR/fwd.log" 2>&1
	for i in $(seq 100); do
		if [ -s "$LAB_DIR/fwd.pid" ] && ! fwd_pid >/dev/null &&
			[ "$i" -gt 5 ]; then
			sed 's/^/  fwd: /' "$LAB_DIR/fwd.log" >&2
			die "fwd exited at start"
		fi
		if api_ready; then
			pid=$(fwd_pid)
			echo "lab: fwd running in A (pid $pid), API on $API"
			return 0
		fi
		sleep 0.1
	done
	sed 's/^/  fwd: /' "$LAB_DIR/fwd.log" >&2
	fwd_stop >/dev/null
	die "fwd's API did not answer on $API within 10 s"
}

lab_down() {
	local n
	need_root
	fwd_stop >/dev/null || true
	for n in $NODES sw; do
		if ns_exists "$P$n"; then
			ip netns del "$P$n"
		fi
	done
	if mountpoint -q "$LAB_DIR/bpffs" 2>/dev/null; then
		umount "$LAB_DIR/bpffs"
	fi
	rm -rf "$LAB_DIR"
	echo "lab: down (prefix '$P')"
}

lab_status() {
	local n ns pid
	for n in $NODES; do
		ns=$P$n
		if ! ns_exists "$ns"; then
			echo "$n: (no namespace $ns)"
			continue
		fi
		echo "$n ($ns):"
		ip -n "$ns" -br addr show | grep -v '^lo ' | sed 's/^/  /'
		ip -n "$ns" route show | sed 's/^/  route: /'
		ip -n "$ns" -d link show | grep -o 'prog/xdp id [0-9]*' |
			sed 's/^/  xdp: /' || true
	done
	if pid=$(fwd_pid); then
		echo "fwd: running in A, pid $pid, API http://$API, log $LAB_DIR/fwd.log"
	else
		echo "fwd: not running"
	fi
}

# The data path's counters, read from the fwd_stats map of the program
# attached to A's enp0s3 (found from the attachment, not by name: other
# labs or tests may run fwd at the same time), summed over CPUs, in the
# order of kern/fwd.h. Independent of fwd's API, so tests can check it.
lab_counters() {
	local prog m id=""
	prog=$(ip -n "${P}A" -j -d link show enp0s3 |
		jq -e '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id') ||
		die "no XDP program on A's enp0s3"
	for m in $(bpftool prog show id "$prog" -j | jq '.map_ids[]'); do
		if [ "$(bpftool map show id "$m" -j | jq -r .name)" = fwd_stats ]; then
			id=$m
		fi
	done
	[ -n "$id" ] || die "program $prog has no fwd_stats map"
	# The enum's order is the map's layout; name each key by it.
	bpftool map dump id "$id" -j |
		jq -r '.[] | "\(.formatted.key) \([.formatted.values[].value.packets] | add)"' |
		sort -n | awk 'NR == FNR { name[NR - 1] = $1; next }
			{ print name[$1], $2 }' <(sed -n \
			's/.*X([A-Z0-9_]*, "\([a-z0-9_]*\)").*/\1/p' \
			"$top/kern/fwd.h") -
}

lab_exec() {
	local ns
	[ $# -ge 2 ] || die "usage: $0 exec NODE CMD..."
	ns=$(ns_of "$1")
	shift
	ns_exists "$ns" || die "no namespace $ns: run '$0 up' first"
	PATH=$LAB_DIR/bin:$top/build:$PATH exec ip netns exec "$ns" "$@"
}

case ${1:-} in
up) lab_up ;;
down) lab_down ;;
status) lab_status ;;
exec)
	shift
	lab_exec "$@"
	;;
fwd-start)
	shift
	fwd_start "$@"
	;;
fwd-stop) fwd_stop ;;
counters) lab_counters ;;
*)
	sed -n '/^# usage:/,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
