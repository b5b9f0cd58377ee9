#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_frr.sh - fwd on a router run by a real routing daemon: FRR, as
# Debian ships it (zebra, staticd, bgpd), one instance per namespace,
# each in a private directory (router_lib.sh's frr_start). What FRR
# installs is what fwd must follow: BGP routes with ECMP through nexthop
# groups (the fib path, with the kernel's choice of next hop flow by
# flow), static host routes through single nexthop objects (the table
# path), and a path failure, after which the BGP prefixes have one path
# and their destinations are learned on demand (the table path after the
# first datagram). Every check compares with the kernel alone, in the
# same topology: the same link per flow, the same bytes at the far end
# (ECMP and single-path alike), no more packets lost when the link to U1
# fails.
#
# Topology (run under tests/isolate.sh; this shell's namespace is R,
# running build/fwd on m1, m2, m3 and FRR):
#
#                       m2 10.11.0.1 --- q1 10.11.0.2 U1 w1 10.21.0.1 --- t1 .2
#  C p1 10.1.0.2 --- m1 10.1.0.1 R                                            S
#                       m3 10.12.0.1 --- q2 10.12.0.2 U2 w2 10.22.0.1 --- t2 .2
#
# R is AS 65000, U1 AS 65001, U2 AS 65002.
#
# IPv6 alike (10.N.0.X is 2001:db8:N::X). S takes every address of
# 10.9.0.0/24 and 2001:db8:9::/64 (local routes on lo) and sends nothing
# back (no route to C): its UDP NoPorts counters count what arrives. U1
# and U2 reach S's prefixes by static routes and announce them to R over
# IPv4 and IPv6 BGP sessions (1 s keepalives); R installs each through a
# nexthop group of two. R also has static routes 10.9.0.200/32 and
# 2001:db8:9::200/128 via U1 alone: single nexthop objects.
#
# Flows of one address pair, told apart by their ports, take both links:
# R hashes IPv4 on layer 4 (fib_multipath_hash_policy 1); IPv6 keeps the
# default policy 0 (addresses and flow label), the flow label being the
# sender's hash of the ports (auto_flowlabels). Not IPv6 under policy 1
# here: between namespaces the sender's skb hash (computed for that flow
# label) crosses the veth, and the kernel's forwarding then hashes with it
# instead of the ports: half the flows took the other link in the
# kernel-only run while fwd agreed with `ip -6 route get ... sport dport`
# for every flow; with auto_flowlabels 0 on C the kernel agreed too. No
# wire carries a sender's skb hash.
#
# Fixture: the topology and FRR shared by the tests, in order: the kernel
# alone first, as the reference fwd's frames and choices are held to, then
# fwd, then a path failure with it (FRR's convergence, ~10 s, once).
set -u

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="tcpdump ethtool perl vtysh"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"
for d in zebra staticd bgpd; do
	[ -x "$frr_bin/$d" ] || skip_all "FRR's $d not installed (make deps)"
done

MAC_M3=02:00:00:00:03:01
MAC_Q1=02:00:00:00:0b:02 MAC_Q2=02:00:00:00:0c:02
N_FLOWS=32

# --- the topology -------------------------------------------------------
for ns in c u1 u2 s; do
	ip netns add $ns
done
for ns in r c u1 u2 s; do
	# IPv6 next hops must survive a flap (FRR does not add addresses back)
	nsx $ns sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 \
		net.ipv6.conf.default.keep_addr_on_down=1 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
for ns in r u1 u2; do
	nsx $ns sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
done
sysctl -qw net.ipv4.fib_multipath_hash_policy=1
veth_pair r m1 $MAC_M1 c p1 $MAC_P1
veth_pair r m2 $MAC_M2 u1 q1 $MAC_Q1
veth_pair r m3 $MAC_M3 u2 q2 $MAC_Q2
veth_pair u1 w1 02:00:00:00:15:01 s t1 02:00:00:00:15:02
veth_pair u2 w2 02:00:00:00:16:01 s t2 02:00:00:00:16:02
while read -r ns dev net host; do
	nsx "$ns" ip addr add "10.$net.0.$host/24" dev "$dev"
	nsx "$ns" ip addr add "2001:db8:$net::$host/64" dev "$dev" nodad
done <<EOF
r m1 1 1
c p1 1 2
r m2 11 1
u1 q1 11 2
r m3 12 1
u2 q2 12 2
u1 w1 21 1
s t1 21 2
u2 w2 22 1
s t2 22 2
EOF
ip -n c route add default via 10.1.0.1
ip -n c route add default via 2001:db8:1::1
ip -n c neigh replace 10.1.0.1 lladdr $MAC_M1 dev p1 nud permanent
ip -n c neigh replace 2001:db8:1::1 lladdr $MAC_M1 dev p1 nud permanent
ip -n s route add local 10.9.0.0/24 dev lo
ip -n s route add local 2001:db8:9::/64 dev lo

# --- FRR ----------------------------------------------------------------
frr_conf r staticd <<EOF
ip route 10.9.0.200/32 10.11.0.2
ipv6 route 2001:db8:9::200/128 2001:db8:11::2
EOF
{
	echo "router bgp 65000"
	echo " bgp router-id 10.255.0.1"
	echo " no bgp ebgp-requires-policy"
	echo " no bgp default ipv4-unicast"
	echo " bgp bestpath as-path multipath-relax"
	echo " timers bgp 1 3"
	for n in 10.11.0.2:65001 10.12.0.2:65002 2001:db8:11::2:65001 \
		2001:db8:12::2:65002; do
		echo " neighbor ${n%:*} remote-as ${n##*:}"
		echo " neighbor ${n%:*} timers connect 1"
	done
	for af in "ipv4 10.11.0.2 10.12.0.2" "ipv6 2001:db8:11::2 2001:db8:12::2"; do
		# shellcheck disable=SC2086 # three words
		set -- $af
		echo " address-family $1 unicast"
		echo "  neighbor $2 activate"
		echo "  neighbor $3 activate"
		echo "  maximum-paths 2"
		echo " exit-address-family"
	done
} | frr_conf r bgpd
for u in 1 2; do
	frr_conf u$u staticd <<EOF
ip route 10.9.0.0/24 10.2$u.0.2
ipv6 route 2001:db8:9::/64 2001:db8:2$u::2
EOF
	frr_conf u$u bgpd <<EOF
router bgp 6500$u
 bgp router-id 10.255.0.1$u
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 timers bgp 1 3
 neighbor 10.1$u.0.1 remote-as 65000
 neighbor 10.1$u.0.1 timers connect 1
 neighbor 2001:db8:1$u::1 remote-as 65000
 neighbor 2001:db8:1$u::1 timers connect 1
 address-family ipv4 unicast
  neighbor 10.1$u.0.1 activate
  network 10.9.0.0/24
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1$u::1 activate
  network 2001:db8:9::/64
 exit-address-family
EOF
done

# nhid PREFIX: the nexthop object of R's route to PREFIX ("" if none).
nhid() {
	local f=-4
	case $1 in *:*) f=-6 ;; esac
	ip $f -j route show "$1" 2>/dev/null | jq -r '.[0].nhid // empty'
}
# nh_show ID: `ip nexthop show id ID` as one line.
nh_show() { ip nexthop show id "$1" 2>/dev/null | tr -s ' \n' ' ' | sed 's/ $//'; }
# ecmp N: R's routes to S's prefixes have N paths each, by nexthop
# objects: a group of N members (or, for 1, a single next hop).
ecmp() {
	local p id
	for p in 10.9.0.0/24 2001:db8:9::/64; do
		id=$(nhid $p)
		[ -n "$id" ] || return 1
		[ "$(ip -j nexthop show id "$id" |
			jq '.[0] | if .group then .group | length else 1 end')" -eq "$1" ] ||
			return 1
	done
}
# statics: R's static host routes use single nexthop objects via U1.
statics() {
	local id
	id=$(nhid 10.9.0.200/32) && [ -n "$id" ] &&
		nh_show "$id" | grep -q "via 10.11.0.2 dev m2 " &&
		id=$(nhid 2001:db8:9::200/128) && [ -n "$id" ] &&
		nh_show "$id" | grep -q "via 2001:db8:11::2 dev m2 "
}
# frr_routes: R's routes and nexthops for S, for a failure's diagnostics.
frr_routes() {
	ip route show 10.9.0.0/24
	ip route show 10.9.0.200
	ip -6 route show 2001:db8:9::/64
	ip -6 route show 2001:db8:9::200
	ip nexthop show
}
# prime: R has resolved the neighbour of every nexthop object (the
# link-local next hops of the IPv6 BGP routes are not BGP's peers), so
# that the fib path finds them as the kernel will.
prime() {
	local gw dev
	while read -r gw dev; do
		ping -c 1 -W 1 -I "$dev" "$gw" >/dev/null 2>&1 || true
	done < <(ip -j nexthop show | jq -r '.[] | select(.gateway) | "\(.gateway) \(.dev)"')
}

# --- traffic and what arrives -------------------------------------------
# noports: datagrams S took so far, "IPv4 IPv6" (its UDP NoPorts).
noports() {
	snmp s Udp:NoPorts
	snmp s Udp6:NoPorts
}

noports_sum() { noports | awk '{ n += $1 } END { print n }'; }

# flows TAG: N_FLOWS UDP flows from C to S's 10.9.0.7 and as many to
# 2001:db8:9::7, one datagram each (udp_flows: from port 40001+i to port
# 5001+i), i.e. the same datagram in every run (IPv4 but for its IP ID,
# which the sender's kernel picks). Captured as sent on
# C's p1 ($tmp/TAG.F.sent, F the family 4 or 6) and as U1 and U2 receive
# them on q1 and q2 ($tmp/TAG.F: "DPORT LINK FRAME" lines, by port).
# shellcheck disable=SC2016 # awk programs
flows() {
	local tag=$1 link f
	set -- udp and dst portrange 5001-$((5000 + N_FLOWS))
	# a short snapshot: the ring holds slots of that size, and at the
	# default (256 KiB) a burst of 64 small frames overflows it
	capture_start "$tag.p1" c p1 -s 256 -B 4096 "$@" &&
		capture_start "$tag.q1" u1 q1 -s 256 -B 4096 "$@" &&
		capture_start "$tag.q2" u2 q2 -s 256 -B 4096 "$@" || echo "# capture not ready"
	udp_flows c $N_FLOWS 10.9.0.7 2001:db8:9::7
	capture_stop
	for link in p1 q1 q2; do
		pcap_frames "$tmp/$tag.$link.pcap" | awk -v l=$link '
			function hex(s, i, n) {
				for (i = 1; i <= length(s); i++)
					n = n * 16 + index("0123456789abcdef",
						substr(s, i, 1)) - 1
				return n
			}
			substr($0, 25, 4) == "0800" { print 4, hex(substr($0, 73, 4)), l, $0 }
			substr($0, 25, 4) == "86dd" { print 6, hex(substr($0, 113, 4)), l, $0 }'
	done >"$tmp/$tag.all"
	for f in 4 6; do
		awk -v f=$f '$1 == f && $3 == "p1" { print $4 }' "$tmp/$tag.all" \
			>"$tmp/$tag.$f.sent"
		awk -v f=$f '$1 == f && $3 != "p1" { print $2, $3, $4 }' \
			"$tmp/$tag.all" | sort -n >"$tmp/$tag.$f"
	done
}

# same_frames KTAG FTAG FAMILY: one TAP line: the frames of flows FTAG at
# U1/U2, flow by flow, against those of KTAG: IPv6 byte for byte; IPv4
# byte for byte but the IP ID the sender picked (and so the header
# checksum), both checksums right. And every frame has R's MAC on that
# link and U's, and the TTL or hop limit one less than C sent.
same_frames() {
	local k=$1 t=$2 fam=$3 hl_at=44 f p bad=0 why='' hl='' port link fk ff
	local macs nk nf got what
	local -A hl_sent=()
	[ "$fam" = 6 ] && hl_at=42
	got=$(wc -l <"$tmp/$t.$fam")
	while read -r f; do
		if [ "$fam" = 4 ]; then p=$((16#${f:72:4})); else p=$((16#${f:112:4})); fi
		hl_sent[$p]=$((16#${f:hl_at:2}))
	done <"$tmp/$t.$fam.sent"
	while read -r port link fk <&3 && read -r _ _ ff <&4; do
		macs=${MAC_Q1//:/}${MAC_M2//:/}
		[ "$link" = q2 ] && macs=${MAC_Q2//:/}${MAC_M3//:/}
		if [ "$fam" = 4 ]; then
			nk=${fk:0:36}${fk:40:8}${fk:52} nf=${ff:0:36}${ff:40:8}${ff:52}
			if ! f_csum_ok "$fk" || ! f_csum_ok "$ff"; then
				bad=$((bad + 1)) why+=" $port:csum"
			fi
		else
			nk=$fk nf=$ff
		fi
		[ "$nk" = "$nf" ] || { bad=$((bad + 1)) why+=" $port:bytes"; }
		[ "${ff:0:24}" = "$macs" ] || { bad=$((bad + 1)) why+=" $port:macs"; }
		hl=$((16#${ff:hl_at:2}))
		[ "$hl" -eq $((${hl_sent[$port]:-0} - 1)) ] ||
			{ bad=$((bad + 1)) why+=" $port:ttl"; }
	done 3<"$tmp/$k.$fam" 4<"$tmp/$t.$fam"
	if [ "$bad" -eq 0 ] && [ -s "$tmp/$t.$fam" ] &&
		[ "$got" -eq "$(wc -l <"$tmp/$k.$fam")" ]; then
		what="byte for byte"
		[ "$fam" = 4 ] && what="byte for byte but the sender's IP ID, checksums right"
		ok "IPv$fam: the $got frames at U1/U2 are the kernel's ($what), with R's and U's MACs and TTL/hop limit $hl"
	else
		not_ok "IPv$fam frames equal to the kernel's" "$bad differences:$why" \
			"kernel $(head -1 "$tmp/$k.$fam")" \
			"fwd    $(head -1 "$tmp/$t.$fam")"
	fi
}

# links TAG.FAMILY: "DPORT LINK" per flow.
links() { cut -d' ' -f1,2 "$tmp/$1"; }

# flows_on LINK TAG.FAMILY: how many flows left by LINK.
flows_on() { links "$2" | grep -c " $1$"; }

# stream N: N datagrams from C to S, alternately IPv4 and IPv6, to 64
# addresses of each of S's prefixes, each from a new socket (a new
# source port), one every 3 ms or so: flows on both links all along.
stream() {
	ip netns exec c bash -c "
		mkfifo $tmp/tick; exec 9<>$tmp/tick; rm $tmp/tick
		for ((i = 0; i < $1; i++)); do
			a=\$((128 + i / 2 % 64))
			if ((i % 2)); then
				printf -v h %x \$a
				echo -n fwd >/dev/udp/2001:db8:9::\$h/9
			else
				echo -n fwd >/dev/udp/10.9.0.\$a/9
			fi
			read -rt 0.002 -u 9
		done" 2>/dev/null
}

# via_u1: datagrams U1 has forwarded (to S: nothing else crosses U1) so
# far. Not w1's tx packets: those count U1's own ARP, ND and MLD too, and
# a loaded run saw "by U1 1" after the failure with m2 down.
via_u1() { echo $(($(snmp u1 Ip:ForwDatagrams) + $(snmp u1 Ip6:OutForwDatagrams))); }

# failover: a stream of FO_N datagrams, and the link R-U1 taken down once
# S has a third of them; once S's counters stand still, "LOST4 LOST6
# AT_DOWN VIA_U1": lost of FO_N/2 each, how many S had when the link went
# down, how many went by U1. m2 stays down.
FO_N=1000
failover() {
	local b4 b6 u spid n i at
	read -r b4 b6 < <(noports | paste -sd' ')
	u=$(via_u1)
	stream "$FO_N" &
	spid=$!
	# shellcheck disable=SC2016 # eval'd at each poll
	wait_until 20 eval '[ $(($(noports_sum) - b4 - b6)) -ge $((FO_N / 3)) ]' ||
		true
	ip link set m2 down
	at=$(($(noports_sum) - b4 - b6))
	wait "$spid"
	# still for 1 s: a loaded machine runs the softirqs that carry the
	# last datagrams late (0.3 s was once not enough)
	n=-1
	for ((i = 0; i < 20; i++)); do
		[ "$n" = "$(noports_sum)" ] && break
		n=$(noports_sum)
		sleep 1
	done
	u=$(($(via_u1) - u))
	noports | paste -sd' ' | {
		read -r a4 a6
		echo "$((FO_N / 2 - a4 + b4)) $((FO_N / 2 - a6 + b6)) $at $u"
	}
}

# restore: m2 up, R's FRR restarted (after a carrier loss zebra may keep
# a group of one in the kernel), until ECMP and the static routes are
# back.
restore() {
	ip link set m2 up
	frr_stop r
	frr_start r && wait_until 30 ecmp 2 && wait_until 5 statics
}

test_frr_installs_ecmp_groups_and_static_nexthop_objects() {
	local ns v4 v6
	t_start=$SECONDS
	for ns in r u1 u2; do
		frr_start $ns || tap_bail "FRR starts in $ns" "$(cat "$tmp/frr/$ns"/*.out)"
	done
	if wait_until 30 ecmp 2; then
		v4=$(nhid 10.9.0.0/24) v6=$(nhid 2001:db8:9::/64)
		ok "BGP from U1 and U2: R installs S's prefixes through nexthop groups of two ($((SECONDS - t_start)) s; $v4: $(nh_show "$v4"), $v6: $(nh_show "$v6"))"
	else
		tap_bail "BGP: ECMP through nexthop groups on R" "$(frr_routes)" \
			"$(frr_vtysh r "show bgp summary")"
	fi
	if wait_until 5 statics; then
		ok "staticd: 10.9.0.200/32 and 2001:db8:9::200/128 through single nexthop objects via U1 ($(ip route show 10.9.0.200 | tr -s ' ' | sed 's/ $//'); $(ip -6 route show 2001:db8:9::200 | tr -s ' ' | sed 's/ $//'))"
	else
		not_ok "static host routes through single nexthop objects" \
			"$(frr_routes)"
	fi

}

# midstream AT VIA_U1: the failure came mid-stream, on a link in use.
midstream() { [ "$1" -lt $((FO_N * 9 / 10)) ] && [ "$2" -gt 0 ]; }

# --- the kernel alone ---------------------------------------------------
test_the_kernel_alone() {
	if ip -d link show | grep -q "prog/xdp"; then
		not_ok "no XDP program before fwd starts" "$(ip -d link show | grep xdp)"
	fi
	prime
	flows kernel
	for fam in 4 6; do
		n=$(wc -l <"$tmp/kernel.$fam.sent")
		if [ "$n" -eq "$N_FLOWS" ] && [ "$(wc -l <"$tmp/kernel.$fam")" -eq "$n" ] &&
			[ "$(links kernel.$fam | cut -d' ' -f1 | sort -u | wc -l)" -eq "$n" ] &&
			[ "$(flows_on q1 kernel.$fam)" -gt 0 ] && [ "$(flows_on q2 kernel.$fam)" -gt 0 ]; then
			ok "kernel alone, IPv$fam: $n flows, each once at U1 or U2 ($(flows_on q1 kernel.$fam) by U1, $(flows_on q2 kernel.$fam) by U2)"
		else
			not_ok "kernel alone, IPv$fam: $N_FLOWS flows over both links" \
				"sent $n, at U1/U2: $(links kernel.$fam | tr '\n' ' ')" \
				"$(awk '$3 == "p1" {print $1, $2}' "$tmp/kernel.all" | tr '\n' ' ')" "$(cat "$tmp"/kernel.*.err)"
		fi
	done
	read -r k_lost4 k_lost6 k_at k_u1 < <(failover)
	if ecmp 1 && midstream "$k_at" "$k_u1"; then
		ok "kernel alone, link to U1 down after $k_at of $FO_N datagrams ($k_u1 by U1): lost $k_lost4 IPv4 and $k_lost6 IPv6 of $((FO_N / 2)) each; R's routes down to one path"
	else
		not_ok "kernel alone: link to U1 down mid-stream, R's routes down to one path" \
			"lost $k_lost4 $k_lost6, down after $k_at, $k_u1 by U1" "$(frr_routes)"
	fi
	# the same flows over the one path left: what fwd's must equal
	flows kernel1
	if [ "$(flows_on q2 kernel1.4)" -eq "$N_FLOWS" ] &&
		[ "$(flows_on q2 kernel1.6)" -eq "$N_FLOWS" ]; then
		ok "kernel alone, one path: all $N_FLOWS+$N_FLOWS flows by U2"
	else
		not_ok "kernel alone, one path: every flow by U2" \
			"by U2 $(flows_on q2 kernel1.4)+$(flows_on q2 kernel1.6)" "$(frr_routes)"
	fi
	if restore; then
		ok "link up, R's FRR restarted: ECMP and the static routes back"
	else
		not_ok "ECMP back after link up and FRR restart" "$(frr_routes)"
	fi
}

# --- fwd ----------------------------------------------------------------
# fwd is held to the kernel's choices with the routes as they are when fwd
# runs: the FRR restart above rebuilds the groups, and their members may
# come back in the other order (the BGP sessions come up in either order),
# which sends every flow by the other link. A loaded run saw every IPv6
# flow swapped against the flows taken before the restart. So the kernel
# alone takes the same flows once more (kernelnow), before fwd starts.
test_fwd_frames_and_choices_equal_the_kernels() {
	prime
	flows kernelnow
	if start_fwd "$tmp/fwd.log" --iface m3; then
		ok "fwd starts on m1, m2, m3"
	else
		tap_bail "fwd starts on m1, m2, m3"
	fi
	verify_tap "start"

	declare -A d_fwd=()
	for c in fwd_fib fwd_table fwd_fib6 fwd_table6; do d_fwd[$c]=$(cnt $c); done
	s0=$(noports_sum)
	flows fwd
	for c in fwd_fib fwd_table fwd_fib6 fwd_table6; do
		d_fwd[$c]=$(($(cnt $c) - d_fwd[$c]))
	done
	ds=$(($(noports_sum) - s0))
	if [ "$(cat "$tmp/fwd.4" "$tmp/fwd.6" | wc -l)" -eq "$ds" ]; then
		ok "S took the $ds datagrams that reached U1 and U2"
	else
		not_ok "S takes what fwd forwarded" \
			"S $ds, at U1/U2 $(cat "$tmp/fwd.4" "$tmp/fwd.6" | wc -l)"
	fi
	for fam in 4 6; do
		c_fib=fwd_fib c_tab=fwd_table hl_at=44
		[ "$fam" = 6 ] && c_fib=fwd_fib6 c_tab=fwd_table6 hl_at=42
		n=$(wc -l <"$tmp/fwd.$fam.sent") got=$(wc -l <"$tmp/fwd.$fam")
		if [ "$n" -eq "$N_FLOWS" ] && [ "$got" -eq "$n" ] &&
			[ "${d_fwd[$c_fib]}" -eq "$n" ] && [ "${d_fwd[$c_tab]}" -eq 0 ]; then
			ok "IPv$fam ECMP by the fib path: $c_fib +${d_fwd[$c_fib]} for $n datagrams sent, $got at U1/U2, $c_tab +0"
		else
			not_ok "IPv$fam ECMP flows by the fib path" \
				"sent $n, at U1/U2 $got, $c_fib +${d_fwd[$c_fib]}, $c_tab +${d_fwd[$c_tab]}"
		fi
		if [ -s "$tmp/fwd.$fam" ] &&
			diff <(links kernelnow.$fam) <(links fwd.$fam) >"$tmp/diff.$fam"; then
			ok "IPv$fam: each of $got flows leaves R by the link the kernel chose for it ($(flows_on q1 fwd.$fam) by U1, $(flows_on q2 fwd.$fam) by U2)"
		else
			not_ok "IPv$fam: each flow by the kernel's link" \
				"< kernel, > fwd: $(grep '^[<>]' "$tmp/diff.$fam" | tr '\n' ' ')"
		fi
		same_frames kernelnow fwd "$fam"
	done
	verify_tap "the ECMP flows"
}

# --- static host routes through single nexthop objects: the table path --
test_static_routes_through_nexthop_objects_take_the_table_path() {
	IX_M2=$(ip -j link show m2 | jq '.[0].ifindex')
	want=$(entry "$IX_M2" $MAC_M2 $MAC_Q1)
	# The control: U1's own addresses, neighbours on a connected route, are
	# learned with the value the static routes through U1 must get.
	# shellcheck disable=SC2016 # eval'd at each poll
	if wait_until 2 eval '[ "$(map_value hfwd 10.11.0.2)" = "$want" ] &&
		[ "$(map_value hfwd6 2001:db8:11::2)" = "$want" ]'; then
		ok "U1's 10.11.0.2 and 2001:db8:11::2 (connected neighbours) in hfwd and hfwd6: $want"
	else
		not_ok "U1's addresses learned" "hfwd $(map_value hfwd 10.11.0.2)" \
			"hfwd6 $(map_value hfwd6 2001:db8:11::2)" "want $want"
	fi
	for dst in 10.9.0.200 2001:db8:9::200; do
		map=hfwd c_fib=fwd_fib c_tab=fwd_table fam=4
		case $dst in *:*) map=hfwd6 c_fib=fwd_fib6 c_tab=fwd_table6 fam=6 ;; esac
		# shellcheck disable=SC2016 # eval'd at each poll
		if wait_until 2 eval '[ "$(map_value $map $dst)" = "$want" ]'; then
			ok "$dst (static, a single nexthop object via U1) learned into $map"
		else
			not_ok "$dst (static, a single nexthop object via U1) learned into $map" \
				"${map}[$dst] '$(map_value $map $dst)', want '$want'" \
				"$(ip route get "$dst"; nh_show "$(nhid "$dst")")"
		fi
		read -r b4 b6 < <(noports | paste -sd' ')
		f0=$(cnt $c_fib) t0=$(cnt $c_tab)
		send_udp c $dst 10
		sleep 0.2
		read -r a4 a6 < <(noports | paste -sd' ')
		df=$(($(cnt $c_fib) - f0)) dt=$(($(cnt $c_tab) - t0))
		got=$((a4 - b4))
		[ $fam = 6 ] && got=$((a6 - b6))
		if [ "$dt" -eq 10 ] && [ "$df" -eq 0 ] && [ "$got" -eq 10 ]; then
			ok "10 datagrams to $dst by the table path: $c_tab +$dt, $c_fib +0, S got $got"
		else
			not_ok "10 datagrams to $dst by the table path" \
				"$c_tab +$dt (want 10), $c_fib +$df (want 0), S got $got"
		fi
	done
	verify_tap "the static routes"
}

# --- a path failure with fwd --------------------------------------------
# One datagram every 2-3 ms: the one in flight at the instant the link goes
# down may be lost with fwd or without. In 13 runs of this suite the
# kernel alone lost one IPv4 datagram in one run, fwd one IPv4 datagram
# in five, never IPv6; three times fwd_fib counted the lost one
# (redirected to m2 as it closed; perhaps because XDP's redirects leave
# at the end of the NAPI poll, a wider window than the kernel's transmit:
# not measured). So: no more than the kernel's loss plus that one
# datagram, plus what fwd handed to the kernel as m2 closed (below: the
# kernel's own verdict on those; loaded runs saw it drop some); more is
# fwd's. Every datagram S got crossed by XDP: forwarded,
# or handed to the kernel (pass_egress_unmanaged) in the moment between
# the agent taking m2 out of fwd_ports and taking out the entries through
# it (the kernel then sends them by U2). A loaded run counted 6 of those
# and the check, which left them out, failed.
# xdp_drops IF: frames IF's XDP program redirected that the kernel then
# dropped (a redirect into a device that is down fails so), all queues.
xdp_drops() { ethtool -S "$1" | awk '/_xdp_drops:/ { n += $2 } END { print n + 0 }'; }
test_a_path_failure_with_fwd() {
	local x0 ke
	cnt_all >"$tmp/fo.0"
	x0=$(xdp_drops m1)
	read -r f_lost4 f_lost6 f_at f_u1 < <(failover)
	cnt_all >"$tmp/fo.1"
	x0=$(($(xdp_drops m1) - x0))
	f0=$(paste -d' ' "$tmp/fo.0" "$tmp/fo.1" |
		awk '$1 ~ /^(fwd_(fib|table)6?|pass_egress_unmanaged)$/ { n += $4 - $2 }
			END { print n }')
	# handed to the kernel as m2 closed: the kernel's to deliver or drop
	# (loaded runs lost 2-6 IPv4 datagrams, never more than these)
	ke=$(paste -d' ' "$tmp/fo.0" "$tmp/fo.1" |
		awk '$1 == "pass_egress_unmanaged" { print $4 - $2 }')
	if [ "$f_lost4" -ge 0 ] && [ "$f_lost6" -ge 0 ] &&
		[ $((f_lost4 + f_lost6)) -le $((k_lost4 + k_lost6 + 1 + ke)) ] &&
		midstream "$f_at" "$f_u1" && [ "$f0" -ge $((FO_N - f_lost4 - f_lost6)) ]; then
		ok "link to U1 down after $f_at of $FO_N datagrams ($f_u1 by U1): fwd lost $f_lost4 IPv4 and $f_lost6 IPv6 (the kernel alone: $k_lost4 and $k_lost6); $(cnt_delta "$tmp/fo.0" "$tmp/fo.1"); m1 xdp_drops +$x0"
	else
		not_ok "link to U1 down mid-stream: fwd loses no more than the kernel" \
			"fwd lost $f_lost4 IPv4, $f_lost6 IPv6; the kernel $k_lost4, $k_lost6; handed to the kernel with m2 closing: $ke" \
			"down after $f_at, $f_u1 by U1; $(cnt_delta "$tmp/fo.0" "$tmp/fo.1")" \
			"redirected by XDP on m1, then dropped (m1's xdp_drops): $x0"
	fi
	# After the failure: one path, a prefix via a gateway: learned on
	# demand. The first datagrams take the fib path while the agent
	# learns; then every flow by U2 on the table path, the kernel's bytes.
	cnt_all >"$tmp/one.0"
	s0=$(noports_sum) u=$(via_u1)
	flows fwd1
	cnt_all >"$tmp/one.1"
	s0=$(($(noports_sum) - s0)) u=$(($(via_u1) - u))
	read -r f4 t4 f6 t6 < <(paste -d' ' "$tmp/one.0" "$tmp/one.1" | awk '
		{ d[$1] = $4 - $2 }
		END { print d["fwd_fib"], d["fwd_table"], d["fwd_fib6"], d["fwd_table6"] }')
	if ecmp 1 && [ "$f4" -ge 1 ] && [ "$f6" -ge 1 ] &&
		[ $((f4 + t4)) -eq "$N_FLOWS" ] && [ $((f6 + t6)) -eq "$N_FLOWS" ] &&
		[ "$s0" -eq $((2 * N_FLOWS)) ] && [ "$u" -eq 0 ]; then
		ok "after the failure R's routes have one path: fwd sends all $N_FLOWS+$N_FLOWS flows by U2, the first by the fib path, then learned on demand (fwd_fib +$f4, fwd_table +$t4, fwd_fib6 +$f6, fwd_table6 +$t6; $(nh_show "$(nhid 10.9.0.0/24)"))"
	else
		not_ok "after the failure: one path, every flow by U2" \
			"fwd_fib +$f4, fwd_table +$t4, fwd_fib6 +$f6, fwd_table6 +$t6" \
			"S got $s0, by U1 $u" "$(frr_routes)"
	fi
	same_frames kernel1 fwd1 4
	same_frames kernel1 fwd1 6
	cnt_all >"$tmp/one.2"
	s0=$(noports_sum)
	udp_flows c $N_FLOWS 10.9.0.7 2001:db8:9::7
	sleep 0.2
	cnt_all >"$tmp/one.3"
	s0=$(($(noports_sum) - s0))
	read -r f4 t4 f6 t6 < <(paste -d' ' "$tmp/one.2" "$tmp/one.3" | awk '
		{ d[$1] = $4 - $2 }
		END { print d["fwd_fib"], d["fwd_table"], d["fwd_fib6"], d["fwd_table6"] }')
	if [ "$f4" -eq 0 ] && [ "$f6" -eq 0 ] && [ "$t4" -eq "$N_FLOWS" ] &&
		[ "$t6" -eq "$N_FLOWS" ] && [ "$s0" -eq $((2 * N_FLOWS)) ]; then
		ok "routed single-path traffic on the table path: fwd_table +$t4, fwd_table6 +$t6, fwd_fib +0, fwd_fib6 +0, S got $s0"
	else
		not_ok "routed single-path traffic on the table path" \
			"fwd_fib +$f4, fwd_table +$t4, fwd_fib6 +$f6, fwd_table6 +$t6, S got $s0"
	fi
	verify_tap "the failure"

	stop_fwd
	echo "# $((SECONDS - t_start)) s from FRR's start"
}

run_tests
