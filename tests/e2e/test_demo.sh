#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_demo.sh - `make demo` as a user meets it: scripts/demo.sh runs to the
# end without a question, reports each step's outcome with the figures the
# original shows, runs a second time over the lab the first one left, leaves
# a lab one can look around in, and `scripts/lab.sh down` removes it all.
# (test_lab.sh asserts the scenario itself byte by byte.)
#
# Fixture: the demo's run, shared: each test reads its output or the lab it
# left (a run per test would take minutes).
set -u

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export LAB_PREFIX=fwddemo-
# shellcheck source=tests/e2e/lab_lib.sh
. "$top/tests/e2e/lab_lib.sh"

lab_require
before=$(ip -o link show; ip route show table all; ls -A /sys/fs/bpf
	findmnt -rn -o TARGET | sort)

# has OUT REGEX: the demo's output has a line matching REGEX.
has() {
	grep -qE "$2" <<<"$1"
}

test_demo_runs_to_the_end_without_input() {
	local rc=0
	out1=$(timeout 120 "$top/scripts/demo.sh" </dev/null 2>&1) || rc=$?
	echo "exit $rc"
	tail -n 5 <<<"$out1"
	[ "$rc" -eq 0 ]
}

test_demo_shows_the_first_ping_going_to_the_gateway() {
	has "$out1" '=> 0 of 3 answered; 3 requests went to the gateway'
}

test_demo_shows_fwd_learning_c() {
	has "$out1" '10\.10\.3\.5 .*08:00:27:f2:cb:f9.*learned' &&
		has "$out1" '=> fwd learned 10\.10\.3\.5'
}

test_demo_shows_ten_requests_on_the_fast_path() {
	has "$out1" '=> 10 of 10 answered; fwd_table went [0-9]+ -> [0-9]+ \(\+10: each request once' &&
		has "$out1" "A's enp0s3 capture saw 0 of them"
}

test_demo_shows_the_seed_update_as_an_override() {
	has "$out1" '"traceId": ?"1fabb3c6-bd56-48a7-ac41-132c8228f421"' &&
		has "$out1" '10\.10\.3\.5 .*override'
}

test_demo_shows_replies_crossing_a_with_ttl_and_macs_rewritten() {
	has "$out1" '=> 10 of 10 answered; fwd_table \+20 ' &&
		has "$out1" '08:00:27:13:df:b6 > 08:00:27:f2:cb:f9, .*ttl 63' &&
		has "$out1" 'ttl 63 where B sent 64, and tcpdump found 0 bad'
}

test_demo_runs_again_over_the_lab_it_left() {
	local out2 rc=0
	out2=$(timeout 120 "$top/scripts/demo.sh" </dev/null 2>&1) || rc=$?
	echo "exit $rc"
	tail -n 5 <<<"$out2"
	[ "$rc" -eq 0 ] && has "$out2" '=> 10 of 10 answered; fwd_table \+20 '
}

test_lab_is_left_running_with_fwd_answering() {
	local list
	list=$("$lab" exec A fwdctl list 2>&1)
	echo "$list"
	has "$list" '10\.10\.3\.5' && has "$list" '10\.10\.2\.7'
}

test_lab_down_after_the_demo_leaves_nothing() {
	local pid after
	pid=$(cat "$LAB_DIR/fwd.pid" 2>/dev/null)
	"$lab" down >/dev/null
	after=$(ip -o link show; ip route show table all; ls -A /sys/fs/bpf
		findmnt -rn -o TARGET | sort)
	diff <(echo "$before") <(echo "$after")
	[ "$before" = "$after" ] && [ ! -e "$LAB_DIR" ] &&
		! ip netns list | grep -q "^$LAB_PREFIX" && [ -n "$pid" ] &&
		! kill -0 "$pid" 2>/dev/null
}

run_tests
