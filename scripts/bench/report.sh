#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh - turn the driver's dp.json and cp.json into results.json,
# results.md and pps.png (min-max bars around the median), and print the
# Markdown. Either part may be missing: it is then reported as n/a.
#
# usage: scripts/bench/report.sh DIR
set -eu

dir=$1
dp=$dir/dp.json
cp=$dir/cp.json
[ -s "$dp" ] || echo '{"na":"data path not run"}' >"$dp"
[ -s "$cp" ] || echo '{"na":"control plane not run"}' >"$cp"
# The scaling sweep's runs, one file per point (routes: 800k host routes;
# prefixes: 800k /29s via a gateway, the routed case's).
scale=$dir/scaling.json
if ls "$dir"/scale-*.json >/dev/null 2>&1; then
	for f in "$dir"/scale-*.json; do
		case $f in
		*routes*) r=800000 kind="host /32" ;;
		*prefixes*) r=800000 kind=/29 ;;
		*) r=1 kind=- ;;
		esac
		jq --arg r "$r" --arg k "$kind" \
			'. + {routes: ($r | tonumber), route_kind: $k}' "$f"
	done | jq -s 'sort_by(.routes, .route_kind, .dests)' >"$scale"
else
	echo '[]' >"$scale"
fi

jq -n --slurpfile dp "$dp" --slurpfile cp "$cp" --slurpfile scale "$scale" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
	--arg model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	--arg load "$(paste -sd' ' "$dir/loadavg" 2>/dev/null || true)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	'{date: $date, machine: {kernel: $kernel, vcpus: ($cpus | tonumber),
	  cpu: $model, links: "veth",
	  loadavg_start_end: $load}, dataplane: $dp[0], scaling: $scale[0],
	  controlplane: $cp[0]}' \
	>"$dir/results.json"

md=$dir/results.md
{
	echo "# fwd benchmark"
	echo
	jq -r '"Machine: \(.machine.vcpus) vCPUs (\(.machine.cpu)), kernel \(.machine.kernel), veth pairs; \(.date); load average (1/5/15 min) at start and end: \(.machine.loadavg_start_end)."' \
		"$dir/results.json"
	echo
	echo "## Data path (UDP frames of one flow, 64 bytes unless a case says otherwise)"
	echo
	if jq -e '.dataplane.na' "$dir/results.json" >/dev/null; then
		jq -r '"n/a (\(.dataplane.na))"' "$dir/results.json"
	else
		jq -r '.dataplane | "Pipeline pinned to CPU \(.cpu); \(.trials) trials of \(.seconds) s per case, interleaved round-robin; median (min-max) of packets reaching the sink per second."' \
			"$dir/results.json"
		echo
		echo "| case | what | frame B | Mpps median | min | max | Gbit/s |"
		echo "|---|---|---:|---:|---:|---:|---:|"
		jq -r '.dataplane.cases[] | "| \(.name) | \(.what) | \(.frame_bytes) | \(.pps_median/1e6*1000|round/1000) | \(.pps_min/1e6*1000|round/1000) | \(.pps_max/1e6*1000|round/1000) | \(.gbps_median*100|round/100) |"' \
			"$dir/results.json"
		echo
		echo "| ratio | value | paired by round, median (min-max) | target |"
		echo "|---|---:|---:|---|"
		jq -r '.dataplane.ratios | to_entries[] | "| \(.key) | \(.value.value*100|round/100)x | \(if .value.paired then "\(.value.paired*100|round/100)x (\(.value.paired_min*100|round/100)-\(.value.paired_max*100|round/100))" else "-" end) | \(if .value.target > 0 then (if .value.value >= .value.target then "met" else "missed" end) + " (>= \(.value.target)x)" else "-" end) |"' \
			"$dir/results.json"
		if jq -e '[.dataplane.cases[] | select(.daemon)] | length > 0' "$dir/results.json" >/dev/null; then
			echo
			echo "The daemon's cases (a fresh build/fwd per trial, medians over the trials): the warm-up is what went by the fib path before a batch of frames went 99% by the table path, and how long that took; the daemon's CPU is over the measured window; demand is QueryStats' Demand after the last trial (-1: the daemon has none): the daemon's entries against its budget, what it learned and evicted, and the program's reports, duplicates suppressed, reports over the rate limit and reports lost to a full ring."
			echo
			echo "| case | warm-up packets by fib | warm-up ms | daemon CPU % | demand entries / max | learned | evicted idle+budget | reports | suppressed | limited | lost |"
			echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
			jq -r '.dataplane.cases[] | select(.daemon) | .daemon as $d | "| \(.name) | \($d.warmup_packets // "-") | \(if $d.warmup_ms == null then "-" elif $d.warmup_ms < 0 then "never" else ($d.warmup_ms*10|round/10) end) | \($d.cpu_pct*10|round/10) | \($d.entries) / \($d.max) | \($d.learned) | \($d.evictedIdle)+\($d.evictedBudget) | \($d.reports) | \($d.suppressed) | \($d.limited) | \($d.lost) |"' \
				"$dir/results.json"
		fi
		echo
		echo "Per program (verifier's count of instructions walked, size after rewriting, machine code):"
		echo
		echo "| program | verified insns | xlated insns | jited bytes |"
		echo "|---|---:|---:|---:|"
		jq -r '.dataplane.programs[] | "| \(.name) | \(.verified_insns) | \(.xlated_insns) | \(.jited_bytes) |"' \
			"$dir/results.json"
		if jq -e '.dataplane.profile | length > 0' "$dir/results.json" >/dev/null; then
			echo
			echo "Profile pass (one extra trial per case with BPF run-time stats on, not in the figures above; every run also carries the stats' own clock reads, so the difference to bare is what counts):"
			echo
			echo "| case | ns/run, ingress program | over bare |"
			echo "|---|---:|---:|"
			jq -r '.dataplane.profile as $p | ($p | map(select(.name == "bare")) | .[0].ingress_prog_ns) as $b | $p[] | "| \(.name) | \(.ingress_prog_ns*10|round/10) | \(if $b == null or .name == "bare" then "-" else "+\((.ingress_prog_ns - $b)*10|round/10) ns" end) |"' \
				"$dir/results.json"
		fi
	fi
	if jq -e '.scaling | length > 0' "$dir/results.json" >/dev/null; then
		echo
		echo "## Scaling: many destinations, big tables"
		echo
		echo "64-byte frames to N active destinations of hfwd, in a random order (the fib case to N destinations hfwd lacks); the last rows have 800k routes in the kernel's FIB: host routes, or /29 prefixes via a gateway with one destination in each of 100k of them (routed: build/fwd, learning them on demand; its Mpps after the warm-up). Mpps, median (min-max)."
		echo
		echo "| active destinations | hfwd entries | routes | kernel | table | fib | routed | table/kernel | fib/kernel | routed/fib |"
		echo "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
		jq -r '.scaling[] | (.cases | map({(.name): .}) | add) as $c |
			def f(n): if $c[n] then "\($c[n].pps_median/1e4|round/100) (\($c[n].pps_min/1e4|round/100)-\($c[n].pps_max/1e4|round/100))" else "-" end;
			def r(n; d): if $c[n] and $c[d] then "\($c[n].pps_median/$c[d].pps_median*100|round/100)x" else "-" end;
			"| \(.dests) | \(.hfwd_entries) | \(.routes)\(if .routes > 1 then " \(.route_kind)" else "" end) | \(f("kernel")) | \(f("table")) | \(f("fib")) | \(f("routed")) | \(r("table"; "kernel")) | \(r("fib"; "kernel")) | \(r("routed"; "fib")) |"' \
			"$dir/results.json"
		jq -r '.scaling[] | .cases[] | select(.daemon and .daemon.warmup_ms != null) | "\nRouted at scale: warm-up \(.daemon.warmup_packets) packets by the fib path, \(if .daemon.warmup_ms < 0 then "the table path never took over (in one trial at least)" else "\(.daemon.warmup_ms*10|round/10) ms" end); after it \(.via_table) packets by the table path and \(.via_fib) by the fib path over the trials; daemon CPU \(.daemon.cpu_pct*10|round/10)%; demand entries \(.daemon.entries) of \(.daemon.max), learned \(.daemon.learned), evicted \(.daemon.evictedIdle) idle + \(.daemon.evictedBudget) for the budget; reports \(.daemon.reports), limited \(.daemon.limited)."' \
			"$dir/results.json"
	fi
	echo
	echo "## Control plane"
	echo
	if jq -e '.controlplane.na' "$dir/results.json" >/dev/null; then
		jq -r '"n/a (\(.controlplane.na))"' "$dir/results.json"
	else
		echo "| figure | value | target |"
		echo "|---|---|---|"
		jq -r '.controlplane.rows[] | "| \(.name) | \(.value) | \(.target // "-") |"' \
			"$dir/results.json"
	fi
} >"$md"
cat "$md"

# The plot: one bar per case, median with min-max error bars.
if jq -e '.dataplane.cases' "$dir/results.json" >/dev/null && command -v gnuplot >/dev/null; then
	jq -r '.dataplane.cases | to_entries[] | "\(.key) \(.value.name) \(.value.pps_median/1e6) \(.value.pps_min/1e6) \(.value.pps_max/1e6)"' \
		"$dir/results.json" >"$dir/pps.dat"
	gnuplot <<EOF
set terminal pngcairo size 800,480 noenhanced
set output "$dir/pps.png"
set title "fwd: packets per second reaching the sink (one CPU, veth; 64 B but the -8000 cases)"
set ylabel "Mpps (median, min-max bars)"
set yrange [0:*]
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
unset key
plot "$dir/pps.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", \
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     "" using 1:(\$5):(sprintf("%.2f", \$3)) with labels offset 0,1
EOF
fi

# Mpps against active destinations, kernel, table, fib.
if jq -e '.scaling | length > 0' "$dir/results.json" >/dev/null && command -v gnuplot >/dev/null; then
	for c in kernel table fib; do
		jq -r --arg c "$c" '.scaling[] | select(.routes == 1) | .dests as $d |
			.cases[] | select(.name == $c) | "\($d) \(.pps_median/1e6) \(.pps_min/1e6) \(.pps_max/1e6)"' \
			"$dir/results.json" >"$dir/scale-$c.dat"
	done
	jq -r '.scaling[] | select(.routes > 1) | .dests as $d | .cases[] |
		"\($d) \(.pps_median/1e6) \(.name)"' "$dir/results.json" >"$dir/scale-routes.dat"
	gnuplot <<EOF
set terminal pngcairo size 800,480 noenhanced
set output "$dir/scale.png"
set title "fwd: Mpps against active destinations (one CPU, veth, 64 B, random order)"
set xlabel "active destinations (hfwd holds 1k, 100k, 1M)"
set ylabel "Mpps (median, min-max bars)"
set logscale x
set xrange [0.5:300000]
set yrange [0:*]
set grid
set key top right
plot "$dir/scale-kernel.dat" using 1:2:3:4 with yerrorlines title "kernel", \
     "$dir/scale-table.dat" using 1:2:3:4 with yerrorlines title "table (hfwd hit)", \
     "$dir/scale-fib.dat" using 1:2:3:4 with yerrorlines title "fib (bpf_fib_lookup)", \
     "$dir/scale-routes.dat" using 1:2 with points pt 7 ps 1.5 title "800k routes: kernel, fib"
EOF
fi
