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
#   . "$top/tests/e2e/router_lib.sh"         # sources this file
#   router_topology                           # a fixture all tests share
#   setup() { start_fwd "$tmp/fwd.log"; }     # optional: before each test
#   teardown() { stop_fwd; }                  # optional: after each test
#
#   test_ttl_one_is_passed_to_the_kernel() {  # one check, named after
#       send_ttl_1 || return 1                # the test: its status
#       echo "pass_ttl $(cnt pass_ttl)"       # shown if it fails
#       [ "$(cnt pass_ttl)" = 1 ]
#   }
#   test_egress_frame_is_rewritten() {        # or named checks of its own
#       check "MACs rewritten" [ "$(f_smac "$f")" = "$MAC_M2" ]
#       check "TTL 63" [ "$(f_ttl "$f")" = 63 ]
#   }
#   run_tests                                 # last line: the exit status
#
# A test runs as the condition of an `if`: errexit is off inside it, so
# chain its steps with && (or `|| return 1`). A test that prints no TAP
# line becomes one, named after the function without "test_", and what it
# printed is its failure's diagnostics; one that prints lines (ok, not_ok,
# check, tap_skip) and then returns non-zero adds a failure "NAME: ended
# with status N". setup's failure fails the test without running it;
# teardown runs after every test, its setup failed or not (it undoes what
# there is). tap_bail ends the suite where nothing after a failure can run
# (its fixture did not come up). A test's stdout is held until it ends:
# give a background job its own. The harness's variables are tap_*.
# Per-test setup/teardown where a fresh state is cheap; otherwise a
# fixture made before run_tests and shared, said so in the suite's header.

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
	local tap_name=$1 tap_out=${tmp:-${TMPDIR:-/tmp}}/tap_check.$$
	shift
	if "$@" >"$tap_out" 2>&1; then
		ok "$tap_name"
	elif [ -s "$tap_out" ]; then
		not_ok "$tap_name" "failed: $*" "$(head -c 2000 "$tap_out")"
	else
		not_ok "$tap_name" "failed: $*"
	fi
	rm -f "$tap_out"
}

# t_result STATUS NAME [DIAG...]: one TAP line from a status already
# taken (0: ok); DIAG on failure.
t_result() {
	local rc=$1 name=$2
	shift 2
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$@"
	fi
}

# expect NAME GOT WANT: one TAP line, ok when GOT is WANT.
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
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
	{
		[ -z "${tap_held:-}" ] || cat "$tap_held"
		not_ok "$@"
		echo "Bail out! $1"
		tap_plan
	} >&"${tap_fd:-1}"
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
# no test failed. A test's stdout is held until it ends: its TAP lines
# then, or, for a test that printed none, its output as the diagnostics
# of its failure.
run_tests() {
	# tap_-named: a test sees (and may set) the caller's variables
	local tap_t tap_n0 tap_rc tap_lines
	exec {tap_fd}>&1
	tap_held=${tmp:-${TMPDIR:-/tmp}}/tap_held.$$
	# shellcheck disable=SC2046 # function names are words
	[ $# -gt 0 ] || set -- $(tap_tests)
	for tap_t in "$@"; do
		echo "# $tap_t"
		tap_n0=$tap_n
		if declare -F setup >/dev/null && ! setup; then
			not_ok "${tap_t#test_}: setup failed"
			if declare -F teardown >/dev/null; then teardown || true; fi
			continue
		fi
		tap_rc=0
		"$tap_t" >"$tap_held" || tap_rc=$?
		if [ "$tap_n" -ne "$tap_n0" ]; then
			cat "$tap_held"
			[ "$tap_rc" -eq 0 ] || not_ok "${tap_t#test_}: ended with status $tap_rc"
		elif [ "$tap_rc" -eq 0 ]; then
			ok "${tap_t#test_}"
		else
			mapfile -t tap_lines <"$tap_held"
			not_ok "${tap_t#test_}" "${tap_lines[@]:0:40}"
		fi
		rm -f "$tap_held"
		if declare -F teardown >/dev/null; then teardown || true; fi
	done
	tap_held=
	tap_plan
	[ "$tap_failed" -eq 0 ]
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds (0),
# or 1 once SECONDS have passed.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
