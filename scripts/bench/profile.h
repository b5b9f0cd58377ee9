/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - the bench's knobs in kern/fwd.bpf.c: which steps a profiling
 * build leaves out. Only scripts/bench/steps.sh includes it, by building
 * with -DFWD_PROFILE -DFWD_PROFILE_SKIP=<steps> -Iscripts/bench; without
 * FWD_PROFILE fwd.bpf.c defines SKIP(step) as 0, so the program that ships
 * carries none of this (the same instructions as without the knobs).
 */
#ifndef FWD_BENCH_PROFILE_H
#define FWD_BENCH_PROFILE_H

#ifndef FWD_PROFILE_SKIP
#define FWD_PROFILE_SKIP 0
#endif
#define SKIP_CSUM 1	 /* the header checksum check */
#define SKIP_HFWD 2	 /* hfwd: a one-slot array read instead */
#define SKIP_REWRITE 4	 /* MACs, TTL, checksum */
#define SKIP_COUNT 8	 /* fwd_stats */
#define SKIP_LEN 16	 /* bpf_xdp_get_buff_len(): the linear length */
#define SKIP_SOURCE 32	 /* the own-source check (fwd_local) */
#define SKIP_IFC 64	 /* fwd_ifstats: per-interface counters */
#define SKIP_ICMP 128	 /* fib path: the ICMP-error check */
#define SKIP_PORTS 256	 /* fib path: the ports for the flow dissector */
#define SKIP_FIB 512	 /* fib path: bpf_fib_lookup(), prof_nh instead */
#define SKIP_REPORT 1024 /* fib path: demand learning's report */
#define SKIP(step) (FWD_PROFILE_SKIP & (step))

/* SKIP_HFWD's and SKIP_FIB's next hop: the bench writes its one entry. */
#if SKIP(SKIP_HFWD) || SKIP(SKIP_FIB)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_entry);
} prof_nh SEC(".maps");
#endif

/*
 * The forward lookup (the one with flags 0; the rp_filter lookup passes
 * BPF_FIB_LOOKUP_SKIP_NEIGH) as a profiling build makes it, without a
 * line of fwd.bpf.c changed: a function-like macro of the helper's name,
 * defined after the helper's declaration, catches the calls and not
 * `struct bpf_fib_lookup`.
 *  SKIP_FIB             no helper call: prof_nh's next hop, SUCCESS.
 *  FWD_PROFILE_DIRECT6  IPv6 asks the main table alone (DIRECT | TBID,
 *                       tbid 254), not local then main as fib6_lookup()
 *                       does without policy rules: what skipping the
 *                       local table's walk would save at most. Wrong for
 *                       real use: our own addresses would be forwarded.
 */
#if SKIP(SKIP_FIB) || defined(FWD_PROFILE_DIRECT6)
static __always_inline long prof_fib_lookup(void *ctx, struct bpf_fib_lookup *p,
					    int plen, __u32 flags)
{
#if SKIP(SKIP_FIB)
	if (!flags) {
		const struct fwd_entry *e =
			bpf_map_lookup_elem(&prof_nh, &(__u32){0});

		if (!e)
			return BPF_FIB_LKUP_RET_NOT_FWDED;
		p->ifindex = e->ifindex;
		__builtin_memcpy(p->smac, e->smac, sizeof(p->smac));
		__builtin_memcpy(p->dmac, e->dmac, sizeof(p->dmac));
		return BPF_FIB_LKUP_RET_SUCCESS;
	}
#endif
#ifdef FWD_PROFILE_DIRECT6
	if (!flags && p->family == AF_INET6) {
		p->tbid = 254; /* RT_TABLE_MAIN */
		flags = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID;
	}
#endif
	return bpf_fib_lookup(ctx, p, plen, flags);
}
#define bpf_fib_lookup(ctx, p, plen, flags) prof_fib_lookup(ctx, p, plen, flags)
#endif

/*
 * FWD_PROFILE_NOMISS: hfwd and hfwd6 are not looked up at all, as if every
 * lookup missed without its cost: the fib path less the table's miss
 * before its lookup (the table path then takes the fib path: its column
 * means nothing). The same trick: a macro of the helper's name, which the
 * compiler folds for every other map (distinct globals' addresses).
 */
#ifdef FWD_PROFILE_NOMISS
/* the helper itself, as bpf_helper_defs.h declares it (id 1) */
static void *(*const prof_lookup)(void *map, const void *key) = (void *)1;
#define bpf_map_lookup_elem(map, key)                                      \
	((void *)(map) == (void *)&hfwd || (void *)(map) == (void *)&hfwd6 \
		 ? (void *)0                                               \
		 : prof_lookup((void *)(map), (key)))
#endif

#endif /* FWD_BENCH_PROFILE_H */
