// SPDX-License-Identifier: GPL-2.0
/*
 * htab.c - the slot hash. See htab.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

#define HTAB_MIN_SLOTS 64

static uint32_t htab_home(const struct htab *h, uint32_t ip)
{
	uint32_t x = ip * 0x9e3779b1u; /* Fibonacci hashing */

	return (x ^ (x >> 15)) & h->mask;
}

struct slot *htab_find(const struct htab *h, uint32_t ip)
{
	uint32_t i;

	if (!h->slots || !ip)
		return NULL;
	for (i = htab_home(h, ip);; i = (i + 1) & h->mask) {
		if (h->slots[i].ip == ip)
			return &h->slots[i];
		if (!h->slots[i].ip)
			return NULL;
	}
}

static int htab_resize(struct htab *h, uint32_t nslots)
{
	struct htab nh = {.mask = nslots - 1};
	uint32_t i, j;

	nh.slots = calloc(nslots, sizeof(*nh.slots));
	if (!nh.slots)
		return -ENOMEM;
	for (i = 0; h->slots && i <= h->mask; i++) {
		if (!h->slots[i].ip)
			continue;
		for (j = htab_home(&nh, h->slots[i].ip); nh.slots[j].ip;
		     j = (j + 1) & nh.mask)
			;
		nh.slots[j] = h->slots[i];
		nh.n++;
	}
	free(h->slots);
	*h = nh;
	return 0;
}

/* Find or add @ip; *created says which. NULL on -ENOMEM. */
struct slot *htab_insert(struct htab *h, uint32_t ip, bool *created)
{
	struct slot *s = htab_find(h, ip);
	uint32_t i, nslots = h->slots ? h->mask + 1 : 0;

	*created = false;
	if (s)
		return s;
	if (!h->slots || (uint64_t)(h->n + 1) * 5 > (uint64_t)nslots * 4) {
		if (htab_resize(h, nslots ? nslots * 2 : HTAB_MIN_SLOTS))
			return NULL;
	}
	for (i = htab_home(h, ip); h->slots[i].ip; i = (i + 1) & h->mask)
		;
	s = &h->slots[i];
	memset(s, 0, sizeof(*s));
	s->ip = ip;
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
	uint32_t i = s - h->slots, j = i, k;

	for (;;) {
		j = (j + 1) & h->mask;
		if (!h->slots[j].ip)
			break;
		k = htab_home(h, h->slots[j].ip);
		/* slot j may move to i only if its home is not in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->slots[i] = h->slots[j];
		i = j;
	}
	h->slots[i].ip = 0;
	h->n--;
}

void htab_clear_flags(struct htab *h, uint8_t flags)
{
	uint32_t i;

	for (i = 0; h->slots && i <= h->mask; i++)
		h->slots[i].flags &= ~flags;
}

void htab_free(struct htab *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}
