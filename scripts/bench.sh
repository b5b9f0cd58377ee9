#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - `make bench`: fwd's data path against the kernel, and the
# control plane's speed and scale. Builds its own namespaces (generator,
# forwarder, sink) inside tests/isolate.sh, so nothing touches the host's
# interfaces, routes or /sys/fs/bpf. Prints a table and writes
# build/bench/results.json, results.md and pps.png.
#
# usage: scripts/bench.sh [--seconds S] [--trials N] [--quick] [--cpu N]
#                         [--cases LIST] [--changes N] [--cold N,N]
#                         [--no-dp] [--no-cp] [--no-profile]
#                         [--loop N]         (fwd's program in the kernel's
#                                            test loop, N repetitions)
#                         [--fwd-obj FILE]   (a modified fwd.bpf.o to compare)
#                         [--peer-obj FILE [--peer-prog NAME]] (another XDP
#                                            forwarder: cases peer, peer6)
#                         [--daemon-arg OPT] (one more option for the
#                                            daemon of the routed cases)
#                         [--record]         (prepend the results to docs/bench.md)
#                         [--scale | --no-scale] (the scaling sweep: on but
#                                            with --quick)
#                         [--cold6 N] [--flap N] [--burst N4,N6]
#                         [--no-cp-scale]    (the control plane at scale:
#                                            IPv6 cold start, API during
#                                            route flaps, a full table's
#                                            burst; 0 skips one)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/bench
drv=$out/bench

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF, namespaces)" >&2
	exit 1
fi
# Everything below runs in a private net+mount namespace with its own bpffs.
if [ -z "${FWD_BENCH_ISOLATED:-}" ]; then
	export FWD_BENCH_ISOLATED=1
	exec "$top/tests/isolate.sh" "$0" "$@"
fi

seconds=5
trials=5
cpu=1
cases=kernel,table,fib,generic,bare,table-rpf,kernel-8000,table-8000,kernel6,table6,fib6
# build/fwd itself: demand learning (routed*), ECMP, a new destination a packet
daemon_cases=routed,routed6,routed-nh,ecmp,ecmp6,spray,spray6
cases_given=
peer_obj=
peer_prog=xdp_fwd_fib_full
daemon_args=()
changes=2000
cold=10000,100000
api_seconds=5
cold6=100000
flap=
burst=
cp_trials=3
burst_trials=
flap_seconds=
quick=0
do_dp=1
do_cp=1
profile=--profile
loop=()
fwd_obj=$top/build/fwd.bpf.o
record=0
scale=
given="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift ;;
	--trials) trials=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--cases) cases=$2 cases_given=1; shift ;;
	--peer-obj) peer_obj=$2; shift ;;
	--peer-prog) peer_prog=$2; shift ;;
	--daemon-arg) daemon_args+=(--daemon-arg "$2"); shift ;;
	--changes) changes=$2; shift ;;
	--cold) cold=$2; shift ;;
	--quick) quick=1 ;;
	--no-dp) do_dp=0 ;;
	--no-cp) do_cp=0 ;;
	--no-profile) profile= ;;
	--loop) loop=(--loop "$2"); shift ;;
	--fwd-obj) fwd_obj=$2; shift ;;
	--record) record=1 ;;
	--scale) scale=1 ;;
	--cold6) cold6=$2; shift ;;
	--flap) flap=$2; shift ;;
	--burst) burst=$2; shift ;;
	--no-cp-scale) cold6=0 flap=0 burst=0,0 ;;
	--no-scale) scale=0 ;;
	-h | --help)
		sed -n '/^# usage/,/^set/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "bench: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
if [ -z "$scale" ]; then
	scale=$((quick == 1 ? 0 : 1))
fi
if [ "$quick" = 1 ]; then
	seconds=0.8
	trials=5
	changes=1000
	cold=10000
	api_seconds=2
fi
# The full sizes take minutes: a full table through ip -batch alone is
# about 1.5 min each way on this machine, so one burst unless --quick.
if [ "$quick" = 1 ]; then
	: "${flap:=20000}" "${burst:=100000,20000}" "${burst_trials:=2}"
	: "${flap_seconds:=2}"
else
	: "${flap:=100000}" "${burst:=1000000,200000}" "${burst_trials:=1}"
	: "${flap_seconds:=3}"
fi
if [ "$(nproc)" -le "$cpu" ]; then
	cpu=0
fi
# The daemon of the routed cases on the other CPU: its work is not the
# pipeline's, as on a real router's control-plane core.
daemon_cpu=$((cpu == 0 && $(nproc) > 1 ? 1 : 0))
if [ -z "$cases_given" ]; then
	[ -z "$peer_obj" ] || cases=$cases,peer,peer6
	[ ! -x "$top/build/fwd" ] || cases=$cases,$daemon_cases
fi
peer=()
[ -z "$peer_obj" ] || peer=(--peer-obj "$peer_obj" --peer-prog "$peer_prog")
# The routed cases' destinations (topology() routes them).
daemon=(--fwd-bin "$top/build/fwd" --dir "$out" --daemon-cpu "$daemon_cpu"
	--case-dst routed=10.96.0.1 --case-dst routed-nh=10.97.0.1
	--case-dst ecmp=10.98.0.1 --case-dst spray=11.0.0.0
	--case-dst routed6=2001:db8:300::1 --case-dst ecmp6=2001:db8:302::1
	--case-dst spray6=2001:db8:310:: "${daemon_args[@]}")

mkdir -p "$out"
rm -f "$out"/dp.json "$out"/cp.json "$out"/pps.* "$out"/results.* "$out"/fwd-*.log \
	"$out"/scale-*.json "$out"/scale.*

ns() {
	ip netns exec "$@"
}

cleanup() {
	# The driver's children die with it (PDEATHSIG); the namespaces and
	# the private bpffs die with isolate.sh's.
	for n in gen fwd sink; do
		ip netns del "$n" 2>/dev/null || true
	done
}
trap cleanup EXIT

# gen [g0 10.200.1.2] <-> [f0 10.200.1.1] fwd [f1 10.200.2.1] <-> [s0 10.200.2.2] sink
topology() {
	local n
	for n in gen fwd sink; do
		ip netns add "$n"
		ns "$n" ip link set lo up
		ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ns "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add g0 netns gen address 02:00:00:00:01:02 type veth \
		peer name f0 netns fwd address 02:00:00:00:01:01
	ip link add f1 netns fwd address 02:00:00:00:02:01 type veth \
		peer name s0 netns sink address 02:00:00:00:02:02
	ns gen ip addr add 10.200.1.2/24 dev g0
	ns fwd ip addr add 10.200.1.1/24 dev f0
	ns fwd ip addr add 10.200.2.1/24 dev f1
	ns sink ip addr add 10.200.2.2/24 dev s0
	for n in "gen g0" "fwd f0" "fwd f1" "sink s0"; do
		# shellcheck disable=SC2086
		set -- $n
		ns "$1" ip link set "$2" up
	done
	# IPv6 on the forwarder's two veths only (the IPv6 cases): no DAD,
	# no router solicitations, no RAs; the generator and sink need none.
	for n in f0 f1; do
		ns fwd sysctl -qw net.ipv6.conf.$n.disable_ipv6=0 \
			net.ipv6.conf.$n.accept_dad=0 net.ipv6.conf.$n.accept_ra=0 \
			net.ipv6.conf.$n.router_solicitations=0
	done
	ns fwd ip -6 addr add 2001:db8:200:1::1/64 dev f0 nodad
	ns fwd ip -6 addr add 2001:db8:200:2::1/64 dev f1 nodad
	ns fwd ip -6 neigh replace 2001:db8:200:2::2 lladdr 02:00:00:00:02:02 \
		dev f1 nud permanent
	ns fwd sysctl -qw net.ipv6.conf.all.forwarding=1
	ns fwd sysctl -qw net.ipv4.ip_forward=1
	ns fwd sysctl -qw net.ipv4.conf.all.rp_filter=0
	ns fwd sysctl -qw net.ipv4.conf.f0.rp_filter=0
	ns fwd ip neigh replace 10.200.2.2 lladdr 02:00:00:00:02:02 dev f1 \
		nud permanent
	ns fwd ip neigh replace 10.200.1.2 lladdr 02:00:00:00:01:02 dev f0 \
		nud permanent
	# the scaling cases' destinations, 10.64.0.0 + k and 10.80.0.0 + k
	ns fwd ip route add 10.64.0.0/11 via 10.200.2.2 dev f1
	# The routed cases': prefixes via a gateway (routed, routed6, and
	# the spray's /8 and /64), through a nexthop object (routed-nh), over
	# two paths (ecmp: a nexthop group, ecmp6: a multipath route). The
	# second gateway has the sink's MAC: either path reaches it.
	ns fwd ip neigh replace 10.200.2.3 lladdr 02:00:00:00:02:02 dev f1 \
		nud permanent
	ns fwd ip -6 neigh replace 2001:db8:200:2::3 lladdr 02:00:00:00:02:02 \
		dev f1 nud permanent
	ns fwd ip route add 10.96.0.0/16 via 10.200.2.2 dev f1
	ns fwd ip nexthop add id 1 via 10.200.2.2 dev f1
	ns fwd ip nexthop add id 2 via 10.200.2.3 dev f1
	ns fwd ip nexthop add id 3 group 1/2
	ns fwd ip route add 10.97.0.0/16 nhid 1
	ns fwd ip route add 10.98.0.0/16 nhid 3
	ns fwd ip route add 11.0.0.0/8 via 10.200.2.2 dev f1
	ns fwd ip -6 route add 2001:db8:300::/48 via 2001:db8:200:2::2 dev f1
	ns fwd ip -6 route add 2001:db8:302::/48 \
		nexthop via 2001:db8:200:2::2 dev f1 \
		nexthop via 2001:db8:200:2::3 dev f1
	ns fwd ip -6 route add 2001:db8:310::/64 via 2001:db8:200:2::2 dev f1
	# Frames redirected into g0 arrive on f0 only if f0 has NAPI: an XDP
	# program or GRO. The kernel and generic cases have no native program.
	ns fwd ethtool -K f0 gro on
	ns fwd ethtool -K f1 gro on
	if [ "$(ns fwd cat /sys/class/net/f0/threaded)" != 0 ]; then
		echo "bench: threaded NAPI is on; figures would span CPUs" >&2
	fi
}

topology
# Other work on the machine shows up as spread: keep a record of it.
cut -d' ' -f1-3 /proc/loadavg >"$out/loadavg"

echo "fwd bench: $(nproc) vCPUs, $(uname -r), veth pairs; pipeline pinned to CPU $cpu"
echo "           (threaded NAPI off: generator, both NAPI polls, forwarder and"
echo "           sink run in softirq on that one CPU), $trials trials x ${seconds}s"

if [ "$do_dp" = 1 ]; then
	# shellcheck disable=SC2086 # $profile is one word or none
	if ! "$drv" dp --ns /run/netns/gen,/run/netns/fwd,/run/netns/sink \
		--ifs g0,f0,f1,s0 --src 10.200.1.2 --dst 10.200.2.2 \
		--src6 2001:db8:200:1::2 --dst6 2001:db8:200:2::2 \
		--seconds "$seconds" --trials "$trials" --cpu "$cpu" \
		--cases "$cases" --fwd-obj "$fwd_obj" --json "$out/dp.json" \
		"${peer[@]}" "${daemon[@]}" "${loop[@]}" $profile; then
		echo '{"na":"data-path driver failed (its message is above)"}' \
			>"$out/dp.json"
	fi
	if [ "$scale" = 1 ]; then
		# active destinations : hfwd entries, then a full routing table
		for point in 1:1000 1000:100000 100000:1000000; do
			echo "scaling: ${point%:*} active destinations, hfwd of ${point#*:}"
			"$drv" dp --ns /run/netns/gen,/run/netns/fwd,/run/netns/sink \
				--ifs g0,f0,f1,s0 --src 10.200.1.2 --dst 10.200.2.2 \
				--seconds "$seconds" --trials "$trials" --cpu "$cpu" \
				--cases kernel,table,fib --fwd-obj "$fwd_obj" \
				--dests "${point%:*}" --hfwd-entries "${point#*:}" \
				--json "$out/scale-${point%:*}-${point#*:}.json" |
				grep -v '^round' || true
		done
		echo "scaling: 800000 routes (ip -batch), 100000 active destinations"
		awk 'BEGIN { for (k = 0; k < 800000; k++)
			printf "route add 10.%d.%d.%d/32 via 10.200.2.2 dev f1\n",
				64 + int(k / 65536), int(k / 256) % 256, k % 256 }' \
			>"$out/routes.batch"
		ns fwd ip -batch "$out/routes.batch"
		"$drv" dp --ns /run/netns/gen,/run/netns/fwd,/run/netns/sink \
			--ifs g0,f0,f1,s0 --src 10.200.1.2 --dst 10.200.2.2 \
			--seconds "$seconds" --trials "$trials" --cpu "$cpu" \
			--cases kernel,fib --fwd-obj "$fwd_obj" --dests 100000 \
			--json "$out/scale-routes.json" | grep -v '^round' || true
		ns fwd ip route flush root 10.64.0.0/11
		ns fwd ip route add 10.64.0.0/11 via 10.200.2.2 dev f1
		if [ -x "$top/build/fwd" ]; then
			# Demand learning at scale: 800k prefixes via a gateway
			# (12.0.0.0/29 + 8k), 100k destinations, one in each of
			# 100k of them at random; routed against fib.
			echo "scaling: 800000 /29 routes (ip -batch), 100000 active destinations, routed"
			awk 'BEGIN { for (k = 0; k < 800000; k++)
				printf "route add 12.%d.%d.%d/29 via 10.200.2.2 dev f1\n",
					int(k / 8192), int(k / 32) % 256, (k % 32) * 8 }' \
				>"$out/routes.batch"
			ns fwd ip -batch "$out/routes.batch"
			"$drv" dp --ns /run/netns/gen,/run/netns/fwd,/run/netns/sink \
				--ifs g0,f0,f1,s0 --src 10.200.1.2 --dst 10.200.2.2 \
				--seconds "$seconds" --trials "$trials" --cpu "$cpu" \
				--cases kernel,fib,routed --fwd-obj "$fwd_obj" \
				--dests 100000 --dest-base 12.0.0.1 --dest-stride 8 \
				--dest-span 800000 --warmup-max 30 "${daemon[@]}" \
				--json "$out/scale-prefixes.json" | grep -v '^round' || true
			ns fwd ip route flush root 12.0.0.0/8
			rm -f "$out/routes.batch"
		fi
		rm -f "$out/routes.batch"
	fi
	# Leave the forwarder ingress clean for the control plane.
	ns fwd ip link set f0 xdpgeneric off 2>/dev/null || true
	ns fwd ip link set f0 xdp off 2>/dev/null || true
fi

if [ "$do_cp" = 1 ]; then
	if [ ! -x "$top/build/fwd" ]; then
		echo "{\"na\":\"build/fwd not built yet (daemon not on this branch)\"}" \
			>"$out/cp.json"
	else
		"$drv" cp --ns /run/netns/fwd --fwd "$top/build/fwd" \
			--changes "$changes" --cold "$cold" \
			--api-seconds "$api_seconds" \
			--cold6 "$cold6" --flap "$flap" --burst "$burst" \
			--trials "$cp_trials" --burst-trials "$burst_trials" \
			--flap-seconds "$flap_seconds" \
			--json "$out/cp.json" || true
	fi
	[ -s "$out/cp.json" ] || echo '{"na":"control-plane driver failed"}' >"$out/cp.json"
fi

cut -d' ' -f1-3 /proc/loadavg >>"$out/loadavg"
"$top/scripts/bench/report.sh" "$out"
if [ "$record" = 1 ]; then
	# The dated figures file: this run first, under the file's header.
	doc=$top/docs/bench.md
	{
		sed '/^## /,$d' "$doc"
		sed -e 's/^## /### /' \
			-e "1s/^# fwd benchmark/## $(date -u +%F): scripts\/bench.sh ${given//\//\\/}/" \
			"$out/results.md"
		echo
		sed -n '/^## /,$p' "$doc"
	} >"$out/bench.md.new" && mv "$out/bench.md.new" "$doc"
	echo "bench: recorded in $doc"
fi
