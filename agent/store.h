/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - where overrides outlive the daemon: an SQLite database
 * (--state, default /var/lib/fwd/fwd.db). Nothing else touches it.
 *
 * One table, readable with sqlite3(1):
 *   overrides(ip TEXT PRIMARY KEY, ifindex INTEGER, iface TEXT,
 *             smac TEXT, dmac TEXT)
 * addresses (IPv4 and IPv6, RFC 5952) and MACs as the API shows them. WAL mode, synchronous=FULL:
 * a commit is on disk when store_commit() returns, and a crash at any
 * other moment loses only what was not committed. Changes are grouped:
 * store_put() and store_del() open a transaction if none is, and
 * store_commit() ends it, so N changes cost one durable write.
 *
 * At its first start beside an fwd 0.1 state file (<dir>/state.json and
 * its journals, dir being the database's), the store imports it in the
 * same transaction that records the import, then renames those files
 * aside (*.imported): once, and never half.
 */
#ifndef STORE_H
#define STORE_H

#include <stdint.h>

#include "fwd.h"
#include "util.h"

struct store;

/*
 * Open or create the database at @path (its directory must exist), check
 * it, import an older state file. 0, or -errno with the reason logged: a
 * file that is not an fwd database, a damaged one (what sqlite3's
 * quick_check says), a row that does not parse. Never starts empty over
 * rows it could not read.
 */
int store_open(struct store **out, const char *path);
/*
 * The same, the files readable by group @gid too (--control-group): mode
 * 0640 instead of 0600. Both take <path>.lock for the store's life: a
 * second store on one database gets -EBUSY (the owner's pid logged). Both
 * refuse (-EPERM) a database that another user owns or that group or
 * others can write, and narrow one that others can read.
 */
int store_open_group(struct store **out, const char *path, long gid);
void store_close(struct store *s);

/*
 * Every override. @fn gets the address, the entry, its ifindex taken from
 * the stored interface name when that still exists (interfaces re-created
 * get new indexes), and that name (NULL: the override was given by
 * index); a non-zero return stops the walk and is returned.
 */
int store_load(struct store *s,
	       int (*fn)(void *arg, const struct ip_addr *ip,
			 const struct fwd_entry *e, const char *iface),
	       void *arg);

/* @ip now has override @e / none. Part of the open transaction. 0 or -errno. */
int store_put(struct store *s, const struct ip_addr *ip,
	      const struct fwd_entry *e);
/*
 * store_put() names the interface of @e->ifindex; this one stores @iface
 * as the name the override was given by, NULL for one given by index
 * (which then keeps its ifindex at the next start).
 */
int store_put_iface(struct store *s, const struct ip_addr *ip,
		    const struct fwd_entry *e, const char *iface);
int store_del(struct store *s, const struct ip_addr *ip);
/*
 * Make the open transaction durable. 0 (also with none open), or -errno
 * (-ENOSPC for a full disk): then it is rolled back, and the caller, who
 * still knows the changes, puts them again into the next one.
 */
int store_commit(struct store *s);
/* Drop the open transaction, if any (a put or delete failed). */
void store_abort(struct store *s);

#endif /* STORE_H */
