#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_top.sh - `fwdctl top` driven in a real terminal (a tmux pane of a
# tmux server of this suite's own), on traffic this suite generates
# between two namespaces through fwd: the rates it shows must be the
# rates the counters move at, sorted by rate, in the pane's width; q and
# Ctrl-C must end it and leave the terminal as it was. And --json lines.
#
#   h1 p1 10.1.0.2 --- m1  r  m2 --- p2 10.2.0.2 h2
#
# Fixture: one daemon, one ping stream and one tmux pane shared by the
# tests, in order: the rate measured first is the reference of the views
# after it (a fresh stream per test would measure it again each time).
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="tmux ping"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"
tm() { tmux -S "$tmp/tmux.sock" "$@"; }
# shellcheck disable=SC2317 # called by the EXIT trap
top_cleanup() {
	tm kill-server 2>/dev/null || true
	router_cleanup
}
trap top_cleanup EXIT

router_topology 1500

stats_rx() {
	"$fwdctl" --socket $sock --json stats |
		jq ".Interfaces[] | select(.Name == \"$1\") | .Rx.$2.packets"
}
# within X LO HI: LO <= X <= HI, X a decimal with an SI suffix or none
within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN {
		m = 1; if (x ~ /k$/) m = 1e3; if (x ~ /M$/) m = 1e6
		sub(/[kM]$/, "", x); x *= m; exit !(x >= lo && x <= hi) }'
}
# pane: the visible screen, wrapped lines joined
pane() { tm capture-pane -p -J -t t; }
# status_line TAG: a command line printing, on one line of its own, the
# exit status of the command before it and the terminal's mode, each named
# by TAG: a line no earlier test printed, so a wait for it cannot match a
# stale screen
status_line() {
	echo "echo ${1}_rc=\$? ${1}_mode=\$(stty -a | grep -o -- '-\?icanon' | head -1)"
}
# wait_pane REGEX: until the pane shows a line matching it (10 s)
wait_pane() {
	local i
	for ((i = 0; i < 200; i++)); do
		pane | grep -qE "$1" && return 0
		sleep 0.05
	done
	return 1
}

test_fwd_starts_on_m1_and_m2() {
	FWD_READY="ready in" start_fwd "$tmp/fwd.log" ||
		tap_bail "fwd starts on m1 and m2"
}

# 10.2.0.2 answers: the requests cross m1, the replies m2, both by the table
test_pings_cross_m1_by_the_table() {
	local r0 r1
	# a job of this shell: router_cleanup ends it
	ip netns exec h1 ping -q -i 0.01 10.2.0.2 >/dev/null 2>&1 &
	sleep 1
	# the rate the counters really move at, over 3 s, as a reference
	r0=$(stats_rx m1 fwd_table)
	sleep 3
	r1=$(stats_rx m1 fwd_table)
	rate=$(((r1 - r0) / 3))
	lo=$((rate * 6 / 10)) hi=$((rate * 14 / 10 + 5))
	if [ "$rate" -ge 20 ]; then
		ok "the pings cross m1 by the table at $rate pkt/s"
	else
		not_ok "the pings cross m1 by the table" "rx m1 fwd_table $r0 -> $r1 in 3 s"
	fi
}

test_top_shows_the_rates_sorted_in_the_panes_width() {
	local screen first pps m1 m1_rx m1_fast m1_tx long
	tm new-session -d -s t -x 100 -y 30 "bash --norc --noprofile"
	tm send-keys -t t "stty -a | grep -o -- '-\?icanon' | head -1 > $tmp/stty.before" Enter
	tm send-keys -t t "$fwdctl --socket $sock top -i 1" Enter
	wait_pane '^m1 ' || true
	sleep 1.2 # a view over a whole interval of steady traffic
	screen=$(pane)
	while IFS= read -r l; do echo "# $l"; done <<<"$screen"

	# the outcome rows: fwd_table first (the fastest), near the reference rate
	# shellcheck disable=SC2016 # awk program
	first=$(echo "$screen" | awk '/^OUTCOME/ { getline; print $1; exit }')
	t_result "$([ "$first" = fwd_table ]; echo $?)" \
		"the outcomes are sorted by rate: fwd_table first" "first outcome row: '$first'"
	pps=$(echo "$screen" | awk '$1 == "fwd_table" { print $2 }')
	# both directions are fwd_table: twice the rate of m1's rx
	t_result "$(within "$pps" $((2 * lo)) $((2 * hi)); echo $?)" \
		"fwd_table shows the rate of both directions ($((2 * rate)) pkt/s)" "shown: '$pps'"
	m1=$(echo "$screen" | awk '$1 == "m1" { print $2, $4, $5 }')
	read -r m1_rx m1_fast m1_tx <<<"$m1"
	# the fast path share: the pings all are; an IPv6 ND or so may not be
	t_result "$(within "$m1_rx" "$lo" "$hi" && within "${m1_fast%\%}" 90 100; echo $?)" \
		"m1 shows its rx rate ($rate pkt/s), on the fast path (>= 90%)" \
		"m1 row: '$m1'"
	t_result "$(within "$m1_tx" "$lo" "$hi"; echo $?)" \
		"m1 shows the replies leaving by it as tx" "m1 row: '$m1'"
	long=$(echo "$screen" | awk 'length > 100' | head -1)
	t_result "$([ -z "$long" ]; echo $?)" \
		"no line is wider than the pane's 100 columns" "$long"
}

test_q_quits_and_restores_the_terminal() {
	local after
	tm send-keys -t t q
	sleep 0.5
	tm send-keys -t t "$(status_line q)" Enter
	wait_pane '^q_rc=' || true
	after=$(pane)
	t_result "$(echo "$after" | grep -qx "q_rc=0 q_mode=$(cat "$tmp/stty.before")" &&
			! echo "$after" | grep -q '^OUTCOME'; echo $?)" \
		"q quits (exit 0) and the terminal is back as it was" \
		"$(echo "$after" | tail -5)"
}

# a narrow pane: columns that do not fit are left out, nothing wraps
test_narrow_pane_and_ctrl_c() {
	local narrow long after
	tm send-keys -t t clear Enter
	tm resize-window -t t -x 50 -y 20
	tm send-keys -t t "$fwdctl --socket $sock top -i 0.5" Enter
	wait_pane '^m1 ' || true
	sleep 0.6
	narrow=$(pane)
	long=$(echo "$narrow" | awk 'length > 50' | head -1)
	t_result "$([ -z "$long" ] && echo "$narrow" | grep -q 'RX PKT/S' &&
			! echo "$narrow" | grep -q 'BIT/S'; echo $?)" \
		"in 50 columns: no line wider, the pkt/s columns kept" \
		"$(echo "$narrow" | head -12)"
	tm send-keys -t t C-c
	sleep 0.5
	tm send-keys -t t "$(status_line cc)" Enter
	wait_pane '^cc_rc=' || true
	after=$(pane)
	t_result "$(echo "$after" | grep -qx "cc_rc=0 cc_mode=$(cat "$tmp/stty.before")"; echo $?)" \
		"Ctrl-C quits and restores the terminal" \
		"$(echo "$after" | tail -5)"
}

# -n: ends by itself after COUNT views
test_count_ends_by_itself() {
	tm send-keys -t t "$fwdctl --socket $sock top -n 2 -i 0.3; echo n_rc=\$?" Enter
	wait_pane '^n_rc=' || true
	t_result "$(pane | grep -qx 'n_rc=0'; echo $?)" \
		"-n 2 -i 0.3 ends by itself" "$(pane | tail -5)"
}

# --json: one object a line, outcomes by rate, the interfaces' rates
test_json_lines() {
	local json_ok
	"$fwdctl" --socket $sock --json top -n 3 -i 1 >"$tmp/top.json" || true
	json_ok=$(jq -s '
		length == 3 and
		all(.[]; (.outcomes | map(.Pps) == (map(.Pps) | sort | reverse))) and
		all(.[]; .outcomes[0].outcome == "fwd_table") and
		all(.[]; (.interfaces[] | select(.interface == "m1") | .rxPps) as $r |
			$r >= '"$lo"' and $r <= '"$hi"')' "$tmp/top.json" 2>&1)
	t_result "$([ "$json_ok" = true ]; echo $?)" \
		"--json: 3 lines, outcomes by rate, m1's rx rate in $lo..$hi" "$json_ok $(head -c 600 "$tmp/top.json")"
}

run_tests
