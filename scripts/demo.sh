#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: the original's experiment (its chapter 3, 实验示例)
# replayed in the lab (scripts/lab.sh), step by step, with what happens at
# each step in plain words and numbers. Asks no questions; tears down a lab
# left by a previous run first; leaves the new lab running to look around.
#
# fwd's API listens on A's control address 192.168.56.4:5555, as in the
# original. A non-loopback listener lets anyone on that network rewrite the
# forwarding table, so fwd refuses one without --token-file: the lab
# generates a random token (LAB_DIR/token, mode 0600) and every request
# carries it as "Authorization: Bearer <token>".
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
lab=$top/scripts/lab.sh
export LAB_PREFIX=${LAB_PREFIX:-fwdlab-}
P=$LAB_PREFIX
LAB_DIR=${LAB_DIR:-/run/${P%-}}
export LAB_DIR

A3=08:00:27:f0:1e:41 A9=08:00:27:13:df:b6
N=10

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (network namespaces, XDP)" >&2
	exit 1
fi

bold='' norm=''
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	norm=$(tput sgr0 2>/dev/null || true)
fi
step_n=0
step() {
	step_n=$((step_n + 1))
	printf '\n%s== Step %d: %s%s\n' "$bold" "$step_n" "$*" "$norm"
}
say() { printf '   %s\n' "$*"; }
said() { printf '   %s=> %s%s\n' "$bold" "$*" "$norm"; }

# run NODE CMD...: show the command as typed on that node, then its output.
run() {
	local node=$1
	shift
	printf '   [%s]# %s\n' "$node" "$*"
	"$lab" exec "$node" "$@" 2>&1 | awk '{ print "     " $0 }'
	# A failing command is shown, not fatal: the demo goes on.
	[ "${PIPESTATUS[0]}" -eq 0 ] || say "  (failed: exit ${PIPESTATUS[0]})"
}

# Captures (tcpdump -e: with MAC addresses, as in the original).
declare -A cap_pid
cap_start() {
	local tag=$1 node=$2 ifc=$3 _
	shift 3
	rm -f "$LAB_DIR/$tag.txt" "$LAB_DIR/$tag.err"
	"$lab" exec "$node" tcpdump --immediate-mode -l -e -n "$@" -i "$ifc" \
		icmp >"$LAB_DIR/$tag.txt" 2>"$LAB_DIR/$tag.err" &
	cap_pid[$tag]=$!
	for _ in $(seq 50); do
		grep -q 'listening on' "$LAB_DIR/$tag.err" 2>/dev/null && return
		sleep 0.1
	done
}
cap_stop() {
	local tag
	sleep 0.3
	for tag in "${!cap_pid[@]}"; do
		kill "${cap_pid[$tag]}" 2>/dev/null || true
		wait "${cap_pid[$tag]}" 2>/dev/null || true
		unset "cap_pid[$tag]"
	done
}
cap_show() {
	local tag=$1 what=$2 lines=$3
	say "capture on $what:"
	if [ -s "$LAB_DIR/$tag.txt" ]; then
		head -n "$lines" "$LAB_DIR/$tag.txt" | sed 's/^/     /'
	else
		say "  (nothing)"
	fi
}
cap_count() {
	grep -c "$2" "$LAB_DIR/$1.txt" || true
}
trap cap_stop EXIT

counter() {
	"$lab" counters | awk -v n="$1" '$1 == n { print $2 }'
}

# pings NODE COUNT DST: ping quietly, print the summary line, set $replies.
pings() {
	local out
	out=$("$lab" exec "$1" ping -n -q -c "$2" -i 0.2 -W 1 "$3" 2>&1 || true)
	replies=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
	printf '   [%s]# ping -c %s %s\n' "$1" "$2" "$3"
	echo "$out" | grep 'packets transmitted' | sed 's/^/     /'
}

hfwd_has() {
	# shellcheck disable=SC2046 # the key is the address's four bytes
	"$lab" exec A bpftool map lookup pinned "$LAB_DIR/bpffs/hfwd" \
		key $(echo "$1" | tr . ' ') >/dev/null 2>&1
}
wait_hfwd() {
	local _
	for _ in $(seq 50); do
		hfwd_has "$1" && return 0
		sleep 0.1
	done
	return 1
}

printf '%sfwd demo: the original experiment, replayed in network namespaces%s\n' \
	"$bold" "$norm"
say "A = forwarder (fwd), B = client, C = server, gw = 10.10.2.1/10.10.3.1,"
say "a gateway that does not route between 10.10.2.0/24 and 10.10.3.0/24."

# must LABEL CMD...: a step the rest depends on; show its output, stop
# the demo if it fails.
must() {
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/   /'
		echo "demo: $* failed; the lab is left as it is (scripts/lab.sh down)" >&2
		exit 1
	fi
	printf '%s\n' "$out" | sed 's/^/   /'
}

step "build the lab (removing one left by a previous run)"
must "$lab" down
must "$lab" up
"$lab" status | grep -v '^  route: .*proto kernel' | sed 's/^/   /'

step "B pings C (10.10.3.5): unreachable"
say "B has no route to 10.10.3.0/24, so it sends to its default gateway"
say "10.10.2.1 (MAC 52:54:00:12:35:00), which does not route to 10.10.3.0/24."
cap_start b B enp0s3
pings B 3 10.10.3.5
cap_stop
cap_show b "B's enp0s3" 3
said "$replies of 3 answered; $(cap_count b '> 52:54:00:12:35:00') requests went to the gateway's MAC"

step "start fwd in A on enp0s3 and enp0s9"
say "API on A's control address 192.168.56.4:5555 with a token (a listener"
say "off loopback without one would let anyone on 192.168.56.0/24 rewrite"
say "the table); hfwd pinned in the lab's own bpffs, not /sys/fs/bpf."
must "$lab" fwd-start
for ifc in enp0s3 enp0s8 enp0s9; do
	"$lab" exec A ip -j -d link show "$ifc" | jq -r '.[0] |
		"     \(.ifname) (ifindex \(.ifindex)): " + (if .xdp then
		"XDP program \(.xdp.prog.name // .xdp.attached[0].prog.name), \(["", "native", "generic", "offloaded", "multi"][.xdp.mode]) mode"
		else "no XDP (control network)" end)'
done
say "(native: the veth driver runs the program before building an skb)"

step "B's gateway neighbour is pointed at A"
run B ip neigh replace 10.10.2.1 dev enp0s3 lladdr "$A3"
run B ip neigh show 10.10.2.1
nn0=$(counter pass_fib_no_neigh)
pings B 1 10.10.3.5
say "A's XDP program did not know C yet: it passed the first packet to the"
say "kernel ($(($(counter pass_fib_no_neigh) - nn0)) x pass_fib_no_neigh), which resolved C's MAC:"
run A ip neigh show 10.10.3.5
if wait_hfwd 10.10.3.5; then
	said "fwd learned 10.10.3.5 from A's neighbour table by itself:"
else
	said "fwd has NOT learned 10.10.3.5 (see $LAB_DIR/fwd.log)"
fi
run A fwdctl list
run A bpftool map show pinned "$LAB_DIR/bpffs/hfwd"
run A bpftool map dump pinned "$LAB_DIR/bpffs/hfwd"

step "B pings C through A's XDP fast path"
t0=$(counter fwd_table)
cap_start a A enp0s3
pings B "$N" 10.10.3.5
cap_stop
t1=$(counter fwd_table)
say "fwd's counters (fwdctl stats, the lines that moved):"
"$lab" exec A fwdctl stats 2>&1 | grep -E 'fwd_table|fwd_fib|no_neigh' |
	sed 's/^/     /' || true
if [ $((t1 - t0)) -eq "$N" ]; then
	said "$replies of $N answered; fwd_table went $t0 -> $t1 (+$N: each request once, replies go C -> B directly)"
else
	said "$replies of $N answered; fwd_table went $t0 -> $t1 (+$((t1 - t0)), NOT the $N expected)"
fi
said "A's enp0s3 capture saw $(cap_count a 'echo request') of them: XDP forwards before the tap sees a packet"

step "the original's UpdateForward request, sent as the document shows it"
body='{
  "action": "UpdateForward",
  "traceId": "1fabb3c6-bd56-48a7-ac41-132c8228f421",
  "ip": "10.10.3.5",
  "iface": "4",
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:f9"
}'
say "POST http://192.168.56.4:5555 from B, with the token header:"
printf '%s\n' "$body" | sed 's/^/     /'
reply=$("$lab" exec B curl -s -m 3 \
	-H "Authorization: Bearer $(cat "$LAB_DIR/token")" \
	-H 'Content-Type: application/json' -d "$body" http://192.168.56.4:5555/)
say "reply: $reply"
run A fwdctl list
said "10.10.3.5 is now an override (\"iface\": \"4\" is A's enp0s9, ifindex 4 as in the original)"

step "C's enp0s3 goes down (the original's \"C unplugged\"): replies go to the gateway"
run C ip link set enp0s3 down
run C ip route show default
cap_start c C enp0s9
pings B 3 10.10.3.5
cap_stop
cap_show c "C's enp0s9" 2
said "$replies of 3 answered: C sent $(cap_count c '> 52:54:00:12:35:00.*echo reply') replies by its other default route, to"
said "10.10.3.1 (52:54:00:12:35:00), which does not route them back to B"

step "C's gateway neighbour is pointed at A: replies cross A's XDP too"
run C ip neigh replace 10.10.3.1 dev enp0s9 lladdr "$A9"
pings B 2 10.10.3.5
wait_hfwd 10.10.2.7 || true
t0=$(counter fwd_table)
cap_start b B enp0s3
cap_start c C enp0s9 -v
cap_start a3 A enp0s3
cap_start a9 A enp0s9
pings B "$N" 10.10.3.5
cap_stop
t1=$(counter fwd_table)
cap_show c "C's enp0s9 (request as received)" 2
cap_show b "B's enp0s3" 4
if [ $((t1 - t0)) -eq $((2 * N)) ]; then
	said "$replies of $N answered; fwd_table +$((t1 - t0)) ($N requests and $N replies)"
else
	said "$replies of $N answered; fwd_table +$((t1 - t0)), NOT the $((2 * N)) expected"
fi
ttl=$(grep -m1 -o 'ttl [0-9]*' "$LAB_DIR/c.txt" | cut -d' ' -f2 || true)
bad=$(grep -c 'bad cksum' "$LAB_DIR/c.txt" || true)
sent=$("$lab" exec B sysctl -n net.ipv4.ip_default_ttl)
said "C receives 08:00:27:13:df:b6 (A's enp0s9) > 08:00:27:f2:cb:f9 (C's enp0s9),"
said "ttl ${ttl:-?} where B sent $sent, and tcpdump found $bad bad IPv4 checksums"
said "B receives replies from 08:00:27:f0:1e:41 (A's enp0s3); A's own captures saw $(($(cap_count a3 echo) + $(cap_count a9 echo))) packets"

step "the lab stays up"
say "look around:  scripts/lab.sh exec A fwdctl list"
say "              scripts/lab.sh exec A fwdctl stats"
say "              scripts/lab.sh exec B ping 10.10.3.5"
say "              scripts/lab.sh status      (fwd's log: $LAB_DIR/fwd.log)"
say "tear down:    scripts/lab.sh down"
