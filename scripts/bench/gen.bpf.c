// SPDX-License-Identifier: GPL-2.0
/*
 * gen.bpf.c - the traffic generator: run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, it sends every frame out of the generator's
 * veth through a devmap.
 *
 * Live-frames pages are recycled without being reset to the test input, so
 * a frame the forwarder rewrote (MACs, TTL, checksum) would come back with
 * TTL one less each round and, after ~60 rounds, be passed to the kernel
 * as TTL-exceeded. The headers are therefore rewritten from gen_hdr on
 * every run; the copy costs a few ns, far below the forwarder's work.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/* Written by the driver through the skeleton's mmaped .bss before a run. */
__u16 gen_hdr[BENCH_HDR_WORDS];

/* Key 0: the generator's veth. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_out SEC(".maps");

/* cppcheck cannot see libbpf's SEC() without the BPF include path. */
// cppcheck-suppress unknownMacro
SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u16 *w = data;

	if (data + BENCH_HDR_LEN > data_end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < BENCH_HDR_WORDS; i++)
		w[i] = gen_hdr[i];
	return bpf_redirect_map(&gen_out, 0, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
