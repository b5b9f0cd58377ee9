#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_policy.sh - turning fwd on keeps the kernel's policy: a packet the
# kernel would drop for an own source address, for rp_filter (strict and
# loose, followed live), for a netfilter chain or for an IPsec policy
# reaches the kernel, which drops it as without fwd; --bypass-netfilter
# opts out of netfilter's, loudly.
#
# Topology (run under tests/isolate.sh; this shell's namespace is the
# router running build/fwd):
#   h1 p1 10.1.0.2/24 --- m1 10.1.0.1/24  r  m2 10.2.0.1/24 --- p2 10.2.0.2 h2
# h1 also holds 10.2.0.1/32 (the router's own address) and 10.9.9.9/32 (a
# source the router may or may not route back) to send from.
#
# Fixture: one topology; one daemon for the tests in order (each puts the
# sysctls, addresses and chains it changed back as they were), then one
# with --bypass-netfilter for the last.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="nft curl"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.m1.rp_filter=0 \
	net.ipv4.conf.m2.rp_filter=0
ip -n h1 addr add 10.2.0.1/32 dev p1
ip -n h1 addr add 10.9.9.9/32 dev p1

# flags IF: fwd_ifaces flags of interface IF.
flags() { iface "$1" flags; }
RPF_STRICT=8 RPF_LOOSE=16 ACCEPT_LOCAL=32 NF_HOLD=64 LOCAL_UNKNOWN=128
NF_HOLD6=512 XFRM_HOLD=4096
# lbucket A.B.C.D: the fwd_local bucket of an address, fwd_local_hash() of
# kern/fwd.h (its network-order bytes read as a little-endian u32).
lbucket() {
	local IFS=.
	# shellcheck disable=SC2086 # split on the dots
	set -- $1
	echo $(((((($4 << 24) | ($3 << 16) | ($2 << 8) | $1) * 0x9e3779b1) &
		0xffffffff) >> 20))
}
# crowd N: N addresses of 10.200/16 that share one fwd_local bucket
# (lbucket of 10.200.X.Y inline: a subshell a candidate, thousands of
# them, took minutes on a loaded machine).
crowd() {
	local i want n=0
	want=$(lbucket 10.200.0.1)
	for ((i = 1; n < $1; i++)); do
		[ $((((((i & 255) << 24 | (i >> 8) << 16 | 200 << 8 | 10) *
			0x9e3779b1) & 0xffffffff) >> 20)) -eq "$want" ] || continue
		echo "10.200.$((i >> 8)).$((i & 255))"
		n=$((n + 1))
	done
}

test_fwd_starts() {
	start_fwd "$tmp/fwd.log" || tap_bail "fwd starts"
	wait_flags m1 $((RPF_STRICT | RPF_LOOSE | NF_HOLD)) 0 || true
}

# --- own source ---------------------------------------------------------
test_own_source_is_left_to_the_kernel() {
	local many a
	probe "valid source is fast-pathed" 10.1.0.2 10 fwd_table 20 10
	probe "own source 10.2.0.1 goes to the kernel, which drops it" \
		10.2.0.1 5 pass_own_source 5 0
	sysctl -qw net.ipv4.conf.m1.accept_local=1
	if wait_flags m1 $ACCEPT_LOCAL $ACCEPT_LOCAL; then
		ok "accept_local on m1 followed (fwd_ifaces flags $(flags m1))"
	else
		not_ok "accept_local on m1 followed" "flags $(flags m1)"
	fi
	# h2's replies go to 10.2.0.1, the router itself: only requests forwarded
	probe "own source with accept_local is fast-pathed, as the kernel forwards it" \
		10.2.0.1 5 fwd_table 5 5
	sysctl -qw net.ipv4.conf.m1.accept_local=0
	wait_flags m1 $ACCEPT_LOCAL 0 || true
	# One address more than a bucket holds: fwd_local cannot know them all.
	mapfile -t many < <(crowd 5)
	for a in "${many[@]}"; do ip addr add "$a/32" dev lo; done
	if wait_flags m1 $LOCAL_UNKNOWN $LOCAL_UNKNOWN &&
		grep -q "fwd_local: 1 address(es) found their bucket full" "$tmp/fwd.log"; then
		ok "a full fwd_local bucket is logged and marks every interface (flags $(flags m1))"
	else
		not_ok "a full fwd_local bucket holds the fast path" "flags $(flags m1)"
	fi
	# Requests and replies both reach the kernel, which forwards them.
	probe "fwd_local incomplete: every source goes to the kernel" \
		10.1.0.2 10 pass_own_source 20 10
	ip addr del "${many[0]}/32" dev lo
	if wait_flags m1 $LOCAL_UNKNOWN 0 &&
		grep -q "fwd_local: every local address recorded again" "$tmp/fwd.log"; then
		ok "one address gone, the spilled one takes its slot: fast path back"
	else
		not_ok "fwd_local complete again" "flags $(flags m1)"
	fi
	for a in "${many[@]:1}"; do ip addr del "$a/32" dev lo; done
}

# --- rp_filter ----------------------------------------------------------
test_rp_filter_is_followed_live() {
	probe "rp_filter 0: a source without a route back is fast-pathed" \
		10.9.9.9 5 fwd_table 5 5
	sysctl -qw net.ipv4.conf.m1.rp_filter=1
	if wait_flags m1 $((RPF_STRICT | RPF_LOOSE)) $RPF_STRICT &&
		grep -q "m1 ([0-9]*) up forwarding rp_filter strict" "$tmp/fwd.log"; then
		ok "rp_filter 1 on m1 followed live through netconf"
	else
		not_ok "rp_filter 1 on m1 followed live" "flags $(flags m1)"
	fi
	probe "strict: valid source fast-pathed" 10.1.0.2 10 fwd_table 20 10
	probe "strict: spoofed source (no route back) to the kernel, dropped" \
		10.9.9.9 5 pass_rp_filter 5 0
	ip route add 10.9.9.0/24 via 10.2.0.2 dev m2
	probe "strict: source routed back by another interface to the kernel, dropped" \
		10.9.9.9 5 pass_rp_filter 5 0
	sysctl -qw net.ipv4.conf.m1.rp_filter=2
	wait_flags m1 $((RPF_STRICT | RPF_LOOSE)) $RPF_LOOSE || true
	probe "loose: source with any route back fast-pathed" 10.9.9.9 5 fwd_table 5 5
	ip route del 10.9.9.0/24 via 10.2.0.2 dev m2
	probe "loose: source without a route back to the kernel, dropped" \
		10.9.9.9 5 pass_rp_filter 5 0
	# all=1 over m1=0: max() makes it strict
	sysctl -qw net.ipv4.conf.m1.rp_filter=0 net.ipv4.conf.all.rp_filter=1
	if wait_flags m1 $((RPF_STRICT | RPF_LOOSE)) $RPF_STRICT &&
		wait_flags m2 $((RPF_STRICT | RPF_LOOSE)) $RPF_STRICT; then
		ok "conf.all.rp_filter 1 makes every interface strict (max of all and the interface)"
	else
		not_ok "conf.all.rp_filter followed" "m1 $(flags m1), m2 $(flags m2)"
	fi
	sysctl -qw net.ipv4.conf.all.rp_filter=0
	wait_flags m1 $((RPF_STRICT | RPF_LOOSE)) 0 || true
	wait_flags m2 $((RPF_STRICT | RPF_LOOSE)) 0 || true
}

# --- netfilter ----------------------------------------------------------
test_a_netfilter_chain_holds_its_family() {
	nft add table inet f
	nft add chain inet f fw '{ type filter hook forward priority 0; policy accept; }'
	sleep 0.2
	probe "an empty forward chain with policy accept holds nothing" \
		10.1.0.2 10 fwd_table 20 10
	nft add rule inet f fw ip daddr 10.2.0.2 icmp type echo-request drop
	wait_flags m1 $NF_HOLD $NF_HOLD || true
	probe "a forward chain with a drop rule: the kernel sees every packet and drops" \
		10.1.0.2 5 pass_netfilter 5 0
	if grep -q "netfilter: inet f fw (hook forward, 1 rule) could see forwarded packets" \
		"$tmp/fwd.log"; then
		ok "the chain that holds the fast path is named in the log"
	else
		not_ok "the holding chain is logged" "$(grep netfilter "$tmp/fwd.log")"
	fi
	nft delete table inet f
	wait_flags m1 $NF_HOLD 0 || true
	probe "the rule gone, the fast path is back" 10.1.0.2 10 fwd_table 20 10
	# Each family apart: an ip6 chain holds IPv6 only, an ip chain IPv4 only.
	nft add table ip6 f6
	nft add chain ip6 f6 fw '{ type filter hook forward priority 0; policy accept; }'
	nft add rule ip6 f6 fw drop
	if wait_flags m1 $((NF_HOLD | NF_HOLD6)) $NF_HOLD6; then
		probe "an ip6 forward chain holds IPv6 only: IPv4 is fast-pathed" \
			10.1.0.2 10 fwd_table 20 10
	else
		not_ok "an ip6 forward chain holds IPv6 only" "flags $(flags m1)"
	fi
	nft delete table ip6 f6
	nft add table ip f4
	nft add chain ip f4 fw '{ type filter hook forward priority 0; policy drop; }'
	if wait_flags m1 $((NF_HOLD | NF_HOLD6)) $NF_HOLD; then
		ok "an ip forward chain holds IPv4 only (fwd_ifaces flags $(flags m1))"
	else
		not_ok "an ip forward chain holds IPv4 only" "flags $(flags m1)"
	fi
	nft delete table ip f4
	wait_flags m1 $NF_HOLD 0 || true
	stop_fwd
}

# --- IPsec ----------------------------------------------------------------
xfrm_metric() {
	curl -s --unix-socket /run/fwd/fwd.sock http://localhost/metrics |
		grep '^fwd_xfrm_hold ' || true
}

test_an_ipsec_policy_holds_the_fast_path() {
	start_fwd "$tmp/xfrm.log" || tap_bail "fwd starts"
	wait_flags m1 $XFRM_HOLD 0 || true
	probe "no IPsec policy: the fast path" 10.1.0.2 10 fwd_table 20 10
	ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd action block
	wait_flags m1 $XFRM_HOLD $XFRM_HOLD || true
	probe "a fwd policy that blocks: the kernel sees every packet and drops" \
		10.1.0.2 5 pass_xfrm 5 0
	if grep -q "ipsec: 1 fwd policy could apply to forwarded packets" \
		"$tmp/xfrm.log" && [ "$(xfrm_metric)" = "fwd_xfrm_hold 1" ]; then
		ok "the policy is named in the log, fwd_xfrm_hold 1"
	else
		not_ok "the policy is logged and counted" \
			"$(grep ipsec "$tmp/xfrm.log")" "metric '$(xfrm_metric)'"
	fi
	ip xfrm policy flush
	wait_flags m1 $XFRM_HOLD 0 || true
	probe "the policy gone, the fast path is back" 10.1.0.2 10 fwd_table 20 10
	# an out policy: a gateway's, what the kernel encrypts on the way out
	ip xfrm policy add src 10.1.0.0/24 dst 10.2.0.0/24 dir out \
		tmpl src 10.2.0.1 dst 10.2.0.2 proto esp mode tunnel
	if wait_flags m1 $XFRM_HOLD $XFRM_HOLD; then
		ok "an out policy holds the fast path too"
	else
		not_ok "an out policy holds the fast path" "flags $(flags m1)"
	fi
	ip xfrm policy flush
	wait_flags m1 $XFRM_HOLD 0 || true
	# a default that blocks what no policy allows
	ip xfrm policy setdefault fwd block
	wait_flags m1 $XFRM_HOLD $XFRM_HOLD || true
	probe "default fwd block: the kernel sees every packet and drops" \
		10.1.0.2 5 pass_xfrm 5 0
	ip xfrm policy setdefault fwd accept
	if wait_flags m1 $XFRM_HOLD 0 && [ "$(xfrm_metric)" = "fwd_xfrm_hold 0" ]; then
		ok "default fwd accept again: the hold is lifted, fwd_xfrm_hold 0"
	else
		not_ok "the hold is lifted" "flags $(flags m1), metric '$(xfrm_metric)'"
	fi
	stop_fwd
}

test_bypass_netfilter_warns_and_fast_paths() {
	local m
	nft add table inet f
	nft add chain inet f fw '{ type filter hook forward priority 0; policy drop; }'
	start_fwd "$tmp/bypass.log" --bypass-netfilter || not_ok "fwd --bypass-netfilter starts"
	m=$(curl -s --unix-socket /run/fwd/fwd.sock http://localhost/metrics | grep '^fwd_netfilter_bypassed ' || true)
	if grep -q "bypass-netfilter: netfilter rules do not apply" "$tmp/bypass.log" &&
		[ "$m" = "fwd_netfilter_bypassed 1" ]; then
		ok "--bypass-netfilter warns at start and reports fwd_netfilter_bypassed 1"
	else
		not_ok "--bypass-netfilter warns and reports" "metric '$m'"
	fi
	probe "--bypass-netfilter: fast-pathed despite policy drop" 10.1.0.2 10 fwd_table 20 10
	stop_fwd
	nft delete table inet f
}

run_tests
