/* SPDX-License-Identifier: GPL-2.0 */
/*
 * htab.h - the slot hash that holds the table's learned entries and
 * overrides, keyed by destination: 4 bytes (IPv4) or 16 (IPv6), one key
 * length per table.
 *
 * Memory is the constraint that shapes it: at 100k destinations the whole
 * daemon must stay under 16 MB, so it is an open-addressing hash of slots
 * (the 16-byte hfwd value, flags, the key: 24 bytes for IPv4, 36 for IPv6)
 * with linear probing and backward-shift deletion (no tombstones), grown
 * at 80% load: 100k IPv4 entries fit in 131072 slots, 3 MB. Walk it with
 * htab_for_each(); a key of all zeroes is an empty slot (0.0.0.0 and ::
 * are never destinations).
 */
#ifndef HTAB_H
#define HTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd.h"

struct slot {
	struct fwd_entry e;
	uint8_t flags; /* the user's */
	uint8_t pad[3];
	uint8_t key[]; /* klen bytes, network order */
};
_Static_assert(sizeof(struct slot) == 20, "slot header must stay 20 bytes");

struct htab {
	uint8_t *slots; /* (mask + 1) x stride bytes; NULL until an insert */
	uint32_t mask;	/* slots - 1, a power of two minus one */
	uint32_t n;	/* used slots */
	uint8_t klen;	/* 4 or 16 */
	uint8_t stride; /* sizeof(struct slot) + klen */
};

/* An empty table of @klen-byte keys (4 or 16); allocates nothing. */
void htab_init(struct htab *h, unsigned int klen);

static inline struct slot *htab_slot(const struct htab *h, uint32_t i)
{
	return (struct slot *)(h->slots + (size_t)i * h->stride);
}

/* True for a slot that holds a key. */
bool htab_used(const struct htab *h, const struct slot *s);

/* Every used slot @s of @h, by index @i. Not across inserts or removals. */
#define htab_for_each(h, i, s)                                         \
	for ((i) = 0; (h)->slots && (i) <= (h)->mask; (i)++)           \
		if (((s) = htab_slot((h), (i))), !htab_used((h), (s))) \
			;                                              \
		else

/* The slot of @key, or NULL (always NULL for the all-zero key). */
struct slot *htab_find(const struct htab *h, const void *key);
/* Find or add @key (zeroed but for the key); *created says which. NULL on
 * -ENOMEM. */
struct slot *htab_insert(struct htab *h, const void *key, bool *created);
/* Remove @s, a slot of @h; other slots may move to lower indexes. */
void htab_remove(struct htab *h, struct slot *s);
void htab_clear_flags(struct htab *h, uint8_t flags);
void htab_free(struct htab *h);

#endif /* HTAB_H */
