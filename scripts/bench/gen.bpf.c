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
 * With gen_spray set (a mask of the destination's low bits, host order)
 * every frame goes to a new destination of gen_hdr's prefix, the next
 * value of a counter under the mask: demand learning's worst case. IPv6
 * sprays the low 32 bits, the UDP checksum kept right.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench.h"

/* Written by the driver through the skeleton's mmaped .bss before a run. */
__u16 gen_hdr[BENCH_HDR6_WORDS]; /* BENCH_HDR_WORDS of it, or 6's */
__u32 gen_v6;			 /* IPv6 frames: BENCH_HDR6_LEN of header */
__u32 gen_ndst;	   /* destinations in gen_dsts; 0: gen_hdr's own */
__u32 gen_next;	   /* the next one: one CPU runs the generator, no race */
__u32 gen_spray;   /* mask of the destination bits to spray; 0: none */
__u32 gen_sprayed; /* the spray's counter, kept across runs */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_MAX_DSTS);
	__type(key, __u32);
	__type(value, __be32);
} gen_dsts SEC(".maps");

/* Words @at and @at + 1 to @d, the checksum in word @c by RFC 1624
 * eqn. 3: HC' = ~(~HC + ~m + m') over both words. */
static __always_inline void set_word32(__u16 *w, int c, int at, __be32 d)
{
	__u16 n_hi = (__u16)d, n_lo = (__u16)(d >> 16);
	__u32 sum = (__u16)~w[c];

	sum += (__u16)~w[at] + (__u16)~w[at + 1] + n_hi + n_lo;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[c] = ~sum;
	w[at] = n_hi;
	w[at + 1] = n_lo;
}

/* The IPv4 destination (words 15, 16) to @d, the header checksum (12). */
static __always_inline void set_daddr(__u16 *w, __be32 d)
{
	set_word32(w, 12, 15, d);
}

/* The spray's next destination: gen_hdr's (words @at, @at + 1) with the
 * bits under gen_spray replaced by the counter's. */
static __always_inline __be32 spray_next(__u16 *w, int at)
{
	__be32 d = (__u32)w[at] | (__u32)w[at + 1] << 16;
	__u32 m = gen_spray;

	return bpf_htonl((bpf_ntohl(d) & ~m) | (gen_sprayed++ & m));
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
		/* destination words 19-26, UDP checksum word 30 */
		if (gen_spray)
			set_word32(w, 30, 25, spray_next(w, 25));
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
	if (gen_spray)
		set_daddr(w, spray_next(w, 15));
	return bpf_redirect_map(&gen_out, 0, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
