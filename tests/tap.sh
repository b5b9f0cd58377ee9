# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tap.sh - the TAP helpers every shell suite shares (tests/*/test_*.sh and
# tests/e2e/lab_lib.sh source it), so that "ok N - name", the counters and
# the skip lines are written one way. Not named test_*.sh: tests/run.sh
# would take it for a suite.
#
# Each suite keeps its own plan (fixed up front or counted at the end) and
# the exit status it derives from tap_failed.

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

# tap_plan: the plan, for suites that count their tests as they go.
tap_plan() {
	echo "1..$tap_n"
}
