// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - learned entries and overrides, and the only writer of hfwd and
 * fwd_ovr. See table.h for the contract.
 *
 * Map write order keeps the data path right at every instant: fwd_ovr
 * marks a key as an override, and the program only consults it when the
 * ingress interface has forwarding off. A key becoming an override gets its
 * hfwd value first and its mark second; a key losing its override loses the
 * mark first. So a learned value is never taken for an override.
 *
 * Durability is the store's (store.h); the table only remembers which
 * overrides changed since the last flush and hands their state to the
 * store in one transaction, so a flush costs one commit whatever the size
 * of the table. The API answers an update only once that commit returned,
 * and it groups the updates of a loop iteration into one flush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "htab.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "table.h"
#include "util.h"

#define SLOT_MARK 0x1	  /* confirmed since the resync began */
#define SLOT_SEEN 0x2	  /* reconcile: hfwd already holds this value */
#define SLOT_OVR_SEEN 0x4 /* reconcile: key present in fwd_ovr */
#define STATE_VERSION 1

struct table {
	int hfwd_fd;
	int ovr_fd;
	struct store *store; /* NULL: overrides are not persisted */
	uint32_t *pend;	     /* overrides changed since the last flush */
	uint32_t npend, pend_cap;
	struct htab learned;
	struct htab ovr;
	int defer;	  /* open resync brackets: map writes wait */
	bool dirty;	  /* overrides changed since the last flush */
	bool full_warned; /* "hfwd full" already logged since last success */
	struct table_stats st;
};

/* ---- formatting and logging ------------------------------------------- */

static void log_entry(enum log_level level, const char *what, uint32_t ip,
		      const struct fwd_entry *e)
{
	char ipb[INET_ADDRSTRLEN], sm[API_MAC_STRLEN], dm[API_MAC_STRLEN];
	char ifn[IF_NAMESIZE];

	if (log_get_level() < level)
		return;
	inet_ntop(AF_INET, &ip, ipb, sizeof(ipb));
	if (!e) {
		log_msg(level, "%s %s", what, ipb);
		return;
	}
	if (!if_indextoname(e->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "#%u", e->ifindex);
	api_format_mac(e->smac, sm);
	api_format_mac(e->dmac, dm);
	log_msg(level, "%s %s dev %s src %s dst %s", what, ipb, ifn, sm, dm);
}

/* ---- map writes -------------------------------------------------------- */

static void note_full(struct table *t, uint64_t n)
{
	t->st.map_full += n;
	if (!t->full_warned)
		pr_warn("hfwd is full: %llu destination(s) not installed "
			"(raise --max-entries)",
			(unsigned long long)n);
	t->full_warned = true;
}

static int hfwd_put(struct table *t, uint32_t ip, const struct fwd_entry *e)
{
	int err;

	if (!bpf_map_update_elem(t->hfwd_fd, &ip, e, BPF_ANY)) {
		t->full_warned = false;
		return 0;
	}
	err = -errno;
	if (err == -E2BIG || err == -ENOSPC) {
		note_full(t, 1);
		return -E2BIG;
	}
	log_entry(LOG_LEVEL_ERR, "cannot write hfwd entry", ip, e);
	return err;
}

static int hfwd_drop(struct table *t, uint32_t ip)
{
	if (!bpf_map_delete_elem(t->hfwd_fd, &ip) || errno == ENOENT)
		return 0;
	return -errno;
}

static int ovr_mark(struct table *t, uint32_t ip)
{
	struct fwd_ovr v = {.set = 1};

	if (!bpf_map_update_elem(t->ovr_fd, &ip, &v, BPF_ANY))
		return 0;
	return -errno;
}

static int ovr_unmark(struct table *t, uint32_t ip)
{
	if (!bpf_map_delete_elem(t->ovr_fd, &ip) || errno == ENOENT)
		return 0;
	return -errno;
}

/* ---- life cycle -------------------------------------------------------- */

int table_new(struct table **out, const struct table_opts *o)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->hfwd_fd = o->hfwd_fd;
	t->ovr_fd = o->ovr_fd;
	t->store = o->store;
	*out = t;
	return 0;
}

void table_set_maps(struct table *t, int hfwd_fd, int ovr_fd)
{
	t->hfwd_fd = hfwd_fd;
	t->ovr_fd = ovr_fd;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	htab_free(&t->learned);
	htab_free(&t->ovr);
	free(t->pend);
	free(t);
}

/* ---- learned entries --------------------------------------------------- */

int table_learn_set(struct table *t, uint32_t ip, const struct fwd_entry *e)
{
	struct slot *s;
	bool created;

	if (!ip)
		return -EINVAL;
	s = htab_insert(&t->learned, ip, &created);
	if (!s)
		return -ENOMEM;
	s->flags |= SLOT_MARK;
	if (!created && !memcmp(&s->e, e, sizeof(*e)))
		return 0;
	s->e = *e;
	if (t->defer) {
		log_entry(LOG_LEVEL_DEBUG, "learned", ip, e);
		return 0;
	}
	if (htab_find(&t->ovr, ip)) {
		log_entry(LOG_LEVEL_INFO, "learned (shadowed by override)", ip,
			  e);
		return 0;
	}
	log_entry(LOG_LEVEL_INFO, created ? "learned" : "relearned", ip, e);
	return hfwd_put(t, ip, e);
}

int table_learn_del(struct table *t, uint32_t ip)
{
	struct slot *s = htab_find(&t->learned, ip);

	if (!s)
		return -ENOENT;
	htab_remove(&t->learned, s);
	if (t->defer) {
		log_entry(LOG_LEVEL_DEBUG, "forgot", ip, NULL);
		return 0;
	}
	if (htab_find(&t->ovr, ip))
		return 0;
	log_entry(LOG_LEVEL_INFO, "forgot", ip, NULL);
	return hfwd_drop(t, ip);
}

int table_learned(const struct table *t, uint32_t ip, struct fwd_entry *e)
{
	const struct slot *s = htab_find(&t->learned, ip);

	if (!s)
		return -ENOENT;
	*e = s->e;
	return 0;
}

/* ---- overrides --------------------------------------------------------- */

/*
 * Remember that @ip's override changed: the next flush journals its state
 * then (duplicates are harmless, each record says the state at the flush).
 */
static int note_change(struct table *t, uint32_t ip)
{
	if (!t->store) {
		t->dirty = true;
		return 0;
	}
	if (t->npend == t->pend_cap) {
		uint32_t cap = t->pend_cap ? t->pend_cap * 2 : 64;
		uint32_t *p = realloc(t->pend, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->pend = p;
		t->pend_cap = cap;
	}
	t->pend[t->npend++] = ip;
	t->dirty = true;
	return 0;
}

int table_override_set(struct table *t, uint32_t ip, const struct fwd_entry *e)
{
	struct fwd_entry old;
	struct slot *s, *l;
	bool created;
	int err;

	if (!ip)
		return -EINVAL;
	if (note_change(t, ip))
		return -ENOMEM;
	s = htab_insert(&t->ovr, ip, &created);
	if (!s)
		return -ENOMEM;
	old = s->e;
	s->e = *e;
	if (t->defer)
		return 0;
	err = hfwd_put(t, ip, e);
	if (!err)
		err = ovr_mark(t, ip);
	if (!err) {
		log_entry(LOG_LEVEL_INFO, "override", ip, e);
		return 0;
	}
	/* Undo, so the table keeps saying what the maps hold. */
	l = htab_find(&t->learned, ip);
	if (created) {
		htab_remove(&t->ovr, s);
		ovr_unmark(t, ip);
		if (l)
			hfwd_put(t, ip, &l->e);
		else
			hfwd_drop(t, ip);
	} else {
		s->e = old;
		hfwd_put(t, ip, &old);
	}
	return err;
}

int table_override_del(struct table *t, uint32_t ip)
{
	struct slot *s = htab_find(&t->ovr, ip), *l;
	int err;

	if (!s)
		return -ENOENT;
	if (note_change(t, ip))
		return -ENOMEM;
	htab_remove(&t->ovr, s);
	if (t->defer)
		return 0;
	err = ovr_unmark(t, ip);
	if (err)
		return err;
	l = htab_find(&t->learned, ip);
	if (l) {
		log_entry(LOG_LEVEL_INFO, "override removed, learned back", ip,
			  &l->e);
		return hfwd_put(t, ip, &l->e);
	}
	log_entry(LOG_LEVEL_INFO, "override removed", ip, NULL);
	return hfwd_drop(t, ip);
}

/* ---- queries ----------------------------------------------------------- */

static const struct slot *effective(const struct table *t, uint32_t ip,
				    bool *ovr)
{
	const struct slot *s = htab_find(&t->ovr, ip);

	*ovr = s;
	return s ? s : htab_find(&t->learned, ip);
}

int table_lookup(const struct table *t, uint32_t ip, struct table_row *row)
{
	const struct slot *s;
	bool ovr;

	s = effective(t, ip, &ovr);
	if (!s)
		return -ENOENT;
	row->ip = ip;
	row->entry = s->e;
	row->override = ovr;
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct table_row *)a)->ip);
	uint32_t y = ntohl(((const struct table_row *)b)->ip);

	return x < y ? -1 : x > y;
}

int table_walk(const struct table *t,
	       int (*fn)(const struct table_row *row, void *ctx), void *ctx)
{
	size_t n = 0, max = (size_t)t->learned.n + t->ovr.n, i;
	struct table_row *rows;
	const struct htab *h;
	int rc = 0;

	if (!max)
		return 0;
	rows = malloc(max * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (h = &t->ovr; h; h = h == &t->ovr ? &t->learned : NULL) {
		for (i = 0; h->slots && i <= h->mask; i++) {
			const struct slot *s = &h->slots[i];

			if (!s->ip)
				continue;
			if (h == &t->learned && htab_find(&t->ovr, s->ip))
				continue;
			rows[n].ip = s->ip;
			rows[n].entry = s->e;
			rows[n].override = h == &t->ovr;
			n++;
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n && !rc; i++)
		rc = fn(&rows[i], ctx);
	free(rows);
	return rc;
}

static uint64_t distinct_entries(const struct table *t)
{
	uint64_t n = t->learned.n;
	uint32_t i;

	for (i = 0; t->ovr.slots && i <= t->ovr.mask; i++)
		if (t->ovr.slots[i].ip &&
		    !htab_find(&t->learned, t->ovr.slots[i].ip))
			n++;
	return n;
}

void table_get_stats(const struct table *t, struct table_stats *out)
{
	*out = t->st;
	out->learned = t->learned.n;
	out->overrides = t->ovr.n;
	out->entries = distinct_entries(t);
}

/* ---- resync and reconcile ---------------------------------------------- */

void table_resync_begin(struct table *t)
{
	if (!t->defer++)
		htab_clear_flags(&t->learned, SLOT_MARK);
}

int table_resync_end(struct table *t)
{
	uint32_t i, swept = 0;
	struct htab *h = &t->learned;

	if (!t->defer)
		return -EINVAL;
	if (--t->defer)
		return 0;
	/*
	 * Sweep. Removal shifts later entries back into slot i, so i is
	 * examined again; entries never move forward past the scan.
	 */
	for (i = 0; h->slots && i <= h->mask;) {
		struct slot *s = &h->slots[i];

		if (s->ip && !(s->flags & SLOT_MARK)) {
			log_entry(LOG_LEVEL_DEBUG, "stale, forgot", s->ip,
				  NULL);
			htab_remove(h, s);
			swept++;
			continue;
		}
		i++;
	}
	if (swept)
		pr_info("resync: %u stale learned entries dropped", swept);
	return table_reconcile(t);
}

/* Keys and values moved to or from hfwd in one batch syscall. */
#define TABLE_CHUNK 1024
struct table_chunk {
	uint32_t keys[TABLE_CHUNK];
	struct fwd_entry vals[TABLE_CHUNK];
};

struct kv_list {
	uint32_t *keys;
	struct fwd_entry *vals; /* NULL for a list of keys only */
	uint32_t n, cap;
};

static int kv_push(struct kv_list *l, uint32_t key, const struct fwd_entry *v)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		uint32_t *k = realloc(l->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		l->keys = k;
		if (v) {
			struct fwd_entry *nv =
				realloc(l->vals, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			l->vals = nv;
		}
		l->cap = cap;
	}
	l->keys[l->n] = key;
	if (v)
		l->vals[l->n] = *v;
	l->n++;
	return 0;
}

static void kv_free(struct kv_list *l)
{
	free(l->keys);
	free(l->vals);
}

/* Keys of fwd_ovr that are not overrides; flags the ones that are. */
static int scan_ovr(struct table *t, struct kv_list *del)
{
	uint32_t key, next, *prev = NULL;
	struct slot *s;
	int err;

	while (!bpf_map_get_next_key(t->ovr_fd, prev, &next)) {
		key = next;
		prev = &key;
		s = htab_find(&t->ovr, key);
		if (s)
			s->flags |= SLOT_OVR_SEEN;
		else if ((err = kv_push(del, key, NULL)))
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Compare one key of hfwd with the table (see scan_hfwd()). */
static int scan_one(struct table *t, uint32_t key, const struct fwd_entry *v,
		    struct kv_list *del, struct kv_list *upd)
{
	struct slot *s;
	bool ovr;
	int err = 0;

	s = (struct slot *)effective(t, key, &ovr);
	if (!s)
		return kv_push(del, key, NULL);
	if (memcmp(&s->e, v, sizeof(*v)))
		err = kv_push(upd, key, &s->e);
	s->flags |= SLOT_SEEN;
	return err;
}

/* One key at a time: two syscalls per key, for kernels without batches. */
static int scan_hfwd_walk(struct table *t, struct kv_list *del,
			  struct kv_list *upd)
{
	uint32_t key, next, *prev = NULL;
	struct fwd_entry v;
	int err;

	while (!bpf_map_get_next_key(t->hfwd_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(t->hfwd_fd, &key, &v))
			continue; /* vanished: nothing to compare */
		err = scan_one(t, key, &v, del, upd);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Read hfwd: keys the table lacks go to @del, different values to @upd,
 * matching ones are flagged SEEN. Only reads: deleting while walking a BPF
 * hash can restart the walk. Batched lookups read 100k entries in ~100
 * syscalls instead of 200k (an adopted full table: ~20 ms instead of 400).
 */
static int scan_hfwd(struct table *t, struct kv_list *del, struct kv_list *upd,
		     struct table_chunk *c)
{
	struct bpf_map_batch_opts opts = {.sz = sizeof(opts)};
	uint32_t in = 0, out = 0, count, i;
	void *inp = NULL;
	int err;

	for (;;) {
		count = TABLE_CHUNK;
		err = bpf_map_lookup_batch(t->hfwd_fd, inp, &out, c->keys,
					   c->vals, &count, &opts);
		if (err && err != -ENOENT)
			break;
		for (i = 0; i < count; i++) {
			int rc = scan_one(t, c->keys[i], &c->vals[i], del, upd);

			if (rc)
				return rc;
		}
		if (err == -ENOENT)
			return 0;
		in = out;
		inp = &in;
	}
	if (err == -ENOMEM)
		return err;
	/* no batch ops (EINVAL/ENOTSUPP), or a bucket above TABLE_CHUNK */
	del->n = 0;
	upd->n = 0;
	htab_clear_flags(&t->learned, SLOT_SEEN);
	htab_clear_flags(&t->ovr, SLOT_SEEN);
	return scan_hfwd_walk(t, del, upd);
}

/* Write @n entries: one batch, or one by one to learn which failed. */
static int hfwd_write(struct table *t, const uint32_t *keys,
		      const struct fwd_entry *vals, uint32_t n)
{
	struct bpf_map_batch_opts opts = {.sz = sizeof(opts),
					  .elem_flags = BPF_ANY};
	uint32_t done, count = n;
	int err = 0;

	if (!n)
		return 0;
	if (!bpf_map_update_batch(t->hfwd_fd, keys, vals, &count, &opts)) {
		t->full_warned = false;
		return 0;
	}
	/* count now says how many went in; finish one by one for the why */
	for (done = count <= n ? count : 0; done < n; done++) {
		err = hfwd_put(t, keys[done], &vals[done]);
		if (err == -E2BIG) {
			note_full(t, n - done - 1);
			break;
		}
		if (err)
			break;
	}
	return err;
}

/*
 * Write what hfwd lacks, in chunks (a cold start writes 100k entries with
 * ~100 syscalls and never holds a second copy of the table). Overrides
 * first, so that a full map refuses learned entries first.
 */
static int write_missing(struct table *t, struct table_chunk *c,
			 uint32_t *written)
{
	struct htab *h;
	uint32_t i, n = 0;
	int err;

	for (h = &t->ovr; h; h = h == &t->ovr ? &t->learned : NULL) {
		for (i = 0; h->slots && i <= h->mask; i++) {
			struct slot *s = &h->slots[i];

			if (!s->ip || (s->flags & SLOT_SEEN))
				continue;
			if (h == &t->learned && htab_find(&t->ovr, s->ip))
				continue;
			c->keys[n] = s->ip;
			c->vals[n] = s->e;
			if (++n < TABLE_CHUNK)
				continue;
			err = hfwd_write(t, c->keys, c->vals, n);
			if (err)
				return err;
			*written += n;
			n = 0;
		}
	}
	err = hfwd_write(t, c->keys, c->vals, n);
	if (!err)
		*written += n;
	return err;
}

int table_reconcile(struct table *t)
{
	struct kv_list ovr_del = {}, hfwd_del = {}, upd = {};
	uint64_t t0 = loop_now_us();
	uint32_t i, ovr_add = 0, written = 0;
	struct table_chunk *c;
	struct fwd_entry v;
	int err, rc;

	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	htab_clear_flags(&t->learned, SLOT_SEEN | SLOT_OVR_SEEN);
	htab_clear_flags(&t->ovr, SLOT_SEEN | SLOT_OVR_SEEN);
	err = scan_ovr(t, &ovr_del);
	if (!err)
		err = scan_hfwd(t, &hfwd_del, &upd, c);
	if (err) {
		pr_err("reconcile: cannot read the maps: %s", strerror(-err));
		goto out_free;
	}

	/* Unmark first, delete to make room, write, then mark. */
	for (i = 0; i < ovr_del.n && !err; i++)
		err = ovr_unmark(t, ovr_del.keys[i]);
	for (i = 0; i < hfwd_del.n && !err; i++)
		err = hfwd_drop(t, hfwd_del.keys[i]);
	if (!err)
		err = hfwd_write(t, upd.keys, upd.vals, upd.n);
	if (!err)
		err = write_missing(t, c, &written);
	for (i = 0; t->ovr.slots && i <= t->ovr.mask; i++) {
		struct slot *s = &t->ovr.slots[i];

		if (!s->ip || (s->flags & SLOT_OVR_SEEN))
			continue;
		/* an override hfwd had no room for must not mark a learned value */
		if (bpf_map_lookup_elem(t->hfwd_fd, &s->ip, &v) ||
		    memcmp(&v, &s->e, sizeof(v)))
			continue;
		rc = ovr_mark(t, s->ip);
		if (rc)
			err = rc;
		ovr_add++;
	}
	t->st.reconciles++;
	t->st.last_reconcile_us = loop_now_us() - t0;
	pr_info("reconcile: hfwd %u written, %u changed, %u removed; fwd_ovr "
		"%u marked, %u unmarked; %llu us",
		written, upd.n, hfwd_del.n, ovr_add, ovr_del.n,
		(unsigned long long)t->st.last_reconcile_us);
	if (err && err != -E2BIG)
		pr_err("reconcile: cannot write the maps: %s", strerror(-err));
out_free:
	kv_free(&ovr_del);
	kv_free(&hfwd_del);
	kv_free(&upd);
	free(c);
	return err;
}

/* ---- persistence ------------------------------------------------------ */

bool table_dirty(const struct table *t)
{
	return t->dirty;
}

static int load_one(void *arg, uint32_t ip, const struct fwd_entry *e)
{
	struct table *t = arg;
	bool created;
	struct slot *s = htab_insert(&t->ovr, ip, &created);

	if (!s)
		return -ENOMEM;
	s->e = *e;
	return 0;
}

int table_load(struct table *t)
{
	return t->store ? store_load(t->store, load_one, t) : 0;
}

/*
 * One transaction for every destination whose override changed since the
 * last flush: its state now (duplicates in the list write the same row
 * twice, harmlessly). On error the list stays for the next flush.
 */
int table_flush(struct table *t)
{
	uint32_t i;
	int err = 0;

	if (!t->dirty)
		return 0;
	for (i = 0; t->store && !err && i < t->npend; i++) {
		const struct slot *s = htab_find(&t->ovr, t->pend[i]);

		err = s ? store_put(t->store, s->ip, &s->e)
			: store_del(t->store, t->pend[i]);
	}
	if (!err && t->store)
		err = store_commit(t->store);
	if (err) {
		if (t->store)
			store_abort(t->store);
		return err;
	}
	t->npend = 0;
	t->dirty = false;
	return 0;
}
