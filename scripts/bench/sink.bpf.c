// SPDX-License-Identifier: GPL-2.0
/*
 * sink.bpf.c - the sink: count every frame that reaches it and drop it.
 *
 * XDP on the sink's veth also gives the veth the NAPI instance that frames
 * redirected into its peer need (without it they are dropped silently).
 * A per-CPU counter: no atomic, no shared cache line with the forwarder.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sink_cnt SEC(".maps");

/* cppcheck cannot see libbpf's SEC() without the BPF include path. */
// cppcheck-suppress unknownMacro
SEC("xdp.frags") /* jumbo cases: multi-buffer frames, MTU 9000 */
int xdp_sink(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&sink_cnt, &key);

	(void)ctx;
	if (n)
		(*n)++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
