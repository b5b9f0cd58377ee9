#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_offload.sh - checksums left for offload. A veth's sender leaves the
# TCP and UDP checksum of what its own sockets send to the device
# (CHECKSUM_PARTIAL: the field holds the pseudo-header's sum), and a veth
# hands native XDP those bytes without the skb that says so: forwarded as
# they are, the receiver drops them as corrupt. fwd must hand them to the
# kernel, which completes the checksum, and keep the fast path for what
# arrives complete. Both families, UDP and TCP, from real sockets in h1 to
# h2, whose stack checks every checksum it receives. Generic XDP keeps the
# skb, so there the fast path keeps them too.
#
#   h1 p1 (tx offload on) --- m1  r  m2 --- p2 h2
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="ethtool"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500
router_ipv6

# offload on|off: h1's checksum offload, which a veth has on by default
offload() { ip netns exec h1 ethtool -K p1 tx "$1" >/dev/null; }
# csum_errors FAMILY: h2's checksum errors, UDP and TCP, summed
csum_errors() {
	if [ "$1" = 6 ]; then
		echo $(($(snmp h2 Udp6:InCsumErrors) + $(snmp h2 Tcp:InCsumErrors)))
	else
		echo $(($(snmp h2 Udp:InCsumErrors) + $(snmp h2 Tcp:InCsumErrors)))
	fi
}
# noports FAMILY: datagrams h2 received whole for a port nobody holds
noports() { if [ "$1" = 6 ]; then snmp h2 Udp6:NoPorts; else snmp h2 Udp:NoPorts; fi; }
# fast FAMILY: what arrived on m1 and took the table path (h2's ICMP
# answers come back by m2)
fast() {
	"$fwdctl" --socket $sock --json stats | jq ".Interfaces[] |
		select(.Name == \"m1\") | .Rx.fwd_table$([ "$1" = 6 ] && echo 6).packets"
}
to() { if [ "$1" = 6 ]; then echo 2001:db8:2::2; else echo 10.2.0.2; fi; }
# noports_reach FAMILY N: h2 has counted N (5 s at most)
noports_at() { [ "$(noports "$1")" -ge "$2" ]; }
noports_reach() { wait_until 5 noports_at "$1" "$2" || true; }

test_fwd_starts_and_knows_its_veths() {
	FWD_READY="ready in" start_fwd "$tmp/fwd.log" ||
		tap_bail "fwd starts on m1 and m2"
	check "the log says m1 is a veth whose partial checksums go to the kernel" \
		grep -q "interface m1 (.*veth: checksums left for offload go to the kernel" \
		"$tmp/fwd.log"
}

# udp5 FAMILY: 5 datagrams h1 -> h2, to a port nobody holds (h2 counts
# NoPorts only for a datagram whose checksum it verified); sets d_noports,
# d_errors, d_partial, d_fast to what each counter moved by, and $moved
udp5() {
	local fam=$1 p0 e0 n0 t0
	p0=$(cnt pass_csum_partial) e0=$(csum_errors "$fam")
	n0=$(noports "$fam") t0=$(fast "$fam")
	send_udp h1 "$(to "$fam")" 5
	noports_reach "$fam" $((n0 + 5))
	d_noports=$(($(noports "$fam") - n0))
	d_errors=$(($(csum_errors "$fam") - e0))
	d_partial=$(($(cnt pass_csum_partial) - p0))
	d_fast=$(($(fast "$fam") - t0))
	moved="IPv$fam: NoPorts +$d_noports, checksum errors +$d_errors, pass_csum_partial +$d_partial, fast +$d_fast"
}

# offload on: the kernel forwards them, whole; not fwd's fast path
udp_partial() {
	offload on
	udp5 "$1"
	t_result "$([ "$d_noports" -eq 5 ] && [ "$d_errors" -eq 0 ] &&
			[ "$d_partial" -eq 5 ] && [ "$d_fast" -eq 0 ]; echo $?)" \
		"IPv$1 UDP with offload: h2 gets 5 whole, by the kernel" "$moved"
}
test_ipv4_udp_left_for_offload_reaches_h2_whole() { udp_partial 4; }
test_ipv6_udp_left_for_offload_reaches_h2_whole() { udp_partial 6; }

# a SYN to a closed port: refused (h2 verified it and sent a RST), not a
# timeout (h2 dropped it as corrupt)
tcp_partial() {
	local fam=$1 p0 e0 out
	offload on
	p0=$(cnt pass_csum_partial) e0=$(csum_errors "$fam")
	out=$(ip netns exec h1 timeout 3 bash -c \
		"exec 3<>/dev/tcp/$(to "$fam")/9" 2>&1 || true)
	t_result "$(echo "$out" | grep -q refused &&
			[ "$(csum_errors "$fam")" -eq "$e0" ] &&
			[ "$(($(cnt pass_csum_partial) - p0))" -ge 1 ]; echo $?)" \
		"IPv$fam TCP SYN with offload: refused by h2, not dropped as corrupt" \
		"connect: '$out'" \
		"checksum errors $e0 -> $(csum_errors "$fam"), pass_csum_partial $p0 -> $(cnt pass_csum_partial)"
}
test_ipv4_tcp_left_for_offload_is_answered() { tcp_partial 4; }
test_ipv6_tcp_left_for_offload_is_answered() { tcp_partial 6; }

# offload off: complete checksums, the fast path, nothing for the kernel
udp_complete() {
	offload off
	udp5 "$1"
	t_result "$([ "$d_noports" -eq 5 ] && [ "$d_partial" -eq 0 ] &&
			[ "$d_fast" -ge 5 ]; echo $?)" \
		"IPv$1 UDP with checksums complete: the fast path, h2 gets 5" "$moved"
}
test_ipv4_udp_complete_takes_the_fast_path() { udp_complete 4; }
test_ipv6_udp_complete_takes_the_fast_path() { udp_complete 6; }

# generic XDP redirects the skb itself, its CHECKSUM_PARTIAL with it: the
# fast path keeps such datagrams, and h2 gets them whole
test_generic_mode_forwards_checksums_left_for_offload() {
	local fam ok_all=0 diag=()
	stop_fwd
	FWD_READY="ready in" start_fwd "$tmp/fwd-generic.log" --xdp-mode generic ||
		tap_bail "fwd starts in generic mode"
	offload on
	for fam in 4 6; do
		udp5 "$fam"
		[ "$d_noports" -eq 5 ] && [ "$d_errors" -eq 0 ] &&
			[ "$d_partial" -eq 0 ] && [ "$d_fast" -eq 5 ] || ok_all=1
		diag+=("$moved")
	done
	t_result "$ok_all" \
		"generic mode: UDP with offload takes the fast path, h2 gets it whole" \
		"${diag[@]}"
}

run_tests
