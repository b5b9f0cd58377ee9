# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lab_lib.sh - helpers for e2e suites that drive scripts/lab.sh: TAP output,
# packet captures decoded from bytes, hfwd read from its pin (not through
# the API under test), and the API.
#
# Source it after setting top (repo root) and LAB_PREFIX; lab_require
# sets LAB_DIR.

: "${top:?source lab_lib.sh with top set}"
lab=$top/scripts/lab.sh
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"
# shellcheck source=tests/e2e/frame_lib.sh
. "$top/tests/e2e/frame_lib.sh"
tap_diag_prefix="#   "

diag() {
	echo "# $*"
}

# lab_require: skip the suite unless it can build a lab here (root, and
# fwd and fwdctl built); then $tmp, LAB_DIR in it, and lab_cleanup on
# every exit path.
lab_require() {
	local b

	[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces, XDP)"
	for b in fwd fwdctl; do
		[ -x "$top/build/$b" ] || skip_all "build/$b is not built"
	done
	tmp=$(mktemp -d "/tmp/${LAB_PREFIX}XXXXXX")
	export LAB_DIR=$tmp/lab
	trap lab_cleanup EXIT
	# A timeout's SIGTERM must run the cleanup too: fwd runs in its own
	# session and would outlive the suite.
	trap 'exit 143' TERM INT
}

# lab_cleanup: captures stopped, the lab down, $tmp gone.
lab_cleanup() {
	cap_stop_all
	"$lab" down >/dev/null 2>&1
	rm -rf "$tmp"
}

# on NODE CMD...: run CMD in a lab node.
on() {
	"$lab" exec "$@"
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

# --- the API, from B over the control network --------------------------

api() {
	on B curl -s -m 3 -H "Authorization: Bearer $(cat "$LAB_DIR/token")" \
		-H 'Content-Type: application/json' -d "$1" \
		http://192.168.56.4:5555/
}
