// SPDX-License-Identifier: GPL-2.0
/*
 * refresh.c - liveness of fast-pathed neighbours: traffic that XDP
 * forwards never confirms a neighbour to the kernel, so the neighbours
 * behind learned entries that sit in STALE are handed to rtnl.c for an
 * NTF_USE refresh, a bounded number per pass (docs/design.md, "Liveness").
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

/* @n is the next hop of a candidate that goes out of a managed link. */
static bool neigh6_in_use(const struct derive *d, const struct neigh6 *n)
{
	const struct link *l = link_get(d, n->k.ifindex);
	struct hmap_node *g;

	if (!l || !l->managed)
		return false;
	for (g = hmap_find(&d->nhs6, a6key(n->k.ifindex, n->k.addr)); g;
	     g = hmap_next_same(g)) {
		const struct cand6 *c = container_of(g, struct cand6, g);

		if (c->oif == n->k.ifindex && !memcmp(c->nh, n->k.addr, 16))
			return true;
	}
	return false;
}

/* Is @n the next hop of a learned entry? (Its own, or a /32's.) */
static bool neigh_in_use(const struct derive *d, const struct neigh *n)
{
	uint32_t ifindex = n->h.key >> 32, ip = (uint32_t)n->h.key;
	struct fwd_entry e;
	struct hmap_node *g;
	struct path p;
	uint8_t blen;

	if (lrn_derive4(d, ip, &e, &p, &blen) && e.ifindex == ifindex &&
	    p.gw.v4 == ip)
		return true;
	for (g = hmap_find(&d->gws, n->h.key); g; g = hmap_next_same(g))
		if (lrn_derive4(d, container_of(g, struct route, g)->dst.v4, &e,
				&p, &blen) &&
		    p.gw.v4 == ip)
			return true;
	return lrn_dmd_uses(d, ifindex, ip);
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
static unsigned int refresh_walk(struct derive *d, const struct hmap *t,
				 uint32_t *cursor, unsigned int max,
				 bool (*due)(struct derive *d,
					     struct hmap_node *h,
					     const struct refresh_ctx *c),
				 const struct refresh_ctx *c)
{
	uint32_t b, nb = hmap_buckets(t);
	unsigned int sent = 0, seen = 0;

	if (!d->learn || !nb)
		return 0;
	d->tick++;
	for (b = 0; b < nb && sent < max && seen < 16 * max; b++) {
		struct hmap_node *h;

		for (h = hmap_bucket(t, (*cursor + b) % nb); h; h = h->next) {
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
static bool due4(struct derive *d, struct hmap_node *h,
		 const struct refresh_ctx *c)
{
	struct neigh *n = container_of(h, struct neigh, h);

	if (n->state != NUD_STALE || n->tick == d->tick || !neigh_in_use(d, n))
		return false;
	n->tick = d->tick;
	c->fn4(c->arg, h->key >> 32, (uint32_t)h->key);
	return true;
}

static bool due6(struct derive *d, struct hmap_node *h,
		 const struct refresh_ctx *c)
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
