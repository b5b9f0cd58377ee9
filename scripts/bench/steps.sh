#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# steps.sh - where a path's time goes: the profile pass's ns per run of
# xdp_handle_fwd, built whole and with one step left out at a time
# (scripts/bench/profile.h's SKIP_* bits, built with -DFWD_PROFILE, which
# only this script does), each measured by scripts/bench.sh --fwd-obj
# against bare in the same run; a step's cost is the whole program's
# ns/run minus its variant's. Rounds alternate the builds, so drift in
# the machine spreads over all of them.
#
# table: the table path (case table). fib: the fib path, IPv4 and IPv6
# (cases fib, fib6; the report too), and two variants that are not steps left out:
# miss, the fib path without hfwd's (hfwd6's) lookup before it, and
# direct6, IPv6's lookup in the main table alone (BPF_FIB_LOOKUP_DIRECT),
# what skipping the local table's walk would save at most.
# loop: both paths' steps in the kernel's test loop (bench.sh --loop: one
# frame, BPF_PROG_TEST_RUN, the kernel's ns per run), steadier than the
# pipeline's profile; every build there also leaves out the rewrite, so
# that the frame stays as it was from one repetition to the next.
#
# usage: scripts/bench/steps.sh [ROUNDS [table|fib|loop]]  (default 2 table; root;
#        ROUNDS 0 prints the last call's figures again)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-2}
path=${2:-table}
out=$top/build/bench/steps-$path
mkdir -p "$out"

# name:FWD_PROFILE_SKIP bits (0: the whole program), or name:-DMACRO
case $path in
table)
	steps="whole:0 csum:1 hfwd:2 rewrite:4 counter:8 buff_len:16 own_source:32 ifstats:64"
	cases=table
	;;
fib)
	steps="whole:0 icmp:128 ports:256 lookup:512 report:1024 own_source:32 rewrite:4 counter:8 ifstats:64 buff_len:16 miss:-DFWD_PROFILE_NOMISS direct6:-DFWD_PROFILE_DIRECT6"
	cases=fib,fib6
	;;
loop)
	steps="whole:0 csum:1 hfwd:2 counter:8 buff_len:16 own_source:32 ifstats:64 icmp:128 ports:256 lookup:512 report:1024 miss:-DFWD_PROFILE_NOMISS direct6:-DFWD_PROFILE_DIRECT6"
	cases=table,fib,table6,fib6
	;;
*)
	echo "steps: no path $path (table, fib or loop)" >&2
	exit 2
	;;
esac
for s in $steps; do
	v=${s#*:}
	# the loop's builds keep the frame as it was: no rewrite (4)
	base=$([ "$path" = loop ] && echo 4 || echo 0)
	case $v in
	-D*) def="$v -DFWD_PROFILE_SKIP=$base" ;;
	*) def=-DFWD_PROFILE_SKIP=$((v | base)) ;;
	esac
	# shellcheck disable=SC2086 # $def is one or two -D words
	clang -O2 -g -target bpf -Wall -Wextra -Werror \
		-I"/usr/include/$(gcc -dumpmachine)" -I"$top/kern" \
		-I"$top/scripts/bench" -DFWD_PROFILE $def \
		-c "$top/kern/fwd.bpf.c" -o "$out/${s%:*}.bpf.o"
done

# "table    ingress program  104.1 ns/run = bare  +48.7 ns": one line a
# case, "<case> <build> ns" into runs
# ROUNDS 0: summarize the runs of the last call again
[ "$rounds" = 0 ] || : >"$out/runs"
read -ra all <<<"$steps"
for ((r = 1; r <= rounds; r++)); do
	# each round starts one build later: a round's first run (cold
	# caches, the machine's other work) falls on every build in turn
	for ((i = 0; i < ${#all[@]}; i++)); do
		s=${all[(i + r - 1) % ${#all[@]}]}
		if [ "$path" = loop ]; then
			"$top/scripts/bench.sh" --no-cp --no-scale --seconds 0.2 \
				--trials 1 --no-profile --loop 2000000 \
				--cases "$cases" --fwd-obj "$out/${s%:*}.bpf.o" \
				>"$out/${s%:*}.log" 2>&1 || true
		else
			"$top/scripts/bench.sh" --no-cp --no-scale --seconds 1 \
				--trials 1 --cases "$cases,bare" \
				--fwd-obj "$out/${s%:*}.bpf.o" \
				>"$out/${s%:*}.log" 2>&1 || true
		fi
		# "loop fib 58.0 ns/run ...", or the profile's "fib ingress program 91.0 ns/run"
		awk -v s="${s%:*}" -v cases="$cases" '
			BEGIN { n = split(cases, c, ","); for (i = 1; i <= n; i++) want[c[i]] = 1 }
			$1 == "loop" && ($2 in want) { print $2, s, $3 }
			$2 == "ingress" && $3 == "program" && ($1 in want) { print $1, s, $4 }
			$1 == "bare" && $2 == "ingress" { print "bare", "bare", $4 }' \
			"$out/${s%:*}.log" >>"$out/runs"
	done
done

# Median over the rounds; each step's cost against the whole program.
awk -v order="$steps" -v cases="$cases" '{ v[$1, $2] = v[$1, $2] " " $3 }
function med(k,    a, n, i, j, t) {
	n = split(v[k], a, " ")
	if (!n)
		return -1
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	nc = split(cases, c, ",")
	ns = split(order, st, " ")
	b = med("bare" SUBSEP "bare")
	printf "%-12s", "build"
	for (i = 1; i <= nc; i++)
		printf " %10s %11s %8s", c[i] " ns/run", "min-max", "cost"
	if (b >= 0) {
		printf "\n%-12s", "bare"
		for (i = 1; i <= nc; i++)
			printf " %10.1f %5.1f-%-5.1f %8s", b, lo, hi, "-"
	} else {
		b = 0 # the loop: no bare, the whole build as it is
	}
	printf "\n"
	for (s = 1; s <= ns; s++) {
		name = st[s]; sub(/:.*/, "", name)
		# direct6 is a variant, not a step: its cost is what it saves
		printf "%-12s", name == "whole" || name ~ /^direct/ ? name : "no " name
		for (i = 1; i <= nc; i++) {
			w = med(c[i] SUBSEP "whole")
			m = med(c[i] SUBSEP name)
			if (m < 0) {
				printf " %10s %11s %8s", "n/a", "", ""
				continue
			}
			if (name == "whole")
				printf " %10.1f %5.1f-%-5.1f %+7.1f", m, lo, hi, m - b
			else
				printf " %10.1f %5.1f-%-5.1f %7.1f", m, lo, hi, w - m
		}
		printf "\n"
	}
	printf "(whole: over bare, or as it is in the loop; a step: the whole program less its variant, ns)\n"
}' "$out/runs" | tee "$out/steps.txt"
