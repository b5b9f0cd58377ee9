// SPDX-License-Identifier: GPL-2.0
/*
 * derive.c - the derivation rule over the learning core's mirror (see
 * derive.h for the contract): which destinations are candidates
 * (neighbours, host routes), what each one's entry is, and what a change
 * of the mirror derives again; resync, policy rules, the figures.
 *
 * Why a mirror and not RTM_GETROUTE per destination: a cold start with
 * 100k neighbours would need 100k request/reply round trips (each a
 * system call pair and a fib lookup in the kernel) where the mirror answers
 * from memory, and a neighbour event would wait for a round trip before its
 * entry could be written; a route change over 100k candidates would hold
 * the event loop for as many. The mirror is routes.c and links.c.
 *
 * Per-event cost: a neighbour change re-derives its own address and the
 * candidates whose next hop it is, O(affected). A route change re-derives
 * the candidates inside its prefix whose best route it could move (none
 * in an address block without candidates; none behind a longer route);
 * a relevant link or nexthop change re-derives everything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <malloc.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "log.h"
#include "util.h"

static bool blk_may_hold(const struct derive *d, const struct ip_addr *p,
			 unsigned int len);
static void neigh6(struct derive *d, const struct nl_neigh *nn, bool del);

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

/* The derivation rule (docs/design.md) for one IPv4 destination. */
bool lrn_derive4(const struct derive *d, uint32_t ip, struct fwd_entry *e,
		 struct path *p, uint8_t *blen)
{
	struct ip_addr dst = ip_addr4(ip), next;
	bool demand = d->dmds.n && lrn_dmd_get(d, &dst);
	const struct neigh *n;
	const struct link *l;

	*blen = 0;
	p->oif = 0;
	if (d->custom_rules || !lrn_route_of(d, &dst, p, &next, blen, demand)) {
		p->oif = 0;
		return false;
	}
	p->gw = next; /* the neighbour: @ip itself or the gateway */
	l = link_get(d, p->oif);
	if (!link_usable(l))
		return false;
	n = neigh_get(d, p->oif, next.v4);
	return n && entry_to(l, n->state, n->lladdr, n->llen, e);
}

/*
 * Tell the hooks what the rule says for @ip now. The daemon's table keeps
 * the learned entries and ignores a set that changes nothing (and a
 * delete of nothing), so we keep no second copy: at 100k entries that
 * copy would be a third of our memory.
 */
uint8_t lrn_apply(struct derive *d, uint32_t ip)
{
	struct path p;

	return lrn_apply4(d, ip, &p);
}

/* lrn_apply(), telling the way out it found in @p (oif 0: none). */
uint8_t lrn_apply4(struct derive *d, uint32_t ip, struct path *p)
{
	char ips[INET_ADDRSTRLEN];
	struct fwd_entry e = {0};
	uint8_t blen = 0;
	int err;

	p->oif = 0;
	if (d->batch)
		return 0;
	d->derivations++;
	if (!lrn_derive4(d, ip, &e, p, &blen) || !d->learn) {
		err = d->hooks.learn_del(d->hooks.arg, ip);
		if (err && err != -ENOENT)
			pr_warn("derive: forgetting %s: %s\n",
				nl_ip_str(ip, ips), strerror(-err));
		return blen;
	}
	err = d->hooks.learn_set(d->hooks.arg, ip, &e);
	if (err) {
		/* The next change of @ip retries. */
		d->set_errors++;
		pr_warn("derive: learning %s: %s\n", nl_ip_str(ip, ips),
			strerror(-err));
	}
	return blen;
}

/* Remember @ip for lrn_redo_apply(): its candidate is being flushed. */
void lrn_redo_add(struct derive *d, uint32_t ip)
{
	if (d->n_redo == d->redo_cap) {
		size_t cap = d->redo_cap ? d->redo_cap * 2 : 64;
		uint32_t *v = realloc(d->redo, cap * sizeof(*v));

		if (!v) {
			pr_err("derive: out of memory, entry for a flushed "
			       "neighbour may linger until the next resync\n");
			return;
		}
		d->redo = v;
		d->redo_cap = cap;
	}
	d->redo[d->n_redo++] = ip;
}

void lrn_redo_apply(struct derive *d)
{
	size_t i;

	for (i = 0; i < d->n_redo; i++)
		lrn_apply(d, d->redo[i]);
	d->n_redo = 0;
}

/* Every candidate: neighbour addresses and /32 host route destinations. */
void lrn_apply_all(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (d->batch)
		return;
	hmap_for_each(&d->neighs, i, n, tmp) container_of(n, struct neigh, h)
		->blen = lrn_apply(d, (uint32_t)n->key);
	hmap_for_each(&d->gws, i, n, tmp)
		lrn_apply(d, container_of(n, struct route, g)->dst.v4);
	lrn_dmd_all(d);
}

/*
 * Candidates inside @dst/@len, after a route of that prefix changed in
 * table @tbl. A change in main cannot move a neighbour whose best route
 * is longer (blen), nor a host route (its own /32 is the longest); one
 * in local can move anything inside.
 */
void lrn_apply_prefix(struct derive *d, unsigned int tbl, uint32_t dst,
		      unsigned int len)
{
	struct ip_addr pfx = ip_addr4(dst);
	uint32_t m = mask_n(len), i;
	struct hmap_node *n, *tmp;

	lrn_dmd_prefix(d, tbl, dst, len); /* at the batch's end */
	if (!blk_may_hold(d, &pfx, len) && tbl == TBL_MAIN)
		return;
	hmap_for_each(&d->neighs, i, n, tmp)
	{
		struct neigh *x = container_of(n, struct neigh, h);

		if (((uint32_t)n->key & m) != dst ||
		    (tbl == TBL_MAIN && x->blen > len))
			continue;
		x->blen = lrn_apply(d, (uint32_t)n->key);
	}
	if (tbl == TBL_MAIN)
		return;
	hmap_for_each(&d->gws, i, n, tmp)
	{
		uint32_t rd = container_of(n, struct route, g)->dst.v4;

		if ((rd & m) == dst)
			lrn_apply(d, rd);
	}
}

static uint64_t blk_key(const struct ip_addr *a)
{
	uint32_t hi;

	if (a->family == AF_INET)
		return ntohl(a->v4) >> (32 - BLK4_BITS);
	memcpy(&hi, a->v6, 4);
	return 1ULL << 32 | ntohl(hi) >> (32 - BLK6_BITS);
}

static uint32_t blk_n(const struct derive *d, uint64_t key)
{
	struct hmap_node *n = hmap_find(&d->blks, key);

	return n ? container_of(n, struct blk, h)->n : 0;
}

/* One candidate more (@up) or fewer in @a's block. */
static void blk_count(struct derive *d, const struct ip_addr *a, bool up)
{
	uint64_t key = blk_key(a);
	struct hmap_node *n = hmap_find(&d->blks, key);
	struct blk *b = n ? container_of(n, struct blk, h) : NULL;

	if (up) {
		if (!b) {
			b = calloc(1, sizeof(*b));
			if (!b) {
				/* counted nowhere: every block may hold it */
				d->blk_lost = true;
				return;
			}
			b->h.key = key;
			hmap_add(&d->blks, &b->h);
		}
		b->n++;
		return;
	}
	if (!b || --b->n)
		return;
	hmap_del(&d->blks, &b->h);
	free(b);
}

/* May a candidate lie inside @p/@len? Probes at most 256 blocks. */
static bool blk_may_hold(const struct derive *d, const struct ip_addr *p,
			 unsigned int len)
{
	unsigned int bits = p->family == AF_INET ? BLK4_BITS : BLK6_BITS;
	uint64_t key = blk_key(p), i;

	if (d->blk_lost || (len < bits && bits - len > 8))
		return true;
	if (len >= bits)
		return blk_n(d, key) > 0;
	for (i = 0; i < 1ULL << (bits - len); i++)
		if (blk_n(d, key + i))
			return true;
	return false;
}

static void neigh_free(struct derive *d, struct neigh *n)
{
	struct ip_addr a = ip_addr4((uint32_t)n->h.key);

	blk_count(d, &a, false);
	lrn_redo_add(d, (uint32_t)n->h.key);
	hmap_del(&d->neighs, &n->h);
	hmap_pool_put(&d->neigh_pool, n);
}

void lrn_neighs_flush_dev(struct derive *d, uint32_t ifindex)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->neighs, i, n, tmp) if ((n->key >> 32) == ifindex)
		neigh_free(d, container_of(n, struct neigh, h));
}

void derive_neigh(struct derive *d, const struct nl_neigh *nn, bool del)
{
	struct neigh *n;
	struct hmap_node *g;
	uint8_t blen;

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
			n = hmap_pool_get(&d->neigh_pool);
			if (!n) {
				pr_err("derive: out of memory for a "
				       "neighbour\n");
				return;
			}
			n->h.key = nkey(nn->ifindex, nn->ip);
			hmap_add(&d->neighs, &n->h);
			blk_count(d,
				  &(struct ip_addr){.family = AF_INET,
						    .v4 = nn->ip},
				  true);
		}
		n->state = nn->state;
		n->flags = nn->flags;
		n->llen = lladdr_copy(n->lladdr, nn);
	}
	if (d->batch)
		return;
	blen = lrn_apply(d, nn->ip);
	if (!del)
		n->blen = blen;
	for (g = hmap_find(&d->gws, nkey(nn->ifindex, nn->ip)); g;
	     g = hmap_next_same(g))
		lrn_apply(d, container_of(g, struct route, g)->dst.v4);
	lrn_dmd_neigh(d, nn->ifindex, nn->ip);
}

static void cand6_unlink_g(struct derive *d, struct cand6 *c)
{
	if (c->in_g)
		hmap_del(&d->nhs6, &c->g);
	c->in_g = false;
}

/* The entry for @c, if any; @c remembers the next hop it went through. */
static bool derive6_one(struct derive *d, struct cand6 *c, struct fwd_entry *e)
{
	struct ip_addr dst = ip_addr6(c->k.addr), nh;
	const struct neigh6 *n;
	const struct link *l;
	struct path p;

	cand6_unlink_g(d, c);
	c->blen = 0;
	if (!d->learn || d->custom_rules6 || d->srcrt6.n ||
	    !lrn_route_of(d, &dst, &p, &nh, &c->blen, c->demand))
		return false;
	c->oif = p.oif;
	memcpy(c->nh, nh.v6, 16);
	c->g.key = a6key(c->oif, c->nh);
	hmap_add(&d->nhs6, &c->g);
	c->in_g = true;
	l = link_get(d, c->oif);
	if (!link_usable(l))
		return false;
	n = neigh6_get(d, c->oif, c->nh);
	return n && entry_to(l, n->state, n->lladdr, n->llen, e);
}

void lrn_apply6(struct derive *d, struct cand6 *c)
{
	struct fwd_entry e = {0};
	char ips[INET6_ADDRSTRLEN];
	int err;

	if (d->batch || !d->hooks.learn_set6)
		return;
	d->derivations++;
	if (!derive6_one(d, c, &e)) {
		err = d->hooks.learn_del6(d->hooks.arg, c->k.addr);
		if (err && err != -ENOENT)
			pr_warn("derive: forgetting %s: %s\n",
				inet_ntop(AF_INET6, c->k.addr, ips,
					  sizeof(ips)),
				strerror(-err));
		return;
	}
	err = d->hooks.learn_set6(d->hooks.arg, c->k.addr, &e);
	if (err) {
		d->set_errors++;
		pr_warn("derive: learning %s: %s\n",
			inet_ntop(AF_INET6, c->k.addr, ips, sizeof(ips)),
			strerror(-err));
	}
}

static void cand6_free(struct derive *d, struct cand6 *c)
{
	struct ip_addr a = ip_addr6(c->k.addr);

	blk_count(d, &a, false);
	cand6_unlink_g(d, c);
	hmap_del(&d->cands6, &c->k.h);
	hmap_pool_put(&d->cand6_pool, c);
}

/*
 * One reference more (@up) or less on candidate @dst; @demand: the
 * demand one (c->demand follows it). The candidate, NULL once gone.
 */
struct cand6 *lrn_cand6_ref(struct derive *d, const uint8_t dst[16], bool up,
			    bool demand)
{
	struct cand6 *c = cand6_get(d, dst);

	if (up) {
		if (!c) {
			c = hmap_pool_get(&d->cand6_pool);
			if (!c) {
				pr_err("derive: out of memory for an IPv6 "
				       "candidate\n");
				return NULL;
			}
			c->demand = false;
			lrn_node6_add(&d->cands6, &c->k, 0, dst);
			{
				struct ip_addr a = ip_addr6(dst);

				blk_count(d, &a, true);
			}
		}
		c->refs++;
		if (demand)
			c->demand = true;
		lrn_apply6(d, c);
		return c;
	}
	if (!c)
		return NULL;
	if (demand)
		c->demand = false;
	if (--c->refs) {
		if (demand) /* the rule may say otherwise without it */
			lrn_apply6(d, c);
		return c;
	}
	if (!d->batch && d->hooks.learn_del6)
		d->hooks.learn_del6(d->hooks.arg, dst);
	cand6_free(d, c);
	return NULL;
}

static void neigh6(struct derive *d, const struct nl_neigh *nn, bool del)
{
	struct neigh6 *n = neigh6_get(d, nn->ifindex, nn->ip6);
	bool cand = unicast6(nn->ip6);
	struct hmap_node *g;
	struct cand6 *c;

	if (nn->flags & NTF_PROXY)
		return;
	if (del) {
		if (!n)
			return;
		hmap_del(&d->neighs6, &n->k.h);
		hmap_pool_put(&d->neigh6_pool, n);
		if (cand)
			lrn_cand6_ref(d, nn->ip6, false, false);
	} else if (!n) {
		n = hmap_pool_get(&d->neigh6_pool);
		if (!n) {
			pr_err("derive: out of memory for a neighbour\n");
			return;
		}
		lrn_node6_add(&d->neighs6, &n->k, nn->ifindex, nn->ip6);
		if (cand)
			lrn_cand6_ref(d, nn->ip6, true, false);
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
		lrn_apply6(d, c);
	g = hmap_find(&d->nhs6, a6key(nn->ifindex, nn->ip6));
	while (g) {
		struct hmap_node *next = hmap_next_same(g);

		c = container_of(g, struct cand6, g);
		if (c->oif == nn->ifindex && !memcmp(c->nh, nn->ip6, 16))
			lrn_apply6(d, c); /* may move c out of this chain */
		g = next;
	}
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
void lrn_dirty6_prefix(struct derive *d, const uint8_t p[16], unsigned int len,
		       bool local)
{
	struct ip_addr pfx = ip_addr6(p);

	if (d->dirty6 || (!local && !blk_may_hold(d, &pfx, len)))
		return; /* all at once already, or nobody inside */
	if (d->n_dirty6_pfx == DIRTY6_PREFIXES) {
		d->dirty6 = true;
		return;
	}
	memcpy(d->dirty6_pfx[d->n_dirty6_pfx].addr, p, 16);
	d->dirty6_pfx[d->n_dirty6_pfx].local = local;
	d->dirty6_pfx[d->n_dirty6_pfx++].len = (uint8_t)len;
}

/*
 * After a mass withdrawal (half the objects gone since the most there
 * were) give the memory back: bucket arrays never shrink by themselves
 * and glibc keeps freed chunks (malloc_trim() returns whole free pages
 * from the middle of the heap too). Checked per batch: O(1) but then.
 */
static void trim(struct derive *d)
{
	size_t n = d->routes.n + d->gws.n + d->neighs.n + d->neighs6.n +
		   d->cands6.n;

	if (n > d->trim_mark) {
		d->trim_mark = n;
		return;
	}
	if (d->trim_mark < 4096 || n >= d->trim_mark / 2)
		return;
	hmap_fit(&d->routes);
	hmap_fit(&d->gws);
	hmap_fit(&d->neighs);
	hmap_fit(&d->neighs6);
	hmap_fit(&d->cands6);
	hmap_fit(&d->nhs6);
	hmap_fit(&d->blks);
	hmap_fit(&d->dmds);
	hmap_fit(&d->dnh4);
	malloc_trim(0);
	d->trim_mark = n;
}

void derive_flush(struct derive *d)
{
	struct hmap_node *n, *tmp;
	unsigned int k, np = d->n_dirty6_pfx;
	bool all = d->dirty6;
	uint32_t i;

	if (d->batch)
		return;
	trim(d);
	lrn_mtus_report(d);
	if (d->dirty4) {
		d->dirty4 = false;
		lrn_apply_all(d);
	}
	lrn_dmd_flush(d);
	if (!all && !np)
		return;
	d->dirty6 = false;
	d->n_dirty6_pfx = 0;
	hmap_for_each(&d->cands6, i, n, tmp)
	{
		struct cand6 *c = container_of(n, struct cand6, k.h);

		/* a main route longer than c's best cannot move it */
		for (k = 0; !all && k < np; k++)
			if (in_prefix6(c->k.addr, d->dirty6_pfx[k].addr,
				       d->dirty6_pfx[k].len) &&
			    (d->dirty6_pfx[k].local ||
			     c->blen <= d->dirty6_pfx[k].len))
				break;
		if (all || k < np)
			lrn_apply6(d, c);
	}
}

void derive_rules6(struct derive *d, unsigned int custom)
{
	if (!custom != !d->custom_rules6) {
		if (custom)
			pr_warn("derive: %u IPv6 policy rule(s) besides the "
				"default ones: IPv6 learning suspended, the "
				"fib fallback decides\n",
				custom);
		else
			pr_info("derive: only default IPv6 policy rules: "
				"learning\n");
		d->dirty6 = true;
	}
	d->custom_rules6 = custom;
	derive_flush(d);
}

/* Forget IPv6 neighbours and candidates silently (a resync begins). */
static void clear6(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->neighs6, i, n, tmp)
	{
		hmap_del(&d->neighs6, n);
		hmap_pool_put(&d->neigh6_pool,
			      container_of(n, struct neigh6, k.h));
	}
	hmap_for_each(&d->cands6, i, n, tmp)
		cand6_free(d, container_of(n, struct cand6, k.h));
	hmap_for_each(&d->srcrt6, i, n, tmp)
	{
		hmap_del(&d->srcrt6, n);
		free(container_of(n, struct route6, h));
	}
}

/* A link's IPv6 neighbours went with it. */
void lrn_neighs6_flush_dev(struct derive *d, uint32_t ifindex)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->neighs6, i, n, tmp)
	{
		struct neigh6 *x = container_of(n, struct neigh6, k.h);

		if (x->k.ifindex != ifindex)
			continue;
		hmap_del(&d->neighs6, n);
		if (unicast6(x->k.addr))
			lrn_cand6_ref(d, x->k.addr, false, false);
		hmap_pool_put(&d->neigh6_pool, x);
	}
	d->dirty6 = true;
}

/* Forget routes, neighbours, addresses; no hook calls. */
static void clear_mirror(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->routes, i, n, tmp)
		lrn_route_free(d, container_of(n, struct route, h));
	hmap_for_each(&d->nhs, i, n, tmp)
		lrn_nh_free(d, container_of(n, struct nexthop, h));
	hmap_for_each(&d->neighs, i, n, tmp)
		neigh_free(d, container_of(n, struct neigh, h));
	d->n_redo = 0;
	lrn_addrs_flush(d, 0, true);
	/* Silently: the dump adds them again (local_add) and the daemon
	 * sweeps at resync_end() what it did not hear of. */
	hmap_for_each(&d->locals, i, n, tmp)
	{
		hmap_del(&d->locals, n);
		free(container_of(n, struct lcount, h));
	}
	lrn_addrs6_flush(d, 0, true);
	clear6(d);
	d->dmd_held6 = false; /* lrn_dmd_resync() takes them again */
	hmap_for_each(&d->links, i, n, tmp)
	{
		struct link *l = container_of(n, struct link, h);

		l->n_addrs = 0;
		l->n_addrs6 = 0;
	}
}

void derive_resync_begin(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	/* resync_end() sweeps whatever is not set again: no learn_del. */
	d->batch = true;
	clear_mirror(d);
	hmap_for_each(&d->links, i, n, tmp) container_of(n, struct link, h)
		->seen = false;
	/*
	 * A dump interrupted by a change (NLM_F_DUMP_INTR) begins again
	 * inside the same bracket: the daemon's table counts brackets, and
	 * one left open would hold every map write back for good.
	 */
	if (!d->resyncing && d->hooks.resync_begin)
		d->hooks.resync_begin(d->hooks.arg);
	d->resyncing = true;
}

void derive_resync_end(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->links, i, n, tmp)
	{
		struct link *l = container_of(n, struct link, h);

		/* Links the dump did not show are gone (ifindex reuse). */
		if (!l->seen)
			lrn_link_remove(d, l);
	}
	d->n_redo = 0; /* the daemon sweeps what is not set again */
	lrn_dmd_resync(d);
	d->batch = false;
	d->dirty4 = false;     /* lrn_apply_all() below */
	d->mtus_dirty = false; /* every link is reported below */
	hmap_for_each(&d->links, i, n, tmp)
		lrn_link_report(d, container_of(n, struct link, h), false);
	lrn_apply_all(d);
	d->dirty6 = true; /* the dump fed candidates without asking */
	derive_flush(d);
	d->resyncing = false;
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
		pr_warn("derive: %u IPv4 policy rule(s) besides the default "
			"ones: "
			"learning suspended, the fib fallback decides\n",
			custom);
	else
		pr_info("derive: only default IPv4 policy rules: learning\n");
	lrn_apply_all(d);
}

void derive_stats(const struct derive *d, struct derive_stats *out)
{
	out->links = d->links.n;
	out->routes = d->routes.n;
	out->nexthops = d->nhs.n;
	out->neighs = d->neighs.n;
	out->neighs6 = d->neighs6.n;
	out->cands6 = d->cands6.n;
	out->set_errors = d->set_errors;
	out->derivations = d->derivations;
}

/* Every map of @d: one list for setup and teardown. */
#define DERIVE_MAPS(d)                                                       \
	&(d)->links, &(d)->neighs, &(d)->routes, &(d)->gws, &(d)->addrs,     \
		&(d)->locals, &(d)->addrs6, &(d)->neighs6, &(d)->cands6,     \
		&(d)->nhs6, &(d)->srcrt6, &(d)->nhs, &(d)->mtus, &(d)->blks, \
		&(d)->dmds, &(d)->dnh4

/* The maps' buckets (a map never set up has none: calloc'ed). */
static void maps_free(struct derive *d)
{
	struct hmap *m[] = {DERIVE_MAPS(d)};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		hmap_free(m[i]);
}

static int maps_init(struct derive *d)
{
	struct hmap *m[] = {DERIVE_MAPS(d)};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (hmap_init(m[i])) {
			maps_free(d);
			return -ENOMEM;
		}
	return 0;
}

struct derive *derive_new(const struct rtnl_hooks *hooks, char **ifaces,
			  int n_ifaces, bool learn)
{
	struct derive *d = calloc(1, sizeof(*d));

	if (!d || maps_init(d)) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->hooks = *hooks;
	d->ifaces = ifaces;
	d->n_ifaces = n_ifaces;
	d->learn = learn;
	d->neigh_pool.size = sizeof(struct neigh);
	d->neigh6_pool.size = sizeof(struct neigh6);
	d->cand6_pool.size = sizeof(struct cand6);
	d->rpf_all = -1;
	d->fwd6_all = -1;
	d->dmd_held6 = true;
	return d;
}

void derive_free(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (!d)
		return;
	d->batch = true; /* no hook calls */
	clear_mirror(d);
	lrn_dmd_clear(d);
	hmap_for_each(&d->links, i, n, tmp)
		free(container_of(n, struct link, h));
	maps_free(d);
	free(d->redo);
	hmap_pool_destroy(&d->neigh_pool);
	hmap_pool_destroy(&d->neigh6_pool);
	hmap_pool_destroy(&d->cand6_pool);
	free(d);
}
