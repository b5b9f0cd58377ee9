#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_ifstats.sh - per-interface counters of a running fwd, read the way an
# operator reads them: QueryStats (fwdctl --json stats) and GET /metrics,
# checked against traffic this suite generated and counted itself.
#
#   h1 p1 10.1.0.2 --- m1  r  m2 --- p2 10.2.0.2 h2
#                          r  m3 --- p3 10.3.0.2 h3   (deleted, re-created)
#
# 10.2.0.77 and 10.1.0.77 are "virtual hosts": static neighbours with the
# far host's MAC, which drops what it receives without answering, so a
# one-way stream is counted exactly on each interface.
#
# Fixture: one daemon shared by the tests, in order: each counts from
# where the one before left the counters, and the last restarts it.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="curl"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"
MAC_M3=02:00:00:00:03:01 MAC_P3=02:00:00:00:03:02

router_topology 1500
ip neigh replace 10.2.0.77 lladdr $MAC_P2 dev m2 nud permanent
ip neigh replace 10.1.0.77 lladdr $MAC_P1 dev m1 nud permanent
m3_up() {
	router_veth m3 $MAC_M3 h3 p3 $MAC_P3
	ip addr add 10.3.0.1/24 dev m3
	ip -n h3 addr add 10.3.0.2/24 dev p3
	ip -n h3 route add default via 10.3.0.1
	ip -n h3 neigh replace 10.3.0.1 lladdr $MAC_M3 dev p3 nud permanent
	ip neigh replace 10.3.0.77 lladdr $MAC_P3 dev m3 nud permanent
}
m3_up

stats() { "$fwdctl" --socket $sock --json stats; }
metrics() { curl -sf --unix-socket $sock http://localhost/metrics; }
# rx IF OUTCOME / tx IF: packets, from QueryStats.
rx() {
	stats | jq ".Interfaces[] | select(.Name == \"$1\") | .Rx.$2.packets"
}
tx() { stats | jq ".Interfaces[] | select(.Name == \"$1\") | .Tx.packets"; }
# series IF DIR OUTCOME: fwd_interface_packets_total's value, from /metrics.
series() {
	metrics | awk -v s="fwd_interface_packets_total{interface=\"$1\",direction=\"$2\",outcome=\"$3\"}" \
		'$1 == s { print $2 }'
}
test_fwd_starts_on_m1_m2_and_m3() {
	local i
	if FWD_READY="ready in" start_fwd "$tmp/fwd.log" --iface m3 --keep; then
		ok "fwd starts on m1, m2 and m3"
	else
		tap_bail "fwd starts on m1, m2 and m3"
	fi
	# learned at start from the static neighbours: the table path
	for i in $(seq 150); do
		[ "$("$fwdctl" --socket $sock --json get 10.2.0.77 2>/dev/null |
			jq -r '.Tables[0].Source')" = learned ] &&
			[ "$("$fwdctl" --socket $sock --json get 10.1.0.77 2>/dev/null |
				jq -r '.Tables[0].Source')" = learned ] && break
		sleep 0.02
	done
}

test_table_path_is_counted_on_both_interfaces() {
	m1_rx0=$(rx m1 fwd_table) m2_rx0=$(rx m2 fwd_table)
	m1_tx0=$(tx m1) m2_tx0=$(tx m2)
	m1_ttl0=$(rx m1 pass_ttl)
	send_udp h1 10.2.0.77 40
	send_udp h2 10.1.0.77 25
	expect "40 datagrams h1 -> h2: rx m1 fwd_table" $(($(rx m1 fwd_table) - m1_rx0)) 40
	expect "... tx m2 redirected" $(($(tx m2) - m2_tx0)) 40
	expect "25 datagrams h2 -> h1: rx m2 fwd_table" $(($(rx m2 fwd_table) - m2_rx0)) 25
	expect "... tx m1 redirected" $(($(tx m1) - m1_tx0)) 25
}

# TTL 1: the kernel's (time exceeded), counted on the ingress by reason
test_ttl_1_is_counted_on_the_ingress_by_reason() {
	ip netns exec h1 ping -q -c 6 -i 0.05 -t 1 -W 0.2 10.2.0.77 >/dev/null 2>&1 || true
	expect "6 pings with TTL 1: rx m1 pass_ttl" $(($(rx m1 pass_ttl) - m1_ttl0)) 6
	expect "... and no more left by m2" $(($(tx m2) - m2_tx0)) 40
}

# /metrics says what QueryStats says, series by series
test_metrics_say_what_querystats_says() {
	local got sums
	got=$(series m1 rx fwd_table)
	expect "/metrics rx m1 fwd_table equals QueryStats" "$got" "$(rx m1 fwd_table)"
	got=$(series m2 tx redirected)
	expect "/metrics tx m2 redirected equals QueryStats" "$got" "$(tx m2)"
	# every packet arrives on a managed interface: rx summed over interfaces
	# is fwd_packets_total, outcome by outcome
	# shellcheck disable=SC2016 # awk program
	sums=$(metrics | awk '
		/^fwd_packets_total\{/ { split($1, a, "\""); tot[a[2]] = $2 }
		/^fwd_interface_packets_total\{.*direction="rx"/ {
			split($1, a, "\""); ifs[a[6]] += $2 }
		END { for (o in tot) if (tot[o] != ifs[o]) print o, tot[o], ifs[o] }')
	expect "rx over interfaces sums to fwd_packets_total, every outcome" "$sums" ""
}

# m3 comes and goes: a new m3 is a new interface, its counters start at 0,
# and the map holds the slots of the three names, however many m3s were
test_a_recreated_interface_counts_from_zero() {
	local size0 h1_more ok_recreate round ix_old ix i n before tx_before after tx_after
	size0=$(bpftool map show pinned $bpffs/fwd_ifstats -j | jq .max_entries)
	expect "fwd_ifstats holds 3 slots and the agent's baseline" "$size0" 4
	send_udp h3 10.2.0.77 7
	send_udp h1 10.3.0.77 9
	h1_more=9 # what h1 sent after the first 40, all by the table too
	expect "7 datagrams h3 -> h2: rx m3 fwd_table" "$(rx m3 fwd_table)" 7
	expect "9 datagrams h1 -> m3: tx m3" "$(tx m3)" 9
	ok_recreate=1
	for round in 1 2 3 4 5; do
		ix_old=$(ip -j link show m3 | jq '.[0].ifindex')
		ip link del m3
		ip netns del h3
		m3_up
		ix=$(ip -j link show m3 | jq '.[0].ifindex')
		for i in $(seq 150); do
			[ "$(stats | jq ".Interfaces[] | select(.Name == \"m3\") | .Iface")" = "$ix" ] && break
			sleep 0.02
		done
		n=$((round + 2))
		before=$(rx m3 fwd_table) tx_before=$(tx m3)
		send_udp h3 10.2.0.77 $n
		send_udp h1 10.3.0.77 $((n + 1))
		h1_more=$((h1_more + n + 1))
		after=$(rx m3 fwd_table) tx_after=$(tx m3)
		if [ "$ix" = "$ix_old" ] || [ "$before $tx_before" != "0 0" ] ||
			[ "$after $tx_after" != "$n $((n + 1))" ]; then
			ok_recreate=0
			not_ok "m3 re-created (round $round)" \
				"ifindex $ix_old -> $ix, rx fwd_table $before then $after, want 0 then $n" \
				"tx $tx_before then $tx_after, want 0 then $((n + 1))"
			break
		fi
	done
	[ $ok_recreate = 1 ] && ok "m3 re-created 5 times: each new one counts rx and tx from 0, exactly"
	expect "QueryStats lists m1, m2, m3 once each" \
		"$(stats | jq -c '[.Interfaces[].Name] | sort')" '["m1","m2","m3"]'
	expect "fwd_ifstats did not grow" \
		"$(bpftool map show pinned $bpffs/fwd_ifstats -j | jq .max_entries)" "$size0"
	expect "m1's counters were not touched by m3's slot" \
		$(($(rx m1 fwd_table) - m1_rx0)) $((40 + h1_more))
}

# a restart that adopts the pinned maps keeps every interface's counters
test_a_restart_keeps_every_interfaces_counters() {
	local m1_rx m2_tx m3_rx m3_tx
	m1_rx=$(rx m1 fwd_table) m2_tx=$(tx m2) m3_rx=$(rx m3 fwd_table) m3_tx=$(tx m3)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	if FWD_READY="ready in" start_fwd "$tmp/fwd2.log" --iface m3; then
		expect "after a restart (--keep): rx m1, tx m2, rx and tx m3 as they were" \
			"$(rx m1 fwd_table) $(tx m2) $(rx m3 fwd_table) $(tx m3)" \
			"$m1_rx $m2_tx $m3_rx $m3_tx"
	else
		not_ok "fwd restarts"
	fi
}

run_tests
