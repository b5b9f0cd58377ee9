#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# steps.sh - where the table path's time goes: the profile pass's ns per
# run of xdp_handle_fwd, built whole and with one step left out at a time
# (scripts/bench/profile.h's SKIP_* bits, built with -DFWD_PROFILE, which
# only this script does), each measured by scripts/bench.sh
# --fwd-obj against bare in the same run; a step's cost is the whole
# program's ns/run minus its variant's. Rounds alternate the builds, so
# drift in the machine spreads over all of them.
#
# usage: scripts/bench/steps.sh [ROUNDS]   (default 2; root)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-2}
out=$top/build/bench/steps
mkdir -p "$out"

# name:FWD_PROFILE_SKIP bit (0: the whole program)
steps="whole:0 csum:1 hfwd:2 rewrite:4 counter:8 buff_len:16 own_source:32 ifstats:64"
for s in $steps; do
	clang -O2 -g -target bpf -Wall -Wextra -Werror \
		-I"/usr/include/$(gcc -dumpmachine)" -I"$top/kern" \
		-I"$top/scripts/bench" -DFWD_PROFILE \
		-DFWD_PROFILE_SKIP="${s#*:}" -c "$top/kern/fwd.bpf.c" \
		-o "$out/${s%:*}.bpf.o"
done

: >"$out/runs"
for ((r = 1; r <= rounds; r++)); do
	for s in $steps; do
		"$top/scripts/bench.sh" --quick --no-cp --no-scale \
			--cases table,bare --fwd-obj "$out/${s%:*}.bpf.o" \
			>"$out/${s%:*}.log" 2>&1 || true
		# "table    ingress program  104.1 ns/run = bare  +48.7 ns"
		awk -v s="${s%:*}" '/^table +ingress program/ { print s, $4 }
			/^bare +ingress program/ { print "bare", $4 }' \
			"$out/${s%:*}.log" >>"$out/runs"
	done
done

# Median over the rounds; each step's cost against the whole program.
awk '{ v[$1] = v[$1] " " $2 }
END {
	for (k in v) {
		n = split(v[k], a, " ")
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med[k] = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		lo[k] = a[1]; hi[k] = a[n]
	}
	printf "%-12s %10s %10s  %s\n", "build", "ns/run", "min-max", "cost of the step"
	printf "%-12s %10.1f %4.1f-%-5.1f\n", "bare", med["bare"], lo["bare"], hi["bare"]
	printf "%-12s %10.1f %4.1f-%-5.1f  bare + %.1f ns\n", "whole", med["whole"],
		lo["whole"], hi["whole"], med["whole"] - med["bare"]
	split("csum hfwd rewrite counter buff_len own_source ifstats", order, " ")
	for (i = 1; i <= 7; i++) {
		k = order[i]
		if (!(k in med))
			continue
		printf "%-12s %10.1f %4.1f-%-5.1f  %.1f ns\n", "no " k, med[k],
			lo[k], hi[k], med["whole"] - med[k]
	}
}' "$out/runs" | tee "$out/steps.txt"
