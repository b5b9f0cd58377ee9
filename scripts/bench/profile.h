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
#define SKIP_CSUM 1    /* the header checksum check */
#define SKIP_HFWD 2    /* hfwd: a one-slot array read instead */
#define SKIP_REWRITE 4 /* MACs, TTL, checksum */
#define SKIP_COUNT 8   /* fwd_stats */
#define SKIP_LEN 16    /* bpf_xdp_get_buff_len(): the linear length */
#define SKIP_SOURCE 32 /* the own-source check (fwd_local) */
#define SKIP_IFC 64    /* fwd_ifstats: per-interface counters */
#define SKIP(step) (FWD_PROFILE_SKIP & (step))

/* SKIP_HFWD's next hop: the bench writes its one entry before the runs. */
#if SKIP(SKIP_HFWD)
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_entry);
} prof_nh SEC(".maps");
#endif

#endif /* FWD_BENCH_PROFILE_H */
