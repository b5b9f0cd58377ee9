#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_overrides_follow.sh - an override given by interface name follows
# the name when the interface is deleted and created again (a new
# ifindex): it is in hfwd with the new index and traffic is forwarded
# through it; one given by index keeps its index and says in
# QueryForward that its interface is gone (issue 25, item 12).
#
# Topology: router_lib.sh's h1 -- m1 r m2 -- h2; m2 is deleted and made
# again with the same name, MAC and addresses.
#
# Fixture: one daemon shared by the tests, in order: the first re-creates
# m2 under the overrides the others then read.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="curl"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500

# query IP: the QueryForward row of IP, compact JSON
query() {
	curl -s --unix-socket $sock http://localhost/ \
		-d "{\"action\":\"QueryForward\",\"ip\":\"$1\"}" | jq -c '.Tables[0]'
}
# hfwd_ifindex A B C D: the ifindex hfwd holds for A.B.C.D, or nothing
hfwd_ifindex() {
	bpftool map lookup pinned $bpffs/hfwd key "$@" -j 2>/dev/null |
		jq -r '.formatted.value.ifindex // empty'
}

test_fwd_starts() {
	FWD_READY="ready in" start_fwd "$tmp/fwd.log" || tap_bail "fwd starts"
}

test_an_override_by_name_follows_its_interface() {
	local row i
	old=$(ip -j link show m2 | jq '.[0].ifindex')
	# 10.9.0.1 lives on h2, reached only through the override
	ip -n h2 addr add 10.9.0.1/32 dev p2
	"$fwdctl" set 10.9.0.1 m2 $MAC_P2 >/dev/null
	"$fwdctl" set 10.9.0.2 "$old" $MAC_P2 >/dev/null

	ip link del m2
	router_veth m2 $MAC_M2 h2 p2 $MAC_P2 1500
	ip addr add 10.2.0.1/24 dev m2
	ip neigh replace 10.2.0.2 lladdr $MAC_P2 dev m2 nud permanent
	ip -n h2 addr add 10.2.0.2/24 dev p2
	ip -n h2 addr add 10.9.0.1/32 dev p2
	ip -n h2 route add default via 10.2.0.1
	ip -n h2 neigh replace 10.2.0.1 lladdr $MAC_M2 dev p2 nud permanent
	new=$(ip -j link show m2 | jq '.[0].ifindex')
	for ((i = 0; i < 150; i++)); do
		[ "$(hfwd_ifindex 10 9 0 1)" = "$new" ] && break
		sleep 0.02
	done

	row=$(query 10.9.0.1)
	if [ "$new" != "$old" ] && [ "$(hfwd_ifindex 10 9 0 1)" = "$new" ] &&
		[ "$(echo "$row" | jq -c '[.Iface, .Source, .Status]')" = "[$new,\"override\",null]" ]; then
		ok "an override given by name follows m2 to its new ifindex $new (was $old)"
	else
		not_ok "an override by name follows its interface" "old $old new $new" \
			"hfwd: $(hfwd_ifindex 10 9 0 1)" "row: $row"
	fi
}

test_an_override_by_index_says_its_interface_is_gone() {
	local row
	row=$(query 10.9.0.2)
	if [ "$(hfwd_ifindex 10 9 0 2)" = "$old" ] &&
		[ "$(echo "$row" | jq -r '[.Iface, .Status] | @tsv')" = "$old	interface gone: no interface fwd manages has this index now" ]; then
		ok "an override given by index keeps it and says its interface is gone"
	else
		not_ok "an override by index says its interface is gone" "row: $row"
	fi
}

# XDP is on the new m2; the override forwards: h1 -> 10.9.0.1 on h2
test_traffic_to_the_followed_override_is_forwarded() {
	local i t0
	for ((i = 0; i < 150; i++)); do
		[ -n "$(ip -j -d link show m2 | jq -r '.[0].xdp.prog.id // empty')" ] && break
		sleep 0.02
	done
	t0=$(cnt fwd_table)
	if ip netns exec h1 ping -c 5 -i 0.05 -W 1 -q 10.9.0.1 >/dev/null 2>&1 &&
		[ $(($(cnt fwd_table) - t0)) -ge 5 ]; then
		ok "traffic to the followed override is forwarded (fwd_table +$(($(cnt fwd_table) - t0)))"
	else
		not_ok "traffic through the followed override" "fwd_table +$(($(cnt fwd_table) - t0))" \
			"$(tail -5 "$tmp/fwd.log")"
	fi
}

run_tests
