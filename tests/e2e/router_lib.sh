# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# router_lib.sh - the two-host router topology of the e2e suites that run
# build/fwd in their own namespace (under tests/isolate.sh), and the
# helpers to start and stop it. Not named test_*.sh: not a suite.
#
#   h1 p1 10.1.0.2/24 --- m1 10.1.0.1/24  r  m2 10.2.0.1/24 --- p2 10.2.0.2 h2
#
# Source it with top set; it sources tests/tap.sh, skips the suite when it
# cannot run (not root, no build, a namespace not fresh, no private
# bpffs, a tool of $router_tools missing) and cleans up on exit.
: "${top:?source router_lib.sh with top set}"
fwd=${FWD_BIN:-$top/build/fwd}
fwdctl=${FWDCTL_BIN:-$top/build/fwdctl}
# fwd's default --control (/run is isolate.sh's)
# shellcheck disable=SC2034 # used by the suites that source this
sock=/run/fwd/fwd.sock
bpffs=/sys/fs/bpf
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"
# shellcheck source=tests/e2e/frame_lib.sh
. "$top/tests/e2e/frame_lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x "$fwd" ] || skip_all "build/fwd not built"
for t in ip bpftool jq ${router_tools:-}; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
[ "$(ip -o link show | grep -vc ': lo:')" -eq 0 ] ||
	skip_all "not in a fresh network namespace (run under tests/isolate.sh)"
mountpoint -q "$bpffs" || skip_all "no private bpffs at $bpffs"

tmp=$(mktemp -d)
pid=
router_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	frr_stop_all
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	# every namespace here is the suite's own (isolate.sh's /run/netns)
	ip -all netns delete 2>/dev/null || true
	rm -rf "$tmp"
}
trap router_cleanup EXIT
# a timeout's TERM (tests/run.sh) or ^C ends the suite through the cleanup
trap 'exit 143' TERM
trap 'exit 130' INT

MAC_M1=02:00:00:00:01:01 MAC_P1=02:00:00:00:01:02
MAC_M2=02:00:00:00:02:01 MAC_P2=02:00:00:00:02:02

# router_veth LOCAL LOCALMAC NS PEER PEERMAC [MTU]: NS made if need be.
router_veth() {
	ip netns add "$3" 2>/dev/null || true
	ip link add "$1" mtu "${6:-1500}" address "$2" type veth peer name "$4" \
		mtu "${6:-1500}" address "$5" netns "$3"
	ip link set "$1" up
	ip -n "$3" link set "$4" up
	ip -n "$3" link set lo up
	# A veth takes XDP-redirected frames only with NAPI (GRO) on its peer.
	# tx off: the host's stack computes every checksum in full, as a
	# wire's senders do (test_offload.sh turns it on)
	ip netns exec "$3" ethtool -K "$4" gro on tx off >/dev/null
}

# router_topology [MTU]: the picture above, every neighbour permanent.
router_topology() {
	local mtu=${1:-1500}

	router_veth m1 $MAC_M1 h1 p1 $MAC_P1 "$mtu"
	router_veth m2 $MAC_M2 h2 p2 $MAC_P2 "$mtu"
	ip addr add 10.1.0.1/24 dev m1
	ip addr add 10.2.0.1/24 dev m2
	ip -n h1 addr add 10.1.0.2/24 dev p1
	ip -n h1 route add default via 10.1.0.1
	ip -n h1 neigh replace 10.1.0.1 lladdr $MAC_M1 dev p1 nud permanent
	ip -n h2 addr add 10.2.0.2/24 dev p2
	ip -n h2 route add default via 10.2.0.1
	ip -n h2 neigh replace 10.2.0.1 lladdr $MAC_M2 dev p2 nud permanent
	ip neigh replace 10.1.0.2 lladdr $MAC_P1 dev m1 nud permanent
	ip neigh replace 10.2.0.2 lladdr $MAC_P2 dev m2 nud permanent
	sysctl -qw net.ipv4.ip_forward=1
}

# router_ipv6: IPv6 on the topology, every neighbour permanent, forwarded:
#   h1 p1 2001:db8:1::2/64 --- m1 2001:db8:1::1/64  r
#                              m2 2001:db8:2::1/64 --- p2 2001:db8:2::2/64 h2
router_ipv6() {
	local i n
	for i in m1 m2; do
		sysctl -qw net.ipv6.conf.$i.accept_dad=0 net.ipv6.conf.$i.accept_ra=0
	done
	for n in h1:p1 h2:p2; do
		ip netns exec "${n%:*}" sysctl -qw "net.ipv6.conf.${n#*:}.accept_dad=0"
	done
	ip addr add 2001:db8:1::1/64 dev m1 nodad
	ip addr add 2001:db8:2::1/64 dev m2 nodad
	ip -n h1 addr add 2001:db8:1::2/64 dev p1 nodad
	ip -n h2 addr add 2001:db8:2::2/64 dev p2 nodad
	ip -n h1 route add default via 2001:db8:1::1
	ip -n h2 route add default via 2001:db8:2::1
	ip -n h1 neigh replace 2001:db8:1::1 lladdr $MAC_M1 dev p1 nud permanent
	ip -n h2 neigh replace 2001:db8:2::1 lladdr $MAC_M2 dev p2 nud permanent
	ip neigh replace 2001:db8:1::2 lladdr $MAC_P1 dev m1 nud permanent
	ip neigh replace 2001:db8:2::2 lladdr $MAC_P2 dev m2 nud permanent
	sysctl -qw net.ipv6.conf.all.forwarding=1
}

# start_fwd LOG ARGS...: fwd on $FWD_IFACES (default m1 m2) until synced
# (0), or 1 if it exited first (pid then empty). FWD_STATE: its --state
# (default $tmp/fwd.db); FWD_READY: the log line to wait for (default
# "synced"; "ready in" once the API listens too).
start_fwd() {
	local log=$1 ifc end
	local -a ifaces=()
	shift
	tap_log=$log
	for ifc in ${FWD_IFACES:-m1 m2}; do ifaces+=(--iface "$ifc"); done
	# emptied here, not only by the background job's redirection: the job
	# may run after the first look below, which then found an earlier
	# daemon's "ready in" in a log a suite starts fwd on again (test_api,
	# loaded: its checks ran before the new daemon had pinned its maps)
	: >"$log"
	"$fwd" "${ifaces[@]}" --bpffs $bpffs \
		--state "${FWD_STATE:-$tmp/fwd.db}" -v "$@" >"$log" 2>&1 &
	pid=$!
	# 30 s: test_api's restart after kill -9 was not ready within 10 s on
	# a loaded machine (2 vCPUs shared by several suites at once)
	end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		grep -q "${FWD_READY:-synced}" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	# not ready in time: not left running. The log (a failure's
	# diagnostics) says which, and how fwd ended.
	if kill "$pid" 2>/dev/null; then
		echo "start_fwd: not '${FWD_READY:-synced}' in 30 s, stopped" >>"$log"
	fi
	local rc=0
	wait "$pid" 2>/dev/null || rc=$?
	echo "start_fwd: fwd exited with status $rc" >>"$log"
	pid=
	return 1
}

# cnt NAME [packets|bytes]: fwd_stats counter NAME, summed over CPUs. The
# key is NAME's place in kern/fwd.h's FWD_COUNTERS list.
cnt() {
	local key
	key=$(grep -o 'X([A-Z_0-9]*, *"[a-z_0-9]*")' "$top/kern/fwd.h" |
		grep -n "\"$1\"" | cut -d: -f1)
	bpftool map dump pinned $bpffs/fwd_stats -j |
		jq "[.[] | .formatted | select(.key == $((key - 1))) | .values[].value.${2:-packets}] | add"
}

# snmp NS GROUP:FIELD: a counter of namespace NS ("r": this shell's) from
# /proc/net/snmp ("Ip:ForwDatagrams", "Icmp:InEchos", "Udp:NoPorts") or,
# for an IPv6 group, /proc/net/snmp6 ("Icmp6:InEchos", "Udp6:NoPorts").
snmp() {
	local g=${2%%:*} f=${2#*:}
	# shellcheck disable=SC2016 # awk programs
	case $g in
	*6) nsx "$1" awk -v n="$g$f" '$1 == n { print $2 }' /proc/net/snmp6 ;;
	*)
		nsx "$1" awk -v g="$g:" -v n="$f" '$1 == g {
			if (!c) { for (i = 2; i <= NF; i++) if ($i == n) c = i }
			else print $c }' /proc/net/snmp
		;;
	esac
}

# echoes [4|6]: ICMP (6: ICMPv6) echo requests h2 received so far.
echoes() {
	if [ "${1:-4}" = 6 ]; then snmp h2 Icmp6:InEchos; else snmp h2 Icmp:InEchos; fi
}

# cnt_sum NAME...: the packets of fwd_stats counters NAME..., added.
cnt_sum() {
	local c n=0
	for c; do n=$((n + $(cnt "$c"))); done
	echo "$n"
}

# probe NAME SRC N COUNTER DELTA ECHOES [MIN]: N pings from h1's SRC to h2
# ($TO; default 10.2.0.2, 2001:db8:2::2 from an IPv6 SRC), one every 20
# ms; COUNTER must grow by DELTA (at least DELTA with MIN: a counter that
# other frames, MLD and the like, may reach too), h2 get ECHOES requests,
# and the family's fast path (fwd_table; fwd_fib6 and fwd_table6) no more
# than COUNTER says. One TAP line.
probe() {
	local fam=4 to=10.2.0.2 fast=fwd_table c0 e0 f0 c1 e1 f1 d
	case $2 in *:*) fam=6 to=2001:db8:2::2 fast="fwd_fib6 fwd_table6" ;; esac
	# shellcheck disable=SC2086 # counter names are words
	c0=$(cnt "$4") e0=$(echoes $fam) f0=$(cnt_sum $fast)
	ip netns exec h1 ping -$fam -I "$2" -c "$3" -i 0.02 -W 0.3 -q "${TO:-$to}" \
		>/dev/null 2>&1 || true
	sleep 0.2
	# shellcheck disable=SC2086
	c1=$(cnt "$4") e1=$(echoes $fam) f1=$(cnt_sum $fast)
	d=$((c1 - c0))
	case " $fast " in *" $4 "*) ;; *) [ "$f1" -eq "$f0" ] || d=-1 ;; esac
	if { [ "$d" -eq "$5" ] || { [ -n "${7:-}" ] && [ "$d" -ge "$5" ]; }; } &&
		[ $((e1 - e0)) -eq "$6" ]; then
		ok "$1 ($4 +$((c1 - c0)), h2 got $((e1 - e0)))"
	else
		not_ok "$1" "$4 +$((c1 - c0)) (want $5), fast path +$((f1 - f0))," \
			"h2 got $((e1 - e0)) (want $6)"
	fi
}

# neigh_timers_short ipv4|ipv6 IF: IF's neighbour timers short, so that a
# silent MAC change is found in seconds: reachable <= 1.5 * 1 s,
# delay_first_probe 1 s, 3 unicast probes x 0.2 s.
neigh_timers_short() {
	local k
	for k in base_reachable_time_ms=1000 delay_first_probe_time=1 \
		retrans_time_ms=200 ucast_solicit=3; do
		sysctl -qw "net.$1.neigh.$2.$k"
	done
}

# capture_start NAME NS DEV TCPDUMP-ARG...: tcpdump -w $tmp/NAME.pcap on
# NS's DEV, the ARGs its options and filter (-c 1: it ends by itself after
# a frame), once it listens (5 s); capture_stop ends every one started,
# after 0.2 s for the last frames in flight.
caps=()
capture_start() {
	local name=$1 ns=$2 dev=$3 i
	local -a run=()
	shift 3
	[ "$ns" = r ] || run=(ip netns exec "$ns")
	# an earlier capture's "listening" must not end the wait (as start_fwd)
	: >"$tmp/$name.err"
	# not through nsx: $! must be tcpdump itself (ip netns exec execs), the
	# one to take capture_stop's SIGINT (a subshell would ignore it)
	"${run[@]}" tcpdump --immediate-mode -nn -U -i "$dev" \
		-w "$tmp/$name.pcap" "$@" 2>"$tmp/$name.err" &
	caps+=($!)
	for ((i = 0; i < 100; i++)); do
		grep -qs listening "$tmp/$name.err" && return 0
		sleep 0.05
	done
	return 1
}
capture_stop() {
	local p
	sleep 0.2
	for p in "${caps[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${caps[@]}"; do wait "$p" 2>/dev/null || true; done
	caps=()
}

# cnt_all: "NAME PACKETS" for every fwd_stats counter, in fwd.h's order
# (one bpftool call).
cnt_all() {
	paste -d' ' <(grep -o 'X([A-Z_0-9]*, *"[a-z_0-9]*")' "$top/kern/fwd.h" |
		grep -o '"[a-z_0-9]*"' | tr -d '"') \
		<(bpftool map dump pinned $bpffs/fwd_stats -j |
			jq '[.[] | .formatted | {k: .key,
				v: ([.values[].value.packets] | add)}] | sort_by(.k) | .[].v')
}
# cnt_delta BEFORE AFTER: "NAME +N" for each counter that moved between
# two cnt_all outputs (files).
cnt_delta() {
	paste -d' ' "$1" "$2" | awk '$4 != $2 { printf "%s%s +%d", s, $1, $4 - $2; s = ", " }'
}

# iface IF FIELD: a field of IF's fwd_ifaces entry (flags, mtu, mtu6).
iface() {
	# shellcheck disable=SC2046 # the key is four words
	bpftool map lookup pinned $bpffs/fwd_ifaces key \
		$(printf "%d 0 0 0" "$(ip -j link show "$1" | jq ".[0].ifindex")") -j |
		jq ".formatted.value.$2"
}

# wait_flags IF MASK WANT: until IF's flags & MASK == WANT (3 s).
wait_flags() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ $(($(iface "$1" flags) & $2)) -eq "$3" ] && return 0
		sleep 0.02
	done
	return 1
}

stop_fwd() {
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
}

# key6 ADDR: an IPv6 address as bpftool's key words ("hex 20 01 ...").
key6() {
	local a=${1/::/:x:} out="" g n i
	n=$(echo "$a" | tr ':' '\n' | grep -vc '^x$')
	for g in ${a//:/ }; do
		if [ "$g" = x ]; then
			for ((i = n; i < 8; i++)); do out+="0000"; done
		else
			out+=$(printf '%04x' "0x$g")
		fi
	done
	# shellcheck disable=SC2001 # one space after every byte
	echo "hex $(echo "$out" | sed 's/../& /g')"
}

# map_value MAP IP: the value bytes of MAP[IP] (hfwd: IPv4, hfwd6:
# IPv6) as hex, "" if none.
map_value() {
	local key
	case $2 in
	*:*) key=$(key6 "$2") ;;
	*) key=${2//./ } ;;
	esac
	# shellcheck disable=SC2086 # the key is words
	bpftool map lookup pinned "$bpffs/$1" key $key -j 2>/dev/null |
		jq -r '.value | map(ltrimstr("0x")) | join("")' 2>/dev/null
}

# wait_is WANT CMD...: until CMD prints WANT (3 s).
wait_is() {
	local want=$1 i
	shift
	for ((i = 0; i < 150; i++)); do
		[ "$("$@")" = "$want" ] && return 0
		sleep 0.02
	done
	return 1
}

# wait_map MAP IP WANT: until map_value says WANT.
wait_map() { wait_is "$3" map_value "$1" "$2"; }

# wait_iface IF FIELD WANT: until IF's fwd_ifaces FIELD is WANT.
wait_iface() { wait_is "$3" iface "$1" "$2"; }

# verify_clean: fwdctl verify finds every learned entry as the kernel
# says (its output in $tmp/verify).
verify_clean() {
	"$fwdctl" verify >"$tmp/verify" 2>&1
}

# verify_tap STEP: verify_clean as one TAP line, its output the failure's
# diagnostics; a skip only while fwdctl has no verify command (its --help
# does not list it).
verify_tap() {
	if ! "$fwdctl" --help 2>&1 | grep -qw verify; then
		tap_skip "fwdctl verify after $1: this fwdctl has no verify"
	elif verify_clean; then
		ok "fwdctl verify clean after $1"
	else
		not_ok "fwdctl verify clean after $1" "$(cat "$tmp/verify")"
	fi
}

# veth_pair NS1 IF1 MAC1 NS2 IF2 MAC2: a veth between two namespaces
# (made if need be; "r" is this shell's), both ends up, GRO on both (a
# veth takes XDP-redirected frames only with NAPI on its receiving end),
# transmit checksum offload off on both: a veth's UDP and TCP frames
# otherwise carry a partial checksum that only the skb's metadata
# (CHECKSUM_PARTIAL) completes; the kernel forwards the metadata along,
# XDP forwards the bytes, and the far end drops them as corrupt. On a wire
# the checksum is always whole.
veth_pair() {
	local ns
	for ns in "$1" "$4"; do
		[ "$ns" = r ] || ip netns add "$ns" 2>/dev/null || true
		nsx "$ns" ip link set lo up
	done
	nsx "$1" ip link add "$2" address "$3" type veth peer name "$5" \
		address "$6" netns "$(ns_ref "$4")"
	nsx "$1" ip link set "$2" up
	nsx "$4" ip link set "$5" up
	nsx "$1" ethtool -K "$2" gro on tx off >/dev/null
	nsx "$4" ethtool -K "$5" gro on tx off >/dev/null
}

# nsx NS CMD...: CMD in namespace NS; "r" is this shell's own.
nsx() {
	local ns=$1
	shift
	if [ "$ns" = r ]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}
# ns_ref NS: what `ip link ... netns` takes for NS (this shell's by pid).
ns_ref() {
	if [ "$1" = r ]; then echo $$; else echo "$1"; fi
}

# send_udp NS DST COUNT: COUNT one-way UDP datagrams from namespace NS to
# DST, port 9 (bash's /dev/udp: no tool in the namespace needed).
send_udp() {
	ip netns exec "$1" bash -c "for ((i = 0; i < $3; i++)); do
		echo -n fwd >/dev/udp/$2/9; done" 2>/dev/null
}

# udp_flows NS N DST...: from namespace NS, N UDP flows to each DST (IPv4
# or IPv6), one datagram each, flow i from port 40001+i to port 5001+i
# (unconnected sockets, perl's core Socket): the same datagrams, flow by
# flow, in every run.
udp_flows() {
	local ns=$1 n=$2
	shift 2
	# shellcheck disable=SC2016 # perl
	nsx "$ns" perl -MSocket=:all -e '
		my $n = shift;
		for my $i (0 .. $n - 1) {
			for my $d (@ARGV) {
				my $f = $d =~ /:/ ? AF_INET6 : AF_INET;
				my $sa = $f == AF_INET ? \&pack_sockaddr_in : \&pack_sockaddr_in6;
				socket(my $s, $f, SOCK_DGRAM, 0) or die "socket: $!";
				bind($s, $sa->(40001 + $i,
					$f == AF_INET ? INADDR_ANY : IN6ADDR_ANY)) or die "bind: $!";
				send($s, "fwd flow $i", 0,
					$sa->(5001 + $i, inet_pton($f, $d))) or die "send: $!";
			}
		}' "$n" "$@"
}

# --- FRR (Debian's frr), one instance per namespace ----------------------
# Each instance lives in $tmp/frr/NS ("r": this shell's namespace): its
# config files (zebra.conf, staticd.conf, bgpd.conf, written by the suite
# with frr_conf), vty sockets, zserv socket, pid and log files, every path
# given on the command line (-f, -i, -z, --vty_socket; -P 0: no vty TCP
# port). Not -N: its path space is /var/run/frr/NAME, and FRR does not make
# /var/run/frr. The daemons start as root and drop to Debian's frr user
# (8.4 refuses -u root: root is not in its frrvty group); they run in the
# foreground as this shell's jobs, so router_cleanup ends them on every
# exit path, and nothing of them is left on the host.
frr_bin=/usr/lib/frr
declare -A frr_pids=()

# frr_conf NS DAEMON: DAEMON's config file in NS's instance, from stdin.
frr_conf() {
	mkdir -p "$tmp/frr/$1"
	cat >"$tmp/frr/$1/$2.conf"
}

# frr_start NS: zebra, then staticd and bgpd in NS, each waited for until
# its vty socket is there (5 s); 1 if one is not.
frr_start() {
	local ns=$1 d=$tmp/frr/$1 dm i
	local -a run=()
	[ "$ns" = r ] || run=(ip netns exec "$ns")
	# the daemons drop to Debian's frr user: their directory is theirs
	chmod 0711 "$tmp"
	mkdir -p "$d"
	chown -R frr:frr "$tmp/frr"
	for dm in zebra staticd bgpd; do
		[ -f "$d/$dm.conf" ] || : >"$d/$dm.conf"
		rm -f "$d/$dm.vty"
		# not through nsx: $! must be the daemon itself (ip netns exec execs)
		"${run[@]}" "$frr_bin/$dm" -u frr -g frr \
			-f "$d/$dm.conf" -i "$d/$dm.pid" -z "$d/zserv.api" \
			--vty_socket "$d" -P 0 --log "file:$d/$dm.log" \
			</dev/null >>"$d/$dm.out" 2>&1 &
		frr_pids[$ns]+=" $!"
		for ((i = 0; i < 250; i++)); do
			[ -S "$d/$dm.vty" ] && break
			kill -0 $! 2>/dev/null || break
			sleep 0.02
		done
		[ -S "$d/$dm.vty" ] || return 1
	done
}

# frr_stop NS: its daemons ended (TERM, KILL after 5 s), bgpd first;
# zebra takes its routes out of the kernel as it exits.
frr_stop() {
	local p i pids=${frr_pids[$1]:-}
	frr_pids[$1]=
	for p in $(echo "$pids" | tr ' ' '\n' | tac); do
		kill -TERM "$p" 2>/dev/null || continue
		for ((i = 0; i < 250; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

frr_stop_all() {
	local ns
	for ns in "${!frr_pids[@]}"; do
		frr_stop "$ns"
	done
}

# frr_vtysh NS CMD...: vtysh on NS's instance, one -c per CMD.
frr_vtysh() {
	local d=$tmp/frr/$1 c
	local -a a=()
	shift
	for c in "$@"; do a+=(-c "$c"); done
	vtysh --vty_socket "$d" "${a[@]}" 2>&1
}
