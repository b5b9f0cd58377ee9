#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - run test suites and print one summary line.
#
# Every suite speaks TAP ("ok N - name", "not ok N - name", "# SKIP" marks a
# skip). cmocka suites get CMOCKA_MESSAGE_OUTPUT=TAP. Each suite runs under
# isolate.sh (namespaces of its own, a private bpffs and /run) and a
# timeout (900 s, or -t). A suite that exits non-zero without reporting a
# failure, or times out, counts as one failure.
#
# usage: tests/run.sh [-t SECONDS] SUITE...
set -u

timeout_s=900
if [ "${1:-}" = "-t" ]; then
	timeout_s=$2
	shift 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=$top/build/tests/logs
mkdir -p "$logdir"
passed=0 failed=0 skipped=0

for suite in "$@"; do
	name=${suite#"$top"/}
	log=$logdir/$(echo "$name" | tr '/' '_').log
	echo "== $name"
	CMOCKA_MESSAGE_OUTPUT=TAP FWD_TOP=$top timeout -k 10 "$timeout_s" \
		"$top/tests/isolate.sh" "$suite" >"$log" 2>&1
	rc=$?
	sed 's/^/   /' "$log"
	p=$(grep -cE "^ok [0-9]+" "$log")
	s=$(grep -cE '^(not )?ok [0-9]+.*# *SKIP' "$log")
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -vcE '# *(SKIP|TODO)')
	p=$((p - $(grep -E '^ok [0-9]+' "$log" | grep -cE '# *SKIP')))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "   !! $name exited with status $rc without reporting a failure"
		f=1
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "   !! $name timed out after ${timeout_s}s"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
done

echo "Summary: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
