# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# frame_lib.sh - captured frames and map values as hex strings, and their
# fields, for the e2e suites (lab_lib.sh and router_lib.sh source it). Not
# a suite.

# pcap_frames FILE [FILTER]: each frame of FILE as one lowercase hex
# string, read back from the pcap byte for byte.
pcap_frames() {
	tcpdump -r "$1" -n -xx ${2:+"$2"} 2>/dev/null | awk '
		/^[^ \t]/ { if (f != "") print f; f = ""; next }
		{ for (i = 2; i <= NF; i++) f = f $i }
		END { if (f != "") print f }'
}

# Fields of a hex frame (Ethernet + IPv4 without options).
f_dmac() { echo "${1:0:12}" | sed 's/../&:/g; s/:$//'; }
f_smac() { echo "${1:12:12}" | sed 's/../&:/g; s/:$//'; }
f_ttl() { echo $((16#${1:44:2})); }
f_src() { printf '%d.%d.%d.%d' "0x${1:52:2}" "0x${1:54:2}" "0x${1:56:2}" "0x${1:58:2}"; }
f_dst() { printf '%d.%d.%d.%d' "0x${1:60:2}" "0x${1:62:2}" "0x${1:64:2}" "0x${1:66:2}"; }

# f_csum_ok FRAME: the IPv4 header's one's complement sum is 0xffff.
f_csum_ok() {
	local h=${1:28:$(((16#${1:29:1}) * 8))} sum=0 i
	for ((i = 0; i < ${#h}; i += 4)); do
		sum=$((sum + 16#${h:i:4}))
	done
	while [ $((sum >> 16)) -ne 0 ]; do
		sum=$(((sum & 0xffff) + (sum >> 16)))
	done
	[ "$sum" -eq $((0xffff)) ]
}

# entry IFINDEX SMAC DMAC: the value bytes of an hfwd entry the contract
# fixes (ifindex in host order, then the two MACs).
entry() {
	printf '%02x%02x%02x%02x%s%s' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255)) \
		"$(echo "$2" | tr -d :)" "$(echo "$3" | tr -d :)"
}
