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

jq -n --slurpfile dp "$dp" --slurpfile cp "$cp" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
	--arg model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	--arg load "$(paste -sd' ' "$dir/loadavg" 2>/dev/null || true)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	'{date: $date, machine: {kernel: $kernel, vcpus: ($cpus | tonumber),
	  cpu: $model, links: "veth",
	  loadavg_start_end: $load}, dataplane: $dp[0], controlplane: $cp[0]}' \
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
		echo "| ratio | value | target |"
		echo "|---|---:|---|"
		jq -r '.dataplane.ratios | to_entries[] | "| \(.key) | \(.value.value*100|round/100)x | \(if .value.target > 0 then (if .value.value >= .value.target then "met" else "missed" end) + " (>= \(.value.target)x)" else "-" end) |"' \
			"$dir/results.json"
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
