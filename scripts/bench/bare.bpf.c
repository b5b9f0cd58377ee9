// SPDX-License-Identifier: GPL-2.0
/*
 * bare.bpf.c - the reference: redirect every frame to the forwarder's
 * egress through a DEVMAP_HASH keyed by ifindex, exactly the redirect fwd
 * ends with, but with no parsing, no lookup and no rewrite. What it
 * reaches is the practical ceiling for any XDP forwarder on this machine;
 * fwd's table path is measured against it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set by the driver before load. */
const volatile __u32 bare_oif;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} bare_out SEC(".maps");

/* cppcheck cannot see libbpf's SEC() without the BPF include path. */
// cppcheck-suppress unknownMacro
SEC("xdp")
int xdp_bare(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect_map(&bare_out, bare_oif, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
