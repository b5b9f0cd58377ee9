# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tap.sh - the TAP helpers and the test harness every shell suite shares
# (tests/*/test_*.sh; tests/e2e/lab_lib.sh and router_lib.sh source it), so
# that "ok N - name", the counters, the skip lines and the plan are written
# one way. Not named test_*.sh: tests/run.sh would take it for a suite.
#
# A suite is a list of test functions, test_<behaviour>, that run_tests
# runs in the order they are written, then prints the plan it counted:
#
#   . "$top/tests/e2e/router_lib.sh"        # sources this file
#   router_topology                          # a fixture all tests share
#   setup() { start_fwd "$tmp/fwd.log"; }    # optional: before each test
#   teardown() { stop_fwd; }                 # optional: after each test
#
#   test_ttl_one_is_passed_to_kernel() {     # no TAP line of its own:
#       send_ttl1 && [ "$(cnt pass_ttl)" = 1 ]   # its status is the check
#   }
#   test_egress_frame() {                    # or several named checks
#       check "MACs rewritten" [ "$(f_smac "$f")" = "$MAC_M2" ]
#       check "TTL 63" [ "$(f_ttl "$f")" = 63 ]
#   }
#   run_tests                                # last line: the exit status
#
# A test runs as the condition of an `if`: errexit is off inside it, so
# chain its steps with && (or `|| return 1`). A test that prints no TAP
# line becomes one, named after the function without "test_"; one that
# prints lines (ok, not_ok, check, tap_skip) and then returns non-zero
# adds a failure "NAME: ended with status N". setup's failure fails the
# test without running it; teardown runs after every test that set up.

tap_n=0      # TAP lines printed so far
tap_failed=0 # of which "not ok"
# prefix of a failure's diagnostic lines (lab_lib.sh indents them)
tap_diag_prefix="# "
# a log whose last lines a failure shows (a daemon's), if set
tap_log=

# ok NAME: a passed test.
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

# not_ok NAME [DIAG...]: a failed test, each DIAG on a comment line, then
# the end of $tap_log.
not_ok() {
	local l
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
	shift
	for l in "$@"; do
		echo "$tap_diag_prefix$l"
	done
	if [ -n "$tap_log" ] && [ -f "$tap_log" ]; then
		sed 's/^/#   log: /' "$tap_log" | tail -n 20
	fi
	return 0
}

# check NAME CMD...: one TAP line from CMD's status; on failure the
# command and the start of what it printed are the diagnostics. CMD runs
# in this shell (it may start or stop a daemon), its output in a file.
check() {
	local name=$1 out=${TMPDIR:-/tmp}/tap_check.$$
	shift
	if "$@" >"$out" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "failed: $*" "$(head -c 2000 "$out")"
	fi
	rm -f "$out"
}

# tap_skip REASON: a test that cannot run here.
tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

# skip_all REASON: the whole suite cannot run here, as one skipped test.
skip_all() {
	echo "1..1"
	echo "ok 1 # SKIP $1"
	exit 0
}

# tap_bail NAME [DIAG...]: a failure nothing after it can run past (the
# fixture did not come up): not_ok, "Bail out!", the plan, exit 1.
tap_bail() {
	not_ok "$@"
	echo "Bail out! $1"
	tap_plan
	exit 1
}

# tap_plan: the plan, for suites that count their tests as they go.
tap_plan() {
	echo "1..$tap_n"
}

# tap_tests: the suite's test_* functions, in the order they are written.
tap_tests() {
	local f
	shopt -s extdebug
	for f in $(declare -F | awk '$3 ~ /^test_/ { print $3 }'); do
		declare -F "$f"
	done | sort -k2,2n | awk '{ print $1 }'
	shopt -u extdebug
}

# run_tests [TEST...]: each TEST (default: every test_* function) between
# setup and teardown where the suite defines them, then the plan; 0 when
# no test failed.
run_tests() {
	local t n rc
	# shellcheck disable=SC2046 # function names are words
	[ $# -gt 0 ] || set -- $(tap_tests)
	for t in "$@"; do
		echo "# $t"
		n=$tap_n
		if declare -F setup >/dev/null && ! setup; then
			not_ok "${t#test_}: setup failed"
			continue
		fi
		rc=0
		"$t" || rc=$?
		if [ "$tap_n" -eq "$n" ]; then
			if [ "$rc" -eq 0 ]; then ok "${t#test_}"; else not_ok "${t#test_}"; fi
		elif [ "$rc" -ne 0 ]; then
			not_ok "${t#test_}: ended with status $rc"
		fi
		if declare -F teardown >/dev/null; then teardown || true; fi
	done
	tap_plan
	[ "$tap_failed" -eq 0 ]
}
