#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_demo.sh - `make demo` as a user meets it: scripts/demo.sh runs to the
# end without a question, reports each step's outcome with the figures the
# original shows, runs a second time over the lab the first one left, leaves
# a lab one can look around in, and `scripts/lab.sh down` removes it all.
# (test_lab.sh asserts the scenario itself byte by byte.)
set -u

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
export LAB_PREFIX=fwddemo-
# shellcheck source=tests/e2e/lab_lib.sh
. "$top/tests/e2e/lab_lib.sh"

lab_require
tmp=$(mktemp -d /tmp/fwddemo-XXXXXX)
export LAB_DIR=$tmp/lab

before=$(ip -o link show; ip route show table all; ls -A /sys/fs/bpf
	findmnt -rn -o TARGET | sort)
cleanup() {
	"$lab" down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
# A timeout's SIGTERM must run cleanup too: fwd runs in its own session and
# would outlive the suite.
trap 'exit 143' TERM INT

# has OUT REGEX: the demo's output has a line matching REGEX.
has() {
	grep -qE "$2" <<<"$1"
}

out1=$(timeout 120 "$top/scripts/demo.sh" </dev/null 2>&1)
rc=$?
t_result "$rc" demo_runs_to_the_end_without_input "exit $rc" \
	"$(tail -n 5 <<<"$out1")"

has "$out1" '=> 0 of 3 answered; 3 requests went to the gateway'
t_result $? demo_shows_the_first_ping_going_to_the_gateway
has "$out1" '10\.10\.3\.5 .*08:00:27:f2:cb:f9.*learned' &&
	has "$out1" '=> fwd learned 10\.10\.3\.5'
t_result $? demo_shows_fwd_learning_c
has "$out1" '=> 10 of 10 answered; fwd_table went [0-9]+ -> [0-9]+ \(\+10: each request once' &&
	has "$out1" "A's enp0s3 capture saw 0 of them"
t_result $? demo_shows_ten_requests_on_the_fast_path
has "$out1" '"traceId": ?"1fabb3c6-bd56-48a7-ac41-132c8228f421"' &&
	has "$out1" '10\.10\.3\.5 .*override'
t_result $? demo_shows_the_seed_update_as_an_override
has "$out1" '=> 10 of 10 answered; fwd_table \+20 ' &&
	has "$out1" '08:00:27:13:df:b6 > 08:00:27:f2:cb:f9, .*ttl 63' &&
	has "$out1" 'ttl 63 where B sent 64, and tcpdump found 0 bad'
t_result $? demo_shows_replies_crossing_a_with_ttl_and_macs_rewritten

out2=$(timeout 120 "$top/scripts/demo.sh" </dev/null 2>&1)
rc=$?
has "$out2" '=> 10 of 10 answered; fwd_table \+20 '
found=$?
t_result $((rc == 0 && found == 0 ? 0 : 1)) demo_runs_again_over_the_lab_it_left \
	"exit $rc" "$(tail -n 5 <<<"$out2")"

list=$("$lab" exec A fwdctl list 2>&1)
has "$list" '10\.10\.3\.5' && has "$list" '10\.10\.2\.7'
t_result $? lab_is_left_running_with_fwd_answering "$list"

pid=$(cat "$LAB_DIR/fwd.pid" 2>/dev/null)
"$lab" down >/dev/null
after=$(ip -o link show; ip route show table all; ls -A /sys/fs/bpf
	findmnt -rn -o TARGET | sort)
[ "$before" = "$after" ] && [ ! -e "$LAB_DIR" ] &&
	! ip netns list | grep -q "^$LAB_PREFIX" && [ -n "$pid" ] &&
	! kill -0 "$pid" 2>/dev/null
t_result $? lab_down_after_the_demo_leaves_nothing \
	"$(diff <(echo "$before") <(echo "$after"))"

tap_plan
[ "$tap_failed" -eq 0 ]
