#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_demand.sh - demand learning, both families: a destination inside a
# prefix via a gateway takes the fib path for its first packets, is
# reported by the program and learned, and from then on takes the table
# path with the kernel's bytes at the far end; its entry follows every
# change under it (a more-specific route, another gateway, drop routes, a
# route MTU, ECMP, a nexthop object replaced and deleted, the gateway's
# MAC changed or deleted, the link down), each step checked by
# `fwdctl verify`; it is evicted when idle, an override beats it, and a
# spray of new destinations leaves the daemon responsive, the budget
# kept and the neighbour entries where they were.
#
# One fixture for the tests but the last two: the topology, the kernel's
# frames captured before fwd starts, and one fwd that every change test
# builds on in turn (a fresh daemon per test would re-learn what the test
# before it left); the idleness and spray tests start their own.
#
# Topology: router_lib.sh's with IPv6; h2 holds 198.51.100.0/24's .9 and
# 2001:db8:99::9 (on lo), which the router reaches by 198.51.100.0/24 via
# 10.2.0.2 and 2001:db8:99::/64 via 2001:db8:2::2. 10.2.0.3 and
# 2001:db8:2::3 are a second next hop on m2 (a permanent neighbour with
# another MAC, nobody's: frames to it end at p2 unread).
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="tcpdump ethtool perl"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500
router_ipv6
ip -n h2 addr add 198.51.100.9/32 dev lo
ip -n h2 addr add 2001:db8:99::9/128 dev lo
MAC_X=02:00:00:00:02:33 MAC_Y=02:00:00:00:02:44
ip neigh replace 10.2.0.3 lladdr $MAC_X dev m2 nud permanent
ip neigh replace 2001:db8:2::3 lladdr $MAC_X dev m2 nud permanent
D4=198.51.100.9 D6=2001:db8:99::9
routes() {
	ip route replace 198.51.100.0/24 via 10.2.0.2 dev m2
	ip -6 route replace 2001:db8:99::/64 via 2001:db8:2::2 dev m2
}
neighs() {
	ip neigh replace 10.2.0.2 lladdr "$MAC_P2" dev m2 nud permanent
	ip neigh replace 2001:db8:2::2 lladdr "$MAC_P2" dev m2 nud permanent
}
routes

IX_M2=$(ip -j link show m2 | jq '.[0].ifindex')
L2=$(entry "$IX_M2" $MAC_M2 $MAC_P2) LX=$(entry "$IX_M2" $MAC_M2 $MAC_X)
LY=$(entry "$IX_M2" $MAC_M2 $MAC_Y)

# send N DST...: N UDP datagrams to each DST from h1.
send() { udp_flows h1 "$@"; }
# demand FIELD: QueryStats' Demand.FIELD.
demand() { "$fwdctl" --json stats 2>/dev/null | jq ".Demand.$1"; }
# gone MAP DST: MAP has no entry for DST. held N: N demand entries.
gone() { [ -z "$(map_value "$1" "$2")" ]; }
held() { [ "$(demand entries)" -eq "$1" ]; }
metrics() { curl -sf --unix-socket "$sock" http://localhost/metrics; }
# in1 OUTCOME: packets that arrived on m1 and ended as OUTCOME (h1's
# side: h2's ICMP errors back do not count).
in1() {
	"$fwdctl" --json stats |
		jq ".Interfaces[] | select(.Name == \"m1\") | .Rx.$1.packets"
}
# rx2: frames h2's p2 received.
rx2() { ip -n h2 -s -j link show p2 | jq '.[0].stats64.rx.packets'; }
# capture NAME: the UDP frames to D4 and D6 that p2 receives, until
# capture_stop.
capture() {
	capture_start "$1" h2 p2 -s 256 "udp and (dst host $D4 or dst host $D6)"
}
# frames NAME: the frames of NAME.pcap, IPv4's ID and header checksum
# zeroed (the sender picks the ID; the rest must be the kernel's).
frames() {
	pcap_frames "$tmp/$1.pcap" | while read -r f; do
		if [ "${f:24:4}" = 0800 ]; then
			f_csum_ok "$f" || echo "bad checksum: $f"
			echo "${f:0:36}0000${f:40:8}0000${f:52}"
		else
			echo "$f"
		fi
	done
}
# follows NAME MAP DST WANT: DST's entry becomes WANT, verify agrees.
follows() {
	if wait_map "$2" "$3" "$4" && verify_clean; then
		ok "$1"
	else
		not_ok "$1" "$2[$3] '$(map_value "$2" "$3")' (want '$4')" \
			"$(cat "$tmp/verify")"
	fi
}
# both NAME CMD4 CMD6 WANT4 WANT6: CMD4 and CMD6 (strings) run, then one
# follows line a family.
both() {
	eval "$2"
	eval "$3"
	follows "IPv4: $1" hfwd $D4 "$4"
	follows "IPv6: $1" hfwd6 $D6 "$5"
}

# --- the fixture: the kernel's bytes, then fwd ---------------------------
capture kernel
send 8 $D4 $D6
capture_stop
frames kernel >"$tmp/kernel.txt"
start_fwd "$tmp/fwd.log" || tap_bail "fwd starts"

test_learned_after_the_first_packet() {
	local fam d m t f t0 f0 t1 f1 t2 f2
	for fam in 4 6; do
		if [ $fam = 4 ]; then d=$D4 m=hfwd t=fwd_table f=fwd_fib; else
			d=$D6 m=hfwd6 t=fwd_table6 f=fwd_fib6; fi
		if ! gone $m $d; then
			not_ok "IPv$fam: $d has no entry before its traffic"
			continue
		fi
		t0=$(in1 $t) f0=$(in1 $f)
		send 1 $d
		wait_map $m $d "$L2" || true
		sleep 0.1
		t1=$(in1 $t) f1=$(in1 $f)
		send 20 $d
		# until the 20 are counted (softirqs run late on a loaded
		# machine), then none of them may have taken the fib path
		wait_is $((t1 + 20)) in1 $t || true
		t2=$(in1 $t) f2=$(in1 $f)
		if [ "$(map_value $m $d)" = "$L2" ] && [ $((f1 - f0)) -ge 1 ] &&
			[ $((t2 - t1)) -eq 20 ] && [ "$f2" -eq "$f1" ] && verify_clean; then
			ok "IPv$fam: the first packet takes the fib path and is reported, the next 20 the table path ($f +$((f1 - f0)), then $t +20)"
		else
			not_ok "IPv$fam: learned on demand" "${m}[$d] '$(map_value $m $d)'" \
				"$f +$((f1 - f0)) then +$((f2 - f1)); $t +$((t1 - t0)) then +$((t2 - t1))" \
				"$(cat "$tmp/verify")"
		fi
	done
}

test_counted_in_querystats_and_metrics() {
	if [ "$(demand learned)" -ge 2 ] && [ "$(demand reports)" -ge 2 ] &&
		[ "$(demand entries)" -eq 2 ]; then
		ok "QueryStats counts them (learned $(demand learned), reports $(demand reports), entries 2)"
	else
		not_ok "QueryStats' Demand" "$("$fwdctl" --json stats | jq -c .Demand)"
	fi
	if metrics | grep -q '^fwd_demand_entries 2$' &&
		metrics | grep -q '^fwd_demand_reports_suppressed_total{reason="rate"} 0$'; then
		ok "/metrics: fwd_demand_entries 2, reports suppressed by reason"
	else
		not_ok "/metrics fwd_demand_*" "$(metrics 2>&1 | grep demand)"
	fi
}

# the bytes at the far end are the kernel's, both families
test_the_kernels_bytes_by_the_table() {
	local t0 t60
	capture fwd
	t0=$(in1 fwd_table) t60=$(in1 fwd_table6)
	send 8 $D4 $D6
	capture_stop
	frames fwd >"$tmp/fwd.txt"
	if [ $(($(in1 fwd_table) - t0)) -eq 8 ] && [ $(($(in1 fwd_table6) - t60)) -eq 8 ] &&
		[ "$(wc -l <"$tmp/fwd.txt")" -eq 16 ] && cmp -s "$tmp/kernel.txt" "$tmp/fwd.txt"; then
		ok "16 frames through the table path, byte for byte the kernel's (IPv4 but the ID)"
	else
		not_ok "the kernel's bytes" "fwd_table +$(($(in1 fwd_table) - t0)), fwd_table6 +$(($(in1 fwd_table6) - t60))" \
			"$(diff "$tmp/kernel.txt" "$tmp/fwd.txt" | head -8)"
	fi
}

test_a_more_specific_route() {
	both "a more-specific route through another gateway" \
		"ip route add 198.51.100.0/28 via 10.2.0.3 dev m2" \
		"ip -6 route add 2001:db8:99::/120 via 2001:db8:2::3 dev m2" "$LX" "$LX"
	both "the more-specific route removed" "ip route del 198.51.100.0/28" \
		"ip -6 route del 2001:db8:99::/120" "$L2" "$L2"
}

test_the_prefix_moved_to_another_gateway() {
	both "the prefix moved to another gateway" \
		"ip route replace 198.51.100.0/24 via 10.2.0.3 dev m2" \
		"ip -6 route replace 2001:db8:99::/64 via 2001:db8:2::3 dev m2" "$LX" "$LX"
	routes
}

test_drop_routes() {
	local t e0 e1
	for t in blackhole unreachable prohibit; do
		ip route replace $t 198.51.100.0/24
		ip -6 route replace $t 2001:db8:99::/64
		e0=$(rx2)
		send 3 $D4 $D6
		sleep 0.1
		e1=$(rx2)
		if wait_map hfwd $D4 "" && wait_map hfwd6 $D6 "" && [ "$e1" -eq "$e0" ] &&
			verify_clean; then
			ok "$t: no entry either family, h2 got none, verify clean"
		else
			not_ok "$t" "hfwd '$(map_value hfwd $D4)' hfwd6 '$(map_value hfwd6 $D6)'" \
				"p2 +$((e1 - e0))" "$(cat "$tmp/verify")"
		fi
		ip route del $t 198.51.100.0/24
		ip -6 route del $t 2001:db8:99::/64
		routes
	done
	follows "IPv4: back with its route (still held, no packet needed)" hfwd $D4 "$L2"
	follows "IPv6: back with its route" hfwd6 $D6 "$L2"
}

test_a_route_mtu() {
	both "a route MTU: no entry" \
		"ip route replace 198.51.100.0/24 via 10.2.0.2 dev m2 mtu 1400" \
		"ip -6 route replace 2001:db8:99::/64 via 2001:db8:2::2 dev m2 mtu 1400" "" ""
	routes
}

test_ecmp_stays_on_the_fib_path() {
	both "ECMP: no entry (the fib path hashes)" \
		"ip route replace 198.51.100.0/24 nexthop via 10.2.0.2 dev m2 nexthop via 10.2.0.3 dev m2" \
		"ip -6 route replace 2001:db8:99::/64 nexthop via 2001:db8:2::2 dev m2 nexthop via 2001:db8:2::3 dev m2" "" ""
	ip route del 198.51.100.0/24
	ip -6 route del 2001:db8:99::/64
}

test_nexthop_objects() {
	ip nexthop add id 41 via 10.2.0.2 dev m2
	ip nexthop add id 61 via 2001:db8:2::2 dev m2
	both "onto a nexthop object" "ip route add 198.51.100.0/24 nhid 41" \
		"ip -6 route add 2001:db8:99::/64 nhid 61" "$L2" "$L2"
	both "the nexthop object replaced" "ip nexthop replace id 41 via 10.2.0.3 dev m2" \
		"ip nexthop replace id 61 via 2001:db8:2::3 dev m2" "$LX" "$LX"
	both "the nexthop object deleted (its route with it)" "ip nexthop del id 41" \
		"ip nexthop del id 61" "" ""
	routes
}

test_the_gateways_neighbour() {
	both "the gateway's MAC changed" \
		"ip neigh replace 10.2.0.2 lladdr $MAC_Y dev m2 nud permanent" \
		"ip neigh replace 2001:db8:2::2 lladdr $MAC_Y dev m2 nud permanent" "$LY" "$LY"
	both "the gateway's neighbour deleted" "ip neigh del 10.2.0.2 dev m2" \
		"ip neigh del 2001:db8:2::2 dev m2" "" ""
	neighs
}

test_the_link_down_and_up() {
	ip link set m2 down
	follows "IPv4: the link down" hfwd $D4 ""
	ip link set m2 up
	ip addr replace 2001:db8:2::1/64 dev m2 nodad # IPv6's went with the link
	neighs
	routes
	follows "IPv4: the link up and its route back" hfwd $D4 "$L2"
}

# --- idleness: evicted when idle, learned again when busy -----------------
test_idle_evicted_busy_learned_again() {
	local l0 i
	stop_fwd
	start_fwd "$tmp/fwd1.log" --demand-idle 2 || {
		not_ok "fwd starts (--demand-idle 2)"
		return
	}
	send 1 $D4 $D6
	wait_map hfwd $D4 "$L2" || true
	wait_map hfwd6 $D6 "$L2" || true
	if wait_until 8 gone hfwd $D4 && wait_until 2 gone hfwd6 $D6 &&
		[ "$(demand evictedIdle)" -ge 2 ] && [ "$(demand entries)" -eq 0 ]; then
		ok "idle: both evicted after --demand-idle (evictedIdle $(demand evictedIdle))"
	else
		not_ok "idle eviction" "hfwd '$(map_value hfwd $D4)' hfwd6 '$(map_value hfwd6 $D6)'" \
			"$("$fwdctl" --json stats | jq -c .Demand)"
	fi
	l0=$(demand learned)
	# busy across an eviction: learned again by its next packet
	for ((i = 0; i < 25; i++)); do
		send 1 $D4
		sleep 0.2
	done
	# The last datagram may have hit the entry just before its eviction
	# (a loaded run saw it gone, and one datagram more did not always
	# help): once it is evicted, the next datagram must learn it again.
	wait_until 8 gone hfwd $D4 || true
	send 1 $D4
	if wait_map hfwd $D4 "$L2" && [ $(($(demand learned) - l0)) -ge 2 ]; then
		ok "busy: learned again after its eviction (learned +$(($(demand learned) - l0)) in 5 s)"
	else
		not_ok "busy destination" "hfwd '$(map_value hfwd $D4)'" "learned +$(($(demand learned) - l0))"
	fi
}

# --- an override beats it, and outlives its eviction ----------------------
test_an_override_beats_it() {
	"$fwdctl" set $D4 m2 $MAC_Y >/dev/null
	follows "an override replaces the demand entry" hfwd $D4 "$LY"
	if wait_until 8 held 0 && [ "$(map_value hfwd $D4)" = "$LY" ]; then
		ok "the demand destination evicted, the override stays"
	else
		not_ok "override after eviction" "hfwd '$(map_value hfwd $D4)'" "entries $(demand entries)"
	fi
	"$fwdctl" del $D4 >/dev/null
	send 2 $D4
	follows "the override removed: learned on demand again" hfwd $D4 "$L2"
	stop_fwd
}

# --- a spray: every packet a new destination ------------------------------
# 2,000 destinations in 198.51.0.0/16, a budget of 100: the budget holds,
# the neighbour and host-route entries stay, every datagram reaches h2,
# the API answers throughout.
test_a_spray() {
	local e0 e1 sp slow=0 t
	ip route replace 198.51.0.0/16 via 10.2.0.2 dev m2
	ip route add 203.0.113.7/32 via 10.2.0.2 dev m2
	start_fwd "$tmp/fwd2.log" --demand-max 100 || {
		not_ok "fwd starts (--demand-max 100)"
		return
	}
	wait_map hfwd 203.0.113.7 "$L2" || true
	e0=$(rx2)
	# shellcheck disable=SC2016 # perl
	ip netns exec h1 perl -MSocket=:all -e '
		socket(my $s, AF_INET, SOCK_DGRAM, 0) or die;
		for my $i (0 .. 1999) {
			my $a = sprintf("198.51.%d.%d", 1 + $i / 250, 1 + $i % 250);
			send($s, "spray", 0, pack_sockaddr_in(9, inet_aton($a)));
			# a breath every 50: no veth ring overflows on the way
			select(undef, undef, undef, 0.001) if $i % 50 == 49;
		}' >/dev/null &
	sp=$!
	while kill -0 $sp 2>/dev/null; do
		t=$(date +%s%N)
		"$fwdctl" --json stats >/dev/null || slow=$((slow + 1000))
		[ $((($(date +%s%N) - t) / 1000000)) -lt 1000 ] || slow=$((slow + 1))
	done
	wait $sp
	sleep 0.3
	e1=$(rx2)
	if [ "$slow" -eq 0 ] && [ "$(demand entries)" -le 100 ] &&
		[ "$(demand evictedBudget)" -gt 0 ] && [ $((e1 - e0)) -ge 2000 ] &&
		[ "$(map_value hfwd 10.2.0.2)" = "$L2" ] &&
		[ "$(map_value hfwd 203.0.113.7)" = "$L2" ] && verify_clean; then
		ok "spray of 2000: budget kept ($(demand entries) held, $(demand evictedBudget) evicted, $(demand limited) over the rate), h2 got $((e1 - e0)), neighbour and /32 entries stay, the API answered, verify clean"
	else
		not_ok "spray" "API slow/failed: $slow" "$("$fwdctl" --json stats | jq -c .Demand)" \
			"p2 +$((e1 - e0))" "hfwd[10.2.0.2] '$(map_value hfwd 10.2.0.2)' hfwd[203.0.113.7] '$(map_value hfwd 203.0.113.7)'" \
			"$(cat "$tmp/verify")"
	fi
}

run_tests
