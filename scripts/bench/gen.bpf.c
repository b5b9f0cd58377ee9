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
 *
 * With gen_v6 set the frames are IPv6 (one destination, no scaling).
 * With gen_ndst set each frame gets the next destination of gen_dsts (the
 * driver shuffled them), the header checksum updated incrementally: real
 * traffic's many destinations, in an order no cache predicts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/* Written by the driver through the skeleton's mmaped .bss before a run. */
__u16 gen_hdr[BENCH_HDR6_WORDS]; /* BENCH_HDR_WORDS of it, or 6's */
__u32 gen_v6;			 /* IPv6 frames: BENCH_HDR6_LEN of header */
__u32 gen_ndst; /* destinations in gen_dsts; 0: gen_hdr's own */
__u32 gen_next; /* the next one: one CPU runs the generator, no race */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_MAX_DSTS);
	__type(key, __u32);
	__type(value, __be32);
} gen_dsts SEC(".maps");

/* The IPv4 destination (words 15, 16) to @d, the checksum (word 12) by
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over both words. */
static __always_inline void set_daddr(__u16 *w, __be32 d)
{
	__u16 n_hi = (__u16)d, n_lo = (__u16)(d >> 16);
	__u32 sum = (__u16)~w[12];

	sum += (__u16)~w[15] + (__u16)~w[16] + n_hi + n_lo;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[12] = ~sum;
	w[15] = n_hi;
	w[16] = n_lo;
}

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

	if (gen_v6) {
		if (data + BENCH_HDR6_LEN > data_end)
			return XDP_DROP;
#pragma unroll
		for (int i = 0; i < BENCH_HDR6_WORDS; i++)
			w[i] = gen_hdr[i];
		return bpf_redirect_map(&gen_out, 0, XDP_DROP);
	}
	if (data + BENCH_HDR_LEN > data_end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < BENCH_HDR_WORDS; i++)
		w[i] = gen_hdr[i];
	if (gen_ndst) {
		__u32 i = gen_next;
		__be32 *d;

		if (++gen_next >= gen_ndst)
			gen_next = 0;
		d = bpf_map_lookup_elem(&gen_dsts, &i);
		if (d)
			set_daddr(w, *d);
	}
	return bpf_redirect_map(&gen_out, 0, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
