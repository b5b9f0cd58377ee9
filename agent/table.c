// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - learned entries and overrides, and the only writer of hfwd and
 * fwd_ovr. See table.h for the contract.
 *
 * Memory is the constraint that shapes the store: at 100k destinations the
 * whole daemon must stay under 16 MB, so each table is an open-addressing
 * hash of 24-byte slots (key, flags, the 16-byte hfwd value) with linear
 * probing and backward-shift deletion (no tombstones), grown at 80% load:
 * 100k entries fit in 131072 slots, 3 MB.
 *
 * Map write order keeps the data path right at every instant: fwd_ovr
 * marks a key as an override, and the program only consults it when the
 * ingress interface has forwarding off. A key becoming an override gets its
 * hfwd value first and its mark second; a key losing its override loses the
 * mark first. So a learned value is never taken for an override.
 *
 * Durability is a snapshot plus a journal, as databases do it: the API
 * answers an update only once it is on disk, and it groups the updates of
 * a loop iteration into one flush, so a flush's cost is every updater's
 * latency. Rewriting the whole state file (two fsyncs and every override)
 * per flush grew with the table; appending one line per change and one
 * fdatasync does not. Each journal line is "CRC32 JSON\n", the CRC over the
 * JSON, so a damaged line is recognised. A flush's lines end with a commit
 * marker line, {"commit":records,"bytes":length,"crc":CRC32 of the batch},
 * and only batches a valid marker closes are replayed: a crash during a
 * multi-page append may persist a later page and not an earlier one, and
 * that batch, never acknowledged, must then go whole, without stopping the
 * daemon. (There is no older journal format to read: markers came with the
 * journal's first release.) Replaying the journal over a snapshot that
 * already holds its records changes nothing (each record says the final
 * state of its key), which is what makes compaction safe with no
 * coordination: the new snapshot is made durable first, the journal is
 * removed after. A thread writes that snapshot, from a copy of
 * the overrides, so that updates keep flowing to a fresh journal meanwhile;
 * it touches no table state, and the loop collects it at a later flush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <bpf/bpf.h>
#include <cjson/cJSON.h>

#include "log.h"
#include "loop.h"
#include "table.h"

#define SLOT_MARK 0x1	  /* confirmed since the resync began */
#define SLOT_SEEN 0x2	  /* reconcile: hfwd already holds this value */
#define SLOT_OVR_SEEN 0x4 /* reconcile: key present in fwd_ovr */
#define HTAB_MIN_SLOTS 64
#define STATE_VERSION 1

struct slot {
	uint32_t ip; /* network order; 0 = empty (0.0.0.0 is never routed) */
	uint8_t flags;
	uint8_t pad[3];
	struct fwd_entry e;
};
_Static_assert(sizeof(struct slot) == 24, "slot must stay 24 bytes");

struct htab {
	struct slot *slots;
	uint32_t mask; /* slots - 1, a power of two minus one */
	uint32_t n;    /* used slots */
};

struct table {
	int hfwd_fd;
	int ovr_fd;
	char *state_path;
	char *journal_path;
	char *old_path; /* journal being folded into a snapshot */
	bool old_left;	/* old_path exists: replayed before journal_path */
	struct snap_job *job; /* snapshot being written by a thread */
	int jfd;	      /* journal, open for writing; -1: not yet */
	bool jknown;	      /* jlen is known (load or open set it) */
	uint64_t jlen;	      /* bytes of whole records known durable */
	uint64_t jmax;	      /* journal bound, see table.h */
	uint64_t snap_len;    /* size of the last snapshot */
	uint32_t *pend;	      /* overrides changed since the last flush */
	uint32_t npend, pend_cap;
	struct htab learned;
	struct htab ovr;
	int defer;	  /* open resync brackets: map writes wait */
	bool dirty;	  /* overrides changed since the last flush */
	bool full_warned; /* "hfwd full" already logged since last success */
	struct table_stats st;
};

static void snap_reap(struct table *t, bool wait);

/* ---- the hash ---------------------------------------------------------- */

static uint32_t htab_home(const struct htab *h, uint32_t ip)
{
	uint32_t x = ip * 0x9e3779b1u; /* Fibonacci hashing */

	return (x ^ (x >> 15)) & h->mask;
}

static struct slot *htab_find(const struct htab *h, uint32_t ip)
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
static struct slot *htab_insert(struct htab *h, uint32_t ip, bool *created)
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
 * lower index (cyclically), which the sweep in table_resync_end() relies on.
 */
static void htab_remove(struct htab *h, struct slot *s)
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

static void htab_clear_flags(struct htab *h, uint8_t flags)
{
	uint32_t i;

	for (i = 0; h->slots && i <= h->mask; i++)
		h->slots[i].flags &= ~flags;
}

/* ---- formatting and logging ------------------------------------------- */

static void fmt_mac(char *buf, const uint8_t *m)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		m[i] = b[i];
	return 0;
}

static void log_entry(enum log_level level, const char *what, uint32_t ip,
		      const struct fwd_entry *e)
{
	char ipb[INET_ADDRSTRLEN], sm[18], dm[18], ifn[IF_NAMESIZE];

	if (log_get_level() < level)
		return;
	inet_ntop(AF_INET, &ip, ipb, sizeof(ipb));
	if (!e) {
		log_msg(level, "%s %s", what, ipb);
		return;
	}
	if (!if_indextoname(e->ifindex, ifn))
		snprintf(ifn, sizeof(ifn), "#%u", e->ifindex);
	fmt_mac(sm, e->smac);
	fmt_mac(dm, e->dmac);
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
	t->jfd = -1;
	t->jmax = o->journal_max ? o->journal_max : TABLE_JOURNAL_MAX;
	if (o->state_path) {
		t->state_path = strdup(o->state_path);
		if (!t->state_path ||
		    asprintf(&t->journal_path, "%s.journal", o->state_path) < 0)
			goto err_state;
		if (asprintf(&t->old_path, "%s.old", t->journal_path) < 0)
			goto err_journal;
	}
	*out = t;
	return 0;
err_journal:
	free(t->journal_path);
err_state:
	free(t->state_path);
	free(t);
	return -ENOMEM;
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
	free(t->learned.slots);
	snap_reap(t, true);
	free(t->ovr.slots);
	if (t->jfd >= 0)
		close(t->jfd);
	free(t->old_path);
	free(t->pend);
	free(t->journal_path);
	free(t->state_path);
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
	if (!t->state_path) {
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

/* ---- persistence: files ------------------------------------------------ */

bool table_dirty(const struct table *t)
{
	return t->dirty;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* pwrite() it all at @off; -1 and errno on failure. */
static int pwrite_all(int fd, const char *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* The directory holding @path, created if missing; fsync'ed if @sync. */
static int state_dir(const char *path, bool sync)
{
	char dir[PATH_MAX];
	int dfd, err;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	dirname(dir);
	if (!sync)
		return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = fsync(dfd) ? -errno : 0;
	close(dfd);
	return err;
}

/* Write temp, fsync, rename over, fsync the directory: all or nothing. */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = state_dir(path, false);
	if (err)
		return err;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_all(fd, text, strlen(text));
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return state_dir(path, true);
}

static char *read_file(const char *path, size_t *lenp, int *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		*err = -errno;
		return NULL;
	}
	for (;;) {
		size_t n;

		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				*err = -ENOMEM;
				goto out_free;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		*err = -EIO;
		goto out_free;
	}
	buf[len] = 0;
	fclose(f);
	if (lenp)
		*lenp = len;
	return buf;
out_free:
	free(buf);
	fclose(f);
	return NULL;
}

/* ---- persistence: the snapshot ----------------------------------------- */

/*
 * The name of @ifindex, or NULL. if_indextoname() costs a socket and an
 * ioctl, and overrides nearly all share a few interfaces: the last answer
 * is kept for the length of one flush or snapshot (a snapshot of 8k
 * overrides took ~80 ms asking for each).
 */
struct name_cache {
	uint32_t ifindex; /* 0: nothing cached */
	bool found;
	char name[IF_NAMESIZE];
};

static const char *cached_name(struct name_cache *c, uint32_t ifindex)
{
	if (c->ifindex != ifindex) {
		c->ifindex = ifindex;
		c->found = if_indextoname(ifindex, c->name);
	}
	return c->found ? c->name : NULL;
}

struct snap_ctx {
	cJSON *arr;
	struct name_cache nc;
};

static int add_override_json(const struct table_row *row, void *ctx)
{
	char ipb[INET_ADDRSTRLEN], sm[18], dm[18];
	struct snap_ctx *sc = ctx;
	const char *ifn;
	cJSON *o;

	if (!row->override)
		return 0;
	o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddItemToArray(sc->arr, o);
	inet_ntop(AF_INET, &row->ip, ipb, sizeof(ipb));
	fmt_mac(sm, row->entry.smac);
	fmt_mac(dm, row->entry.dmac);
	if (!cJSON_AddStringToObject(o, "ip", ipb) ||
	    !cJSON_AddNumberToObject(o, "ifindex", row->entry.ifindex) ||
	    !cJSON_AddStringToObject(o, "smac", sm) ||
	    !cJSON_AddStringToObject(o, "dmac", dm))
		return -ENOMEM;
	/* ifindexes change across reboots; the name lets a reload follow */
	ifn = cached_name(&sc->nc, row->entry.ifindex);
	if (ifn && !cJSON_AddStringToObject(o, "iface", ifn))
		return -ENOMEM;
	return 0;
}

/*
 * A snapshot to write: a copy of the overrides, so that a thread can write
 * it (cJSON, ~1 MB and an fsync for 8k overrides: ~10 ms or more) while the
 * loop goes on answering updates and appending them to a new journal.
 */
struct snap_job {
	pthread_t tid;
	bool threaded;
	const char *state_path; /* the table's, which outlives the job */
	const char *old_path;	/* journal to remove once written, or NULL */
	struct table_row *rows;
	uint32_t n;
	int err;
	bool unlinked; /* old_path removed, durably */
	uint64_t snap_len;
	atomic_bool done;
};

static void snap_job_free(struct snap_job *j)
{
	free(j->rows);
	free(j);
}

static struct snap_job *snap_job_new(const struct table *t,
				     const char *old_path)
{
	struct snap_job *j = calloc(1, sizeof(*j));
	uint32_t i;

	if (!j)
		return NULL;
	j->rows = malloc((t->ovr.n ? t->ovr.n : 1) * sizeof(*j->rows));
	if (!j->rows) {
		free(j);
		return NULL;
	}
	j->state_path = t->state_path;
	j->old_path = old_path;
	for (i = 0; t->ovr.slots && i <= t->ovr.mask; i++) {
		const struct slot *s = &t->ovr.slots[i];

		if (!s->ip)
			continue;
		j->rows[j->n].ip = s->ip;
		j->rows[j->n].entry = s->e;
		j->rows[j->n].override = true;
		j->n++;
	}
	return j;
}

/* Write the job's snapshot, then drop the journal it holds. */
static void *snap_run(void *arg)
{
	struct snap_job *j = arg;
	struct snap_ctx sc = {};
	uint64_t t0 = loop_now_us();
	char *text = NULL;
	cJSON *root;
	uint32_t i;
	int err = -ENOMEM;

	qsort(j->rows, j->n, sizeof(*j->rows), row_cmp);
	root = cJSON_CreateObject();
	if (!root)
		goto out;
	if (!cJSON_AddNumberToObject(root, "version", STATE_VERSION))
		goto out_free;
	sc.arr = cJSON_AddArrayToObject(root, "overrides");
	if (!sc.arr)
		goto out_free;
	for (i = 0, err = 0; i < j->n && !err; i++)
		err = add_override_json(&j->rows[i], &sc);
	if (err)
		goto out_free;
	text = cJSON_Print(root);
	if (!text) {
		err = -ENOMEM;
		goto out_free;
	}
	err = write_atomic(j->state_path, text);
	if (err) {
		pr_err("cannot write state file %s: %s", j->state_path,
		       strerror(-err));
		goto out_free;
	}
	j->snap_len = strlen(text);
	pr_info("state file %s: %u override(s) written in %llu us",
		j->state_path, j->n, (unsigned long long)(loop_now_us() - t0));
	if (j->old_path) {
		int rc = 0;

		/* harmless if left: replaying it over the snapshot is a no-op */
		if (unlink(j->old_path) && errno != ENOENT)
			rc = -errno;
		if (!rc)
			rc = state_dir(j->old_path, true);
		if (rc)
			pr_warn("cannot remove journal %s: %s", j->old_path,
				strerror(-rc));
		j->unlinked = !rc;
	}
out_free:
	free(text);
	cJSON_Delete(root);
out:
	j->err = err;
	atomic_store(&j->done, true);
	return NULL;
}

/* Collect a finished (or with @wait, a running) background snapshot. */
static void snap_reap(struct table *t, bool wait)
{
	struct snap_job *j = t->job;

	if (!j || (!wait && !atomic_load(&j->done)))
		return;
	if (j->threaded)
		pthread_join(j->tid, NULL);
	if (!j->err)
		t->snap_len = j->snap_len;
	if (j->unlinked)
		t->old_left = false;
	snap_job_free(j);
	t->job = NULL;
}

/* A snapshot of the table now, written before returning. */
static int write_snapshot(struct table *t)
{
	struct snap_job *j = snap_job_new(t, NULL);
	int err;

	if (!j)
		return -ENOMEM;
	snap_run(j);
	err = j->err;
	if (!err)
		t->snap_len = j->snap_len;
	snap_job_free(j);
	return err;
}

/* One override object of the state file; 0 or a reason for the log. */
static const char *parse_override(const cJSON *o, uint32_t *ip,
				  struct fwd_entry *e)
{
	const cJSON *jip = cJSON_GetObjectItemCaseSensitive(o, "ip");
	const cJSON *jif = cJSON_GetObjectItemCaseSensitive(o, "ifindex");
	const cJSON *jname = cJSON_GetObjectItemCaseSensitive(o, "iface");
	const cJSON *js = cJSON_GetObjectItemCaseSensitive(o, "smac");
	const cJSON *jd = cJSON_GetObjectItemCaseSensitive(o, "dmac");
	struct in_addr a;
	double d;

	if (!cJSON_IsString(jip) ||
	    inet_pton(AF_INET, jip->valuestring, &a) != 1 || !a.s_addr)
		return "bad or missing \"ip\"";
	*ip = a.s_addr;
	if (!jif && !js && !jd)
		return ""; /* a journal delete record: only the ip */
	if (!jif || !cJSON_IsNumber(jif))
		return "bad or missing \"ifindex\"";
	d = jif->valuedouble;
	if (d < 1 || d > UINT32_MAX || d != (uint32_t)d)
		return "bad \"ifindex\"";
	e->ifindex = d;
	if (cJSON_IsString(jname)) {
		unsigned int idx = if_nametoindex(jname->valuestring);

		if (idx)
			e->ifindex = idx;
	}
	if (!cJSON_IsString(js) || parse_mac(js->valuestring, e->smac))
		return "bad or missing \"smac\"";
	if (!cJSON_IsString(jd) || parse_mac(jd->valuestring, e->dmac))
		return "bad or missing \"dmac\"";
	return NULL;
}

static int load_snapshot(struct table *t)
{
	const cJSON *arr, *o, *ver;
	cJSON *root;
	char *text;
	size_t len;
	int err = 0, i = 0;

	text = read_file(t->state_path, &len, &err);
	if (!text) {
		if (err == -ENOENT)
			return 0;
		pr_err("cannot read state file %s: %s", t->state_path,
		       strerror(-err));
		return err;
	}
	t->snap_len = len;
	root = cJSON_Parse(text);
	free(text);
	ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	arr = cJSON_GetObjectItemCaseSensitive(root, "overrides");
	if (!root || !cJSON_IsNumber(ver) ||
	    ver->valuedouble != STATE_VERSION || !cJSON_IsArray(arr)) {
		pr_err("state file %s: not a version %d fwd state file "
		       "(move it away to start without its overrides)",
		       t->state_path, STATE_VERSION);
		err = -EINVAL;
		goto out_free;
	}
	cJSON_ArrayForEach(o, arr)
	{
		struct fwd_entry e = {};
		const char *why;
		struct slot *s;
		uint32_t ip;
		bool created;

		why = parse_override(o, &ip, &e);
		if (why) {
			pr_err("state file %s: override #%d: %s", t->state_path,
			       i,
			       *why ? why
				    : "no \"ifindex\", \"smac\", "
				      "\"dmac\"");
			err = -EINVAL;
			goto out_free;
		}
		s = htab_insert(&t->ovr, ip, &created);
		if (!s) {
			err = -ENOMEM;
			goto out_free;
		}
		s->e = e;
		i++;
	}
	pr_info("state file %s: %d override(s) loaded", t->state_path, i);
out_free:
	cJSON_Delete(root);
	return err;
}

/* ---- persistence: the journal ------------------------------------------ */

/*
 * A record: the override's state now, as an object of the snapshot's
 * shape ({"ip"} alone when there is none), behind the CRC32 of its text.
 */
static int format_record(const struct table *t, uint32_t ip,
			 struct name_cache *nc, char *buf, size_t size)
{
	char ipb[INET_ADDRSTRLEN], sm[18], dm[18], ifn[IF_NAMESIZE + 16];
	const char *name;
	const struct slot *s = htab_find(&t->ovr, ip);
	char *body = buf + 9;
	int n;

	inet_ntop(AF_INET, &ip, ipb, sizeof(ipb));
	if (!s) {
		n = snprintf(body, size - 9, "{\"ip\":\"%s\"}", ipb);
	} else {
		fmt_mac(sm, s->e.smac);
		fmt_mac(dm, s->e.dmac);
		/* ifindexes change across reboots; the name lets a reload follow */
		name = cached_name(nc, s->e.ifindex);
		ifn[0] = 0;
		if (name && !strpbrk(name, "\"\\"))
			snprintf(ifn, sizeof(ifn), ",\"iface\":\"%s\"", name);
		n = snprintf(body, size - 9,
			     "{\"ip\":\"%s\",\"ifindex\":%u,\"smac\":\"%s\","
			     "\"dmac\":\"%s\"%s}",
			     ipb, s->e.ifindex, sm, dm, ifn);
	}
	if (n < 0 || (size_t)n + 10 > size)
		return -ENOSPC;
	snprintf(buf, 10, "%08lx", crc32(0, (const Bytef *)body, n));
	buf[8] = ' ';
	body[n] = '\n';
	return n + 10;
}

/*
 * A commit marker: closes the batch of one flush, the @len bytes before
 * it, which hold @n records and have the CRC32 @crc. It is itself a line
 * "CRC32 JSON" with no "ip", so tools reading the records skip it.
 */
static int format_marker(char *buf, size_t size, uint32_t n, size_t len,
			 unsigned long crc)
{
	char *body = buf + 9;
	int k;

	k = snprintf(body, size - 9,
		     "{\"commit\":%u,\"bytes\":%zu,"
		     "\"crc\":\"%08lx\"}",
		     n, len, crc);
	if (k < 0 || (size_t)k + 10 > size)
		return -ENOSPC;
	snprintf(buf, 10, "%08lx", crc32(0, (const Bytef *)body, k));
	buf[8] = ' ';
	body[k] = '\n';
	return k + 10;
}

/* The line's own checksum (without its newline); NULL or why not. */
static const char *check_line(const char *line, size_t len)
{
	unsigned long crc;
	char hex[9], *end;

	if (len < 11 || line[8] != ' ')
		return "not a record";
	memcpy(hex, line, 8);
	hex[8] = 0;
	crc = strtoul(hex, &end, 16);
	if (*end || crc != crc32(0, (const Bytef *)line + 9, len - 9))
		return "checksum mismatch";
	return NULL;
}

/* Is this sound line a commit marker? Then its fields. */
static bool parse_marker(const char *line, size_t len, uint32_t *n,
			 size_t *blen, unsigned long *crc)
{
	char body[96];
	int used = -1;

	if (len - 9 >= sizeof(body) || strncmp(line + 9, "{\"commit\":", 10))
		return false;
	memcpy(body, line + 9, len - 9);
	body[len - 9] = 0;
	if (sscanf(body, "{\"commit\":%u,\"bytes\":%zu,\"crc\":\"%8lx\"}%n", n,
		   blen, crc, &used) != 3)
		return false;
	return used == (int)(len - 9);
}

/* Check one record (without its newline) and apply it; NULL or why not. */
static const char *apply_record(struct table *t, const char *line, size_t len)
{
	struct fwd_entry e = {};
	const char *why;
	struct slot *s;
	cJSON *o;
	uint32_t ip;
	bool created;

	why = check_line(line, len);
	if (why)
		return why;
	o = cJSON_ParseWithLength(line + 9, len - 9);
	if (!o)
		return "not JSON";
	why = parse_override(o, &ip, &e);
	cJSON_Delete(o);
	if (why && *why)
		return why;
	if (why) { /* no override */
		s = htab_find(&t->ovr, ip);
		if (s)
			htab_remove(&t->ovr, s);
		return NULL;
	}
	s = htab_insert(&t->ovr, ip, &created);
	if (!s)
		return "out of memory";
	s->e = e;
	return NULL;
}

/*
 * Apply the records of one committed batch, buf[from, to); *line counts
 * the journal's lines. NULL, or why not with *at the bad line's offset.
 */
static const char *apply_batch(struct table *t, const char *buf, size_t from,
			       size_t to, uint32_t n, int *line, size_t *at)
{
	const char *why;
	uint32_t k = 0;
	size_t off;

	for (off = from; off < to; k++, ++*line) {
		const char *nl = memchr(buf + off, '\n', to - off);

		*at = off;
		if (!nl)
			return "not a record";
		why = apply_record(t, buf + off, nl - (buf + off));
		if (why)
			return why;
		off = nl + 1 - buf;
	}
	return k == n ? NULL : "record count differs from its commit marker";
}

/*
 * The first bad line of buf[from, to), damage a later commit proves is not
 * a torn write; for the log.
 */
static const char *first_bad(const char *buf, size_t from, size_t to, int *line,
			     size_t *at)
{
	int first = *line;
	const char *why;
	size_t off;

	for (off = from; off < to; ++*line) {
		const char *nl = memchr(buf + off, '\n', to - off);

		*at = off;
		if (!nl)
			return "not a record";
		why = check_line(buf + off, nl - (buf + off));
		if (why)
			return why;
		off = nl + 1 - buf;
	}
	*line = first;
	*at = from;
	return "lines not closed by a valid commit marker";
}

/*
 * Replay the journal over the snapshot, one committed batch at a time. A
 * flush writes its records and then a commit marker in one append, and
 * acknowledges only after the fdatasync, so everything after the last
 * valid marker belongs to a flush a crash cut short, never acknowledged:
 * it is ignored, whatever state the crash left its pages in. Damage that a
 * later valid marker follows is not that: refuse.
 */
static int replay(struct table *t, const char *path, size_t *end)
{
	size_t len, off = 0, good = 0, at = 0;
	int err = 0, n = 0, line = 0, good_line = 0;
	const char *why = NULL;
	char *buf;

	buf = read_file(path, &len, &err);
	if (!buf) {
		if (err != -ENOENT)
			pr_err("cannot read journal %s: %s", path,
			       strerror(-err));
		return err;
	}
	while (off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t ll, blen, from;
		unsigned long crc;
		uint32_t cnt;

		if (!nl)
			break;
		ll = nl - (buf + off);
		if (check_line(buf + off, ll) ||
		    !parse_marker(buf + off, ll, &cnt, &blen, &crc) ||
		    blen > off ||
		    crc != crc32(0, (const Bytef *)buf + off - blen, blen)) {
			off = nl + 1 - buf;
			continue;
		}
		from = off - blen;
		line = good_line;
		if (from != good) {
			why = first_bad(buf, good, from < good ? good : from,
					&line, &at);
			err = -EINVAL;
			break;
		}
		why = apply_batch(t, buf, from, off, cnt, &line, &at);
		if (why) {
			err = -EINVAL;
			break;
		}
		good = off = nl + 1 - buf;
		good_line = ++line;
		n += cnt;
	}
	if (err) {
		pr_err("journal %s: line #%d at byte %zu: %s, and a "
		       "committed batch follows it (move the journal away "
		       "to start without the changes it holds)",
		       path, line, at, why);
	} else if (good < len) {
		pr_warn("journal %s: %zu byte(s) after the last commit "
			"marker, from a flush a crash cut short, ignored",
			path, len - good);
	}
	free(buf);
	if (err)
		return err;
	*end = good;
	pr_info("journal %s: %d change(s) replayed", path, n);
	return 0;
}

/*
 * The journal a crash interrupted the folding of first (its snapshot may
 * or may not hold it: replaying it is right either way), then the current.
 */
static int load_journal(struct table *t)
{
	size_t end = 0;
	int err;

	t->jknown = true;
	t->jlen = 0;
	err = replay(t, t->old_path, &end);
	if (err && err != -ENOENT)
		return err;
	t->old_left = !err;
	err = replay(t, t->journal_path, &end);
	if (err == -ENOENT)
		return 0;
	if (!err)
		t->jlen = end;
	return err;
}

int table_load(struct table *t)
{
	int err;

	if (!t->state_path)
		return 0;
	err = load_snapshot(t);
	if (!err)
		err = load_journal(t);
	return err;
}

/*
 * Open the journal for appending at jlen, cutting off a torn tail. A new
 * file's name is made durable now, once; later flushes only fdatasync.
 */
static int journal_open(struct table *t)
{
	bool created = false;
	struct stat st;
	int fd, err;

	fd = open(t->journal_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		err = state_dir(t->journal_path, false);
		if (err)
			return err;
		fd = open(t->journal_path, O_WRONLY | O_CREAT | O_CLOEXEC,
			  0644);
		created = true;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto err_close;
	}
	if (created) {
		t->jlen = 0;
		t->jknown = true;
	} else if (!t->jknown) { /* never loaded: keep what is there */
		t->jlen = st.st_size;
		t->jknown = true;
	} else if ((uint64_t)st.st_size != t->jlen && ftruncate(fd, t->jlen)) {
		err = -errno;
		goto err_close;
	}
	if (created) {
		err = state_dir(t->journal_path, true);
		if (err)
			goto err_close;
	}
	t->jfd = fd;
	return 0;
err_close:
	close(fd);
	return err;
}

/* Remove the journal once a snapshot holds all of it. */
static void journal_drop(struct table *t)
{
	const char *paths[] = {t->old_path, t->journal_path};
	bool removed = false;
	int err = 0, k;

	if (t->jfd >= 0) {
		close(t->jfd);
		t->jfd = -1;
	}
	for (k = 0; k < 2 && !err; k++) {
		if (!unlink(paths[k]))
			removed = true;
		else if (errno != ENOENT)
			err = -errno;
	}
	if (!err && removed)
		err = state_dir(t->journal_path, true);
	if (err) {
		/* harmless: replaying it over the snapshot changes nothing */
		pr_warn("cannot remove journal %s: %s", paths[k - 1],
			strerror(-err));
		return;
	}
	t->old_left = false;
	t->jlen = 0;
	t->jknown = true;
}

/*
 * Past the bound: the journal becomes old_path, a thread writes a snapshot
 * of the table as it is now and removes old_path; new changes go to a new
 * journal meanwhile. -errno if that cannot start (nothing changed then).
 */
static int journal_rotate(struct table *t)
{
	struct snap_job *j = snap_job_new(t, t->old_path);

	if (!j)
		return -ENOMEM;
	if (t->jfd >= 0) {
		close(t->jfd);
		t->jfd = -1;
	}
	if (rename(t->journal_path, t->old_path)) {
		int err = -errno;

		snap_job_free(j);
		return err;
	}
	t->old_left = true;
	t->jlen = 0;
	t->jknown = true;
	t->job = j;
	if (!pthread_create(&j->tid, NULL, snap_run, j)) {
		j->threaded = true;
		return 0;
	}
	snap_run(j); /* no thread: write it now, as a compaction would */
	snap_reap(t, true);
	return 0;
}

static void pending_done(struct table *t)
{
	t->npend = 0;
	t->dirty = false;
}

int table_compact(struct table *t)
{
	int err;

	snap_reap(t, true);
	if (!t->state_path || (!t->dirty && !t->jlen && !t->old_left))
		return 0;
	err = write_snapshot(t);
	if (err)
		return err;
	pending_done(t);
	journal_drop(t);
	return 0;
}

int table_flush(struct table *t)
{
	struct name_cache nc = {};
	uint64_t bound;
	size_t len = 0, cap;
	char *buf;
	uint32_t i;
	int err, n;

	if (!t->state_path) {
		pending_done(t);
		return 0;
	}
	if (!t->dirty)
		return 0;
	snap_reap(t, false);
	bound = t->jmax > 2 * t->snap_len ? t->jmax : 2 * t->snap_len;
	/*
	 * Past the bound, fold the journal into a snapshot, in a thread. Only
	 * one at a time: the journal may outgrow the bound while one runs. If
	 * the last one left old_path behind, or none can start, fold it all
	 * here and now.
	 */
	if (t->jlen >= bound && !t->job && (t->old_left || journal_rotate(t)))
		return table_compact(t);
	cap = (size_t)t->npend * 160 + 96;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < t->npend; i++) {
		n = format_record(t, t->pend[i], &nc, buf + len, cap - len);
		if (n < 0) {
			err = n;
			goto out_free;
		}
		len += n;
	}
	n = format_marker(buf + len, cap - len, t->npend, len,
			  crc32(0, (const Bytef *)buf, len));
	if (n < 0) {
		err = n;
		goto out_free;
	}
	len += n;
	err = t->jfd < 0 ? journal_open(t) : 0;
	if (!err && pwrite_all(t->jfd, buf, len, t->jlen))
		err = -errno;
	if (!err && fdatasync(t->jfd))
		err = -errno;
	if (err) {
		pr_err("cannot append to journal %s: %s", t->journal_path,
		       strerror(-err));
		/* reopen next time: cut back to jlen, write it all again */
		if (t->jfd >= 0)
			close(t->jfd);
		t->jfd = -1;
		goto out_free;
	}
	t->jlen += len;
	pending_done(t);
out_free:
	free(buf);
	return err;
}
