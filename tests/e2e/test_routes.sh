#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_routes.sh - the routes a routing daemon installs, followed as the
# kernel follows them, in both families: drop routes over learned
# destinations (blackhole, prohibit, unreachable: RTBH), route MTUs on the
# table and the fib path (locked or not), nexthop objects (single, group,
# replace, delete; nexthop_compat_mode 1 and 0), IPv6 ECMP siblings.
# After every step `fwdctl verify` must find hfwd/hfwd6 equal to what the
# kernel answers; and what the kernel would not forward, h2 never gets.
#
# Topology: router_lib.sh's, IPv6 as test_ipv6.sh's; h2 also holds
# 10.9.0.9, 10.9.1.9, 2001:db8:9::9 and 2001:db8:3::9 (on lo), which the
# router reaches through h2 (10.2.0.2, 2001:db8:2::2) by the routes each
# step installs. 10.2.0.3 and 2001:db8:2::3 are a second next hop on m2
# (a permanent neighbour with another MAC).
#
# Fixture: one daemon shared by the tests, in order; each test takes the
# routes back out that it put in, but the last ones leave 6,000
# neighbours and a map value the daemon did not write.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500
router_ipv6
for a in 10.9.0.9/32 10.9.1.9/32 2001:db8:9::9/128 2001:db8:3::9/128; do
	ip -n h2 addr add $a dev lo
done
MAC_X=02:00:00:00:02:33
ip neigh replace 10.2.0.3 lladdr $MAC_X dev m2 nud permanent
ip neigh replace 2001:db8:2::3 lladdr $MAC_X dev m2 nud permanent

IX_M2=$(ip -j link show m2 | jq '.[0].ifindex')
L2=$(entry "$IX_M2" $MAC_M2 $MAC_P2) LX=$(entry "$IX_M2" $MAC_M2 $MAC_X)

# fast: packets fwd forwarded itself, both paths, both families.
fast() { cnt_sum fwd_table fwd_fib fwd_table6 fwd_fib6; }

# dropped NAME DST: a route the kernel drops by is in place for DST: no
# entry, and 3 pings reach neither h2 nor fwd's fast path.
dropped() {
	local fam=4 e0 f0 e1 f1 m=hfwd
	case $2 in *:*) fam=6 m=hfwd6 ;; esac
	e0=$(echoes $fam) f0=$(fast)
	ip netns exec h1 ping -$fam -c 3 -i 0.02 -W 0.2 -q "$2" >/dev/null 2>&1 || true
	sleep 0.1
	e1=$(echoes $fam) f1=$(fast)
	if wait_map "$m" "$2" "" && [ "$e1" -eq "$e0" ] && [ "$f1" -eq "$f0" ] &&
		verify_clean; then
		ok "$1: no entry, h2 got none, fast path +0, verify clean"
	else
		not_ok "$1" "${m}[$2] $(map_value "$m" "$2")" \
			"h2 +$((e1 - e0)), fast path +$((f1 - f0))" "$(cat "$tmp/verify")"
	fi
}

# route_learned NAME MAP DST WANT: DST's entry becomes WANT and verify agrees.
route_learned() {
	if wait_map "$2" "$3" "$4" && verify_clean; then
		ok "$1"
	else
		not_ok "$1" "$2[$3] $(map_value "$2" "$3") (want $4)" "$(cat "$tmp/verify")"
	fi
}

# toobig NAME DST SIZE COUNTER: IPv4 without DF first: the kernel
# fragments (COUNTER +3, h2 gets 3, fwd's fast path none); then a DF
# packet of SIZE bytes to DST is not forwarded whole by fwd (COUNTER +1,
# h2 gets none) and the kernel answers h1 with the MTU (ICMP fragmentation
# needed / Packet Too Big). One DF packet only: h1 keeps the MTU it learns
# (and fragments itself after it).
toobig() {
	local fam=4 c0 e0 f0 out
	case $2 in *:*) fam=6 ;; esac
	if [ $fam = 4 ]; then
		c0=$(cnt "$4") e0=$(echoes 4) f0=$(cnt fwd_fib)
		ip netns exec h1 ping -4 -M dont -s $(($3 - 28)) -c 3 -i 0.05 \
			-W 0.5 -q "$2" >/dev/null 2>&1 || true
		sleep 0.1
		if [ $(($(cnt "$4") - c0)) -eq 3 ] && [ $(($(echoes 4) - e0)) -eq 3 ] &&
			[ "$(cnt fwd_fib)" -eq "$f0" ]; then
			ok "$1, without DF: the kernel fragments ($4 +3, h2 got 3)"
		else
			not_ok "$1, without DF" \
				"$4 +$(($(cnt "$4") - c0)), h2 +$(($(echoes 4) - e0))" \
				"fwd_fib +$(($(cnt fwd_fib) - f0))"
		fi
	fi
	c0=$(cnt "$4") e0=$(echoes $fam)
	out=$(ip netns exec h1 ping -$fam -M "do" -s $(($3 - (fam == 4 ? 28 : 48))) \
		-c 1 -W 0.5 "$2" 2>&1 || true)
	sleep 0.1
	if [ $(($(cnt "$4") - c0)) -eq 1 ] && [ "$(echoes $fam)" -eq "$e0" ] &&
		echo "$out" | grep -qiE "mtu ?= ?1300|too big"; then
		ok "$1 ($4 +1, h2 got none, the kernel told h1 the MTU)"
	else
		not_ok "$1" "$4 +$(($(cnt "$4") - c0)), h2 +$(($(echoes $fam) - e0))" "$out"
	fi
}
# slow FIELD: an Agent figure of fwdctl stats.
slow() {
	"$fwdctl" --json stats | jq ".Agent.$1"
}

test_fwd_starts() {
	start_fwd "$tmp/fwd.log" || tap_bail "fwd starts"
}


# --- drop routes over learned destinations (RTBH) ------------------------
test_drop_routes_over_learned_destinations() {
	local t
	ip route add 10.9.0.9/32 via 10.2.0.2 dev m2
	route_learned "a /32 via a gateway is learned with the gateway's MAC" hfwd 10.9.0.9 "$L2"
	for t in blackhole prohibit unreachable; do
		ip route replace $t 10.9.0.9/32
		dropped "IPv4 $t /32 over a learned destination" 10.9.0.9
	done
	ip route replace 10.9.0.9/32 via 10.2.0.2 dev m2
	route_learned "the /32 back via the gateway: learned again" hfwd 10.9.0.9 "$L2"
	for t in blackhole prohibit unreachable; do
		ip -6 route add $t 2001:db8:2::2/128
		dropped "IPv6 $t /128 over a learned neighbour" 2001:db8:2::2
		ip -6 route del $t 2001:db8:2::2/128
	done
	route_learned "the IPv6 neighbour learned again once the drop routes are gone" \
		hfwd6 2001:db8:2::2 "$L2"

	# --- route MTU ------------------------------------------------------------
}

test_route_mtus_on_the_table_and_fib_paths() {
	local e0 f0
	ip route replace 10.9.0.9/32 via 10.2.0.2 dev m2 mtu lock 1300
	if wait_map hfwd 10.9.0.9 "" && [ "$(iface m2 mtu)" -eq 1300 ] &&
		[ "$(iface m2 mtu6)" -eq 1500 ] && verify_clean; then
		ok "a route MTU: no entry, m2's IPv4 MTU bound 1300 (IPv6 1500), verify clean"
	else
		not_ok "route MTU on a /32" "hfwd $(map_value hfwd 10.9.0.9)" \
			"m2 mtu $(iface m2 mtu) mtu6 $(iface m2 mtu6)"
	fi
	toobig "1,350 bytes under 'mtu lock 1300' go to the kernel" 10.9.0.9 1350 pass_mtu
	ip route replace 10.9.0.9/32 via 10.2.0.2 dev m2
	route_learned "the MTU removed: learned again" hfwd 10.9.0.9 "$L2"
	# Unlocked, on a prefix through a gateway (the fib path): bpf_fib_lookup()
	# would not see it; the bound in fwd_ifaces does.
	ip route add 10.9.1.0/24 via 10.2.0.2 dev m2 mtu 1300
	toobig "IPv4 fib path: 1,350 bytes under an unlocked 'mtu 1300'" 10.9.1.9 1350 pass_mtu
	e0=$(echoes 4) f0=$(cnt fwd_fib)
	ip netns exec h1 ping -4 -M "do" -s 1172 -c 3 -i 0.05 -W 0.3 -q 10.9.1.9 >/dev/null 2>&1 || true
	sleep 0.1
	if [ $(($(echoes 4) - e0)) -eq 3 ] && [ $(($(cnt fwd_fib) - f0)) -eq 3 ]; then
		ok "1,200 bytes under it: by the fib path (fwd_fib +3, h2 got 3)"
	else
		not_ok "below the route MTU" "fwd_fib +$(($(cnt fwd_fib) - f0)), h2 +$(($(echoes 4) - e0))"
	fi
	ip route del 10.9.1.0/24
	ip -6 route add 2001:db8:3::/64 via 2001:db8:2::2 dev m2 mtu 1300
	if wait_iface m2 mtu6 1300 && [ "$(iface m2 mtu)" -eq 1500 ]; then
		ok "an IPv6 route MTU bounds m2's IPv6 MTU only (1300, IPv4 1500)"
	else
		not_ok "IPv6 route MTU bound" "m2 mtu $(iface m2 mtu) mtu6 $(iface m2 mtu6)"
	fi
	toobig "IPv6 fib path: 1,350 bytes under 'mtu 1300'" 2001:db8:3::9 1350 pass6_mtu
	ip -6 route del 2001:db8:3::/64
	wait_iface m2 mtu6 1500 || true
}

# --- nexthop objects ------------------------------------------------------
test_nexthop_objects_in_both_compat_modes() {
	local mode t0 t6
	for mode in 1 0; do
		sysctl -qw net.ipv4.nexthop_compat_mode=$mode
		ip nexthop add id 5 via 10.2.0.2 dev m2
		ip nexthop add id 15 via 2001:db8:2::2 dev m2
		ip route replace 10.9.0.9/32 nhid 5
		ip -6 route add 2001:db8:9::9/128 nhid 15
		if wait_map hfwd 10.9.0.9 "$L2" && wait_map hfwd6 2001:db8:9::9 "$L2" &&
			verify_clean; then
			t0=$(cnt fwd_table) t6=$(cnt fwd_table6)
			ip netns exec h1 ping -4 -c 3 -i 0.02 -W 0.3 -q 10.9.0.9 >/dev/null 2>&1 || true
			ip netns exec h1 ping -6 -c 3 -i 0.02 -W 0.3 -q 2001:db8:9::9 >/dev/null 2>&1 || true
			sleep 0.1
			if [ $(($(cnt fwd_table) - t0)) -eq 6 ] && [ $(($(cnt fwd_table6) - t6)) -eq 6 ]; then
				ok "compat mode $mode: routes through single nexthop objects on the table path (fwd_table +6, fwd_table6 +6)"
			else
				not_ok "compat mode $mode: table path" \
					"fwd_table +$(($(cnt fwd_table) - t0)) fwd_table6 +$(($(cnt fwd_table6) - t6))"
			fi
		else
			not_ok "compat mode $mode: nexthop routes learned" \
				"hfwd $(map_value hfwd 10.9.0.9) hfwd6 $(map_value hfwd6 2001:db8:9::9) (want $L2)" \
				"$(cat "$tmp/verify")"
		fi
		ip nexthop replace id 5 via 10.2.0.3 dev m2
		ip nexthop replace id 15 via 2001:db8:2::3 dev m2
		if wait_map hfwd 10.9.0.9 "$LX" && wait_map hfwd6 2001:db8:9::9 "$LX" &&
			verify_clean; then
			ok "compat mode $mode: ip nexthop replace moves both entries"
		else
			not_ok "compat mode $mode: nexthop replace followed" \
				"hfwd $(map_value hfwd 10.9.0.9) hfwd6 $(map_value hfwd6 2001:db8:9::9) (want $LX)"
		fi
		# a group of two: ECMP, the fib path's
		ip nexthop add id 7 via 10.2.0.2 dev m2
		ip nexthop add id 6 group 5/7
		ip route replace 10.9.0.9/32 nhid 6
		if wait_map hfwd 10.9.0.9 "" && verify_clean; then
			ok "compat mode $mode: a nexthop group gives no entry"
		else
			not_ok "compat mode $mode: group" "hfwd $(map_value hfwd 10.9.0.9)"
		fi
		ip route replace 10.9.0.9/32 nhid 5
		wait_map hfwd 10.9.0.9 "$LX" || true
		ip nexthop del id 6
		ip nexthop del id 7
		ip nexthop del id 5
		ip nexthop del id 15
		if wait_map hfwd 10.9.0.9 "" && wait_map hfwd6 2001:db8:9::9 "" &&
			[ -z "$(ip route show 10.9.0.9/32)" ] && verify_clean; then
			ok "compat mode $mode: deleted objects take their routes' entries"
		else
			not_ok "compat mode $mode: nexthop deleted" \
				"hfwd $(map_value hfwd 10.9.0.9) hfwd6 $(map_value hfwd6 2001:db8:9::9)"
		fi
	done
}

# --- IPv6 ECMP siblings ---------------------------------------------------
test_ipv6_ecmp_siblings() {
	ip -6 route add 2001:db8:9::9/128 via 2001:db8:2::2 dev m2
	ip -6 route append 2001:db8:9::9/128 via 2001:db8:2::3 dev m2
	if wait_map hfwd6 2001:db8:9::9 "" && verify_clean; then
		ip -6 route del 2001:db8:9::9/128 via 2001:db8:2::3 dev m2
		route_learned "IPv6 siblings: ECMP, none; one left: learned" hfwd6 2001:db8:9::9 "$L2"
	else
		not_ok "IPv6 ECMP siblings" "hfwd6 $(map_value hfwd6 2001:db8:9::9)"
	fi
}

# --- nothing blocks ---------------------------------------------------------
# 3,000 neighbours of each family, then default routes flapping between two
# gateways: the loop's callbacks stay under 20 ms (a candidate behind a
# longer route is not derived again), and every entry stays true.
test_route_flaps_over_6000_candidates_block_nothing() {
	local i slow0 slow1 max1
	{
		for ((i = 0; i < 3000; i++)); do
			printf 'neigh replace 10.2.%d.%d lladdr 02:00:00:05:%02x:%02x dev m2 nud permanent\n' \
				$((i / 250 + 100)) $((i % 250 + 1)) $((i / 256)) $((i % 256))
			printf 'neigh replace 2001:db8:2::5:%x lladdr 02:00:00:06:%02x:%02x dev m2 nud permanent\n' \
				$((i + 16)) $((i / 256)) $((i % 256))
		done
	} >"$tmp/neighs"
	ip addr add 10.2.100.1/17 dev m2
	ip -batch "$tmp/neighs"
	wait_map hfwd6 2001:db8:2::5:bb7 "$(entry "$IX_M2" $MAC_M2 02:00:00:06:0b:a7)" || true
	slow0=$(slow loopSlowCallbacks)
	for ((i = 0; i < 20; i++)); do
		ip route replace default via 10.2.0.$((2 + i % 2)) dev m2
		ip -6 route replace default via 2001:db8:2::$((2 + i % 2)) dev m2
	done
	sleep 0.2
	slow1=$(slow loopSlowCallbacks) max1=$(slow loopMaxMicroseconds)
	if [ "$slow1" -eq "$slow0" ] && verify_clean; then
		ok "20 default-route flaps over 6,000 candidates: no callback of 20 ms (longest since start $max1 us), verify clean"
	else
		not_ok "default route flaps" "slow callbacks $slow0 -> $slow1," \
			"longest since start $max1 us" "$(tail -3 "$tmp/verify")"
	fi
	ip route del default
	ip -6 route del default
}

# --- verify finds what differs ---------------------------------------------
# shellcheck disable=SC2046 # key and value are words
test_verify_finds_what_differs() {
	bpftool map update pinned $bpffs/hfwd key 10 2 0 2 \
		value hex $(entry "$IX_M2" $MAC_M2 $MAC_X | sed 's/../& /g')
	if ! "$fwdctl" verify >"$tmp/verify" 2>&1 &&
		grep -q "^10.2.0.2 .* map " "$tmp/verify" &&
		grep -q "1 differ" "$tmp/verify"; then
		ok "verify names an hfwd value the daemon did not write (exit 1)"
	else
		not_ok "verify finds a wrong map value" "$(cat "$tmp/verify")"
	fi
}

run_tests
