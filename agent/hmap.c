// SPDX-License-Identifier: GPL-2.0
/*
 * hmap.c - the chained hash and node pool of the learning core (see
 * hmap.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

static uint32_t h_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

/* Old buckets moved per addition while doubling: ~1 us of work. */
#define HMAP_STEP 64

int hmap_init(struct hmap *t)
{
	memset(t, 0, sizeof(*t));
	t->mask = 63;
	t->b = calloc(t->mask + 1, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

void hmap_free(struct hmap *t)
{
	free(t->b);
	free(t->ob);
	t->b = t->ob = NULL;
}

/*
 * Where key hash @h lives: its old bucket while that is not moved yet
 * (so nodes of one key are always in one chain), else the new one.
 */
static struct hmap_node **slot(const struct hmap *t, uint32_t h)
{
	if (t->ob && (h & t->omask) >= t->moved)
		return &t->ob[h & t->omask];
	return &t->b[h & t->mask];
}

/* Move up to @max old buckets into the new array; done: drop the old. */
static void hmap_move(struct hmap *t, uint32_t max)
{
	while (t->ob && max--) {
		struct hmap_node *n = t->ob[t->moved], *next;

		for (; n; n = next) {
			uint32_t j = h_hash(n->key) & t->mask;

			next = n->next;
			n->next = t->b[j];
			t->b[j] = n;
		}
		if (++t->moved > t->omask) {
			free(t->ob);
			t->ob = NULL;
		}
	}
}

/* Rehash into @nmask + 1 buckets; on allocation failure keep the old. */
static void hmap_resize(struct hmap *t, uint32_t nmask)
{
	struct hmap_node **nb = calloc((size_t)nmask + 1, sizeof(*nb));
	uint32_t i;

	if (!nb)
		return;
	for (i = 0; i <= t->mask; i++) {
		struct hmap_node *n = t->b[i], *next;

		for (; n; n = next) {
			uint32_t j = h_hash(n->key) & nmask;

			next = n->next;
			n->next = nb[j];
			nb[j] = n;
		}
	}
	free(t->b);
	t->b = nb;
	t->mask = nmask;
}

void hmap_add(struct hmap *t, struct hmap_node *n)
{
	struct hmap_node **b;

	if (t->ob) {
		hmap_move(t, HMAP_STEP);
	} else if (t->n > t->mask && t->mask < UINT32_MAX / 2) {
		struct hmap_node **nb =
			calloc((size_t)t->mask * 2 + 2, sizeof(*nb));

		if (nb) { /* the old buckets move a few at a time */
			t->ob = t->b;
			t->omask = t->mask;
			t->moved = 0;
			t->b = nb;
			t->mask = t->mask * 2 + 1;
		}
	}
	b = slot(t, h_hash(n->key));
	n->next = *b;
	*b = n;
	t->n++;
}

struct hmap_node *hmap_find(const struct hmap *t, uint64_t key)
{
	struct hmap_node *n = *slot(t, h_hash(key));

	while (n && n->key != key)
		n = n->next;
	return n;
}

struct hmap_node *hmap_next_same(struct hmap_node *n)
{
	uint64_t key = n->key;

	for (n = n->next; n && n->key != key; n = n->next)
		;
	return n;
}

void hmap_fit(struct hmap *t)
{
	uint32_t nmask = 63;

	while (nmask < t->n && nmask < UINT32_MAX / 2)
		nmask = nmask * 2 + 1;
	hmap_move(t, UINT32_MAX); /* a doubling in progress first */
	if (nmask < t->mask / 4)
		hmap_resize(t, nmask);
}

void hmap_del(struct hmap *t, struct hmap_node *n)
{
	struct hmap_node **pp = slot(t, h_hash(n->key));

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->n--;
	}
}

/* Nodes per chunk: one malloc for this many. */
#define POOL_CHUNK 512

void *hmap_pool_get(struct hmap_pool *p)
{
	void *v;

	if (!p->free) {
		void **nc = realloc(p->chunks,
				    (p->n_chunks + 1) * sizeof(*p->chunks));
		char *c;
		size_t i;

		if (!nc)
			return NULL;
		p->chunks = nc;
		c = malloc(p->size * POOL_CHUNK);
		if (!c)
			return NULL;
		p->chunks[p->n_chunks++] = c;
		for (i = 0; i < POOL_CHUNK; i++) {
			*(void **)(c + i * p->size) = p->free;
			p->free = c + i * p->size;
		}
	}
	v = p->free;
	p->free = *(void **)v;
	memset(v, 0, p->size);
	return v;
}

void hmap_pool_put(struct hmap_pool *p, void *v)
{
	*(void **)v = p->free;
	p->free = v;
}

void hmap_pool_destroy(struct hmap_pool *p)
{
	size_t i;

	for (i = 0; i < p->n_chunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	p->chunks = NULL;
	p->n_chunks = 0;
	p->free = NULL;
}
