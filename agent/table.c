// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - learned entries and overrides, and the only writer of hfwd,
 * hfwd6, fwd_ovr and fwd_ovr6. See table.h for the contract.
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
#define SLOT_SEEN 0x2	  /* reconcile: the map already holds this value */
#define SLOT_OVR_SEEN 0x4 /* reconcile: key present in the override map */
/*
 * The map does not hold this slot's value (it was full, or the learned
 * entry was evicted for an override). Meaningful on the slot that is in
 * effect for its key; what the API and the figures say follows it.
 */
#define SLOT_OUT 0x8

/* One family's half: its maps and its two tables. */
struct fam {
	int hfwd_fd;
	int ovr_fd;
	uint8_t family;	 /* AF_INET or AF_INET6 */
	const char *map; /* "hfwd" or "hfwd6", for the logs */
	struct htab learned;
	struct htab ovr;
	/*
	 * Overrides whose interface was given by name: the name, in the
	 * slot's 16 value bytes (IF_NAMESIZE), NAME_OWN_SMAC in its flags if
	 * the source MAC was given too. When an interface of that name
	 * appears with a new ifindex (deleted and created again), they
	 * follow it; overrides given by index do not.
	 */
	struct htab names;
};

#define NAME_OWN_SMAC 0x1

/*
 * One override change since the last flush, and the state it replaced: a
 * flush that fails puts every one back, newest first, so a change the
 * client is told was refused (1200) leaves no trace.
 */
struct pend {
	struct ip_addr ip;
	bool had;	      /* @ip had an override before the change */
	struct fwd_entry old; /* ... this one */
	bool named;	      /* ... given by interface name: */
	uint8_t name_flags;
	char name[IF_NAMESIZE];
};

struct table {
	struct fam f[2];     /* IPv4, IPv6 */
	struct store *store; /* NULL: overrides are not persisted */
	struct pend *pend;   /* overrides changed since the last flush */
	uint32_t npend, pend_cap;
	int defer;	  /* open resync brackets: map writes wait */
	bool dirty;	  /* overrides changed since the last flush */
	bool full_warned; /* "map full" already logged since last success */
	struct table_stats st;
};

static struct fam *fam_of(struct table *t, const struct ip_addr *ip)
{
	return &t->f[ip->family == AF_INET6];
}

static const struct fam *cfam_of(const struct table *t,
				 const struct ip_addr *ip)
{
	return &t->f[ip->family == AF_INET6];
}

/* The address of a map key (or slot key) of @f. */
static struct ip_addr key_ip(const struct fam *f, const void *key)
{
	struct ip_addr ip = {.family = f->family};

	memcpy(f->family == AF_INET6 ? (void *)ip.v6 : (void *)&ip.v4, key,
	       f->learned.klen);
	return ip;
}

/* ---- formatting and logging ------------------------------------------- */

static void log_entry(enum log_level level, const char *what,
		      const struct ip_addr *ip, const struct fwd_entry *e)
{
	char ipb[API_IP_STRLEN], sm[API_MAC_STRLEN], dm[API_MAC_STRLEN];
	char ifn[IF_NAMESIZE];

	if (log_get_level() < level)
		return;
	api_format_ip(ip, ipb);
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

static void note_full(struct table *t, const struct fam *f, uint64_t n)
{
	t->st.map_full += n;
	if (!t->full_warned)
		pr_warn("%s is full: %llu destination(s) not installed "
			"(raise --max-entries)",
			f->map, (unsigned long long)n);
	t->full_warned = true;
}

static struct slot *effective(const struct fam *f, const void *key, bool *ovr);

/* Whether the map now holds the value in effect for @key. */
static void set_in(struct fam *f, const void *key, bool in)
{
	bool ovr;
	struct slot *s = effective(f, key, &ovr);

	if (!s)
		return;
	if (in)
		s->flags &= ~SLOT_OUT;
	else
		s->flags |= SLOT_OUT;
}

/*
 * Make room for an override in a full map: take out one learned entry
 * that is in it (its destination goes the fib path, which forwards it
 * as the kernel would). Overrides are never refused for learned entries.
 */
static int evict_learned(struct table *t, struct fam *f, const void *for_key)
{
	struct ip_addr ip, by;
	struct slot *s;
	uint32_t i;

	htab_for_each(&f->learned, i, s)
	{
		if ((s->flags & SLOT_OUT) || htab_find(&f->ovr, s->key))
			continue;
		if (bpf_map_delete_elem(f->hfwd_fd, s->key))
			continue; /* not in the map after all */
		s->flags |= SLOT_OUT;
		t->st.evicted++;
		ip = key_ip(f, s->key);
		by = key_ip(f, for_key);
		if (log_get_level() >= LOG_LEVEL_WARN) {
			char a[API_IP_STRLEN], b[API_IP_STRLEN];

			api_format_ip(&ip, a);
			api_format_ip(&by, b);
			pr_warn("%s is full: learned %s evicted for the "
				"override "
				"of %s (it goes the fib path; raise "
				"--max-entries)",
				f->map, a, b);
		}
		return 0;
	}
	return -E2BIG;
}

static int hfwd_put(struct table *t, struct fam *f, const void *key,
		    const struct fwd_entry *e)
{
	struct ip_addr ip;
	int err;

	if (!bpf_map_update_elem(f->hfwd_fd, key, e, BPF_ANY))
		goto ok;
	err = -errno;
	if ((err == -E2BIG || err == -ENOSPC) && htab_find(&f->ovr, key) &&
	    !evict_learned(t, f, key)) {
		if (!bpf_map_update_elem(f->hfwd_fd, key, e, BPF_ANY))
			goto ok;
		err = -errno;
	}
	set_in(f, key, false);
	if (err == -E2BIG || err == -ENOSPC) {
		note_full(t, f, 1);
		return -E2BIG;
	}
	ip = key_ip(f, key);
	log_entry(LOG_LEVEL_ERR, "cannot write the map entry", &ip, e);
	return err;
ok:
	t->full_warned = false;
	set_in(f, key, true);
	return 0;
}

static int hfwd_drop(struct fam *f, const void *key)
{
	if (!bpf_map_delete_elem(f->hfwd_fd, key) || errno == ENOENT) {
		set_in(f, key, false);
		return 0;
	}
	return -errno;
}

static int ovr_mark(const struct fam *f, const void *key)
{
	struct fwd_ovr v = {.set = 1};

	if (!bpf_map_update_elem(f->ovr_fd, key, &v, BPF_ANY))
		return 0;
	return -errno;
}

static int ovr_unmark(const struct fam *f, const void *key)
{
	if (!bpf_map_delete_elem(f->ovr_fd, key) || errno == ENOENT)
		return 0;
	return -errno;
}

/* ---- life cycle -------------------------------------------------------- */

int table_new(struct table **out, const struct table_opts *o)
{
	struct table *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		struct fam *f = &t->f[i];

		f->family = i ? AF_INET6 : AF_INET;
		f->map = i ? "hfwd6" : "hfwd";
		htab_init(&f->learned, i ? 16 : 4);
		htab_init(&f->ovr, i ? 16 : 4);
		htab_init(&f->names, i ? 16 : 4);
	}
	table_set_maps(t, &o->v4, &o->v6);
	t->store = o->store;
	*out = t;
	return 0;
}

void table_set_maps(struct table *t, const struct table_maps *v4,
		    const struct table_maps *v6)
{
	t->f[0].hfwd_fd = v4->hfwd_fd;
	t->f[0].ovr_fd = v4->ovr_fd;
	t->f[1].hfwd_fd = v6->hfwd_fd;
	t->f[1].ovr_fd = v6->ovr_fd;
}

void table_free(struct table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < 2; i++) {
		htab_free(&t->f[i].learned);
		htab_free(&t->f[i].ovr);
		htab_free(&t->f[i].names);
	}
	free(t->pend);
	free(t);
}

/* ---- learned entries --------------------------------------------------- */

static bool ip_zero(const struct ip_addr *ip)
{
	static const uint8_t zero[16];

	return !memcmp(ip_addr_key(ip), zero, ip_addr_len(ip));
}

int table_learn_set(struct table *t, const struct ip_addr *ip,
		    const struct fwd_entry *e)
{
	struct fam *f = fam_of(t, ip);
	const void *key = ip_addr_key(ip);
	struct slot *s;
	bool created;

	if (ip_zero(ip))
		return -EINVAL;
	s = htab_insert(&f->learned, key, &created);
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
	if (htab_find(&f->ovr, key)) {
		log_entry(LOG_LEVEL_INFO, "learned (shadowed by override)", ip,
			  e);
		return 0;
	}
	log_entry(LOG_LEVEL_INFO, created ? "learned" : "relearned", ip, e);
	return hfwd_put(t, f, key, e);
}

int table_learn_del(struct table *t, const struct ip_addr *ip)
{
	struct fam *f = fam_of(t, ip);
	const void *key = ip_addr_key(ip);
	struct slot *s = htab_find(&f->learned, key);

	if (!s)
		return -ENOENT;
	htab_remove(&f->learned, s);
	if (t->defer) {
		log_entry(LOG_LEVEL_DEBUG, "forgot", ip, NULL);
		return 0;
	}
	if (htab_find(&f->ovr, key))
		return 0;
	log_entry(LOG_LEVEL_INFO, "forgot", ip, NULL);
	return hfwd_drop(f, key);
}

int table_learned(const struct table *t, const struct ip_addr *ip,
		  struct fwd_entry *e)
{
	const struct slot *s =
		htab_find(&cfam_of(t, ip)->learned, ip_addr_key(ip));

	if (!s)
		return -ENOENT;
	*e = s->e;
	return 0;
}

/* ---- overrides --------------------------------------------------------- */

/*
 * Remember that @ip's override is about to change from @old (NULL: none):
 * the next flush journals its state then (duplicates are harmless, each
 * record says the state at the flush), and a failed flush restores @old.
 */
static int note_change(struct table *t, const struct ip_addr *ip,
		       const struct fwd_entry *old)
{
	struct pend *p;

	if (t->npend == t->pend_cap) {
		uint32_t cap = t->pend_cap ? t->pend_cap * 2 : 64;

		p = realloc(t->pend, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		t->pend = p;
		t->pend_cap = cap;
	}
	p = &t->pend[t->npend++];
	memset(p, 0, sizeof(*p));
	p->ip = *ip;
	p->had = old;
	if (old) {
		const struct slot *n =
			htab_find(&fam_of(t, ip)->names, ip_addr_key(ip));

		p->old = *old;
		p->named = n;
		if (n) {
			p->name_flags = n->flags;
			memcpy(p->name, &n->e, IF_NAMESIZE);
		}
	}
	t->dirty = true;
	return 0;
}

/* @ip's override was given by interface @name (NULL: by index). */
static int set_name(struct fam *f, const void *key, const char *name,
		    uint8_t flags)
{
	struct slot *n = htab_find(&f->names, key);
	bool created;

	if (!name) {
		if (n)
			htab_remove(&f->names, n);
		return 0;
	}
	n = htab_insert(&f->names, key, &created);
	if (!n)
		return -ENOMEM;
	memset(&n->e, 0, sizeof(n->e));
	_Static_assert(sizeof(n->e) >= IF_NAMESIZE, "a name fits a value");
	strncpy((char *)&n->e, name, IF_NAMESIZE - 1);
	n->flags = flags;
	return 0;
}

int table_override_set(struct table *t, const struct ip_addr *ip,
		       const struct fwd_entry *e)
{
	return table_override_set_named(t, ip, e, NULL, true);
}

int table_override_set_named(struct table *t, const struct ip_addr *ip,
			     const struct fwd_entry *e, const char *ifname,
			     bool own_smac)
{
	struct fam *f = fam_of(t, ip);
	const void *key = ip_addr_key(ip);
	struct fwd_entry old;
	struct slot *s, *l;
	bool created;
	int err;

	if (ip_zero(ip))
		return -EINVAL;
	s = htab_find(&f->ovr, key);
	if (note_change(t, ip, s ? &s->e : NULL))
		return -ENOMEM;
	s = htab_insert(&f->ovr, key, &created);
	if (!s) {
		t->npend--;
		return -ENOMEM;
	}
	old = s->e;
	s->e = *e;
	if (set_name(f, key, ifname, own_smac ? NAME_OWN_SMAC : 0)) {
		err = -ENOMEM;
		goto undo;
	}
	if (t->defer)
		return 0;
	err = hfwd_put(t, f, key, e);
	if (!err)
		err = ovr_mark(f, key);
	if (!err) {
		log_entry(LOG_LEVEL_INFO, "override", ip, e);
		return 0;
	}
undo:
	/* Undo, so the table keeps saying what the maps hold. */
	t->npend--;
	set_name(f, key,
		 t->pend[t->npend].named ? t->pend[t->npend].name : NULL,
		 t->pend[t->npend].name_flags);
	l = htab_find(&f->learned, key);
	if (created) {
		htab_remove(&f->ovr, s);
		ovr_unmark(f, key);
		if (l)
			hfwd_put(t, f, key, &l->e);
		else
			hfwd_drop(f, key);
	} else {
		s->e = old;
		hfwd_put(t, f, key, &old);
	}
	return err;
}

int table_override_del(struct table *t, const struct ip_addr *ip)
{
	struct fam *f = fam_of(t, ip);
	const void *key = ip_addr_key(ip);
	struct slot *s = htab_find(&f->ovr, key), *l;
	int err;

	if (!s)
		return -ENOENT;
	if (note_change(t, ip, &s->e))
		return -ENOMEM;
	htab_remove(&f->ovr, s);
	set_name(f, key, NULL, 0);
	if (t->defer)
		return 0;
	err = ovr_unmark(f, key);
	if (err)
		return err;
	l = htab_find(&f->learned, key);
	if (l) {
		log_entry(LOG_LEVEL_INFO, "override removed, learned back", ip,
			  &l->e);
		return hfwd_put(t, f, key, &l->e);
	}
	log_entry(LOG_LEVEL_INFO, "override removed", ip, NULL);
	return hfwd_drop(f, key);
}

/* ---- queries ----------------------------------------------------------- */

static struct slot *effective(const struct fam *f, const void *key, bool *ovr)
{
	struct slot *s = htab_find(&f->ovr, key);

	*ovr = s;
	return s ? s : htab_find(&f->learned, key);
}

int table_lookup(const struct table *t, const struct ip_addr *ip,
		 struct table_row *row)
{
	const struct slot *s;
	bool ovr;

	s = effective(cfam_of(t, ip), ip_addr_key(ip), &ovr);
	if (!s)
		return -ENOENT;
	row->ip = *ip;
	row->entry = s->e;
	row->override = ovr;
	row->installed = !(s->flags & SLOT_OUT);
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	return api_ip_cmp(&((const struct table_row *)a)->ip,
			  &((const struct table_row *)b)->ip);
}

int table_walk(const struct table *t,
	       int (*fn)(const struct table_row *row, void *ctx), void *ctx)
{
	size_t n = 0, max = 0, i;
	struct table_row *rows;
	const struct htab *h;
	const struct fam *f;
	struct slot *s;
	uint32_t j;
	int rc = 0;

	for (f = t->f; f < t->f + 2; f++)
		max += (size_t)f->learned.n + f->ovr.n;
	if (!max)
		return 0;
	rows = malloc(max * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (f = t->f; f < t->f + 2; f++) {
		for (h = &f->ovr; h; h = h == &f->ovr ? &f->learned : NULL) {
			htab_for_each(h, j, s)
			{
				if (h == &f->learned &&
				    htab_find(&f->ovr, s->key))
					continue;
				rows[n].ip = key_ip(f, s->key);
				rows[n].entry = s->e;
				rows[n].override = h == &f->ovr;
				rows[n].installed = !(s->flags & SLOT_OUT);
				n++;
			}
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n && !rc; i++)
		rc = fn(&rows[i], ctx);
	free(rows);
	return rc;
}

/* Keys the map holds: the slots in effect that are not out of it. */
static uint64_t distinct_entries(const struct fam *f)
{
	uint64_t n = 0;
	struct slot *s;
	uint32_t i;

	htab_for_each(&f->ovr, i, s) if (!(s->flags & SLOT_OUT)) n++;
	htab_for_each(&f->learned, i, s)
	{
		if (!(s->flags & SLOT_OUT) && !htab_find(&f->ovr, s->key))
			n++;
	}
	return n;
}

void table_get_stats(const struct table *t, struct table_stats *out)
{
	*out = t->st;
	out->learned = t->f[0].learned.n;
	out->overrides = t->f[0].ovr.n;
	out->entries = distinct_entries(&t->f[0]);
	out->learned6 = t->f[1].learned.n;
	out->overrides6 = t->f[1].ovr.n;
	out->entries6 = distinct_entries(&t->f[1]);
}

/* ---- resync and reconcile ---------------------------------------------- */

void table_resync_begin(struct table *t)
{
	if (!t->defer++) {
		htab_clear_flags(&t->f[0].learned, SLOT_MARK);
		htab_clear_flags(&t->f[1].learned, SLOT_MARK);
	}
}

/* Drop @f's learned entries that the resync did not confirm. */
static uint32_t sweep(struct fam *f)
{
	struct htab *h = &f->learned;
	uint32_t i, swept = 0;

	/*
	 * Removal shifts later entries back into slot i, so i is examined
	 * again; entries never move forward past the scan.
	 */
	for (i = 0; h->slots && i <= h->mask;) {
		struct slot *s = htab_slot(h, i);

		if (htab_used(h, s) && !(s->flags & SLOT_MARK)) {
			struct ip_addr ip = key_ip(f, s->key);

			log_entry(LOG_LEVEL_DEBUG, "stale, forgot", &ip, NULL);
			htab_remove(h, s);
			swept++;
			continue;
		}
		i++;
	}
	return swept;
}

int table_resync_end(struct table *t)
{
	uint32_t swept;

	if (!t->defer)
		return -EINVAL;
	if (--t->defer)
		return 0;
	swept = sweep(&t->f[0]) + sweep(&t->f[1]);
	if (swept)
		pr_info("resync: %u stale learned entries dropped", swept);
	return table_reconcile(t);
}

/* Keys (4 or 16 bytes each) and values moved in one batch syscall. */
#define TABLE_CHUNK 1024
struct table_chunk {
	uint8_t keys[TABLE_CHUNK * 16];
	struct fwd_entry vals[TABLE_CHUNK];
};

struct kv_list {
	uint8_t *keys;		/* n keys of klen bytes */
	struct fwd_entry *vals; /* NULL for a list of keys only */
	uint32_t n, cap, klen;
};

static int kv_push(struct kv_list *l, const void *key,
		   const struct fwd_entry *v)
{
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? l->cap * 2 : 256;
		uint8_t *k = realloc(l->keys, (size_t)cap * l->klen);

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
	memcpy(l->keys + (size_t)l->n * l->klen, key, l->klen);
	if (v)
		l->vals[l->n] = *v;
	l->n++;
	return 0;
}

static const void *kv_key(const struct kv_list *l, uint32_t i)
{
	return l->keys + (size_t)i * l->klen;
}

static void kv_free(struct kv_list *l)
{
	free(l->keys);
	free(l->vals);
}

/* Keys of the override map that are not overrides; flags the ones that are. */
static int scan_ovr(struct fam *f, struct kv_list *del)
{
	uint8_t key[16], next[16];
	const void *prev = NULL;
	struct slot *s;
	int err;

	while (!bpf_map_get_next_key(f->ovr_fd, prev, next)) {
		memcpy(key, next, f->ovr.klen);
		prev = key;
		s = htab_find(&f->ovr, key);
		if (s)
			s->flags |= SLOT_OVR_SEEN;
		else if ((err = kv_push(del, key, NULL)))
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* Compare one key of the map with the table (see scan_hfwd()). */
static int scan_one(struct fam *f, const void *key, const struct fwd_entry *v,
		    struct kv_list *del, struct kv_list *upd)
{
	struct slot *s;
	bool ovr;
	int err = 0;

	s = effective(f, key, &ovr);
	if (!s)
		return kv_push(del, key, NULL);
	if (memcmp(&s->e, v, sizeof(*v)))
		err = kv_push(upd, key, &s->e);
	s->flags |= SLOT_SEEN;
	return err;
}

/* One key at a time: two syscalls per key, for kernels without batches. */
static int scan_hfwd_walk(struct fam *f, struct kv_list *del,
			  struct kv_list *upd)
{
	uint8_t key[16], next[16];
	const void *prev = NULL;
	struct fwd_entry v;
	int err;

	while (!bpf_map_get_next_key(f->hfwd_fd, prev, next)) {
		memcpy(key, next, f->learned.klen);
		prev = key;
		if (bpf_map_lookup_elem(f->hfwd_fd, key, &v))
			continue; /* vanished: nothing to compare */
		err = scan_one(f, key, &v, del, upd);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Read the map: keys the table lacks go to @del, different values to @upd,
 * matching ones are flagged SEEN. Only reads: deleting while walking a BPF
 * hash can restart the walk. Batched lookups read 100k entries in ~100
 * syscalls instead of 200k (an adopted full table: ~20 ms instead of 400).
 */
static int scan_hfwd(struct fam *f, struct kv_list *del, struct kv_list *upd,
		     struct table_chunk *c)
{
	struct bpf_map_batch_opts opts = {.sz = sizeof(opts)};
	uint32_t in = 0, out = 0, count, i, klen = f->learned.klen;
	void *inp = NULL;
	int err;

	for (;;) {
		count = TABLE_CHUNK;
		err = bpf_map_lookup_batch(f->hfwd_fd, inp, &out, c->keys,
					   c->vals, &count, &opts);
		if (err && err != -ENOENT)
			break;
		for (i = 0; i < count; i++) {
			int rc = scan_one(f, c->keys + i * klen, &c->vals[i],
					  del, upd);

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
	htab_clear_flags(&f->learned, SLOT_SEEN);
	htab_clear_flags(&f->ovr, SLOT_SEEN);
	return scan_hfwd_walk(f, del, upd);
}

/* Write @n entries: one batch, or one by one to learn which failed. */
static int hfwd_write(struct table *t, struct fam *f, const uint8_t *keys,
		      const struct fwd_entry *vals, uint32_t n)
{
	struct bpf_map_batch_opts opts = {.sz = sizeof(opts),
					  .elem_flags = BPF_ANY};
	uint32_t done, count = n;
	int err = 0;

	if (!n)
		return 0;
	if (!bpf_map_update_batch(f->hfwd_fd, keys, vals, &count, &opts)) {
		t->full_warned = false;
		for (done = 0; done < n; done++)
			set_in(f, keys + (size_t)done * f->learned.klen, true);
		return 0;
	}
	/* count now says how many went in; finish one by one for the why */
	for (done = 0; done < count && count <= n; done++)
		set_in(f, keys + (size_t)done * f->learned.klen, true);
	for (done = count <= n ? count : 0; done < n; done++) {
		err = hfwd_put(t, f, keys + (size_t)done * f->learned.klen,
			       &vals[done]);
		if (err == -E2BIG) {
			note_full(t, f, n - done - 1);
			break;
		}
		if (err)
			break;
	}
	return err;
}

/*
 * Write what the map lacks, in chunks (a cold start writes 100k entries
 * with ~100 syscalls and never holds a second copy of the table).
 * Overrides first, so that a full map refuses learned entries first.
 */
static int write_missing(struct table *t, struct fam *f, struct table_chunk *c,
			 uint32_t *written)
{
	uint32_t i, n = 0, klen = f->learned.klen;
	struct htab *h;
	struct slot *s;
	int err;

	for (h = &f->ovr; h; h = h == &f->ovr ? &f->learned : NULL) {
		htab_for_each(h, i, s)
		{
			if (s->flags & SLOT_SEEN)
				continue;
			if (h == &f->learned && htab_find(&f->ovr, s->key))
				continue;
			memcpy(c->keys + n * klen, s->key, klen);
			c->vals[n] = s->e;
			if (++n < TABLE_CHUNK)
				continue;
			err = hfwd_write(t, f, c->keys, c->vals, n);
			if (err)
				return err;
			*written += n;
			n = 0;
		}
	}
	err = hfwd_write(t, f, c->keys, c->vals, n);
	if (!err)
		*written += n;
	return err;
}

/* Reconcile one family's maps; the counts are added to @n. */
struct rec_counts {
	uint32_t written, changed, removed, marked, unmarked;
};

static int reconcile_fam(struct table *t, struct fam *f, struct table_chunk *c,
			 struct rec_counts *n)
{
	uint32_t klen = f->learned.klen;
	struct kv_list ovr_del = {.klen = klen}, hfwd_del = {.klen = klen},
		       upd = {.klen = klen};
	struct fwd_entry v;
	struct slot *s;
	uint32_t i;
	int err, rc;

	if (f->hfwd_fd < 0 || f->ovr_fd < 0)
		return 0; /* no maps yet (tests, or before xdp_open()) */
	htab_clear_flags(&f->learned, SLOT_SEEN | SLOT_OVR_SEEN);
	htab_clear_flags(&f->ovr, SLOT_SEEN | SLOT_OVR_SEEN);
	err = scan_ovr(f, &ovr_del);
	if (!err)
		err = scan_hfwd(f, &hfwd_del, &upd, c);
	if (err) {
		pr_err("reconcile: cannot read %s: %s", f->map, strerror(-err));
		goto out_free;
	}

	/* Until written, what the map lacks is out of it. */
	htab_for_each(&f->ovr, i, s)
	{
		if (s->flags & SLOT_SEEN)
			s->flags &= ~SLOT_OUT;
		else
			s->flags |= SLOT_OUT;
	}
	htab_for_each(&f->learned, i, s)
	{
		if (s->flags & SLOT_SEEN)
			s->flags &= ~SLOT_OUT;
		else if (!htab_find(&f->ovr, s->key))
			s->flags |= SLOT_OUT;
	}
	/* Unmark first, delete to make room, write, then mark. */
	for (i = 0; i < ovr_del.n && !err; i++)
		err = ovr_unmark(f, kv_key(&ovr_del, i));
	for (i = 0; i < hfwd_del.n && !err; i++)
		err = hfwd_drop(f, kv_key(&hfwd_del, i));
	if (!err)
		err = hfwd_write(t, f, upd.keys, upd.vals, upd.n);
	if (!err)
		err = write_missing(t, f, c, &n->written);
	htab_for_each(&f->ovr, i, s)
	{
		if (s->flags & SLOT_OVR_SEEN)
			continue;
		/* an override the map had no room for must not mark a
		 * learned value */
		if (bpf_map_lookup_elem(f->hfwd_fd, s->key, &v) ||
		    memcmp(&v, &s->e, sizeof(v)))
			continue;
		rc = ovr_mark(f, s->key);
		if (rc)
			err = rc;
		n->marked++;
	}
	n->changed += upd.n;
	n->removed += hfwd_del.n;
	n->unmarked += ovr_del.n;
	if (err && err != -E2BIG)
		pr_err("reconcile: cannot write %s: %s", f->map,
		       strerror(-err));
out_free:
	kv_free(&ovr_del);
	kv_free(&hfwd_del);
	kv_free(&upd);
	return err;
}

int table_reconcile(struct table *t)
{
	uint64_t t0 = loop_now_us();
	struct rec_counts n = {};
	struct table_chunk *c;
	int err, err6;

	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = reconcile_fam(t, &t->f[0], c, &n);
	err6 = reconcile_fam(t, &t->f[1], c, &n);
	free(c);
	t->st.reconciles++;
	t->st.last_reconcile_us = loop_now_us() - t0;
	pr_info("reconcile: hfwd/hfwd6 %u written, %u changed, %u removed; "
		"overrides %u marked, %u unmarked; %llu us",
		n.written, n.changed, n.removed, n.marked, n.unmarked,
		(unsigned long long)t->st.last_reconcile_us);
	return err ? err : err6;
}

/* ---- persistence ------------------------------------------------------ */

bool table_dirty(const struct table *t)
{
	return t->dirty;
}

static int load_one(void *arg, const struct ip_addr *ip,
		    const struct fwd_entry *e, const char *iface)
{
	struct table *t = arg;
	bool created;
	struct slot *s =
		htab_insert(&fam_of(t, ip)->ovr, ip_addr_key(ip), &created);

	if (!s)
		return -ENOMEM;
	s->e = *e;
	/* whether its source MAC was given is not stored: it is kept */
	return set_name(fam_of(t, ip), ip_addr_key(ip), iface, NAME_OWN_SMAC);
}

int table_load(struct table *t)
{
	return t->store ? store_load(t->store, load_one, t) : 0;
}

/*
 * Put @p's destination back to the override state it had before the
 * change: in the table, and in the maps unless a resync defers them (its
 * reconcile writes them then). Best effort on the maps: a value that no
 * longer fits is logged by hfwd_put() and retried by the next reconcile.
 */
static void restore(struct table *t, const struct pend *p)
{
	struct fam *f = fam_of(t, &p->ip);
	const void *key = ip_addr_key(&p->ip);
	struct slot *s = htab_find(&f->ovr, key), *l;
	bool created;

	set_name(f, key, p->named ? p->name : NULL, p->name_flags);
	if (p->had) {
		s = htab_insert(&f->ovr, key, &created);
		if (!s)
			return;
		s->e = p->old;
		if (!t->defer && !hfwd_put(t, f, key, &p->old))
			ovr_mark(f, key);
		return;
	}
	if (!s)
		return;
	htab_remove(&f->ovr, s);
	if (t->defer)
		return;
	ovr_unmark(f, key);
	l = htab_find(&f->learned, key);
	if (l)
		hfwd_put(t, f, key, &l->e);
	else
		hfwd_drop(f, key);
}

/* The flush failed: every change since the last one is undone. */
static void roll_back(struct table *t)
{
	uint32_t i;

	for (i = t->npend; i-- > 0;)
		restore(t, &t->pend[i]);
	if (t->npend)
		pr_warn("overrides: %u change(s) not made durable, rolled "
			"back",
			t->npend);
	t->npend = 0;
	t->dirty = false;
}

/*
 * One transaction for every destination whose override changed since the
 * last flush: its state now (duplicates in the list write the same row
 * twice, harmlessly). On error every change is rolled back, in the table
 * and the maps: what the API answers with 1200 was not done.
 */
int table_flush(struct table *t)
{
	uint32_t i;
	int err = 0;

	if (!t->dirty)
		return 0;
	for (i = 0; t->store && !err && i < t->npend; i++) {
		const struct ip_addr *ip = &t->pend[i].ip;
		const struct slot *s =
			htab_find(&fam_of(t, ip)->ovr, ip_addr_key(ip));

		err = s ? store_put_iface(t->store, ip, &s->e,
					  table_override_iface(t, ip))
			: store_del(t->store, ip);
	}
	if (!err && t->store)
		err = store_commit(t->store);
	if (err) {
		if (t->store)
			store_abort(t->store);
		roll_back(t);
		return err;
	}
	t->npend = 0;
	t->dirty = false;
	return 0;
}

/* ---- interfaces given by name ----------------------------------------- */

const char *table_override_iface(const struct table *t,
				 const struct ip_addr *ip)
{
	const struct slot *n =
		htab_find(&cfam_of(t, ip)->names, ip_addr_key(ip));

	return n ? (const char *)&n->e : NULL;
}

int table_iface_follow(struct table *t, const char *name, uint32_t ifindex,
		       const uint8_t mac[6])
{
	int moved = 0, err = 0, rc;
	struct slot *n, *s;
	struct fam *f;
	uint32_t i;

	for (f = t->f; f < t->f + 2; f++) {
		htab_for_each(&f->names, i, n)
		{
			struct ip_addr ip;

			if (strncmp((const char *)&n->e, name, IF_NAMESIZE))
				continue;
			s = htab_find(&f->ovr, n->key);
			if (!s || (s->e.ifindex == ifindex &&
				   ((n->flags & NAME_OWN_SMAC) ||
				    !memcmp(s->e.smac, mac, 6))))
				continue;
			s->e.ifindex = ifindex;
			if (!(n->flags & NAME_OWN_SMAC))
				memcpy(s->e.smac, mac, 6);
			ip = key_ip(f, n->key);
			log_entry(LOG_LEVEL_INFO,
				  "override follows its interface", &ip, &s->e);
			moved++;
			if (t->defer)
				continue;
			rc = hfwd_put(t, f, n->key, &s->e);
			if (!rc)
				rc = ovr_mark(f, n->key);
			if (rc && !err)
				err = rc;
		}
	}
	if (moved)
		pr_info("%s (ifindex %u): %d override(s) given by its name "
			"follow it",
			name, ifindex, moved);
	return err;
}
