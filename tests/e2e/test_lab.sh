#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_lab.sh - the original's experiment (its chapter 3) replayed in the
# lab and asserted on the wire: reachability at each step, fast-path
# counters that grow by exactly the packets sent, frames on C's side with
# the MACs, TTL and checksum the kernel would have written, a tap on A that
# sees none of them; then fwd on its own (C's MAC changes, A's neighbour
# goes away, fwd stops) and a teardown that leaves nothing behind.
#
# Runs under tests/isolate.sh (private netns, mounts, /run/netns), with a
# lab prefix of its own.
#
# Fixture: one lab shared by the tests, in order: they replay the
# original's steps, each from the state the one before left (a lab per
# test would repeat every step before it).
set -u

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export LAB_PREFIX=fwdtest-
# shellcheck source=tests/e2e/lab_lib.sh
. "$top/tests/e2e/lab_lib.sh"

A3=08:00:27:f0:1e:41 A9=08:00:27:13:df:b6 B3=08:00:27:3b:8d:be
C9=08:00:27:f2:cb:f9 C9_NEW=08:00:27:f2:cb:fa GWMAC=52:54:00:12:35:00
N=20 # packets in each counted stream

lab_require

host_state() {
	ip -o link show | sed 's/ link-netnsid [0-9]*//'
	ip route show table all
	ls -A /sys/fs/bpf
	findmnt -rn -o TARGET | sort
	ip netns list
}
before=$(host_state)

# ping_from NODE COUNT DST: the number of replies.
ping_from() {
	on "$1" ping -n -q -c "$2" -i 0.01 -W 1 "$3" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# Every frame of a capture passes PRED FRAME.
all_frames() {
	local tag=$1 filter=$2 pred=$3 f n=0
	while read -r f; do
		"$pred" "$f" || return 1
		n=$((n + 1))
	done < <(cap_frames "$tag" "$filter")
	[ "$n" -gt 0 ]
}

REQ='icmp[icmptype] == icmp-echo'
REP='icmp[icmptype] == icmp-echoreply'

topo_ok() {
	local node ifc idx mac addr got
	while read -r node ifc idx _ mac addr; do
		got=$(ip -n "$LAB_PREFIX$node" -j addr show dev "$ifc" | jq -r \
			'.[0] | "\(.ifindex) \(.address) \(.addr_info[0].local)/\(.addr_info[0].prefixlen)"')
		[ "$got" = "$idx $mac $addr" ] || {
			diag "$node $ifc: '$got', want '$idx $mac $addr'"
			return 1
		}
	done <<-EOF
		A enp0s3 2 - $A3 10.10.2.4/24
		A enp0s8 3 - 08:00:27:f3:81:0e 192.168.56.4/24
		A enp0s9 4 - $A9 10.10.3.6/24
		B enp0s3 2 - $B3 10.10.2.7/24
		B enp0s8 3 - 08:00:27:66:a9:e8 192.168.56.103/24
		C enp0s3 2 - 08:00:27:99:cf:ce 10.10.2.6/24
		C enp0s8 3 - 08:00:27:ac:af:9f 192.168.56.102/24
		C enp0s9 4 - $C9 10.10.3.5/24
		gw net2 2 - $GWMAC 10.10.2.1/24
		gw net3 3 - $GWMAC 10.10.3.1/24
	EOF
	[ "$(on A sysctl -n net.ipv4.ip_forward)" = 1 ] &&
		[ "$(on gw sysctl -n net.ipv4.ip_forward)" = 0 ] &&
		on B ip route show default | grep -q 'via 10.10.2.1 dev enp0s3'
}

to_gw() { [ "$(f_dmac "$1")" = "$GWMAC" ] && [ "$(f_smac "$1")" = "$B3" ]; }

xdp_on() {
	on A ip -d link show "$1" | grep -q 'prog/xdp id [0-9]* name xdp_handle_fwd'
}
attached() {
	xdp_on enp0s3 && xdp_on enp0s9 && ! xdp_on enp0s8 &&
		[ -e "$LAB_DIR/bpffs/hfwd" ]
}

# counted_stream TAG...: N pings B->C with captures on B enp0s3, A enp0s3,
# A enp0s9, C enp0s9; sets got, d_table, d_fib.
counted_stream() {
	local t0 f0
	cap_start b B enp0s3 && cap_start a3 A enp0s3 &&
		cap_start a9 A enp0s9 && cap_start c C enp0s9
	t0=$(counter fwd_table)
	f0=$(counter fwd_fib)
	got=$(ping_from B "$N" 10.10.3.5)
	d_table=$(($(counter fwd_table) - t0))
	d_fib=$(($(counter fwd_fib) - f0))
	cap_stop_all
}

rewritten() {
	[ "$(f_smac "$1")" = "$A9" ] && [ "$(f_dmac "$1")" = "$C9" ] &&
		[ "$(f_src "$1")" = 10.10.2.7 ] && [ "$(f_dst "$1")" = 10.10.3.5 ]
}
ttl_less() { [ "$(f_ttl "$1")" -eq $((ttl_sent - 1)) ]; }

reply_to_gw() { [ "$(f_smac "$1")" = "$C9" ] && [ "$(f_dmac "$1")" = "$GWMAC" ]; }

from_a() { [ "$(f_smac "$1")" = "$A3" ] && [ "$(f_dmac "$1")" = "$B3" ]; }

to_new() { [ "$(f_dmac "$1")" = "$C9_NEW" ]; }

detached() {
	! on A ip -d link show | grep -q 'xdp' && [ ! -e "$LAB_DIR/bpffs/hfwd" ]
}

# --- a failed `up` cleans up after itself -----------------------------
test_failed_lab_up_removes_what_it_made() {
	out=$(LAB_PREFIX=fwdfail- LAB_DIR=$tmp/fail LAB_FAIL_AT=links "$lab" up 2>&1)
	rc=$?
	left=$(ip netns list | grep -c '^fwdfail-')
	[ "$rc" -ne 0 ] && [ "$left" -eq 0 ] && [ ! -e "$tmp/fail" ]
	t_result $? \
		"failed_lab_up_removes_what_it_made" "rc=$rc namespaces left=$left" \
		"$out"
}

# --- the topology -----------------------------------------------------
test_lab_has_the_seeds_topology() {
	"$lab" up >/dev/null || tap_bail lab_up
	check lab_has_the_seeds_names_addresses_macs_and_ifindexes topo_ok
}

# --- step 1: B's ping goes to the gateway, which does not route ---------
test_step1_b_pings_the_gateway_which_does_not_route() {
	cap_start b B enp0s3
	got=$(ping_from B 3 10.10.3.5)
	cap_stop b
	t_result $((got == 0 && $(cap_count b "$REP") == 0 ? 0 : 1)) \
		ping_b_to_c_fails_before_a_is_the_next_hop "replies=$got"
	check b_sends_the_requests_to_the_gateways_mac all_frames b "$REQ" to_gw
}

# --- fwd starts in A ----------------------------------------------------
test_fwd_starts_in_a() {
	"$lab" fwd-start >"$tmp/start.log" 2>&1 ||
		tap_bail fwd_starts_in_a "$(cat "$tmp/start.log")"
	check fwd_attaches_xdp_to_enp0s3_and_enp0s9_and_pins_hfwd attached
}

# --- step 2: B's next hop is A; A learns C from its neighbour table -----
test_step2_a_learns_c_and_fast_paths_b_to_c() {
	on B ip neigh replace 10.10.2.1 dev enp0s3 lladdr "$A3"
	ENTRY_C=$(entry 4 "$A9" "$C9")
	got=$(ping_from B 1 10.10.3.5)
	wait_until 3 hfwd_has 10.10.3.5 "$ENTRY_C"
	t_result $? fwd_learns_c_from_as_neighbour_table \
		"replies=$got hfwd[10.10.3.5]=$(hfwd_value 10.10.3.5)"

	row=$(api '{"action":"QueryForward","ip":"10.10.3.5"}')
	echo "$row" | jq -e '.code == 200 and (.Tables | length) == 1 and
		(.Tables[0] | .Ip == "10.10.3.5" and (.Iface | tostring) == "4" and
		 .SrcMac == "08:00:27:13:df:b6" and .DstMac == "08:00:27:f2:cb:f9" and
		 .Source == "learned")' >/dev/null
	t_result $? query_forward_shows_the_learned_entry "$row"

	list=$(on A fwdctl list 2>&1)
	echo "$list" | grep '10\.10\.3\.5' | grep -qi "$C9"
	t_result $? fwdctl_list_in_a_shows_c "$list"


	counted_stream
	t_result $((got == N && d_table == N && d_fib == 0 ? 0 : 1)) \
		"each_of_${N}_requests_counts_once_in_fwd_table" \
		"replies=$got fwd_table+=$d_table fwd_fib+=$d_fib"
	n_a=$(($(cap_count a3) + $(cap_count a9)))
	n_b=$(cap_count b "$REQ")
	t_result $((n_a == 0 && n_b == N ? 0 : 1)) \
		a_sees_none_of_the_fast_pathed_packets "A captured $n_a, B sent $n_b"

	ttl_sent=$(f_ttl "$(cap_frames b "$REQ" | head -1)")
	check c_receives_frames_from_as_enp0s9_mac_to_its_own all_frames c "$REQ" rewritten
	check c_receives_ttl_one_less_than_b_sent all_frames c "$REQ" ttl_less
	check c_receives_valid_ipv4_checksums all_frames c "$REQ" f_csum_ok
	t_result $(($(cap_count c "$REQ") == N ? 0 : 1)) c_receives_every_request \
		"C captured $(cap_count c "$REQ")"
}

# --- step 3: the seed's UpdateForward, as the document sends it ---------
test_step3_the_seeds_update_forward() {
	# the document's bytes, its indentation too
	body='{
  "action": "UpdateForward",
  "traceId": "1fabb3c6-bd56-48a7-ac41-132c8228f421",
  "ip": "10.10.3.5",
  "iface": "4",
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:f9"
}'
	r=$(api "$body")
	echo "$r" | jq -e '.code == 200 and
		.traceId == "1fabb3c6-bd56-48a7-ac41-132c8228f421"' >/dev/null
	t_result $? seed_update_forward_is_accepted "$r"
	r=$(api '{"action":"QueryForward","ip":"10.10.3.5"}')
	echo "$r" | jq -e '.Tables[0].Source == "override"' >/dev/null &&
		hfwd_has 10.10.3.5 "$ENTRY_C"
	t_result $? seed_update_forward_shows_as_an_override "$r"
	noauth=$(on B curl -s -m 3 -o /dev/null -w '%{http_code}' -d "$body" \
		http://192.168.56.4:5555/)
	t_result $((noauth == 401 ? 0 : 1)) api_refuses_a_request_without_the_token \
		"status $noauth"
	r=$(api '{"action":"DeleteForward","ip":"10.10.3.5"}')
	r2=$(api '{"action":"QueryForward","ip":"10.10.3.5"}')
	echo "$r2" | jq -e '.Tables[0].Source == "learned"' >/dev/null &&
		hfwd_has 10.10.3.5 "$ENTRY_C"
	t_result $? deleting_the_override_brings_back_the_learned_entry "$r" "$r2"
}

# --- step 4: C's enp0s3 down, its gateway is A: replies cross A too -----
test_step4_replies_cross_a_too() {
	on C ip link set enp0s3 down
	cap_start c C enp0s9
	got=$(ping_from B 3 10.10.3.5)
	cap_stop c
	all_frames c "$REP" reply_to_gw
	rc=$?
	t_result $((got == 0 && rc == 0 ? 0 : 1)) \
		with_enp0s3_down_c_replies_to_the_gateway_and_b_gets_nothing \
		"replies=$got"

	on C ip neigh replace 10.10.3.1 dev enp0s9 lladdr "$A9"
	got=$(ping_from B 2 10.10.3.5)
	ENTRY_B=$(entry 2 "$A3" "$B3")
	wait_until 3 hfwd_has 10.10.2.7 "$ENTRY_B"
	t_result $? fwd_learns_b_once_replies_cross_a \
		"replies=$got hfwd[10.10.2.7]=$(hfwd_value 10.10.2.7)"

	counted_stream
	t_result $((got == N && d_table == 2 * N && d_fib == 0 ? 0 : 1)) \
		"requests_and_replies_both_count_in_fwd_table" \
		"replies=$got fwd_table+=$d_table fwd_fib+=$d_fib (want $((2 * N)))"
	n_a=$(($(cap_count a3) + $(cap_count a9)))
	all_frames b "$REP" from_a
	rc=$?
	t_result $((n_a == 0 && rc == 0 ? 0 : 1)) \
		b_gets_replies_from_as_mac_and_a_captures_nothing "A captured $n_a"
}

# --- without the API: C's MAC changes and C announces it --------------
test_cs_mac_change_is_followed_without_the_api() {
	on C ip link set enp0s9 address "$C9_NEW"
	# A MAC change flushes every neighbour of the device, static ones too
	# (neigh_changeaddr): point C's gateway back at A, as an operator would.
	on C ip neigh replace 10.10.3.1 dev enp0s9 lladdr "$A9"
	# C asks for A's address: the ARP request carries C's new MAC, and A's
	# kernel updates its neighbour entry for 10.10.3.5 from it.
	on C ip neigh flush dev enp0s9 to 10.10.3.6
	on C ping -c 1 -W 1 10.10.3.6 >/dev/null
	wait_until 3 hfwd_has 10.10.3.5 "$(entry 4 "$A9" "$C9_NEW")"
	t_result $? hfwd_follows_cs_new_mac "hfwd[10.10.3.5]=$(hfwd_value 10.10.3.5)"
	counted_stream
	all_frames c "$REQ" to_new
	rc=$?
	t_result $((got == N && d_table == 2 * N && rc == 0 ? 0 : 1)) \
		pings_keep_working_through_xdp_after_the_mac_change \
		"replies=$got fwd_table+=$d_table"
}

# --- A forgets C: the entry goes, the kernel takes over, fwd relearns ---
test_a_forgets_c_and_fwd_relearns() {
	on A ip neigh del 10.10.3.5 dev enp0s9
	wait_until 3 hfwd_lacks 10.10.3.5
	t_result $? entry_goes_with_as_neighbour "hfwd[10.10.3.5]=$(hfwd_value 10.10.3.5)"
	nn0=$(counter pass_fib_no_neigh)
	got=$(ping_from B 3 10.10.3.5)
	nn=$(($(counter pass_fib_no_neigh) - nn0))
	t_result $((got == 3 && nn >= 1 ? 0 : 1)) \
		traffic_falls_back_to_the_kernel_and_recovers \
		"replies=$got pass_fib_no_neigh+=$nn"
	wait_until 3 hfwd_has 10.10.3.5 "$(entry 4 "$A9" "$C9_NEW")"
	t_result $? fwd_relearns_c_after_the_kernel_resolves_it
}

# --- fwd stops: XDP goes, the kernel forwards ----------------------------
test_fwd_stops_and_the_kernel_forwards() {
	"$lab" fwd-stop >/dev/null
	wait_until 3 detached
	t_result $? stopping_fwd_detaches_xdp_and_unpins_hfwd \
		"$(on A ip -d link show | grep xdp)"
	cap_start a3 A enp0s3
	got=$(ping_from B 5 10.10.3.5)
	cap_stop a3
	n_a=$(cap_count a3 "$REQ")
	t_result $((got == 5 && n_a == 5 ? 0 : 1)) \
		the_kernel_forwards_once_fwd_is_gone "replies=$got A saw $n_a requests"
}

# --- down leaves nothing behind ----------------------------------------
test_lab_down_leaves_nothing_behind() {
	"$lab" down >/dev/null && "$lab" down >/dev/null
	rc=$?
	after=$(host_state)
	t_result $((rc == 0 ? 0 : 1)) lab_down_twice_succeeds
	[ "$before" = "$after" ] && [ ! -e "$LAB_DIR" ] &&
		! ip netns list | grep -q "^$LAB_PREFIX"
	t_result $? lab_down_leaves_no_namespace_link_route_pin_or_mount \
		"$(diff <(echo "$before") <(echo "$after"))"
}

run_tests
