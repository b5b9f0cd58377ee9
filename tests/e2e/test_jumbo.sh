#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_jumbo.sh - fwd manages interfaces with a 9000-byte MTU in native
# mode and forwards 8000-byte packets through XDP as the kernel would, byte
# for byte; --xdp-mode auto falls back to generic when the driver refuses a
# program, native stays strict.
#
# Topology (run under tests/isolate.sh; this shell's namespace is the
# router running build/fwd), every link MTU 9000:
#   h1 p1 10.1.0.2/24 --- m1 10.1.0.1/24  r  m2 10.2.0.1/24 --- p2 10.2.0.2 h2
#
# Fixture: one topology; each test starts the daemon it needs, the first
# two share one (native), the last two one (auto, on a program without
# xdp.frags that the third builds).
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="tcpdump clang"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

MTU=9000
SIZE=8000 # IPv4 bytes of each packet sent
router_topology $MTU

xdp_mode() { ip -j -d link show "$1" | jq -r '.[0].xdp.mode // 0'; }

# cap NS IF TAG: capture whole ICMP echo requests, into $tmp/TAG.pcap.
cap() { capture_start "$3" "$1" "$2" -s 0 'icmp[icmptype] == icmp-echo'; }
hexmac() { echo "${1//:/}"; }

# --- native, MTU 9000 --------------------------------------------------
test_mtu_9000_veths_are_managed_in_native_mode() {
	if start_fwd "$tmp/fwd.log" --xdp-mode native &&
		[ "$(xdp_mode m1)" = 1 ] && [ "$(xdp_mode m2)" = 1 ]; then
		ok "MTU $MTU veths managed in native mode"
	else
		tap_bail "MTU $MTU veths managed in native mode" \
			"m1 mode $(xdp_mode m1), m2 mode $(xdp_mode m2)" \
			"$(tail -4 "$tmp/fwd.log")"
	fi
}

test_jumbo_packets_are_fast_pathed() {
	local i pkts0 bytes0 kfwd0 pkts1 bytes1 kfwd1
	for ((i = 0; i < 150; i++)); do
		[ "$(bpftool map dump pinned $bpffs/hfwd -j | jq length)" -ge 2 ] && break
		sleep 0.02
	done
	cap h1 p1 sent
	cap h2 p2 got
	pkts0=$(cnt fwd_table) bytes0=$(cnt fwd_table bytes) kfwd0=$(snmp r Ip:ForwDatagrams)
	ip netns exec h1 ping -M "do" -s $((SIZE - 28)) -c 20 -i 0.05 -W 1 -q \
		10.2.0.2 >"$tmp/ping" 2>&1 || true
	sleep 0.3
	pkts1=$(cnt fwd_table) bytes1=$(cnt fwd_table bytes) kfwd1=$(snmp r Ip:ForwDatagrams)
	capture_stop

	# 20 requests and 20 replies, each 14 + 8000 bytes, none by the kernel
	if [ $((pkts1 - pkts0)) -eq 40 ] &&
		[ $((bytes1 - bytes0)) -eq $((40 * (14 + SIZE))) ] &&
		[ "$kfwd1" -eq "$kfwd0" ]; then
		ok "40 packets of $SIZE bytes fast-pathed (fwd_table +40, +$((bytes1 - bytes0)) bytes), kernel forwarded none"
	else
		not_ok "40 packets of $SIZE bytes fast-pathed, kernel forwarded none" \
			"fwd_table +$((pkts1 - pkts0)) packets +$((bytes1 - bytes0)) bytes;" \
			"kernel ForwDatagrams +$((kfwd1 - kfwd0))" "$(cat "$tmp/ping")"
	fi
}

# On the wire: what h2 got is what h1 sent with the router's MACs, TTL one
# less and a valid checksum; every other byte, the 8000th included, equal.
test_jumbo_frames_are_the_kernels_bytes() {
	local sent got bad i s g want_ttl
	mapfile -t sent < <(pcap_frames "$tmp/sent.pcap")
	mapfile -t got < <(pcap_frames "$tmp/got.pcap")
	bad=0
	for ((i = 0; i < ${#sent[@]}; i++)); do
		s=${sent[i]} g=${got[i]:-}
		want_ttl=$(printf '%02x' $((16#${s:44:2} - 1)))
		if [ ${#g} -ne $((2 * (14 + SIZE))) ] || [ ${#s} -ne ${#g} ] ||
			[ "${g:0:24}" != "$(hexmac $MAC_P2)$(hexmac $MAC_M2)" ] ||
			[ "${g:24:20}" != "${s:24:20}" ] || [ "${g:44:2}" != "$want_ttl" ] ||
			[ "${g:46:2}" != "${s:46:2}" ] || ! f_csum_ok "$g" ||
			[ "${g:52}" != "${s:52}" ]; then
			bad=$((bad + 1))
		fi
	done
	if [ ${#sent[@]} -eq 20 ] && [ ${#got[@]} -eq 20 ] && [ $bad -eq 0 ]; then
		ok "20 frames of $((14 + SIZE)) bytes byte-identical on the wire but MACs, TTL, checksum"
	else
		not_ok "20 jumbo frames byte-identical on the wire" \
			"sent ${#sent[@]}, got ${#got[@]}, $bad differ"
	fi
	stop_fwd
}

# --- a program the driver refuses at this MTU --------------------------
# A build of the same program without xdp.frags: veth refuses it in native
# mode above a page-sized MTU (ERANGE), the failure issue 12 reported.
test_native_stays_strict_when_the_driver_refuses() {
	local rc
	sed 's/SEC("xdp.frags")/SEC("xdp")/' "$top/kern/fwd.bpf.c" >"$tmp/nofrags.bpf.c"
	clang -O2 -g -target bpf -I"/usr/include/$(gcc -dumpmachine)" -I"$top/kern" \
		-c "$tmp/nofrags.bpf.c" -o "$tmp/nofrags.bpf.o"

	rc=0
	timeout 10 "$fwd" --iface m1 --iface m2 --bpffs $bpffs --state "$tmp/fwd.db" \
		--bpf-object "$tmp/nofrags.bpf.o" --xdp-mode native >"$tmp/native.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] &&
		grep -q "cannot attach XDP in native mode: Numerical result out of range" "$tmp/native.log" &&
		[ "$(xdp_mode m1)" = 0 ] && [ "$(xdp_mode m2)" = 0 ]; then
		ok "--xdp-mode native stays strict: exit $rc with the reason, nothing attached"
	else
		not_ok "--xdp-mode native stays strict" "rc $rc, m1 mode $(xdp_mode m1)" \
			"$(tail -3 "$tmp/native.log")"
	fi
}

test_auto_falls_back_to_generic() {
	if start_fwd "$tmp/auto.log" --bpf-object "$tmp/nofrags.bpf.o" --xdp-mode auto &&
		grep -q "m1: native XDP refused by the driver (Numerical result out of range), using generic mode" "$tmp/auto.log" &&
		grep -q "Peer MTU is too large" "$tmp/auto.log" &&
		[ "$(xdp_mode m1)" = 2 ] && [ "$(xdp_mode m2)" = 2 ]; then
		ok "--xdp-mode auto: native refused (ERANGE, the kernel's reason logged), generic attached"
	else
		not_ok "--xdp-mode auto falls back to generic on ERANGE" \
			"m1 mode $(xdp_mode m1), m2 mode $(xdp_mode m2)" \
			"$(grep -i "native\|mtu\|error" "$tmp/auto.log" | head -4)"
	fi
}

test_generic_fallback_forwards_jumbo_packets() {
	local pkts0 pkts1
	pkts0=$(cnt fwd_table)
	ip netns exec h1 ping -M "do" -s $((SIZE - 28)) -c 10 -i 0.05 -W 1 -q \
		10.2.0.2 >"$tmp/ping" 2>&1 || true
	pkts1=$(cnt fwd_table)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $((pkts1 - pkts0)) -eq 20 ]; then
		ok "generic fallback forwards the jumbo packets through the table (fwd_table +20)"
	else
		not_ok "generic fallback forwards the jumbo packets" \
			"fwd_table +$((pkts1 - pkts0))" "$(cat "$tmp/ping")"
	fi
}

run_tests
