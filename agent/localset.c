// SPDX-License-Identifier: GPL-2.0
/*
 * localset.c - the daemon's copy of fwd_local. See localset.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "localset.h"

static void mark(struct localset *s, uint32_t idx)
{
	s->dirty[idx / 64] |= 1ULL << (idx % 64);
}

/* The slot of @addr in its bucket, or -1. */
static int slot_of(const struct localset *s, uint32_t idx, uint32_t addr)
{
	for (int i = 0; i < FWD_LOCAL_WAYS; i++)
		if (s->b[idx].addr[i] == addr)
			return i;
	return -1;
}

/* Into a free slot of its bucket, if there is one. */
static bool place(struct localset *s, uint32_t addr, uint32_t gen)
{
	uint32_t idx = fwd_local_hash(addr);
	int i = slot_of(s, idx, 0);

	if (i < 0)
		return false;
	s->b[idx].addr[i] = addr;
	s->gen[idx][i] = gen;
	mark(s, idx);
	return true;
}

static void spill_drop(struct localset *s, uint32_t i)
{
	s->spill[i] = s->spill[--s->n_spill];
}

/* Spilled addresses into the slots that freed up. */
static void unspill(struct localset *s)
{
	uint32_t i = 0;

	while (i < s->n_spill)
		if (place(s, s->spill[i].addr, s->spill[i].gen))
			spill_drop(s, i);
		else
			i++;
}

void localset_free(struct localset *s)
{
	free(s->spill);
	s->spill = NULL;
	s->n_spill = s->cap_spill = 0;
}

void localset_load(struct localset *s, uint32_t idx, const struct fwd_local *b)
{
	if (idx >= FWD_LOCAL_BUCKETS)
		return;
	for (int i = 0; i < FWD_LOCAL_WAYS; i++) {
		uint32_t a = b->addr[i];

		if (a && fwd_local_hash(a) == idx && slot_of(s, idx, a) < 0) {
			s->b[idx].addr[i] = a;
			s->gen[idx][i] = 0;
		} else if (a) {
			mark(s, idx); /* not ours to keep: rewrite */
		}
	}
}

bool localset_has(const struct localset *s, uint32_t addr)
{
	return addr && slot_of(s, fwd_local_hash(addr), addr) >= 0;
}

int localset_add(struct localset *s, uint32_t addr, uint32_t gen)
{
	uint32_t idx = fwd_local_hash(addr);
	int i = slot_of(s, idx, addr);

	if (!addr)
		return -EINVAL;
	if (i >= 0) {
		s->gen[idx][i] = gen;
		return 0;
	}
	for (uint32_t j = 0; j < s->n_spill; j++)
		if (s->spill[j].addr == addr) {
			s->spill[j].gen = gen;
			return 0;
		}
	if (place(s, addr, gen))
		return 0;
	if (s->n_spill == s->cap_spill) {
		uint32_t cap = s->cap_spill ? 2 * s->cap_spill : 16;
		void *p = realloc(s->spill, cap * sizeof(*s->spill));

		if (!p)
			return -ENOMEM;
		s->spill = p;
		s->cap_spill = cap;
	}
	s->spill[s->n_spill++] = (struct localset_spill){addr, gen};
	return 0;
}

void localset_del(struct localset *s, uint32_t addr)
{
	uint32_t idx = fwd_local_hash(addr);
	int i = addr ? slot_of(s, idx, addr) : -1;

	if (i >= 0) {
		s->b[idx].addr[i] = 0;
		mark(s, idx);
		unspill(s);
		return;
	}
	for (uint32_t j = 0; j < s->n_spill; j++)
		if (s->spill[j].addr == addr) {
			spill_drop(s, j);
			return;
		}
}

int localset_sweep(struct localset *s, uint32_t gen)
{
	int n = 0;

	for (uint32_t idx = 0; idx < FWD_LOCAL_BUCKETS; idx++)
		for (int i = 0; i < FWD_LOCAL_WAYS; i++)
			if (s->b[idx].addr[i] && s->gen[idx][i] != gen) {
				s->b[idx].addr[i] = 0;
				mark(s, idx);
				n++;
			}
	for (uint32_t j = 0; j < s->n_spill;)
		if (s->spill[j].gen != gen) {
			spill_drop(s, j);
			n++;
		} else {
			j++;
		}
	unspill(s);
	return n;
}

int localset_flush(struct localset *s,
		   int (*write)(void *arg, uint32_t idx,
				const struct fwd_local *b),
		   void *arg)
{
	int first = 0;

	for (uint32_t w = 0; w < FWD_LOCAL_BUCKETS / 64; w++) {
		uint64_t bits = s->dirty[w];

		while (bits) {
			uint32_t idx = w * 64 + __builtin_ctzll(bits);
			int err = write(arg, idx, &s->b[idx]);

			bits &= bits - 1;
			if (!err)
				s->dirty[w] &= ~(1ULL << (idx % 64));
			else if (!first)
				first = err;
		}
	}
	return first;
}
