// SPDX-License-Identifier: GPL-2.0
/*
 * derive.c - learned entries from a mirror of the kernel's state (see
 * derive.h for the contract).
 *
 * Why a mirror and not RTM_GETROUTE per destination: a cold start with
 * 100k neighbours would need 100k request/reply round trips (each a
 * system call pair and a fib lookup in the kernel) where the mirror answers
 * from memory, and a neighbour event would wait for a round trip before its
 * entry could be written. The price is that the mirror must follow every
 * route change, including the ones the kernel does not announce: when a
 * link goes administratively down, disappears or loses its last IPv4
 * address, IPv4 flushes its routes without RTM_DELROUTE, so we drop them
 * here ourselves.
 *
 * Only the local and main tables are mirrored, which is the kernel's
 * lookup under the three default policy rules; while any other rule
 * exists nothing is learned. When the answer could depend on the packet
 * (a TOS route, multipath, nexthop objects, tunnels) the rule yields no
 * entry and the packet goes the kernel's way, which is always correct.
 *
 * Per-event cost: a neighbour change re-derives its own address and the
 * /32 routes through it (gateway index), O(affected). A route of prefix
 * length < 32 re-derives the candidates inside it (a scan); a relevant link
 * change re-derives everything. Both are rare and bounded by the table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "log.h"
#include "util.h"

#define container_of(p, type, member) \
	((type *)((char *)(p)-offsetof(type, member)))

/*
 * Route changes remembered per batch: only the IPv6 candidates inside a
 * changed prefix can get another answer. More in one batch: all of them.
 */
#define DIRTY6_PREFIXES 64

/* Neighbour states whose lladdr the kernel would use to send (§4). */
#define DERIVE_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

/* ---- a small intrusive chained hash, keyed by 64 bits ---- */

struct hnode {
	struct hnode *next;
	uint64_t key;
};

struct htab {
	struct hnode **b;
	uint32_t mask; /* buckets - 1, a power of two minus one */
	uint32_t n;    /* nodes */
};

static uint32_t h_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static int ht_init(struct htab *t)
{
	t->mask = 63;
	t->n = 0;
	t->b = calloc(t->mask + 1, sizeof(*t->b));
	return t->b ? 0 : -ENOMEM;
}

/* Double the buckets; on allocation failure keep the longer chains. */
static void ht_grow(struct htab *t)
{
	uint32_t nmask = t->mask * 2 + 1;
	struct hnode **nb = calloc(nmask + 1, sizeof(*nb));
	uint32_t i;

	if (!nb)
		return;
	for (i = 0; i <= t->mask; i++) {
		struct hnode *n = t->b[i], *next;

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

static void ht_add(struct htab *t, struct hnode *n)
{
	uint32_t i;

	if (t->n > t->mask)
		ht_grow(t);
	i = h_hash(n->key) & t->mask;
	n->next = t->b[i];
	t->b[i] = n;
	t->n++;
}

static struct hnode *ht_find(const struct htab *t, uint64_t key)
{
	struct hnode *n = t->b[h_hash(key) & t->mask];

	while (n && n->key != key)
		n = n->next;
	return n;
}

/* Next node of the same key after @n (several routes share a prefix). */
static struct hnode *ht_next_same(struct hnode *n)
{
	uint64_t key = n->key;

	for (n = n->next; n && n->key != key; n = n->next)
		;
	return n;
}

static void ht_del(struct htab *t, struct hnode *n)
{
	struct hnode **pp = &t->b[h_hash(n->key) & t->mask];

	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		t->n--;
	}
}

/* Safe against deleting the current node. */
#define ht_for_each(t, i, n, tmp)                                    \
	for ((i) = 0; (i) <= (t)->mask; (i)++)                       \
		for ((n) = (t)->b[i]; (n) && ((tmp) = (n)->next, 1); \
		     (n) = (tmp))

/*
 * Fixed-size node pool: 100k neighbours and entries as separate mallocs
 * would spend a third of their memory on allocator headers.
 */
struct pool {
	size_t size;
	void *free;
	void **chunks;
	size_t n_chunks;
};

#define POOL_CHUNK 512

static void *pool_get(struct pool *p)
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

static void pool_put(struct pool *p, void *v)
{
	*(void **)v = p->free;
	p->free = v;
}

static void pool_destroy(struct pool *p)
{
	size_t i;

	for (i = 0; i < p->n_chunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	p->chunks = NULL;
	p->n_chunks = 0;
	p->free = NULL;
}

/* ---- mirrored objects ---- */

struct link {
	struct hnode h; /* key: ifindex */
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	uint8_t mac_len;
	uint16_t type;	/* ARPHRD_* */
	uint32_t flags; /* IFF_* */
	uint32_t mtu;
	int forwarding;	   /* netconf: 1, 0, or -1 not known yet */
	int rp_filter;	   /* netconf: 0, 1, 2, or -1 not known yet */
	bool managed;	   /* named by --iface */
	bool seen;	   /* shown by the current resync's dump */
	bool reported;	   /* iface_update() called, @last valid */
	uint32_t n_addrs;  /* IPv4 addresses on it */
	uint32_t n_addrs6; /* IPv6 addresses on it: IPv6 is on */
	struct rtnl_iface last;
};

/*
 * What the IPv6 tables hold at their start: an address on an interface
 * (0 for none), hashed by a6key(). An IPv6 address of a link is just this:
 * only counted (while a link has one, IPv6 is on there; disable_ipv6
 * removes every one and says nothing else).
 */
struct node6 {
	struct hnode h; /* key: a6key(ifindex, addr) */
	uint32_t ifindex;
	uint8_t addr[16];
};

struct lcount {
	struct hnode h; /* key: IPv4 address */
	uint32_t n;	/* links that have it */
};

struct neigh {
	struct hnode h; /* key: ifindex << 32 | ip */
	uint8_t lladdr[6];
	uint8_t llen;
	uint8_t flags;	/* NTF_* */
	uint16_t state; /* NUD_* */
	uint32_t tick;	/* derive_refresh() pass that last refreshed it */
};

enum { TBL_MAIN, TBL_LOCAL, TBL_N };

struct route {
	struct hnode h; /* key: table << 40 | len << 32 | dst */
	struct hnode g; /* key: oif << 32 | gw; /32 via gw in main only */
	bool in_g;
	uint8_t tbl, len, tos, type;
	bool complex;
	uint32_t dst, gw, oif, prio;
	int64_t seq; /* alias order: lower is used first (prepend: < 0) */
};

struct derive {
	struct rtnl_hooks hooks;
	char **ifaces;
	int n_ifaces;
	bool learn;
	bool batch; /* in a resync dump: mirror only, derive at the end */
	struct htab links, neighs, routes, gws, addrs;
	struct htab locals; /* key: IPv4 address, val: how many links have it */
	int rpf_all;	    /* net.ipv4.conf.all.rp_filter, -1 not known */
	int fwd6_all;	    /* net.ipv6.conf.all.forwarding, -1 not known */
	struct htab addrs6; /* struct addr6 */
	/* IPv6 learning (see "IPv6" below) */
	struct htab neighs6; /* struct neigh6, key a6key(ifindex, addr) */
	struct htab cands6;  /* struct cand6 by h (dst) and g (next hop) */
	struct htab nhs6;    /* cand6.g: key a6key(oif, next hop) */
	struct htab hosts6;  /* struct route6: /128 routes in main */
	struct htab srcrt6;  /* struct route6: routes with a source prefix */
	derive_resolve6_fn resolve6;
	void *resolve6_arg;
	unsigned int custom_rules6;
	bool dirty6; /* every IPv6 candidate to derive again */
	/* ... or those inside these prefixes (routes changed for them) */
	struct {
		uint8_t addr[16];
		uint8_t len;
	} dirty6_pfx[DIRTY6_PREFIXES];
	unsigned int n_dirty6_pfx;
	struct pool neigh_pool;
	struct pool neigh6_pool, cand6_pool;
	/* Addresses whose candidates a flush removed, to re-derive after. */
	uint32_t *redo;
	size_t n_redo, redo_cap;
	uint32_t plen[TBL_N][33];  /* routes per table and prefix length */
	unsigned int custom_rules; /* policy rules beyond the default three */
	int64_t route_seq;	   /* last route_set() insertion number */
	uint32_t tick;
	uint32_t cursor;  /* derive_refresh() resumes at this bucket */
	uint32_t cursor6; /* ... derive_refresh6() at this one */
	uint64_t set_errors;
};

static uint64_t nkey(uint32_t ifindex, uint32_t ip)
{
	return (uint64_t)ifindex << 32 | ip;
}

static uint32_t mask_n(unsigned int len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

static uint64_t rkey(unsigned int tbl, unsigned int len, uint32_t dst)
{
	return (uint64_t)tbl << 40 | (uint64_t)len << 32 | dst;
}

static struct link *link_get(const struct derive *d, uint32_t ifindex)
{
	struct hnode *n = ht_find(&d->links, ifindex);

	return n ? container_of(n, struct link, h) : NULL;
}

static struct neigh *neigh_get(const struct derive *d, uint32_t ifindex,
			       uint32_t ip)
{
	struct hnode *n = ht_find(&d->neighs, nkey(ifindex, ip));

	return n ? container_of(n, struct neigh, h) : NULL;
}

/*
 * The route the kernel picks for @ip in one table: longest prefix, then
 * lowest metric. *@tos is set when a TOS-specific route sits at that
 * prefix: the answer then depends on the packet.
 */
static const struct route *lpm(const struct derive *d, unsigned int tbl,
			       uint32_t ip, bool *tos)
{
	int len;

	for (len = 32; len >= 0; len--) {
		const struct route *best = NULL;
		struct hnode *n;

		if (!d->plen[tbl][len])
			continue;
		n = ht_find(&d->routes, rkey(tbl, len, ip & mask_n(len)));
		for (; n; n = ht_next_same(n)) {
			const struct route *r =
				container_of(n, struct route, h);

			if (r->tos) {
				*tos = true;
				continue;
			}
			/* The kernel takes the first of equal metric. */
			if (!best || r->prio < best->prio ||
			    (r->prio == best->prio && r->seq < best->seq))
				best = r;
		}
		if (best || *tos)
			return best;
	}
	return NULL;
}

static bool link_usable(const struct link *l)
{
	return l && l->managed && l->type == ARPHRD_ETHER && l->mac_len == 6 &&
	       (l->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING) &&
	       !(l->flags & IFF_NOARP);
}

/*
 * The entry out of @l to a neighbour in @state with @llen bytes of
 * @lladdr, if the kernel would send to it: a usable state, a MAC.
 */
static bool entry_to(const struct link *l, uint16_t state,
		     const uint8_t *lladdr, uint8_t llen, struct fwd_entry *e)
{
	if (!(state & DERIVE_NUD_USABLE) || llen != 6)
		return false;
	e->ifindex = (uint32_t)l->h.key;
	memcpy(e->smac, l->mac, 6);
	memcpy(e->dmac, lladdr, 6);
	return true;
}

/* A neighbour message's lladdr into @lladdr: its length, 0 if not 6. */
static uint8_t lladdr_copy(uint8_t lladdr[6], const struct nl_neigh *nn)
{
	/* No lladdr in the message: the kernel has none (yet). */
	if (nn->lladdr_len != 6)
		return 0;
	memcpy(lladdr, nn->lladdr, 6);
	return 6;
}

/* The derivation rule (docs/design.md) for one destination. */
static bool derive_one(const struct derive *d, uint32_t ip, struct fwd_entry *e,
		       uint32_t *nh)
{
	const struct route *r;
	const struct neigh *n;
	const struct link *l;
	bool tos = false;

	if (d->custom_rules)
		return false;
	/* Local addresses, broadcasts: the local table answers first. */
	if (lpm(d, TBL_LOCAL, ip, &tos) || tos)
		return false;
	r = lpm(d, TBL_MAIN, ip, &tos);
	if (!r || r->type != RTN_UNICAST || r->complex)
		return false;
	if (!r->gw)
		*nh = ip;
	else if (r->len == 32)
		*nh = r->gw;
	else
		return false; /* prefix via a gateway: fib fallback */
	l = link_get(d, r->oif);
	if (!link_usable(l))
		return false;
	n = neigh_get(d, r->oif, *nh);
	return n && entry_to(l, n->state, n->lladdr, n->llen, e);
}

/*
 * Tell the hooks what the rule says for @ip now. The daemon's table keeps
 * the learned entries and ignores a set that changes nothing (and a
 * delete of nothing), so we keep no second copy: at 100k entries that
 * copy would be a third of our memory.
 */
static void apply(struct derive *d, uint32_t ip)
{
	char ips[INET_ADDRSTRLEN];
	struct fwd_entry e = {0};
	uint32_t nh = 0;
	int err;

	if (d->batch)
		return;
	if (!d->learn || !derive_one(d, ip, &e, &nh)) {
		err = d->hooks.learn_del(d->hooks.arg, ip);
		if (err && err != -ENOENT)
			pr_warn("rtnl: forgetting %s: %s\n", nl_ip_str(ip, ips),
				strerror(-err));
		return;
	}
	err = d->hooks.learn_set(d->hooks.arg, ip, &e);
	if (err) {
		/* The next change of @ip retries. */
		d->set_errors++;
		pr_warn("rtnl: learning %s: %s\n", nl_ip_str(ip, ips),
			strerror(-err));
	}
}

/* Remember @ip for redo_apply(): its candidate is being flushed. */
static void redo_add(struct derive *d, uint32_t ip)
{
	if (d->n_redo == d->redo_cap) {
		size_t cap = d->redo_cap ? d->redo_cap * 2 : 64;
		uint32_t *v = realloc(d->redo, cap * sizeof(*v));

		if (!v) {
			pr_err("rtnl: out of memory, entry for a flushed "
			       "neighbour may linger until the next resync\n");
			return;
		}
		d->redo = v;
		d->redo_cap = cap;
	}
	d->redo[d->n_redo++] = ip;
}

static void redo_apply(struct derive *d)
{
	size_t i;

	for (i = 0; i < d->n_redo; i++)
		apply(d, d->redo[i]);
	d->n_redo = 0;
}

/* Every candidate: neighbour addresses and /32 host route destinations. */
static void apply_all(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	if (d->batch)
		return;
	ht_for_each(&d->neighs, i, n, tmp) apply(d, (uint32_t)n->key);
	ht_for_each(&d->gws, i, n, tmp)
		apply(d, container_of(n, struct route, g)->dst);
}

/* Candidates inside @dst/@len, after a route of that prefix changed. */
static void apply_prefix(struct derive *d, uint32_t dst, unsigned int len)
{
	uint32_t m = mask_n(len), i;
	struct hnode *n, *tmp;

	ht_for_each(&d->neighs, i, n, tmp) if (((uint32_t)n->key & m) == dst)
		apply(d, (uint32_t)n->key);
	ht_for_each(&d->gws, i, n, tmp)
	{
		uint32_t rd = container_of(n, struct route, g)->dst;

		if ((rd & m) == dst)
			apply(d, rd);
	}
}

/* ---- routes ---- */

static int tbl_idx(uint32_t table)
{
	if (table == RT_TABLE_MAIN)
		return TBL_MAIN;
	if (table == RT_TABLE_LOCAL)
		return TBL_LOCAL;
	return -1;
}

static void route_free(struct derive *d, struct route *r)
{
	if (r->len == 32)
		redo_add(d, r->dst);
	ht_del(&d->routes, &r->h);
	if (r->in_g)
		ht_del(&d->gws, &r->g);
	d->plen[r->tbl][r->len]--;
	free(r);
}

/*
 * The route @nr names: same prefix, TOS and metric, and the same next hop
 * if one matches; else (@exact false) the first such alias, the one the
 * kernel uses and replaces.
 */
static struct route *route_find(const struct derive *d, unsigned int tbl,
				const struct nl_route *nr, bool exact)
{
	struct route *first = NULL;
	struct hnode *n;

	n = ht_find(&d->routes, rkey(tbl, nr->dst_len, nr->dst));
	for (; n; n = ht_next_same(n)) {
		struct route *r = container_of(n, struct route, h);

		if (r->tos != nr->tos || r->prio != nr->priority)
			continue;
		/* Appended duplicates differ only in the next hop. */
		if (r->gw == nr->gw && r->oif == nr->oif)
			return r;
		if (!first || r->seq < first->seq)
			first = r;
	}
	return exact ? NULL : first;
}

static void route_set(struct derive *d, unsigned int tbl,
		      const struct nl_route *nr)
{
	bool replace = nr->nlmsg_flags & NLM_F_REPLACE;
	struct route *r = route_find(d, tbl, nr, !replace);

	/*
	 * Without REPLACE a different next hop is a second alias (append,
	 * or prepend: a plain create that found the prefix taken, which
	 * goes in front). Dumps list aliases in the kernel's order.
	 */
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r) {
			pr_err("rtnl: out of memory for a route\n");
			return;
		}
		r->tbl = tbl;
		r->len = nr->dst_len;
		r->dst = nr->dst;
		r->tos = nr->tos;
		r->prio = nr->priority;
		r->seq = ++d->route_seq;
		if (!(nr->nlmsg_flags & (NLM_F_APPEND | NLM_F_MULTI)))
			r->seq = -r->seq;
		r->h.key = rkey(tbl, r->len, r->dst);
		ht_add(&d->routes, &r->h);
		d->plen[tbl][r->len]++;
	} else if (r->in_g) {
		ht_del(&d->gws, &r->g);
		r->in_g = false;
	}
	r->type = nr->type;
	r->complex = nr->complex;
	r->gw = nr->gw;
	r->oif = nr->oif;
	if (tbl == TBL_MAIN && r->len == 32 && r->type == RTN_UNICAST &&
	    !r->complex && r->gw) {
		r->g.key = nkey(r->oif, r->gw);
		ht_add(&d->gws, &r->g);
		r->in_g = true;
	}
}

/* IPv4 flushes a link's routes silently when it goes down or away. */
static bool routes_flush_oif(struct derive *d, uint32_t oif)
{
	struct hnode *n, *tmp;
	bool any = false;
	uint32_t i;

	ht_for_each(&d->routes, i, n, tmp)
	{
		struct route *r = container_of(n, struct route, h);

		if (r->oif == oif) {
			route_free(d, r);
			any = true;
		}
	}
	return any;
}

static void route6(struct derive *d, const struct nl_route *nr, bool del);
static void neigh6(struct derive *d, const struct nl_neigh *nn, bool del);

void derive_route(struct derive *d, const struct nl_route *nr, bool del)
{
	int tbl = tbl_idx(nr->table);
	struct route *r;

	if (nr->family == AF_INET6) {
		route6(d, nr, del);
		return;
	}
	/* Cached clones are results of lookups, not routes. */
	if (tbl < 0 || (nr->rtm_flags & RTM_F_CLONED))
		return;
	if (nr->dst & ~mask_n(nr->dst_len))
		return; /* the kernel never sends one; never trust one */
	if (del) {
		r = route_find(d, tbl, nr, false);
		if (!r)
			return;
		route_free(d, r);
		d->n_redo = 0; /* applied just below */
	} else {
		route_set(d, tbl, nr);
	}
	if (d->batch)
		return;
	if (nr->dst_len == 32)
		apply(d, nr->dst);
	else
		apply_prefix(d, nr->dst, nr->dst_len);
}

/* ---- neighbours ---- */

static void neigh_free(struct derive *d, struct neigh *n)
{
	redo_add(d, (uint32_t)n->h.key);
	ht_del(&d->neighs, &n->h);
	pool_put(&d->neigh_pool, n);
}

static void neighs_flush_dev(struct derive *d, uint32_t ifindex)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->neighs, i, n, tmp) if ((n->key >> 32) == ifindex)
		neigh_free(d, container_of(n, struct neigh, h));
}

void derive_neigh(struct derive *d, const struct nl_neigh *nn, bool del)
{
	struct neigh *n;
	struct hnode *g;

	if (nn->family == AF_INET6) {
		neigh6(d, nn, del);
		return;
	}
	n = neigh_get(d, nn->ifindex, nn->ip);
	/* Proxy entries answer for others; they are no next hop. */
	if (nn->flags & NTF_PROXY)
		return;
	if (del) {
		if (!n)
			return;
		neigh_free(d, n);
		d->n_redo = 0; /* applied just below */
	} else {
		if (!n) {
			n = pool_get(&d->neigh_pool);
			if (!n) {
				pr_err("rtnl: out of memory for a neighbour\n");
				return;
			}
			n->h.key = nkey(nn->ifindex, nn->ip);
			ht_add(&d->neighs, &n->h);
		}
		n->state = nn->state;
		n->flags = nn->flags;
		n->llen = lladdr_copy(n->lladdr, nn);
	}
	if (d->batch)
		return;
	apply(d, nn->ip);
	for (g = ht_find(&d->gws, nkey(nn->ifindex, nn->ip)); g;
	     g = ht_next_same(g))
		apply(d, container_of(g, struct route, g)->dst);
}

/* ---- links ---- */

static bool iface_named(const struct derive *d, const char *name)
{
	int i;

	for (i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i], name))
			return true;
	return false;
}

/*
 * rp_filter as IN_DEV_RPFILTER() reads it: the larger of conf.all and
 * conf.<if>. Not known yet counts as strict: the kernel decides until
 * netconf has told us.
 */
static uint16_t rpf_flags(const struct derive *d, const struct link *l)
{
	int m = d->rpf_all > l->rp_filter ? d->rpf_all : l->rp_filter;

	if (d->rpf_all < 0 || l->rp_filter < 0 || m == 1)
		return FWD_IF_RPF_STRICT;
	return m >= 2 ? FWD_IF_RPF_LOOSE : 0;
}

/*
 * Tell the daemon what @l is now, if it changed or @again (the daemon
 * then reads again what only /proc says). Not during a resync's dump,
 * whose end reports every link once it has seen their addresses.
 */
static void link_report(struct derive *d, struct link *l, bool again)
{
	struct rtnl_iface ri = {0};
	bool same;

	if (!l->managed || d->batch)
		return;
	ri.ifindex = (uint32_t)l->h.key;
	memcpy(ri.name, l->name, sizeof(ri.name));
	if (l->mac_len == 6)
		memcpy(ri.mac, l->mac, 6);
	ri.mtu = l->mtu;
	if ((l->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING))
		ri.flags |= FWD_IF_UP;
	if (l->forwarding == 1)
		ri.flags |= FWD_IF_FORWARDING;
	ri.flags |= rpf_flags(d, l);
	if (l->n_addrs6)
		ri.flags |= FWD_IF_IPV6;
	if (d->fwd6_all == 1)
		ri.flags |= FWD_IF_FORWARDING6;
	same = l->reported && !memcmp(&ri, &l->last, sizeof(ri));
	if (same && !again)
		return;
	l->last = ri;
	l->reported = true;
	if (!same)
		pr_info("rtnl: interface %s (%u)%s%s%s%s%s mtu %u\n", ri.name,
			ri.ifindex, ri.flags & FWD_IF_UP ? " up" : " down",
			ri.flags & FWD_IF_FORWARDING ? " forwarding" : "",
			ri.flags & FWD_IF_RPF_STRICT  ? " rp_filter strict"
			: ri.flags & FWD_IF_RPF_LOOSE ? " rp_filter loose"
						      : "",
			ri.flags & FWD_IF_IPV6 ? " ipv6" : "",
			ri.flags & FWD_IF_FORWARDING6 ? " ipv6-forwarding" : "",
			ri.mtu);
	d->hooks.iface_update(d->hooks.arg, &ri);
}

static struct link *link_new(struct derive *d, uint32_t ifindex)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l) {
		pr_err("rtnl: out of memory for a link\n");
		return NULL;
	}
	l->h.key = ifindex;
	l->forwarding = -1;
	l->rp_filter = -1;
	ht_add(&d->links, &l->h);
	return l;
}

static void local_count(struct derive *d, uint32_t ip, bool up);
static void addrs6_flush(struct derive *d, uint32_t ifindex, bool all);
static void neighs6_flush_dev(struct derive *d, uint32_t ifindex);

static void addrs_flush(struct derive *d, uint32_t ifindex, bool all)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->addrs, i, n, tmp) if (all || (n->key >> 38) == ifindex)
	{
		ht_del(&d->addrs, n);
		if (!all)
			local_count(d, (uint32_t)n->key, false);
		free(n);
	}
}

static void link_remove(struct derive *d, struct link *l)
{
	uint32_t ifindex = (uint32_t)l->h.key;

	if (l->managed && l->reported) {
		pr_info("rtnl: interface %s (%u) gone\n", l->name, ifindex);
		d->hooks.iface_gone(d->hooks.arg, ifindex, l->name);
	}
	routes_flush_oif(d, ifindex);
	neighs_flush_dev(d, ifindex);
	addrs_flush(d, ifindex, false);
	addrs6_flush(d, ifindex, false);
	neighs6_flush_dev(d, ifindex);
	ht_del(&d->links, &l->h);
	free(l);
}

void derive_link(struct derive *d, const struct nl_link *nl, bool del)
{
	struct link *l = link_get(d, nl->ifindex);
	uint32_t was_flags;
	uint8_t was_mac[6];
	bool was_managed, relevant;
	uint16_t was_type;

	if (del) {
		if (l) {
			link_remove(d, l); /* its IPv6 neighbours: dirty6 */
			redo_apply(d);
			apply_all(d);
		}
		return;
	}
	if (!l) {
		l = link_new(d, nl->ifindex);
		if (!l)
			return;
	}
	l->seen = true;
	was_flags = l->flags;
	was_type = l->type;
	was_managed = l->managed;
	memcpy(was_mac, l->mac, 6);
	if (nl->name[0])
		memcpy(l->name, nl->name, sizeof(l->name));
	l->type = nl->type;
	l->flags = nl->flags;
	if (nl->addr_len) {
		l->mac_len = nl->addr_len;
		memcpy(l->mac, nl->addr, nl->addr_len == 6 ? 6 : 0);
	}
	if (nl->mtu)
		l->mtu = nl->mtu;
	l->managed = iface_named(d, l->name);
	if (was_managed && !l->managed && l->reported) {
		/* Renamed away from a managed name. */
		pr_info("rtnl: interface %s (%u) renamed, no longer managed\n",
			l->last.name, (uint32_t)l->h.key);
		d->hooks.iface_gone(d->hooks.arg, (uint32_t)l->h.key,
				    l->last.name);
		l->reported = false;
	}
	link_report(d, l, false);
	relevant =
		was_managed != l->managed || was_type != l->type ||
		memcmp(was_mac, l->mac, 6) ||
		((was_flags ^ l->flags) & (IFF_UP | IFF_RUNNING | IFF_NOARP));
	if ((was_flags & IFF_UP) && !(l->flags & IFF_UP))
		routes_flush_oif(d, (uint32_t)l->h.key);
	redo_apply(d);
	if (relevant) {
		apply_all(d);
		d->dirty6 = true; /* a link's change is IPv6's too */
	}
}

static uint64_t akey(const struct nl_addr *a)
{
	return (uint64_t)a->ifindex << 38 | (uint64_t)a->prefixlen << 32 |
	       a->local;
}

/* Count @ip as one more (@up) or one fewer address of a link. */
static void local_count(struct derive *d, uint32_t ip, bool up)
{
	struct hnode *n = ht_find(&d->locals, ip);
	struct lcount *c = n ? container_of(n, struct lcount, h) : NULL;

	if (up) {
		if (c) {
			c->n++;
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			pr_err("rtnl: out of memory for a local address\n");
			return;
		}
		c->h.key = ip;
		c->n = 1;
		ht_add(&d->locals, &c->h);
		if (d->hooks.local_add)
			d->hooks.local_add(d->hooks.arg, ip);
		return;
	}
	if (!c || --c->n)
		return;
	ht_del(&d->locals, &c->h);
	free(c);
	if (d->hooks.local_del)
		d->hooks.local_del(d->hooks.arg, ip);
}

static uint64_t a6key(uint32_t ifindex, const uint8_t a[16])
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return (hi * 0x9e3779b97f4a7c15ULL) ^ lo ^ (uint64_t)ifindex << 48;
}

static struct node6 *node6_find(const struct htab *t, uint32_t ifindex,
				const uint8_t addr[16])
{
	struct hnode *n = ht_find(t, a6key(ifindex, addr));

	for (; n; n = ht_next_same(n)) {
		struct node6 *x = container_of(n, struct node6, h);

		if (x->ifindex == ifindex && !memcmp(x->addr, addr, 16))
			return x;
	}
	return NULL;
}

static void node6_add(struct htab *t, struct node6 *x, uint32_t ifindex,
		      const uint8_t addr[16])
{
	x->ifindex = ifindex;
	memcpy(x->addr, addr, 16);
	x->h.key = a6key(ifindex, addr);
	ht_add(t, &x->h);
}

/* An IPv6 address came or went: IPv6 is on while a link has one. */
static void addr6_update(struct derive *d, const struct nl_addr *a, bool del)
{
	struct node6 *x = node6_find(&d->addrs6, a->ifindex, a->local6);
	struct link *l = link_get(d, a->ifindex);

	if (del) {
		if (!x)
			return;
		ht_del(&d->addrs6, &x->h);
		free(x);
		if (l && l->n_addrs6 && !--l->n_addrs6)
			link_report(d, l, false);
		return;
	}
	if (x)
		return;
	if (!l) {
		/* before its RTM_NEWLINK: count it for the link to come */
		l = link_new(d, a->ifindex);
		if (!l)
			return;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return;
	node6_add(&d->addrs6, x, a->ifindex, a->local6);
	if (!l->n_addrs6++)
		link_report(d, l, false);
}

static void addrs6_flush(struct derive *d, uint32_t ifindex, bool all)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->addrs6, i, n, tmp)
	{
		struct node6 *x = container_of(n, struct node6, h);

		if (all || x->ifindex == ifindex) {
			ht_del(&d->addrs6, n);
			free(x);
		}
	}
}

void derive_addr(struct derive *d, const struct nl_addr *a, bool del)
{
	struct hnode *n;
	struct link *l = link_get(d, a->ifindex);

	if (a->family == AF_INET6) {
		addr6_update(d, a, del);
		return;
	}
	n = ht_find(&d->addrs, akey(a));

	/*
	 * Addresses act through the routes the kernel derives from them
	 * (local and broadcast routes in table local, the prefix route in
	 * main), which it announces. Except one thing: when the last IPv4
	 * address of a link goes, the kernel flushes every route through
	 * it (static ones too) without a word. So we count them.
	 */
	if (!del) {
		if (n)
			return;
		n = calloc(1, sizeof(*n));
		if (!n)
			return;
		n->key = akey(a);
		ht_add(&d->addrs, n);
		local_count(d, a->local, true);
		if (l)
			l->n_addrs++;
		return;
	}
	if (!n)
		return;
	ht_del(&d->addrs, n);
	free(n);
	local_count(d, a->local, false);
	if (!l || !l->n_addrs || --l->n_addrs)
		return;
	if (routes_flush_oif(d, a->ifindex)) {
		redo_apply(d);
		apply_all(d);
	}
}

/*
 * IPv6: the global forwarding (all that ip6_forward() reads besides
 * force_forwarding). A message for one link, whatever it says, makes the
 * daemon read that link's force_forwarding again: a change of it comes
 * as a netconf message without its value.
 */
static void netconf6(struct derive *d, const struct nl_netconf *c)
{
	struct hnode *n, *tmp;
	struct link *l;
	uint32_t i;

	if (c->ifindex == NETCONFA_IFINDEX_ALL) {
		if (c->forwarding < 0 || c->forwarding == d->fwd6_all)
			return;
		d->fwd6_all = c->forwarding;
		ht_for_each(&d->links, i, n, tmp)
			link_report(d, container_of(n, struct link, h), false);
		return;
	}
	l = c->ifindex > 0 ? link_get(d, c->ifindex) : NULL;
	if (l)
		link_report(d, l, true);
}

void derive_netconf(struct derive *d, const struct nl_netconf *c)
{
	struct link *l;

	if (c->family == AF_INET6) {
		netconf6(d, c);
		return;
	}

	if (c->ifindex == NETCONFA_IFINDEX_ALL && c->rp_filter >= 0) {
		struct hnode *n, *tmp;
		uint32_t i;

		if (c->rp_filter == d->rpf_all)
			return;
		d->rpf_all = c->rp_filter;
		ht_for_each(&d->links, i, n, tmp)
			link_report(d, container_of(n, struct link, h), false);
		return;
	}
	if (c->ifindex <= 0 || (c->forwarding < 0 && c->rp_filter < 0))
		return;
	l = link_get(d, c->ifindex);
	if (!l) {
		/* Before its RTM_NEWLINK: keep the setting for it. */
		l = link_new(d, c->ifindex);
		if (!l)
			return;
	}
	if (c->forwarding >= 0)
		l->forwarding = c->forwarding;
	if (c->rp_filter >= 0)
		l->rp_filter = c->rp_filter;
	link_report(d, l, false);
}

/* ---- IPv6 ---- */

/*
 * The derivation rule for IPv6, with the kernel as the route table: for a
 * candidate D the kernel tells the route it matches (derive_resolve6_fn),
 * and D has an entry when that is a unicast route out of a managed, up
 * interface O, a connected one or a /128 through a gateway, and the next
 * hop (D, or the gateway) is a usable neighbour on O with a MAC. Routes
 * are not mirrored, so nothing about them can go stale here (IPv6 deletes
 * routes on link down by itself, and says so or not: the answer is the
 * kernel's either way); what is mirrored is the neighbours and which
 * destinations are candidates. A candidate remembers the next hop of its
 * last answer, so a neighbour change re-derives exactly the candidates
 * that go through it. Any route, link or rule change derives every
 * candidate again, once per batch of messages (derive_flush6()).
 *
 * Not learned while the answer could depend on more than the destination:
 * IPv6 policy rules besides the default ones, or a route with a source
 * prefix (an IPv6 subtree: the packet's source picks it).
 */
struct neigh6 {
	struct node6 k; /* first: what node6_find() returns */
	uint8_t lladdr[6];
	uint8_t llen;
	uint8_t flags;	/* NTF_*: NTF_ROUTER too, a router is a neighbour */
	uint16_t state; /* NUD_* */
	uint32_t tick;	/* derive_refresh() pass that last refreshed it */
};

struct cand6 {
	struct node6 k; /* first; k.addr: the destination, k.ifindex 0 */
	struct hnode g; /* key: a6key(oif, nh) of the last answer */
	bool in_g;
	uint32_t refs; /* neighbours with this address, /128 routes to it */
	uint32_t oif;
	uint8_t nh[16];
};

/* A route remembered by its identity: a /128 in main, or a source one. */
struct route6 {
	struct hnode h; /* key: a6key of the fields below */
	uint32_t table, prio;
	uint8_t dst[16], src_len, dst_len;
};

void derive_set_resolver6(struct derive *d, derive_resolve6_fn fn, void *arg)
{
	d->resolve6 = fn;
	d->resolve6_arg = arg;
}

static struct neigh6 *neigh6_get(const struct derive *d, uint32_t ifindex,
				 const uint8_t addr[16])
{
	struct node6 *x = node6_find(&d->neighs6, ifindex, addr);

	return x ? container_of(x, struct neigh6, k) : NULL;
}

static struct cand6 *cand6_get(const struct derive *d, const uint8_t dst[16])
{
	struct node6 *x = node6_find(&d->cands6, 0, dst);

	return x ? container_of(x, struct cand6, k) : NULL;
}

/* An address an entry may be for: what an override may name too. */
static bool unicast6(const uint8_t a[16])
{
	struct ip_addr ip = {.family = AF_INET6};

	memcpy(ip.v6, a, 16);
	return !api_ip_not_unicast(&ip);
}

static void cand6_unlink_g(struct derive *d, struct cand6 *c)
{
	if (c->in_g)
		ht_del(&d->nhs6, &c->g);
	c->in_g = false;
}

/*
 * The entry for @c, and the next hop it went through, from the kernel:
 * 1 (in @e), 0 (none), or -errno when the kernel could not be asked (a
 * failed query says nothing: the entry stays as it was, and the next
 * batch asks again).
 */
static int derive6_one(struct derive *d, struct cand6 *c, struct fwd_entry *e)
{
	const struct neigh6 *n;
	const struct link *l;
	struct nl_route rt;
	int err;

	if (!d->learn || !d->resolve6 || d->custom_rules6 || d->srcrt6.n) {
		cand6_unlink_g(d, c);
		return 0;
	}
	err = d->resolve6(d->resolve6_arg, c->k.addr, &rt);
	if (err && err != -ENOENT)
		return err;
	cand6_unlink_g(d, c);
	if (err)
		return 0; /* no route */
	if (rt.type != RTN_UNICAST || rt.complex || !rt.oif ||
	    (rt.has_gw && rt.dst_len != 128))
		return 0; /* local, a drop, ECMP; a prefix via a gateway */
	c->oif = rt.oif;
	memcpy(c->nh, rt.has_gw ? rt.gw6 : c->k.addr, 16);
	c->g.key = a6key(c->oif, c->nh);
	ht_add(&d->nhs6, &c->g);
	c->in_g = true;
	l = link_get(d, c->oif);
	if (!link_usable(l))
		return 0;
	n = neigh6_get(d, c->oif, c->nh);
	return n && entry_to(l, n->state, n->lladdr, n->llen, e);
}

static void apply6(struct derive *d, struct cand6 *c)
{
	struct fwd_entry e = {0};
	char ips[INET6_ADDRSTRLEN];
	int err;

	if (d->batch || !d->hooks.learn_set6)
		return;
	err = derive6_one(d, c, &e);
	if (err < 0) {
		d->dirty6 = true; /* retried with the next batch */
		d->set_errors++;
		pr_warn("rtnl: asking the route of %s: %s\n",
			inet_ntop(AF_INET6, c->k.addr, ips, sizeof(ips)),
			strerror(-err));
		return;
	}
	if (!err) {
		err = d->hooks.learn_del6(d->hooks.arg, c->k.addr);
		if (err && err != -ENOENT)
			pr_warn("rtnl: forgetting %s: %s\n",
				inet_ntop(AF_INET6, c->k.addr, ips,
					  sizeof(ips)),
				strerror(-err));
		return;
	}
	err = d->hooks.learn_set6(d->hooks.arg, c->k.addr, &e);
	if (err) {
		d->set_errors++;
		pr_warn("rtnl: learning %s: %s\n",
			inet_ntop(AF_INET6, c->k.addr, ips, sizeof(ips)),
			strerror(-err));
	}
}

/* One reference more (@up) or less on candidate @dst. */
static void cand6_ref(struct derive *d, const uint8_t dst[16], bool up)
{
	struct cand6 *c = cand6_get(d, dst);

	if (up) {
		if (!c) {
			c = pool_get(&d->cand6_pool);
			if (!c) {
				pr_err("rtnl: out of memory for an IPv6 "
				       "candidate\n");
				return;
			}
			node6_add(&d->cands6, &c->k, 0, dst);
		}
		c->refs++;
		apply6(d, c);
		return;
	}
	if (!c || --c->refs)
		return;
	if (!d->batch && d->hooks.learn_del6)
		d->hooks.learn_del6(d->hooks.arg, dst);
	cand6_unlink_g(d, c);
	ht_del(&d->cands6, &c->k.h);
	pool_put(&d->cand6_pool, c);
}

static void neigh6(struct derive *d, const struct nl_neigh *nn, bool del)
{
	struct neigh6 *n = neigh6_get(d, nn->ifindex, nn->ip6);
	bool cand = unicast6(nn->ip6);
	struct hnode *g;
	struct cand6 *c;

	if (nn->flags & NTF_PROXY)
		return;
	if (del) {
		if (!n)
			return;
		ht_del(&d->neighs6, &n->k.h);
		pool_put(&d->neigh6_pool, n);
		if (cand)
			cand6_ref(d, nn->ip6, false);
	} else if (!n) {
		n = pool_get(&d->neigh6_pool);
		if (!n) {
			pr_err("rtnl: out of memory for a neighbour\n");
			return;
		}
		node6_add(&d->neighs6, &n->k, nn->ifindex, nn->ip6);
		if (cand)
			cand6_ref(d, nn->ip6, true);
	}
	if (!del) {
		n->state = nn->state;
		n->flags = nn->flags;
		n->llen = lladdr_copy(n->lladdr, nn);
	}
	if (d->batch)
		return;
	/* the candidate itself, and those whose next hop it is */
	c = cand ? cand6_get(d, nn->ip6) : NULL;
	if (c)
		apply6(d, c);
	g = ht_find(&d->nhs6, a6key(nn->ifindex, nn->ip6));
	while (g) {
		struct hnode *next = ht_next_same(g);

		c = container_of(g, struct cand6, g);
		if (c->oif == nn->ifindex && !memcmp(c->nh, nn->ip6, 16))
			apply6(d, c); /* may move c out of this chain */
		g = next;
	}
}

static uint64_t r6key(const struct nl_route *nr)
{
	return a6key(nr->table ^ nr->priority << 8 ^
			     (uint32_t)nr->dst_len << 24,
		     nr->dst6) ^
	       nr->src_len;
}

static struct route6 *route6_find(struct htab *t, const struct nl_route *nr)
{
	struct hnode *n = ht_find(t, r6key(nr));

	for (; n; n = ht_next_same(n)) {
		struct route6 *r = container_of(n, struct route6, h);

		if (r->table == nr->table && r->prio == nr->priority &&
		    r->dst_len == nr->dst_len && r->src_len == nr->src_len &&
		    !memcmp(r->dst, nr->dst6, 16))
			return r;
	}
	return NULL;
}

/* Remember (or forget) @nr in @t; true if @t changed. */
static bool route6_track(struct htab *t, const struct nl_route *nr, bool del)
{
	struct route6 *r = route6_find(t, nr);

	if (del || r) {
		if (!del || !r)
			return false;
		ht_del(t, &r->h);
		free(r);
		return true;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return false;
	r->table = nr->table;
	r->prio = nr->priority;
	r->dst_len = nr->dst_len;
	r->src_len = nr->src_len;
	memcpy(r->dst, nr->dst6, 16);
	r->h.key = r6key(nr);
	ht_add(t, &r->h);
	return true;
}

/* @a is inside @p/@len. */
static bool in_prefix6(const uint8_t a[16], const uint8_t p[16],
		       unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len / 8; i++)
		if (a[i] != p[i])
			return false;
	return len % 8 == 0 ||
	       !((a[i] ^ p[i]) & (uint8_t)(0xff << (8 - len % 8)));
}

/* A route for @p/@len changed: its candidates are derived again. */
static void dirty6_prefix(struct derive *d, const uint8_t p[16],
			  unsigned int len)
{
	if (d->dirty6 || !len || d->n_dirty6_pfx == DIRTY6_PREFIXES) {
		d->dirty6 = true;
		return;
	}
	memcpy(d->dirty6_pfx[d->n_dirty6_pfx].addr, p, 16);
	d->dirty6_pfx[d->n_dirty6_pfx++].len = (uint8_t)len;
}

static void route6(struct derive *d, const struct nl_route *nr, bool del)
{
	unsigned int before = d->srcrt6.n;

	/* Cached clones (PMTU exceptions) are results, not routes. */
	if (nr->rtm_flags & RTM_F_CLONED)
		return;
	if (nr->src_len) {
		route6_track(&d->srcrt6, nr, del);
		if (!before == !d->srcrt6.n)
			return;
		pr_info("rtnl: %s IPv6 route(s) with a source prefix: IPv6 "
			"learning %s\n",
			d->srcrt6.n ? "some" : "no",
			d->srcrt6.n ? "suspended" : "on");
		d->dirty6 = true;
		return;
	}
	if (nr->table == RT_TABLE_MAIN && nr->dst_len == 128 &&
	    nr->type == RTN_UNICAST && unicast6(nr->dst6) &&
	    route6_track(&d->hosts6, nr, del))
		cand6_ref(d, nr->dst6, !del);
	/* only a destination inside the prefix can match it */
	dirty6_prefix(d, nr->dst6, nr->dst_len);
}

void derive_flush6(struct derive *d)
{
	struct hnode *n, *tmp;
	unsigned int k;
	uint32_t i;

	bool all = d->dirty6;
	unsigned int np = d->n_dirty6_pfx;

	if ((!all && !np) || d->batch)
		return;
	/* cleared first: a query failing below asks for the next batch */
	d->dirty6 = false;
	d->n_dirty6_pfx = 0;
	ht_for_each(&d->cands6, i, n, tmp)
	{
		struct cand6 *c = container_of(n, struct cand6, k.h);

		for (k = 0; !all && k < np; k++)
			if (in_prefix6(c->k.addr, d->dirty6_pfx[k].addr,
				       d->dirty6_pfx[k].len))
				break;
		if (all || k < np)
			apply6(d, c);
	}
}

void derive_rules6(struct derive *d, unsigned int custom)
{
	if (!custom != !d->custom_rules6) {
		if (custom)
			pr_warn("rtnl: %u IPv6 policy rule(s) besides the "
				"default ones: IPv6 learning suspended, the "
				"fib fallback decides\n",
				custom);
		else
			pr_info("rtnl: only default IPv6 policy rules: "
				"learning\n");
		d->dirty6 = true;
	}
	d->custom_rules6 = custom;
	derive_flush6(d);
}

/* @n is the next hop of a candidate that goes out of a managed link. */
static bool neigh6_in_use(const struct derive *d, const struct neigh6 *n)
{
	const struct link *l = link_get(d, n->k.ifindex);
	struct hnode *g;

	if (!l || !l->managed)
		return false;
	for (g = ht_find(&d->nhs6, a6key(n->k.ifindex, n->k.addr)); g;
	     g = ht_next_same(g)) {
		const struct cand6 *c = container_of(g, struct cand6, g);

		if (c->oif == n->k.ifindex && !memcmp(c->nh, n->k.addr, 16))
			return true;
	}
	return false;
}

/* Forget IPv6 neighbours and candidates silently (a resync begins). */
static void clear6(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->neighs6, i, n, tmp)
	{
		ht_del(&d->neighs6, n);
		pool_put(&d->neigh6_pool, container_of(n, struct neigh6, k.h));
	}
	ht_for_each(&d->cands6, i, n, tmp)
	{
		struct cand6 *c = container_of(n, struct cand6, k.h);

		cand6_unlink_g(d, c);
		ht_del(&d->cands6, n);
		pool_put(&d->cand6_pool, c);
	}
	ht_for_each(&d->hosts6, i, n, tmp)
	{
		ht_del(&d->hosts6, n);
		free(container_of(n, struct route6, h));
	}
	ht_for_each(&d->srcrt6, i, n, tmp)
	{
		ht_del(&d->srcrt6, n);
		free(container_of(n, struct route6, h));
	}
}

/* A link's IPv6 neighbours went with it. */
static void neighs6_flush_dev(struct derive *d, uint32_t ifindex)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->neighs6, i, n, tmp)
	{
		struct neigh6 *x = container_of(n, struct neigh6, k.h);

		if (x->k.ifindex != ifindex)
			continue;
		ht_del(&d->neighs6, n);
		if (unicast6(x->k.addr))
			cand6_ref(d, x->k.addr, false);
		pool_put(&d->neigh6_pool, x);
	}
	d->dirty6 = true;
}

/* ---- resync ---- */

/* Forget routes, neighbours, addresses; no hook calls. */
static void clear_mirror(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->routes, i, n, tmp)
		route_free(d, container_of(n, struct route, h));
	ht_for_each(&d->neighs, i, n, tmp)
		neigh_free(d, container_of(n, struct neigh, h));
	d->n_redo = 0;
	addrs_flush(d, 0, true);
	/* Silently: the dump adds them again (local_add) and the daemon
	 * sweeps at resync_end() what it did not hear of. */
	ht_for_each(&d->locals, i, n, tmp)
	{
		ht_del(&d->locals, n);
		free(container_of(n, struct lcount, h));
	}
	addrs6_flush(d, 0, true);
	clear6(d);
	ht_for_each(&d->links, i, n, tmp)
	{
		struct link *l = container_of(n, struct link, h);

		l->n_addrs = 0;
		l->n_addrs6 = 0;
	}
}

void derive_resync_begin(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	/* resync_end() sweeps whatever is not set again: no learn_del. */
	clear_mirror(d);
	ht_for_each(&d->links, i, n, tmp) container_of(n, struct link, h)
		->seen = false;
	d->batch = true;
	if (d->hooks.resync_begin)
		d->hooks.resync_begin(d->hooks.arg);
}

void derive_resync_end(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	ht_for_each(&d->links, i, n, tmp)
	{
		struct link *l = container_of(n, struct link, h);

		/* Links the dump did not show are gone (ifindex reuse). */
		if (!l->seen)
			link_remove(d, l);
	}
	d->n_redo = 0; /* the daemon sweeps what is not set again */
	d->batch = false;
	ht_for_each(&d->links, i, n, tmp)
		link_report(d, container_of(n, struct link, h), false);
	apply_all(d);
	d->dirty6 = true; /* the dump fed candidates without asking */
	derive_flush6(d);
	if (d->hooks.resync_end)
		d->hooks.resync_end(d->hooks.arg);
}

bool derive_rule_is_default(const struct nl_rule *r)
{
	if (!r->match_all || r->action != FR_ACT_TO_TBL)
		return false;
	return (r->priority == 0 && r->table == RT_TABLE_LOCAL) ||
	       (r->priority == 32766 && r->table == RT_TABLE_MAIN) ||
	       (r->priority == 32767 && r->table == RT_TABLE_DEFAULT);
}

void derive_rules(struct derive *d, unsigned int custom)
{
	if (!custom == !d->custom_rules) {
		d->custom_rules = custom;
		return;
	}
	d->custom_rules = custom;
	if (custom)
		pr_warn("rtnl: %u IPv4 policy rule(s) besides the default "
			"ones: "
			"learning suspended, the fib fallback decides\n",
			custom);
	else
		pr_info("rtnl: only default IPv4 policy rules: learning\n");
	apply_all(d);
}

const char *derive_missing_iface(const struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;
	int k;

	for (k = 0; k < d->n_ifaces; k++) {
		bool found = false;

		ht_for_each(
			&d->links, i, n,
			tmp) if (!strcmp(container_of(n, struct link, h)->name,
					 d->ifaces[k])) found = true;
		if (!found)
			return d->ifaces[k];
	}
	return NULL;
}

/* Is @n the next hop of a learned entry? (Its own, or a /32's.) */
static bool neigh_in_use(const struct derive *d, const struct neigh *n)
{
	uint32_t ifindex = n->h.key >> 32, ip = (uint32_t)n->h.key, nh;
	struct fwd_entry e;
	struct hnode *g;

	if (derive_one(d, ip, &e, &nh) && e.ifindex == ifindex && nh == ip)
		return true;
	for (g = ht_find(&d->gws, n->h.key); g; g = ht_next_same(g))
		if (derive_one(d, container_of(g, struct route, g)->dst, &e,
			       &nh) &&
		    nh == ip)
			return true;
	return false;
}

/* What a refresh pass hands its due neighbours to. */
struct refresh_ctx {
	void (*fn4)(void *arg, uint32_t ifindex, uint32_t ip);
	void (*fn6)(void *arg, uint32_t ifindex, const uint8_t ip[16]);
	void *arg;
};

/*
 * One refresh pass over the neighbour table @t, resuming at bucket
 * *@cursor: @due(@h) says whether the neighbour at @h needs a refresh
 * (and asks for it), at most @max of them. Bound the walk too, not only
 * the requests: most neighbours may be STALE without being anybody's next
 * hop.
 */
static unsigned int refresh_walk(struct derive *d, const struct htab *t,
				 uint32_t *cursor, unsigned int max,
				 bool (*due)(struct derive *d, struct hnode *h,
					     const struct refresh_ctx *c),
				 const struct refresh_ctx *c)
{
	uint32_t b, nb = t->mask + 1;
	unsigned int sent = 0, seen = 0;

	if (!d->learn || !nb)
		return 0;
	d->tick++;
	for (b = 0; b < nb && sent < max && seen < 16 * max; b++) {
		struct hnode *h;

		for (h = t->b[(*cursor + b) % nb]; h; h = h->next) {
			seen++;
			sent += due(d, h, c);
		}
	}
	*cursor = (*cursor + b) % nb;
	return sent;
}

/*
 * Only STALE needs us: DELAY/PROBE are being verified, REACHABLE was
 * just now; once per pass, and only behind an entry.
 */
static bool due4(struct derive *d, struct hnode *h, const struct refresh_ctx *c)
{
	struct neigh *n = container_of(h, struct neigh, h);

	if (n->state != NUD_STALE || n->tick == d->tick || !neigh_in_use(d, n))
		return false;
	n->tick = d->tick;
	c->fn4(c->arg, h->key >> 32, (uint32_t)h->key);
	return true;
}

static bool due6(struct derive *d, struct hnode *h, const struct refresh_ctx *c)
{
	struct neigh6 *n = container_of(h, struct neigh6, k.h);

	if (n->state != NUD_STALE || n->tick == d->tick || !neigh6_in_use(d, n))
		return false;
	n->tick = d->tick;
	c->fn6(c->arg, n->k.ifindex, n->k.addr);
	return true;
}

unsigned int derive_refresh(struct derive *d,
			    void (*fn)(void *arg, uint32_t ifindex,
				       uint32_t ip),
			    void *arg, unsigned int max)
{
	const struct refresh_ctx c = {.fn4 = fn, .arg = arg};

	return refresh_walk(d, &d->neighs, &d->cursor, max, due4, &c);
}

unsigned int derive_refresh6(struct derive *d,
			     void (*fn)(void *arg, uint32_t ifindex,
					const uint8_t ip[16]),
			     void *arg, unsigned int max)
{
	const struct refresh_ctx c = {.fn6 = fn, .arg = arg};

	return refresh_walk(d, &d->neighs6, &d->cursor6, max, due6, &c);
}

void derive_stats(const struct derive *d, struct derive_stats *out)
{
	out->links = d->links.n;
	out->routes = d->routes.n;
	out->neighs = d->neighs.n;
	out->neighs6 = d->neighs6.n;
	out->cands6 = d->cands6.n;
	out->set_errors = d->set_errors;
}

struct derive *derive_new(const struct rtnl_hooks *hooks, char **ifaces,
			  int n_ifaces, bool learn)
{
	struct derive *d = calloc(1, sizeof(*d));
	int err = -ENOMEM;

	if (!d)
		goto err_out;
	d->hooks = *hooks;
	d->ifaces = ifaces;
	d->n_ifaces = n_ifaces;
	d->learn = learn;
	d->neigh_pool.size = sizeof(struct neigh);
	d->neigh6_pool.size = sizeof(struct neigh6);
	d->cand6_pool.size = sizeof(struct cand6);
	if (ht_init(&d->links))
		goto err_free;
	if (ht_init(&d->neighs))
		goto err_links;
	if (ht_init(&d->routes))
		goto err_neighs;
	if (ht_init(&d->gws))
		goto err_routes;
	if (ht_init(&d->addrs))
		goto err_gws;
	if (ht_init(&d->locals))
		goto err_addrs;
	if (ht_init(&d->addrs6))
		goto err_locals;
	if (ht_init(&d->neighs6) || ht_init(&d->cands6) || ht_init(&d->nhs6) ||
	    ht_init(&d->hosts6) || ht_init(&d->srcrt6))
		goto err_v6;
	d->rpf_all = -1;
	d->fwd6_all = -1;
	return d;

err_v6:
	free(d->neighs6.b);
	free(d->cands6.b);
	free(d->nhs6.b);
	free(d->hosts6.b);
	free(d->srcrt6.b);
	free(d->addrs6.b);
err_locals:
	free(d->locals.b);
err_addrs:
	free(d->addrs.b);
err_gws:
	free(d->gws.b);
err_routes:
	free(d->routes.b);
err_neighs:
	free(d->neighs.b);
err_links:
	free(d->links.b);
err_free:
	free(d);
err_out:
	errno = -err;
	return NULL;
}

void derive_free(struct derive *d)
{
	struct hnode *n, *tmp;
	uint32_t i;

	if (!d)
		return;
	clear_mirror(d);
	ht_for_each(&d->links, i, n, tmp) free(container_of(n, struct link, h));
	free(d->addrs.b);
	free(d->addrs6.b);
	free(d->neighs6.b);
	free(d->cands6.b);
	free(d->nhs6.b);
	free(d->hosts6.b);
	free(d->srcrt6.b);
	free(d->locals.b);
	free(d->links.b);
	free(d->neighs.b);
	free(d->routes.b);
	free(d->gws.b);
	free(d->redo);
	pool_destroy(&d->neigh_pool);
	pool_destroy(&d->neigh6_pool);
	pool_destroy(&d->cand6_pool);
	free(d);
}
