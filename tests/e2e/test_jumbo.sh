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
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="tcpdump clang"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

MTU=9000
SIZE=8000 # IPv4 bytes of each packet sent
router_topology $MTU

# Sum over CPUs of fwd_stats counter 0 (fwd_table): packets, or bytes.
table() {
	bpftool map dump pinned $bpffs/fwd_stats -j |
		jq "[.[] | .formatted | select(.key == 0) | .values[].value.$1] | add"
}
# IPv4 datagrams the router's kernel forwarded.
# shellcheck disable=SC2016 # an awk program
kernel_fwd() {
	awk '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "ForwDatagrams") f = i; h = 1 } else print $f }' \
		/proc/net/snmp
}
xdp_mode() { ip -j -d link show "$1" | jq -r '.[0].xdp.mode // 0'; }

# cap NS IF TAG: capture whole ICMP echo requests in the background;
# uncap stops every capture (and flushes its file).
caps=()
cap() {
	local i
	ip netns exec "$1" tcpdump --immediate-mode -U -nn -s 0 -i "$2" \
		-w "$tmp/$3.pcap" 'icmp[icmptype] == icmp-echo' \
		2>"$tmp/$3.err" &
	caps+=($!)
	for ((i = 0; i < 100; i++)); do
		grep -q listening "$tmp/$3.err" && return 0
		sleep 0.05
	done
	return 1
}
# frames TAG: each captured frame as one hex string.
frames() { pcap_frames "$tmp/$1.pcap"; }
uncap() {
	kill "${caps[@]}" 2>/dev/null || true
	wait "${caps[@]}" 2>/dev/null || true
	caps=()
}
hexmac() { echo "${1//:/}"; }

echo "1..6"

# --- native, MTU 9000 --------------------------------------------------
if start_fwd "$tmp/fwd.log" --xdp-mode native &&
	[ "$(xdp_mode m1)" = 1 ] && [ "$(xdp_mode m2)" = 1 ]; then
	ok "MTU $MTU veths managed in native mode"
else
	not_ok "MTU $MTU veths managed in native mode" \
		"m1 mode $(xdp_mode m1), m2 mode $(xdp_mode m2)" \
		"$(tail -4 "$tmp/fwd.log")"
	exit 1
fi

for ((i = 0; i < 150; i++)); do
	[ "$(bpftool map dump pinned $bpffs/hfwd -j | jq length)" -ge 2 ] && break
	sleep 0.02
done
cap h1 p1 sent
cap h2 p2 got
pkts0=$(table packets) bytes0=$(table bytes) kfwd0=$(kernel_fwd)
ip netns exec h1 ping -M "do" -s $((SIZE - 28)) -c 20 -i 0.05 -W 1 -q \
	10.2.0.2 >"$tmp/ping" 2>&1 || true
sleep 0.3
pkts1=$(table packets) bytes1=$(table bytes) kfwd1=$(kernel_fwd)
uncap

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

# On the wire: what h2 got is what h1 sent with the router's MACs, TTL one
# less and a valid checksum; every other byte, the 8000th included, equal.
mapfile -t sent < <(frames sent)
mapfile -t got < <(frames got)
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

# --- a program the driver refuses at this MTU --------------------------
# A build of the same program without xdp.frags: veth refuses it in native
# mode above a page-sized MTU (ERANGE), the failure issue 12 reported.
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

pkts0=$(table packets)
ip netns exec h1 ping -M "do" -s $((SIZE - 28)) -c 10 -i 0.05 -W 1 -q \
	10.2.0.2 >"$tmp/ping" 2>&1 || true
pkts1=$(table packets)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $((pkts1 - pkts0)) -eq 20 ]; then
	ok "generic fallback forwards the jumbo packets through the table (fwd_table +20)"
else
	not_ok "generic fallback forwards the jumbo packets" \
		"fwd_table +$((pkts1 - pkts0))" "$(cat "$tmp/ping")"
fi
stop_fwd
[ "$tap_failed" -eq 0 ]
