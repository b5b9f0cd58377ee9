// SPDX-License-Identifier: GPL-2.0
/*
 * htab.c - the slot hash. See htab.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

#define HTAB_MIN_SLOTS 64

void htab_init(struct htab *h, unsigned int klen)
{
	memset(h, 0, sizeof(*h));
	h->klen = (uint8_t)klen;
	h->stride = (uint8_t)(sizeof(struct slot) + klen);
}

static uint32_t word(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

static bool key_eq(const struct htab *h, const uint8_t *a, const uint8_t *b)
{
	if (h->klen == 4)
		return word(a) == word(b);
	return !memcmp(a, b, h->klen);
}

static bool key_zero(const struct htab *h, const uint8_t *k)
{
	if (h->klen == 4)
		return !word(k);
	return !(word(k) | word(k + 4) | word(k + 8) | word(k + 12));
}

bool htab_used(const struct htab *h, const struct slot *s)
{
	return !key_zero(h, s->key);
}

/* Fibonacci hashing of the key's words. */
static uint32_t htab_home(const struct htab *h, const uint8_t *key)
{
	uint32_t x = word(key) * 0x9e3779b1u;

	if (h->klen == 16)
		x ^= (word(key + 4) * 0x85ebca6bu) ^
		     (word(key + 8) * 0xc2b2ae35u) ^
		     (word(key + 12) * 0x27d4eb2fu);
	return (x ^ (x >> 15)) & h->mask;
}

struct slot *htab_find(const struct htab *h, const void *key)
{
	uint32_t i;

	if (!h->slots || key_zero(h, key))
		return NULL;
	for (i = htab_home(h, key);; i = (i + 1) & h->mask) {
		struct slot *s = htab_slot(h, i);

		if (key_eq(h, s->key, key))
			return s;
		if (!htab_used(h, s))
			return NULL;
	}
}

static int htab_resize(struct htab *h, uint32_t nslots)
{
	struct htab nh = *h;
	struct slot *s;
	uint32_t i, j;

	nh.mask = nslots - 1;
	nh.n = 0;
	nh.slots = calloc(nslots, h->stride);
	if (!nh.slots)
		return -ENOMEM;
	htab_for_each(h, i, s)
	{
		for (j = htab_home(&nh, s->key);
		     htab_used(&nh, htab_slot(&nh, j)); j = (j + 1) & nh.mask)
			;
		memcpy(htab_slot(&nh, j), s, h->stride);
		nh.n++;
	}
	free(h->slots);
	*h = nh;
	return 0;
}

struct slot *htab_insert(struct htab *h, const void *key, bool *created)
{
	struct slot *s = htab_find(h, key);
	uint32_t i, nslots = h->slots ? h->mask + 1 : 0;

	*created = false;
	if (s)
		return s;
	if (!h->slots || (uint64_t)(h->n + 1) * 5 > (uint64_t)nslots * 4) {
		if (htab_resize(h, nslots ? nslots * 2 : HTAB_MIN_SLOTS))
			return NULL;
	}
	for (i = htab_home(h, key); htab_used(h, htab_slot(h, i));
	     i = (i + 1) & h->mask)
		;
	s = htab_slot(h, i);
	memset(s, 0, h->stride);
	memcpy(s->key, key, h->klen);
	h->n++;
	*created = true;
	return s;
}

/*
 * Backward-shift deletion: pull later members of the probe run back over
 * the hole so lookups never need tombstones. Entries only ever move to a
 * lower index (cyclically), which a sweep that removes while it walks
 * relies on (table_resync_end()).
 */
void htab_remove(struct htab *h, struct slot *s)
{
	uint32_t i = (uint32_t)(((uint8_t *)s - h->slots) / h->stride), j = i;
	uint32_t k;

	for (;;) {
		j = (j + 1) & h->mask;
		if (!htab_used(h, htab_slot(h, j)))
			break;
		k = htab_home(h, htab_slot(h, j)->key);
		/* slot j may move to i only if its home is not in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(htab_slot(h, i), htab_slot(h, j), h->stride);
		i = j;
	}
	memset(htab_slot(h, i)->key, 0, h->klen);
	h->n--;
}

void htab_clear_flags(struct htab *h, uint8_t flags)
{
	struct slot *s;
	uint32_t i;

	htab_for_each(h, i, s) s->flags &= ~flags;
}

void htab_free(struct htab *h)
{
	free(h->slots);
	h->slots = NULL;
	h->mask = 0;
	h->n = 0;
}
