/* SPDX-License-Identifier: GPL-2.0 */
/*
 * htab.h - the slot hash that holds the table's learned entries and
 * overrides, keyed by IPv4 destination.
 *
 * Memory is the constraint that shapes it: at 100k destinations the whole
 * daemon must stay under 16 MB, so it is an open-addressing hash of 24-byte
 * slots (key, flags, the 16-byte hfwd value) with linear probing and
 * backward-shift deletion (no tombstones), grown at 80% load: 100k entries
 * fit in 131072 slots, 3 MB. Walk it as h->slots[0..mask], skipping slots
 * whose ip is 0.
 */
#ifndef HTAB_H
#define HTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd.h"

struct slot {
	uint32_t ip;   /* network order; 0 = empty (0.0.0.0 is never routed) */
	uint8_t flags; /* the user's */
	uint8_t pad[3];
	struct fwd_entry e;
};
_Static_assert(sizeof(struct slot) == 24, "slot must stay 24 bytes");

struct htab {
	struct slot *slots; /* NULL until the first insert */
	uint32_t mask;	    /* slots - 1, a power of two minus one */
	uint32_t n;	    /* used slots */
};

/* The slot of @ip, or NULL. */
struct slot *htab_find(const struct htab *h, uint32_t ip);
/* Find or add @ip (zeroed but for the key); *created says which. NULL on
 * -ENOMEM. */
struct slot *htab_insert(struct htab *h, uint32_t ip, bool *created);
/* Remove @s, a slot of @h; other slots may move to lower indexes. */
void htab_remove(struct htab *h, struct slot *s);
void htab_clear_flags(struct htab *h, uint8_t flags);
void htab_free(struct htab *h);

#endif /* HTAB_H */
