/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the benchmark's BPF programs and its driver share.
 */
#ifndef BENCH_H
#define BENCH_H

/*
 * Headers the generator writes into every frame: Ethernet + IPv4 + UDP.
 * In 16-bit words so the copy is 21 loads and stores, not 42.
 */
#define BENCH_HDR_LEN 42
#define BENCH_HDR_WORDS (BENCH_HDR_LEN / 2)
/* Whole frame without FCS: 64 bytes on the wire, the usual small packet. */
#define BENCH_FRAME_LEN 60
/*
 * The IPv6 cases: Ethernet + IPv6 + UDP, no payload, the smallest UDP
 * over IPv6 (66 bytes on the wire), all of it header.
 */
#define BENCH_HDR6_LEN 62
#define BENCH_HDR6_WORDS (BENCH_HDR6_LEN / 2)
#define BENCH_FRAME6_LEN BENCH_HDR6_LEN

/*
 * The scaling cases: the generator cycles through up to this many
 * destinations (gen_dsts), in the random order the driver wrote them.
 */
#define BENCH_MAX_DSTS 131072

#endif /* BENCH_H */
