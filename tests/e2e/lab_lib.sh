# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lab_lib.sh - helpers for e2e suites that drive scripts/lab.sh: TAP output,
# packet captures decoded from bytes, hfwd read from its pin (not through
# the API under test), and the API.
#
# Source it after setting: top (repo root), LAB_PREFIX, LAB_DIR.

: "${top:?source lab_lib.sh with top set}"
lab=$top/scripts/lab.sh
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"
# shellcheck source=tests/e2e/frame_lib.sh
. "$top/tests/e2e/frame_lib.sh"
tap_diag_prefix="#   "

# t_result COND-STATUS NAME [DIAG...]: one TAP line; diagnostics on failure.
t_result() {
	local rc=$1 name=$2
	shift 2
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$@"
	fi
}

# t_check NAME CMD...: the test passes when CMD succeeds.
t_check() {
	local name=$1
	shift
	if "$@"; then
		t_result 0 "$name"
	else
		t_result 1 "$name" "failed: $*"
	fi
}

diag() {
	echo "# $*"
}

# lab_require: skip the suite unless it can build a lab here (root, and
# fwd and fwdctl built).
lab_require() {
	local b

	if [ "$(id -u)" -ne 0 ]; then
		tap_skip "needs root (network namespaces, XDP)"
		tap_plan
		exit 0
	fi
	for b in fwd fwdctl; do
		if [ ! -x "$top/build/$b" ]; then
			tap_skip "build/$b is not built"
			tap_plan
			exit 0
		fi
	done
}

# on NODE CMD...: run CMD in a lab node.
on() {
	"$lab" exec "$@"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# --- captures ---------------------------------------------------------

declare -A cap_pid

# cap_start TAG NODE IFACE: capture every ICMP frame on NODE's IFACE.
# --immediate-mode: without it frames still in libpcap's ring when the
# capture is stopped are lost.
cap_start() {
	local tag=$1 node=$2 ifc=$3 i
	rm -f "$LAB_DIR/$tag.pcap" "$LAB_DIR/$tag.err"
	on "$node" tcpdump --immediate-mode -U -n -i "$ifc" -s 200 \
		-w "$LAB_DIR/$tag.pcap" icmp 2>"$LAB_DIR/$tag.err" &
	cap_pid[$tag]=$!
	for i in $(seq 50); do
		grep -q 'listening on' "$LAB_DIR/$tag.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

cap_stop() {
	local tag=$1
	sleep 0.3
	kill "${cap_pid[$tag]}" 2>/dev/null || true
	wait "${cap_pid[$tag]}" 2>/dev/null || true
	unset "cap_pid[$tag]"
}

cap_stop_all() {
	local tag
	for tag in "${!cap_pid[@]}"; do
		cap_stop "$tag"
	done
}

# cap_frames TAG [FILTER]: each captured frame as one lowercase hex
# string, read back from the pcap byte for byte.
cap_frames() {
	pcap_frames "$LAB_DIR/$1.pcap" "${2:-icmp}"
}

cap_count() {
	cap_frames "$@" | wc -l
}

# --- the data path, read from the BPF maps -----------------------------

# counter NAME: packets counted under NAME by the XDP program, summed over
# CPUs, read from its map (scripts/lab.sh counters), not through the API.
counter() {
	"$lab" counters | awk -v n="$1" '$1 == n { print $2; f = 1 }
		END { exit !f }'
}

# hfwd_value IP: the 16 value bytes of hfwd[IP] as hex, from the pin.
hfwd_value() {
	# shellcheck disable=SC2046 # the four bytes of the key
	bpftool map lookup pinned "$LAB_DIR/bpffs/hfwd" \
		key $(echo "$1" | tr . ' ') -j 2>/dev/null |
		jq -er '.value | map(ltrimstr("0x")) | join("")' 2>/dev/null
}

hfwd_has() {
	[ "$(hfwd_value "$1")" = "$2" ]
}

hfwd_lacks() {
	! hfwd_value "$1" >/dev/null
}

# hfwd_entry IFINDEX SMAC DMAC: the value bytes the contract fixes
# (ifindex in host order, then the two MACs).
hfwd_entry() {
	printf '%02x%02x%02x%02x%s%s' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)) \
		"$(echo "$2" | tr -d :)" "$(echo "$3" | tr -d :)"
}

# --- the API, from B over the control network --------------------------

api() {
	on B curl -s -m 3 -H "Authorization: Bearer $(cat "$LAB_DIR/token")" \
		-H 'Content-Type: application/json' -d "$1" \
		http://192.168.56.4:5555/
}
