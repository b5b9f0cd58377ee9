/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hmap.h - a small intrusive chained hash keyed by 64 bits, and a pool of
 * fixed-size nodes: what the learning core's mirror is built of.
 *
 * Intrusive: a node lives inside the object it indexes (container_of()
 * finds the object), so one object can sit in several maps and nothing is
 * allocated per insertion. Several nodes may share a key (the routes of
 * one prefix, the candidates behind one next hop): hmap_find() returns
 * the first, hmap_next_same() the others; a 64-bit key that is a hash of
 * a longer one (an IPv6 address) is compared in full by the caller.
 * The bucket array doubles at one node per bucket, incrementally: the old
 * buckets are moved a few at a time by later additions, so no addition
 * rehashes a million nodes at once (what held the event loop for hundreds
 * of milliseconds in a full-table burst). A failed doubling only leaves
 * longer chains. Not thread-safe; nothing here blocks.
 */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>
#include <stdint.h>

#define container_of(p, type, member) \
	((type *)((char *)(p)-offsetof(type, member)))

struct hmap_node {
	struct hmap_node *next;
	uint64_t key;
};

struct hmap {
	struct hmap_node **b;
	uint32_t mask; /* buckets - 1, a power of two minus one */
	uint32_t n;    /* nodes */
	/* While doubling: the old buckets, those from @moved on still used. */
	struct hmap_node **ob;
	uint32_t omask, moved;
};

/* 0 or -ENOMEM. */
int hmap_init(struct hmap *t);
/* The buckets only: the nodes are the caller's. */
void hmap_free(struct hmap *t);
/* Also moves a few old buckets while doubling: not inside hmap_for_each(). */
void hmap_add(struct hmap *t, struct hmap_node *n);
struct hmap_node *hmap_find(const struct hmap *t, uint64_t key);
/* Next node of the same key after @n. */
struct hmap_node *hmap_next_same(struct hmap_node *n);
void hmap_del(struct hmap *t, struct hmap_node *n);
/*
 * Fewer buckets for fewer nodes (at most four per node, at least 64),
 * after a mass deletion: the bucket array never shrinks by itself. On
 * allocation failure nothing changes. Cost: one pass over the nodes.
 */
void hmap_fit(struct hmap *t);

/* Buckets to walk, old ones included, and the chain at bucket @i. */
static inline uint32_t hmap_buckets(const struct hmap *t)
{
	return t->mask + 1 + (t->ob ? t->omask + 1 : 0);
}

static inline struct hmap_node *hmap_bucket(const struct hmap *t, uint32_t i)
{
	if (i <= t->mask)
		return t->b[i];
	i -= t->mask + 1;
	return t->ob && i >= t->moved ? t->ob[i] : NULL;
}

/* Every node; safe against deleting the current one (not adding). */
#define hmap_for_each(t, i, n, tmp)                                          \
	for ((i) = 0; (i) < hmap_buckets(t); (i)++)                          \
		for ((n) = hmap_bucket(t, i); (n) && ((tmp) = (n)->next, 1); \
		     (n) = (tmp))

/*
 * Fixed-size node pool: 100k neighbours as separate mallocs would spend a
 * third of their memory on allocator headers. Set @size, zero the rest.
 */
struct hmap_pool {
	size_t size;
	void *free;
	void **chunks;
	size_t n_chunks;
};

/* A zeroed node, or NULL. */
void *hmap_pool_get(struct hmap_pool *p);
void hmap_pool_put(struct hmap_pool *p, void *v);
/* Frees every chunk: every node got from @p is gone. */
void hmap_pool_destroy(struct hmap_pool *p);

#endif /* HMAP_H */
