/* SPDX-License-Identifier: GPL-2.0 */
/*
 * table.h - the forwarding table: the one place that writes hfwd, hfwd6,
 * fwd_ovr and fwd_ovr6, and the one place that knows that an override
 * beats a learned entry.
 *
 * It keeps, per family, two user-space tables keyed by destination:
 * learned entries (from rtnetlink, through the daemon) and overrides (from
 * the API). hfwd (hfwd6 for IPv6) holds, for every destination in either,
 * the override if there is one, else the learned entry; fwd_ovr (fwd_ovr6)
 * holds the keys that are overrides. Single changes are written to the
 * maps at once; a resync (or the daemon's start) defers map writes and ends
 * with one reconcile that makes the maps equal to the table, removing stray
 * keys and writing the rest in batches. Overrides are made durable by the
 * store (store.h), one transaction per flush.
 *
 * Addresses are struct ip_addr (addr.h), network byte order.
 */
#ifndef TABLE_H
#define TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "fwd.h"
#include "util.h"

struct table;

struct store;

/* The maps of one family: hfwd and fwd_ovr, or hfwd6 and fwd_ovr6. */
struct table_maps {
	int hfwd_fd;
	int ovr_fd;
};

struct table_opts {
	struct table_maps v4, v6; /* -1 fds: not there (yet) */
	struct store *store;	  /* where overrides persist; NULL: nowhere */
};

/* One destination as hfwd (hfwd6) holds it, and where it came from. */
struct table_row {
	struct ip_addr ip;
	struct fwd_entry entry;
	bool override;
	bool installed; /* hfwd (hfwd6) holds it; false: the map was full */
};

struct table_stats {
	uint64_t learned;   /* IPv4 learned entries in the table */
	uint64_t overrides; /* IPv4 overrides in the table */
	uint64_t entries;   /* distinct IPv4 destinations = what hfwd holds */
	uint64_t learned6, overrides6, entries6; /* the same for IPv6 */
	uint64_t map_full;   /* writes refused because hfwd was full */
	uint64_t evicted;    /* learned entries taken out of a full map for an
			   * override */
	uint64_t reconciles; /* reconcile passes done */
	uint64_t last_reconcile_us; /* duration of the last one */
};

/* Empty table over the two maps; the maps are not touched. 0 or -errno. */
int table_new(struct table **out, const struct table_opts *o);
void table_free(struct table *t);
/*
 * Point the table at its maps, when they exist only after the table (the
 * daemon reads the state file before it touches XDP, so a bad file never
 * costs a running data path anything).
 */
void table_set_maps(struct table *t, const struct table_maps *v4,
		    const struct table_maps *v6);

/*
 * Read the overrides from the store into the table (the maps follow at the
 * next reconcile). 0 or the store's -errno (logged): a row it cannot read
 * stops the start, it is never dropped.
 */
int table_load(struct table *t);

/*
 * Learned entries, from the rtnetlink side. Written to the map at once
 * unless an override shadows the destination or a resync is open. -EINVAL
 * for 0.0.0.0 or ::, -E2BIG if the map is full (the entry stays in the
 * table and is retried at the next reconcile). learn_del: -ENOENT if there
 * was none.
 */
int table_learn_set(struct table *t, const struct ip_addr *ip,
		    const struct fwd_entry *e);
int table_learn_del(struct table *t, const struct ip_addr *ip);

/*
 * Overrides. Take effect in hfwd at once; durable only after
 * table_flush(). override_del brings back the learned entry, if any.
 */
int table_override_set(struct table *t, const struct ip_addr *ip,
		       const struct fwd_entry *e);
int table_override_del(struct table *t, const struct ip_addr *ip);
/*
 * The same, the interface given by name @ifname (NULL: by index): when
 * an interface of that name appears with another ifindex, the override
 * follows it (table_iface_follow()), its source MAC too unless
 * @own_smac (given in the request, not the interface's default).
 */
int table_override_set_named(struct table *t, const struct ip_addr *ip,
			     const struct fwd_entry *e, const char *ifname,
			     bool own_smac);
/* The name @ip's override was given by, or NULL (by index, or none). */
const char *table_override_iface(const struct table *t,
				 const struct ip_addr *ip);
/*
 * Interface @name is (again) @ifindex with @mac: every override given by
 * that name points at it. Not a change to make durable: the store keeps
 * the name, and resolves it at the next start. 0 or a map write's -errno.
 */
int table_iface_follow(struct table *t, const char *name, uint32_t ifindex,
		       const uint8_t mac[6]);

/*
 * Make every override change since the last flush durable: one store
 * transaction with each changed destination's state. On error (-ENOSPC
 * for a full disk) every one of those changes is undone, in the table and
 * in the maps: a change refused to its client leaves no trace.
 */
int table_flush(struct table *t);
bool table_dirty(const struct table *t);

/*
 * Resync bracket (may nest). begin: from now on map writes wait and every
 * learned entry is unconfirmed. Each table_learn_set() confirms one. The
 * outermost end drops the learned entries still unconfirmed, then
 * reconciles.
 */
void table_resync_begin(struct table *t);
int table_resync_end(struct table *t);

/*
 * Make the maps of both families hold exactly what the table says: keys
 * the table lacks are deleted, missing or different values written. Cost:
 * batched reads of each map and batched writes.
 */
int table_reconcile(struct table *t);

/* The row hfwd holds for @ip. -ENOENT if none. */
int table_lookup(const struct table *t, const struct ip_addr *ip,
		 struct table_row *row);
/*
 * Every row, IPv4 then IPv6, each by address (api_ip_cmp()). Stops when
 * @fn returns non-zero and returns that value. -ENOMEM if the sort buffer
 * fails.
 */
int table_walk(const struct table *t,
	       int (*fn)(const struct table_row *row, void *ctx), void *ctx);
/* The learned entry for @ip, shadowed or not. -ENOENT if none. */
int table_learned(const struct table *t, const struct ip_addr *ip,
		  struct fwd_entry *e);

void table_get_stats(const struct table *t, struct table_stats *out);

#endif /* TABLE_H */
