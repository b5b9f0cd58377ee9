/* SPDX-License-Identifier: GPL-2.0 */
/*
 * localset.h - the daemon's copy of fwd_local, this host's own IPv4
 * addresses as the XDP program reads them (see struct fwd_local in fwd.h).
 *
 * It decides which address sits in which slot and remembers, per slot, the
 * sync generation that last saw the address, so that a resync can sweep
 * what went unseen. An address whose bucket is full waits in a spill list
 * and takes the first slot its bucket frees; while any waits, the set is
 * incomplete and the daemon must not trust it (FWD_IF_LOCAL_UNKNOWN).
 *
 * Pure data: no map, no syscall. Changed buckets are marked dirty;
 * localset_flush() hands each to the caller, who writes it to the map.
 */
#ifndef LOCALSET_H
#define LOCALSET_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd.h"

struct localset_spill {
	uint32_t addr; /* network order */
	uint32_t gen;
};

struct localset {
	struct fwd_local b[FWD_LOCAL_BUCKETS];
	uint32_t gen[FWD_LOCAL_BUCKETS][FWD_LOCAL_WAYS];
	uint64_t dirty[FWD_LOCAL_BUCKETS / 64];
	struct localset_spill *spill; /* addresses without a slot */
	uint32_t n_spill, cap_spill;
};

/*
 * A set is empty when its memory is zero: calloc() it, or embed it in
 * zeroed memory, so that the 128 KiB of buckets nothing uses stay pages
 * the kernel never had to provide (the daemon's RSS has a budget).
 */
void localset_free(struct localset *s);

/*
 * Take @b as bucket @idx of a previous instance's map, every address of
 * generation 0 (the next sweep keeps only those seen again). Addresses
 * that do not hash to @idx are dropped and the bucket marked dirty.
 */
void localset_load(struct localset *s, uint32_t idx, const struct fwd_local *b);

/*
 * @addr (network order, not 0) is ours, seen in generation @gen. 0, or
 * -ENOMEM if it could not even be remembered in the spill list (the set
 * is then incomplete for good: the caller must hold).
 */
int localset_add(struct localset *s, uint32_t addr, uint32_t gen);
/* @addr is no longer ours. Absent is not an error. */
void localset_del(struct localset *s, uint32_t addr);
/* Remove every address not seen in generation @gen; returns how many. */
int localset_sweep(struct localset *s, uint32_t gen);

/* Some address of ours has no slot: the map alone does not know it. */
static inline bool localset_incomplete(const struct localset *s)
{
	return s->n_spill > 0;
}

/* @addr is in a slot (what the program would find). */
bool localset_has(const struct localset *s, uint32_t addr);

/*
 * Call @write for every dirty bucket, then clear the marks of those it
 * returned 0 for. Returns the first error (those buckets stay dirty).
 */
int localset_flush(struct localset *s,
		   int (*write)(void *arg, uint32_t idx,
				const struct fwd_local *b),
		   void *arg);

#endif /* LOCALSET_H */
