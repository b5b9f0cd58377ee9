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
bpffs=/sys/fs/bpf
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"
# shellcheck source=tests/e2e/frame_lib.sh
. "$top/tests/e2e/frame_lib.sh"

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

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
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	# every namespace here is the suite's own (isolate.sh's /run/netns)
	ip -all netns delete 2>/dev/null || true
	rm -rf "$tmp"
}
trap router_cleanup EXIT

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
	ip netns exec "$3" ethtool -K "$4" gro on >/dev/null
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

# start_fwd LOG ARGS...: fwd on m1 and m2 until synced (0), or 1 if it
# exited first (pid then empty). FWD_STATE: its --state (default
# $tmp/fwd.db); FWD_READY: the log line to wait for (default "synced";
# "ready in" once the API listens too).
start_fwd() {
	local log=$1 i
	shift
	tap_log=$log
	"$fwd" --iface m1 --iface m2 --bpffs $bpffs \
		--state "${FWD_STATE:-$tmp/fwd.db}" -v "$@" >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 250; i++)); do
		grep -q "${FWD_READY:-synced}" "$log" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid" 2>/dev/null || true
	pid=
	return 1
}

# cnt NAME: packets of fwd_stats counter NAME, summed over CPUs. The key
# is NAME's place in kern/fwd.h's FWD_COUNTERS list.
cnt() {
	local key
	key=$(grep -o 'X([A-Z_0-9]*, *"[a-z_0-9]*")' "$top/kern/fwd.h" |
		grep -n "\"$1\"" | cut -d: -f1)
	bpftool map dump pinned $bpffs/fwd_stats -j |
		jq "[.[] | .formatted | select(.key == $((key - 1))) | .values[].value.packets] | add"
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

# entry IFINDEX SMAC DMAC: a map value's bytes (ifindex in host order).
entry() {
	printf '%02x%02x%02x%02x%s%s' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)) \
		"$(echo "$2" | tr -d :)" "$(echo "$3" | tr -d :)"
}

# wait_iface IF FIELD WANT: until IF's fwd_ifaces FIELD is WANT.
wait_iface() { wait_is "$3" iface "$1" "$2"; }

# verify_clean: fwdctl verify finds every learned entry as the kernel
# says (its output in $tmp/verify).
verify_clean() {
	"$fwdctl" verify >"$tmp/verify" 2>&1
}
