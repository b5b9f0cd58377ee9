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
#include <malloc.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "derive.h"
#include "hmap.h"
#include "log.h"
#include "util.h"

/*
 * Route changes remembered per batch: only the IPv6 candidates inside a
 * changed prefix can get another answer. More in one batch: all of them.
 */
#define DIRTY6_PREFIXES 64

/* Neighbour states whose lladdr the kernel would use to send (§4). */
#define DERIVE_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

/* ---- mirrored objects ---- */

struct link {
	struct hmap_node h; /* key: ifindex */
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
	struct hmap_node h; /* key: a6key(ifindex, addr) */
	uint32_t ifindex;
	uint8_t addr[16];
};

struct lcount {
	struct hmap_node h; /* key: IPv4 address */
	uint32_t n;	    /* links that have it */
};

struct neigh {
	struct hmap_node h; /* key: ifindex << 32 | ip */
	uint8_t lladdr[6];
	uint8_t llen;
	uint8_t flags;	/* NTF_* */
	uint16_t state; /* NUD_* */
	uint8_t blen;	/* its best main route's prefix length (see blk) */
	uint32_t tick;	/* derive_refresh() pass that last refreshed it */
};

enum { TBL_MAIN, TBL_LOCAL, TBL_N };
enum { FAM4, FAM6, FAM_N };

/* One way out: a gateway (all zero: none, the destination is on-link). */
struct path {
	uint32_t oif;
	struct ip_addr gw;
};

/*
 * A route of table main or local, either family. IPv4 keeps aliases of
 * one prefix apart (same TOS and metric, another next hop: the first is
 * used); IPv6 routes of one prefix and metric are siblings, one route
 * here with @n_sib more paths, which the kernel hashes over (ECMP).
 */
struct route {
	struct hmap_node h; /* key: rkey(tbl, len, dst) */
	struct hmap_node
		g; /* IPv4: nkey(oif, gw) of a /32 via a gateway in main */
	bool in_g;
	uint8_t tbl, len, tos, type;
	bool complex;	/* multipath (IPv4), RTA_VIA, a tunnel: no entry */
	uint16_t n_sib; /* IPv6: siblings in @sib besides @p */
	uint32_t prio, nhid, mtu;
	struct ip_addr dst;
	struct path p;	  /* the next hop (nhid 0) */
	struct path *sib; /* IPv6: @n_sib more */
	int64_t seq;	  /* alias order: lower is used first (prepend: < 0) */
};

/*
 * A nexthop object (ip nexthop). Routes name it by id; while @refs > 0
 * a change of it moves their entries.
 */
struct nexthop {
	struct hmap_node h; /* key: id */
	uint32_t refs;	    /* routes with this nhid */
	bool group, blackhole, complex;
	struct path p;
};

/*
 * Candidates per address block (IPv4 /16, IPv6 /32): a route change in a
 * block without any is nothing to derive, which keeps a full-table burst
 * of routes from scanning the neighbours once per route.
 */
struct blk {
	struct hmap_node h; /* key: the block, with the family in bit 32 */
	uint32_t n;
};
#define BLK4_BITS 16
#define BLK6_BITS 32

/* A route with an MTU metric: what bounds the MTU of its egress. */
struct mturoute {
	struct hmap_node h; /* key: the route's address */
	struct route *r;
};

struct derive {
	struct rtnl_hooks hooks;
	char **ifaces;
	int n_ifaces;
	bool learn;
	bool batch; /* in a resync dump: mirror only, derive at the end */
	struct hmap links, neighs, routes, gws, addrs;
	struct hmap nhs;    /* struct nexthop */
	struct hmap mtus;   /* struct mturoute: routes with an MTU */
	struct hmap blks;   /* struct blk: candidates per address block */
	struct hmap locals; /* key: IPv4 address, val: how many links have it */
	int rpf_all;	    /* net.ipv4.conf.all.rp_filter, -1 not known */
	int fwd6_all;	    /* net.ipv6.conf.all.forwarding, -1 not known */
	struct hmap addrs6; /* struct addr6 */
	/* IPv6 learning (see "IPv6" below) */
	struct hmap neighs6; /* struct neigh6, key a6key(ifindex, addr) */
	struct hmap cands6;  /* struct cand6 by h (dst) and g (next hop) */
	struct hmap nhs6;    /* cand6.g: key a6key(oif, next hop) */
	struct hmap srcrt6;  /* struct route6: routes with a source prefix */
	unsigned int custom_rules6;
	bool dirty4;	 /* every IPv4 candidate to derive again (nexthops) */
	bool mtus_dirty; /* a route MTU changed: links to report again */
	bool blk_lost;	 /* a block count failed: scan whatever changes */
	bool dirty6;	 /* every IPv6 candidate to derive again */
	/* ... or those inside these prefixes (routes changed for them) */
	struct {
		uint8_t addr[16];
		uint8_t len;
		bool local; /* of table local: no candidate can be skipped */
	} dirty6_pfx[DIRTY6_PREFIXES];
	unsigned int n_dirty6_pfx;
	struct hmap_pool neigh_pool;
	struct hmap_pool neigh6_pool, cand6_pool;
	/* Addresses whose candidates a flush removed, to re-derive after. */
	uint32_t *redo;
	size_t n_redo, redo_cap;
	uint32_t plen[TBL_N][FAM_N][129]; /* routes per prefix length */
	unsigned int custom_rules; /* policy rules beyond the default three */
	int64_t route_seq;	   /* last route_set() insertion number */
	uint32_t tick;
	uint32_t cursor;  /* derive_refresh() resumes at this bucket */
	uint32_t cursor6; /* ... derive_refresh6() at this one */
	uint64_t set_errors;
	uint64_t derivations; /* apply() and apply6() calls */
	size_t trim_mark; /* objects at the last trim(), or the most since */
};

static uint64_t nkey(uint32_t ifindex, uint32_t ip)
{
	return (uint64_t)ifindex << 32 | ip;
}

static uint32_t mask_n(unsigned int len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

/* Routes of one prefix share it; an IPv6 one may share another's too. */
static uint64_t rkey(unsigned int tbl, unsigned int len,
		     const struct ip_addr *dst)
{
	if (dst->family == AF_INET)
		return (uint64_t)tbl << 40 | (uint64_t)len << 32 | dst->v4;
	return ip_addr_hash(dst, (uint64_t)tbl << 56 | (uint64_t)len << 48 |
					 1ULL << 47);
}

static unsigned int fam_idx(uint8_t family)
{
	return family == AF_INET6 ? FAM6 : FAM4;
}

static struct link *link_get(const struct derive *d, uint32_t ifindex)
{
	struct hmap_node *n = hmap_find(&d->links, ifindex);

	return n ? container_of(n, struct link, h) : NULL;
}

static struct neigh *neigh_get(const struct derive *d, uint32_t ifindex,
			       uint32_t ip)
{
	struct hmap_node *n = hmap_find(&d->neighs, nkey(ifindex, ip));

	return n ? container_of(n, struct neigh, h) : NULL;
}

/*
 * The route the kernel picks for @ip in one table: longest prefix, then
 * lowest metric. *@tos is set when a TOS-specific route sits at that
 * prefix: the answer then depends on the packet. Only the prefix lengths
 * some route has are probed.
 */
static const struct route *lpm(const struct derive *d, unsigned int tbl,
			       const struct ip_addr *ip, bool *tos)
{
	const uint32_t *plen = d->plen[tbl][fam_idx(ip->family)];
	int len;

	for (len = (int)ip_addr_bits(ip->family); len >= 0; len--) {
		const struct route *best = NULL;
		struct ip_addr pfx;
		struct hmap_node *n;

		if (!plen[len])
			continue;
		pfx = ip_addr_mask(ip, len);
		n = hmap_find(&d->routes, rkey(tbl, len, &pfx));
		for (; n; n = hmap_next_same(n)) {
			const struct route *r =
				container_of(n, struct route, h);

			if (r->len != len || !ip_addr_eq(&r->dst, &pfx))
				continue; /* an IPv6 key's collision */
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

static struct nexthop *nh_get(const struct derive *d, uint32_t id)
{
	struct hmap_node *n = hmap_find(&d->nhs, id);

	return n ? container_of(n, struct nexthop, h) : NULL;
}

/*
 * The one way out of @r into @out, or false when there is not exactly
 * one the kernel would always take: several (ECMP siblings, a multipath
 * route, a nexthop group), a tunnel, a blackhole nexthop, an object we do
 * not know, an IPv4 route via an IPv6 gateway.
 */
static bool route_path(const struct derive *d, const struct route *r,
		       struct path *out)
{
	const struct nexthop *nh;

	if (!r->nhid) {
		if (r->complex || r->n_sib)
			return false;
		*out = r->p;
		return true;
	}
	nh = nh_get(d, r->nhid);
	if (!nh || nh->group || nh->blackhole || nh->complex ||
	    (!ip_addr_zero(&nh->p.gw) && nh->p.gw.family != r->dst.family))
		return false;
	out->oif = nh->p.oif;
	out->gw = ip_addr_zero(&nh->p.gw)
			  ? (struct ip_addr){.family = r->dst.family}
			  : nh->p.gw;
	return true;
}

/*
 * The route main has for @ip, and its one way out, if the kernel would
 * forward @ip by it; *@blen: the prefix length of the route main matched
 * (0 if none, or if table local answered): a route change at a longer
 * prefix than *@blen cannot change the answer for @ip.
 * forward @ip by it (default rules; local and main tables): a unicast
 * (Default rules; local and main tables.) A unicast
 * route without an MTU metric (ip_forward() would check that MTU; the
 * entry leaves such packets to the fib path, which the agent bounds by
 * the same MTU) that is no prefix via a gateway unless it is a host
 * route. *@nh: the neighbour to send to.
 */
static const struct route *route_of(const struct derive *d,
				    const struct ip_addr *ip, struct path *out,
				    struct ip_addr *nh, uint8_t *blen)
{
	const struct route *r;
	bool tos = false;

	/* Local addresses, broadcasts: the local table answers first. */
	*blen = 0;
	if (lpm(d, TBL_LOCAL, ip, &tos) || tos)
		return NULL;
	r = lpm(d, TBL_MAIN, ip, &tos);
	if (r)
		*blen = r->len;
	/* a TOS route beside it: the answer depends on the packet */
	if (!r || tos || r->type != RTN_UNICAST || r->mtu ||
	    !route_path(d, r, out))
		return NULL;
	if (ip_addr_zero(&out->gw))
		*nh = *ip;
	else if (r->len == ip_addr_bits(ip->family))
		*nh = out->gw;
	else
		return NULL; /* prefix via a gateway: fib fallback */
	return r;
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

/* The derivation rule (docs/design.md) for one IPv4 destination. */
static bool derive_one(const struct derive *d, uint32_t ip, struct fwd_entry *e,
		       uint32_t *nh, uint8_t *blen)
{
	struct ip_addr dst = ip_addr4(ip), next;
	const struct neigh *n;
	const struct link *l;
	struct path p;

	*blen = 0;
	if (d->custom_rules || !route_of(d, &dst, &p, &next, blen))
		return false;
	*nh = next.v4;
	l = link_get(d, p.oif);
	if (!link_usable(l))
		return false;
	n = neigh_get(d, p.oif, *nh);
	return n && entry_to(l, n->state, n->lladdr, n->llen, e);
}

/*
 * Tell the hooks what the rule says for @ip now. The daemon's table keeps
 * the learned entries and ignores a set that changes nothing (and a
 * delete of nothing), so we keep no second copy: at 100k entries that
 * copy would be a third of our memory.
 */
static uint8_t apply(struct derive *d, uint32_t ip)
{
	char ips[INET_ADDRSTRLEN];
	struct fwd_entry e = {0};
	uint32_t nh = 0;
	uint8_t blen = 0;
	int err;

	if (d->batch)
		return 0;
	d->derivations++;
	if (!derive_one(d, ip, &e, &nh, &blen) || !d->learn) {
		err = d->hooks.learn_del(d->hooks.arg, ip);
		if (err && err != -ENOENT)
			pr_warn("rtnl: forgetting %s: %s\n", nl_ip_str(ip, ips),
				strerror(-err));
		return blen;
	}
	err = d->hooks.learn_set(d->hooks.arg, ip, &e);
	if (err) {
		/* The next change of @ip retries. */
		d->set_errors++;
		pr_warn("rtnl: learning %s: %s\n", nl_ip_str(ip, ips),
			strerror(-err));
	}
	return blen;
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
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (d->batch)
		return;
	hmap_for_each(&d->neighs, i, n, tmp) container_of(n, struct neigh, h)
		->blen = apply(d, (uint32_t)n->key);
	hmap_for_each(&d->gws, i, n, tmp)
		apply(d, container_of(n, struct route, g)->dst.v4);
}

static bool blk_may_hold(const struct derive *d, const struct ip_addr *p,
			 unsigned int len);

/*
 * Candidates inside @dst/@len, after a route of that prefix changed in
 * table @tbl. A change in main cannot move a neighbour whose best route
 * is longer (blen), nor a host route (its own /32 is the longest); one
 * in local can move anything inside.
 */
static void apply_prefix(struct derive *d, unsigned int tbl, uint32_t dst,
			 unsigned int len)
{
	struct ip_addr pfx = ip_addr4(dst);
	uint32_t m = mask_n(len), i;
	struct hmap_node *n, *tmp;

	if (!blk_may_hold(d, &pfx, len) && tbl == TBL_MAIN)
		return;
	hmap_for_each(&d->neighs, i, n, tmp)
	{
		struct neigh *x = container_of(n, struct neigh, h);

		if (((uint32_t)n->key & m) != dst ||
		    (tbl == TBL_MAIN && x->blen > len))
			continue;
		x->blen = apply(d, (uint32_t)n->key);
	}
	if (tbl == TBL_MAIN)
		return;
	hmap_for_each(&d->gws, i, n, tmp)
	{
		uint32_t rd = container_of(n, struct route, g)->dst.v4;

		if ((rd & m) == dst)
			apply(d, rd);
	}
}

/* ---- routes and nexthop objects ---- */

static int tbl_idx(uint32_t table)
{
	if (table == RT_TABLE_MAIN)
		return TBL_MAIN;
	if (table == RT_TABLE_LOCAL)
		return TBL_LOCAL;
	return -1;
}

static void cand6_ref(struct derive *d, const uint8_t dst[16], bool up);
static bool unicast6(const uint8_t a[16]);
static void route_src6(struct derive *d, const struct nl_route *nr, bool del);
static void mtus_report(struct derive *d);
static void dirty6_prefix(struct derive *d, const uint8_t p[16],
			  unsigned int len, bool local);

/* An IPv6 /128 of main: its destination is a candidate while it lives. */
static bool route_host6(const struct route *r)
{
	return r->dst.family == AF_INET6 && r->tbl == TBL_MAIN &&
	       r->len == 128 && unicast6(r->dst.v6);
}

static struct path path_of(const struct nl_path *np, uint8_t family)
{
	struct path p = {.oif = np->oif, .gw = {.family = family}};

	if (np->has_gw)
		memcpy((void *)ip_addr_key(&p.gw), np->gw, ip_addr_len(&p.gw));
	return p;
}

static bool path_eq(const struct path *a, const struct path *b)
{
	return a->oif == b->oif && ip_addr_eq(&a->gw, &b->gw);
}

/* The first next hop a message names (none: oif 0, no gateway). */
static struct path msg_path(const struct nl_route *nr)
{
	struct nl_path top = {.oif = nr->oif};

	if (nr->n_paths)
		return path_of(&nr->paths[0], nr->family);
	top.has_gw = nr->has_gw || (nr->family == AF_INET && nr->gw);
	if (nr->family == AF_INET6)
		memcpy(top.gw, nr->gw6, 16);
	else
		memcpy(top.gw, &nr->gw, 4);
	return path_of(&top, nr->family);
}

/*
 * Remember (@on) or forget that @r has an MTU metric: the set
 * mtu_floor() reads. Routes with one are few; their set is walked whole.
 */
static void mtu_track(struct derive *d, struct route *r, bool on)
{
	struct hmap_node *n = hmap_find(&d->mtus, (uintptr_t)r);
	struct mturoute *m;

	if (on == !!n)
		return;
	d->mtus_dirty = true;
	if (!on) {
		hmap_del(&d->mtus, n);
		free(container_of(n, struct mturoute, h));
		return;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		/* Not bounded then: no entry is learned for it all the same. */
		pr_err("rtnl: out of memory for a route MTU\n");
		return;
	}
	m->h.key = (uintptr_t)r;
	m->r = r;
	hmap_add(&d->mtus, &m->h);
}

/* The IPv4 gateway index: a /32 of main via a gateway, by that gateway. */
static void route_index(struct derive *d, struct route *r)
{
	struct path p;

	if (r->in_g)
		hmap_del(&d->gws, &r->g);
	r->in_g = false;
	if (r->dst.family != AF_INET || r->tbl != TBL_MAIN || r->len != 32 ||
	    r->type != RTN_UNICAST || !route_path(d, r, &p) ||
	    ip_addr_zero(&p.gw))
		return;
	r->g.key = nkey(p.oif, p.gw.v4);
	hmap_add(&d->gws, &r->g);
	r->in_g = true;
}

static void nh_ref(struct derive *d, uint32_t id, bool up)
{
	struct nexthop *nh = id ? nh_get(d, id) : NULL;

	if (nh)
		nh->refs += up ? 1 : (nh->refs ? -1 : 0);
}

static void route_free(struct derive *d, struct route *r)
{
	if (r->dst.family == AF_INET && r->len == 32)
		redo_add(d, r->dst.v4);
	hmap_del(&d->routes, &r->h);
	if (r->in_g)
		hmap_del(&d->gws, &r->g);
	nh_ref(d, r->nhid, false);
	mtu_track(d, r, false);
	d->plen[r->tbl][fam_idx(r->dst.family)][r->len]--;
	if (route_host6(r))
		cand6_ref(d, r->dst.v6, false);
	free(r->sib);
	free(r);
}

static struct route *route_new(struct derive *d, unsigned int tbl,
			       const struct nl_route *nr,
			       const struct ip_addr *dst)
{
	struct route *r = calloc(1, sizeof(*r));

	if (!r) {
		pr_err("rtnl: out of memory for a route\n");
		return NULL;
	}
	r->tbl = tbl;
	r->len = nr->dst_len;
	r->dst = *dst;
	r->tos = nr->tos;
	r->prio = nr->priority;
	r->seq = ++d->route_seq;
	if (!(nr->nlmsg_flags & (NLM_F_APPEND | NLM_F_MULTI)))
		r->seq = -r->seq;
	r->h.key = rkey(tbl, r->len, dst);
	hmap_add(&d->routes, &r->h);
	d->plen[tbl][fam_idx(dst->family)][r->len]++;
	return r;
}

/* @r takes what @nr says: type, next hops, nexthop object, MTU. */
static void route_fill(struct derive *d, struct route *r,
		       const struct nl_route *nr)
{
	unsigned int i, n = nr->n_paths;

	if (r->nhid != nr->nhid) {
		nh_ref(d, r->nhid, false);
		nh_ref(d, nr->nhid, true);
	}
	r->nhid = nr->nhid;
	r->type = nr->type;
	if (r->mtu != nr->mtu)
		d->mtus_dirty = true;
	r->mtu = nr->mtu;
	/* next hops beyond what a message keeps: which, we cannot know */
	r->complex = nr->complex || n > NL_ROUTE_PATHS;
	r->p = msg_path(nr);
	free(r->sib);
	r->sib = NULL;
	r->n_sib = 0;
	if (n > NL_ROUTE_PATHS)
		n = NL_ROUTE_PATHS;
	if (n > 1) {
		r->sib = calloc(n - 1, sizeof(*r->sib));
		if (!r->sib)
			r->complex = true; /* several, unknown: no entry */
		for (i = 1; r->sib && i < n; i++)
			r->sib[r->n_sib++] = path_of(&nr->paths[i], nr->family);
	}
	mtu_track(d, r, r->mtu && r->tbl == TBL_MAIN);
	route_index(d, r);
}

/*
 * The IPv4 route @nr names: same prefix, TOS and metric, and the same next
 * hop if one matches; else (@exact false) the first such alias, the one
 * the kernel uses and replaces.
 */
static struct route *route_find4(const struct derive *d, unsigned int tbl,
				 const struct nl_route *nr,
				 const struct ip_addr *dst, bool exact)
{
	struct path p = msg_path(nr);
	struct route *first = NULL;
	struct hmap_node *n;

	n = hmap_find(&d->routes, rkey(tbl, nr->dst_len, dst));
	for (; n; n = hmap_next_same(n)) {
		struct route *r = container_of(n, struct route, h);

		if (r->tos != nr->tos || r->prio != nr->priority)
			continue;
		/* Appended duplicates differ only in the next hop. */
		if (path_eq(&r->p, &p) && r->nhid == nr->nhid)
			return r;
		if (!first || r->seq < first->seq)
			first = r;
	}
	return exact ? NULL : first;
}

static void route4_msg(struct derive *d, unsigned int tbl,
		       const struct nl_route *nr, const struct ip_addr *dst,
		       bool del)
{
	bool replace = nr->nlmsg_flags & NLM_F_REPLACE;
	struct route *r = route_find4(d, tbl, nr, dst, del ? false : !replace);

	/*
	 * Without REPLACE a different next hop is a second alias (append,
	 * or prepend: a plain create that found the prefix taken, which
	 * goes in front). Dumps list aliases in the kernel's order.
	 */
	if (del) {
		if (r)
			route_free(d, r);
		d->n_redo = 0; /* applied by the caller */
		return;
	}
	if (!r)
		r = route_new(d, tbl, nr, dst);
	if (r)
		route_fill(d, r, nr);
}

/* The IPv6 route of this prefix and metric in @tbl (siblings in one). */
static struct route *route_find6(const struct derive *d, unsigned int tbl,
				 const struct nl_route *nr,
				 const struct ip_addr *dst)
{
	struct hmap_node *n =
		hmap_find(&d->routes, rkey(tbl, nr->dst_len, dst));

	for (; n; n = hmap_next_same(n)) {
		struct route *r = container_of(n, struct route, h);

		if (r->len == nr->dst_len && r->prio == nr->priority &&
		    ip_addr_eq(&r->dst, dst))
			return r;
	}
	return NULL;
}

/* Drop the sibling @p of @r (the route stays: others are left). */
static void route_sib_del(struct route *r, const struct path *p)
{
	uint16_t i;

	if (path_eq(&r->p, p)) {
		r->p = r->sib[--r->n_sib];
		return;
	}
	for (i = 0; i < r->n_sib; i++)
		if (path_eq(&r->sib[i], p)) {
			r->sib[i] = r->sib[--r->n_sib];
			return;
		}
}

static void route_sib_add(struct route *r, const struct path *p)
{
	struct path *v;
	uint16_t i;

	if (path_eq(&r->p, p))
		return;
	for (i = 0; i < r->n_sib; i++)
		if (path_eq(&r->sib[i], p))
			return;
	v = realloc(r->sib, (r->n_sib + 1) * sizeof(*v));
	if (!v) {
		r->complex = true; /* several, one unknown: no entry */
		return;
	}
	r->sib = v;
	r->sib[r->n_sib++] = *p;
}

/*
 * IPv6 has no aliases: a route of the same prefix and metric with another
 * gateway is a sibling the kernel hashes over (ip -6 route append; the
 * notification then lists them all, RTA_MULTIPATH), a deletion naming one
 * gateway takes only that sibling, REPLACE replaces them all.
 */
static void route6_msg(struct derive *d, unsigned int tbl,
		       const struct nl_route *nr, const struct ip_addr *dst,
		       bool del)
{
	struct route *r = route_find6(d, tbl, nr, dst);
	struct path p = msg_path(nr);
	bool one_gw = !nr->nhid && nr->n_paths == 1 && nr->has_gw;

	if (del) {
		if (r && one_gw && r->n_sib && !r->nhid)
			route_sib_del(r, &p);
		else if (r)
			route_free(d, r);
		return;
	}
	if (r && !(nr->nlmsg_flags & NLM_F_REPLACE) && one_gw && !r->nhid &&
	    r->type == RTN_UNICAST && nr->type == RTN_UNICAST &&
	    !ip_addr_zero(&r->p.gw)) {
		route_sib_add(r, &p);
		return;
	}
	if (!r) {
		r = route_new(d, tbl, nr, dst);
		if (!r)
			return;
		route_fill(d, r, nr);
		if (route_host6(r))
			cand6_ref(d, r->dst.v6, true);
		return;
	}
	route_fill(d, r, nr);
}

/* Routes for which @match(@r, @arg) go, as the kernel drops them. */
static bool routes_flush(struct derive *d,
			 bool (*match)(const struct route *r, uint32_t arg),
			 uint32_t arg)
{
	struct hmap_node *n, *tmp;
	bool any = false;
	uint32_t i;

	hmap_for_each(&d->routes, i, n, tmp)
	{
		struct route *r = container_of(n, struct route, h);

		if (match(r, arg)) {
			route_free(d, r);
			any = true;
		}
	}
	return any;
}

/* IPv4 flushes a link's routes silently when it goes down or away. */
static bool route_out4(const struct route *r, uint32_t oif)
{
	return r->dst.family == AF_INET && !r->nhid && r->p.oif == oif;
}

/* IPv4 drops the routes of a deleted nexthop silently; IPv6 says so
 * only under nexthop_compat_mode 1. */
static bool route_by_nh(const struct route *r, uint32_t id)
{
	return r->nhid == id;
}

/* A deleted link takes every route through it, of both families. */
static bool route_out(const struct route *r, uint32_t oif)
{
	uint16_t i;

	if (r->nhid)
		return false; /* its nexthop object goes, and it with it */
	for (i = 0; i < r->n_sib; i++)
		if (r->sib[i].oif == oif)
			return true;
	return r->p.oif == oif;
}

static bool routes_flush_oif(struct derive *d, uint32_t oif)
{
	return routes_flush(d, route_out4, oif);
}

/* Everything a change of the routes could move gets derived again. */
static void dirty_all(struct derive *d)
{
	d->dirty4 = true;
	d->dirty6 = true;
}

static void nh_free(struct derive *d, struct nexthop *nh)
{
	if (nh->refs && routes_flush(d, route_by_nh, (uint32_t)nh->h.key))
		dirty_all(d);
	hmap_del(&d->nhs, &nh->h);
	free(nh);
}

/* A link went down or away: so did the nexthop objects through it. */
static void nhs_flush_oif(struct derive *d, uint32_t oif)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->nhs, i, n, tmp)
	{
		struct nexthop *nh = container_of(n, struct nexthop, h);

		if (!nh->group && nh->p.oif == oif)
			nh_free(d, nh);
	}
}

void derive_nexthop(struct derive *d, const struct nl_nexthop *m, bool del)
{
	struct nexthop *nh = nh_get(d, m->id);
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (del) {
		if (nh)
			nh_free(d, nh);
		redo_apply(d);
		derive_flush(d);
		return;
	}
	if (!nh) {
		nh = calloc(1, sizeof(*nh));
		if (!nh) {
			pr_err("rtnl: out of memory for a nexthop\n");
			return;
		}
		nh->h.key = m->id;
		hmap_add(&d->nhs, &nh->h);
	}
	nh->group = m->group;
	nh->blackhole = m->blackhole;
	nh->complex = m->complex;
	nh->p.oif = m->oif;
	nh->p.gw.family = m->family == AF_INET6 ? AF_INET6 : AF_INET;
	memset(nh->p.gw.v6, 0, 16);
	if (m->has_gw)
		memcpy((void *)ip_addr_key(&nh->p.gw), m->gw,
		       ip_addr_len(&nh->p.gw));
	if (!nh->refs)
		return; /* no route uses it yet: nothing moves */
	/* `ip nexthop replace`: its routes move, announced or not */
	hmap_for_each(&d->routes, i, n, tmp)
	{
		struct route *r = container_of(n, struct route, h);

		if (r->nhid != m->id)
			continue;
		route_index(d, r);
		/* out of the gateway index maybe: not reached by apply_all() */
		if (r->dst.family == AF_INET && r->len == 32)
			redo_add(d, r->dst.v4);
	}
	d->mtus_dirty = true;
	dirty_all(d);
	derive_flush(d);
	redo_apply(d);
}

void derive_route(struct derive *d, const struct nl_route *nr, bool del)
{
	int tbl = tbl_idx(nr->table);
	struct ip_addr dst, net;

	/* Cached clones are results of lookups (PMTU), not routes. */
	if (nr->rtm_flags & RTM_F_CLONED)
		return;
	if (nr->family == AF_INET6 && nr->src_len) {
		route_src6(d, nr, del);
		return;
	}
	if (tbl < 0)
		return;
	dst = nr->family == AF_INET6 ? ip_addr6(nr->dst6) : ip_addr4(nr->dst);
	net = ip_addr_mask(&dst, nr->dst_len);
	if (!ip_addr_eq(&net, &dst))
		return; /* the kernel never sends one; never trust one */
	if (nr->family == AF_INET6)
		route6_msg(d, tbl, nr, &dst, del);
	else
		route4_msg(d, tbl, nr, &dst, del);
	if (d->batch)
		return;
	mtus_report(d);
	if (nr->family == AF_INET6) {
		dirty6_prefix(d, dst.v6, nr->dst_len, tbl == TBL_LOCAL);
		return;
	}
	if (nr->dst_len == 32)
		apply(d, dst.v4); /* a host route's own candidate */
	apply_prefix(d, (unsigned int)tbl, dst.v4, nr->dst_len);
}

static void neigh6(struct derive *d, const struct nl_neigh *nn, bool del);

/* ---- candidates per address block ---- */

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

/* ---- neighbours ---- */

static void neigh_free(struct derive *d, struct neigh *n)
{
	struct ip_addr a = ip_addr4((uint32_t)n->h.key);

	blk_count(d, &a, false);
	redo_add(d, (uint32_t)n->h.key);
	hmap_del(&d->neighs, &n->h);
	hmap_pool_put(&d->neigh_pool, n);
}

static void neighs_flush_dev(struct derive *d, uint32_t ifindex)
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
				pr_err("rtnl: out of memory for a neighbour\n");
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
	blen = apply(d, nn->ip);
	if (!del)
		n->blen = blen;
	for (g = hmap_find(&d->gws, nkey(nn->ifindex, nn->ip)); g;
	     g = hmap_next_same(g))
		apply(d, container_of(g, struct route, g)->dst.v4);
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

/* May @r send packets out of @oif? Yes when it cannot say which way. */
static bool route_may_use(const struct derive *d, const struct route *r,
			  uint32_t oif)
{
	struct path p;
	uint16_t i;

	if (route_path(d, r, &p))
		return p.oif == oif;
	if (r->nhid || r->complex)
		return true; /* a group, a tunnel: not known here */
	for (i = 0; i < r->n_sib; i++)
		if (r->sib[i].oif == oif)
			return true;
	return r->p.oif == oif;
}

/*
 * What a packet of @family out of @l is checked against: the device MTU,
 * or the smallest route MTU below it of the main routes that may use @l.
 * ip_forward() and ip6_forward() apply a route's MTU metric, locked or
 * not; bpf_fib_lookup() only a locked one, and the table path learns no
 * entry under such a route: this bound keeps both on the kernel's side.
 */
static uint32_t mtu_floor(const struct derive *d, const struct link *l,
			  uint8_t family)
{
	uint32_t min = l->mtu, i;
	struct hmap_node *n, *tmp;

	hmap_for_each(&d->mtus, i, n, tmp)
	{
		const struct route *r = container_of(n, struct mturoute, h)->r;

		if (r->dst.family == family && r->type == RTN_UNICAST &&
		    r->mtu < min && route_may_use(d, r, (uint32_t)l->h.key))
			min = r->mtu;
	}
	return min;
}

static void link_report(struct derive *d, struct link *l, bool again);

/* Route MTUs changed: every managed link is told its bounds again. */
static void mtus_report(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (!d->mtus_dirty || d->batch)
		return;
	d->mtus_dirty = false;
	hmap_for_each(&d->links, i, n, tmp)
		link_report(d, container_of(n, struct link, h), false);
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
	ri.mtu = mtu_floor(d, l, AF_INET);
	ri.mtu6 = mtu_floor(d, l, AF_INET6);
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
		pr_info("rtnl: interface %s (%u)%s%s%s%s%s mtu %u/%u\n",
			ri.name, ri.ifindex,
			ri.flags & FWD_IF_UP ? " up" : " down",
			ri.flags & FWD_IF_FORWARDING ? " forwarding" : "",
			ri.flags & FWD_IF_RPF_STRICT  ? " rp_filter strict"
			: ri.flags & FWD_IF_RPF_LOOSE ? " rp_filter loose"
						      : "",
			ri.flags & FWD_IF_IPV6 ? " ipv6" : "",
			ri.flags & FWD_IF_FORWARDING6 ? " ipv6-forwarding" : "",
			ri.mtu, ri.mtu6);
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
	hmap_add(&d->links, &l->h);
	return l;
}

static void local_count(struct derive *d, uint32_t ip, bool up);
static void addrs6_flush(struct derive *d, uint32_t ifindex, bool all);
static void neighs6_flush_dev(struct derive *d, uint32_t ifindex);

static void addrs_flush(struct derive *d, uint32_t ifindex, bool all)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->addrs, i, n,
		      tmp) if (all || (n->key >> 38) == ifindex)
	{
		hmap_del(&d->addrs, n);
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
	routes_flush(d, route_out, ifindex);
	nhs_flush_oif(d, ifindex);
	neighs_flush_dev(d, ifindex);
	addrs_flush(d, ifindex, false);
	addrs6_flush(d, ifindex, false);
	neighs6_flush_dev(d, ifindex);
	hmap_del(&d->links, &l->h);
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
	/* nexthop_flush_dev(): on down and on carrier loss, unannounced */
	if ((was_flags & IFF_UP) &&
	    (l->flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		nhs_flush_oif(d, (uint32_t)l->h.key);
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
	struct hmap_node *n = hmap_find(&d->locals, ip);
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
		hmap_add(&d->locals, &c->h);
		if (d->hooks.local_add)
			d->hooks.local_add(d->hooks.arg, ip);
		return;
	}
	if (!c || --c->n)
		return;
	hmap_del(&d->locals, &c->h);
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

static struct node6 *node6_find(const struct hmap *t, uint32_t ifindex,
				const uint8_t addr[16])
{
	struct hmap_node *n = hmap_find(t, a6key(ifindex, addr));

	for (; n; n = hmap_next_same(n)) {
		struct node6 *x = container_of(n, struct node6, h);

		if (x->ifindex == ifindex && !memcmp(x->addr, addr, 16))
			return x;
	}
	return NULL;
}

static void node6_add(struct hmap *t, struct node6 *x, uint32_t ifindex,
		      const uint8_t addr[16])
{
	x->ifindex = ifindex;
	memcpy(x->addr, addr, 16);
	x->h.key = a6key(ifindex, addr);
	hmap_add(t, &x->h);
}

/* An IPv6 address came or went: IPv6 is on while a link has one. */
static void addr6_update(struct derive *d, const struct nl_addr *a, bool del)
{
	struct node6 *x = node6_find(&d->addrs6, a->ifindex, a->local6);
	struct link *l = link_get(d, a->ifindex);

	if (del) {
		if (!x)
			return;
		hmap_del(&d->addrs6, &x->h);
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
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->addrs6, i, n, tmp)
	{
		struct node6 *x = container_of(n, struct node6, h);

		if (all || x->ifindex == ifindex) {
			hmap_del(&d->addrs6, n);
			free(x);
		}
	}
}

void derive_addr(struct derive *d, const struct nl_addr *a, bool del)
{
	struct hmap_node *n;
	struct link *l = link_get(d, a->ifindex);

	if (a->family == AF_INET6) {
		addr6_update(d, a, del);
		return;
	}
	n = hmap_find(&d->addrs, akey(a));

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
		hmap_add(&d->addrs, n);
		local_count(d, a->local, true);
		if (l)
			l->n_addrs++;
		return;
	}
	if (!n)
		return;
	hmap_del(&d->addrs, n);
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
	struct hmap_node *n, *tmp;
	struct link *l;
	uint32_t i;

	if (c->ifindex == NETCONFA_IFINDEX_ALL) {
		if (c->forwarding < 0 || c->forwarding == d->fwd6_all)
			return;
		d->fwd6_all = c->forwarding;
		hmap_for_each(&d->links, i, n, tmp)
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
		struct hmap_node *n, *tmp;
		uint32_t i;

		if (c->rp_filter == d->rpf_all)
			return;
		d->rpf_all = c->rp_filter;
		hmap_for_each(&d->links, i, n, tmp)
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
 * IPv6 candidates: an IPv6 neighbour's address, a /128 route's
 * destination. A candidate remembers the next hop of its last
 * derivation, so a neighbour change re-derives exactly the candidates
 * that go through it; a route change re-derives the candidates inside its
 * prefix, once per batch of messages (derive_flush()).
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
	struct node6 k;	    /* first; k.addr: the destination, k.ifindex 0 */
	struct hmap_node g; /* key: a6key(oif, nh) of the last answer */
	bool in_g;
	uint8_t blen;  /* its best main route's prefix length (see blk) */
	uint32_t refs; /* neighbours with this address, /128 routes to it */
	uint32_t oif;
	uint8_t nh[16];
};

/* A route with a source prefix, remembered by its identity. */
struct route6 {
	struct hmap_node h; /* key: a6key of the fields below */
	uint32_t table, prio;
	uint8_t dst[16], src_len, dst_len;
};

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
	    !route_of(d, &dst, &p, &nh, &c->blen))
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

static void apply6(struct derive *d, struct cand6 *c)
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

static void cand6_free(struct derive *d, struct cand6 *c)
{
	struct ip_addr a = ip_addr6(c->k.addr);

	blk_count(d, &a, false);
	cand6_unlink_g(d, c);
	hmap_del(&d->cands6, &c->k.h);
	hmap_pool_put(&d->cand6_pool, c);
}

/* One reference more (@up) or less on candidate @dst. */
static void cand6_ref(struct derive *d, const uint8_t dst[16], bool up)
{
	struct cand6 *c = cand6_get(d, dst);

	if (up) {
		if (!c) {
			c = hmap_pool_get(&d->cand6_pool);
			if (!c) {
				pr_err("rtnl: out of memory for an IPv6 "
				       "candidate\n");
				return;
			}
			node6_add(&d->cands6, &c->k, 0, dst);
			{
				struct ip_addr a = ip_addr6(dst);

				blk_count(d, &a, true);
			}
		}
		c->refs++;
		apply6(d, c);
		return;
	}
	if (!c || --c->refs)
		return;
	if (!d->batch && d->hooks.learn_del6)
		d->hooks.learn_del6(d->hooks.arg, dst);
	cand6_free(d, c);
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
			cand6_ref(d, nn->ip6, false);
	} else if (!n) {
		n = hmap_pool_get(&d->neigh6_pool);
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
	g = hmap_find(&d->nhs6, a6key(nn->ifindex, nn->ip6));
	while (g) {
		struct hmap_node *next = hmap_next_same(g);

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

static struct route6 *route6_find(struct hmap *t, const struct nl_route *nr)
{
	struct hmap_node *n = hmap_find(t, r6key(nr));

	for (; n; n = hmap_next_same(n)) {
		struct route6 *r = container_of(n, struct route6, h);

		if (r->table == nr->table && r->prio == nr->priority &&
		    r->dst_len == nr->dst_len && r->src_len == nr->src_len &&
		    !memcmp(r->dst, nr->dst6, 16))
			return r;
	}
	return NULL;
}

/* Remember (or forget) @nr in @t; true if @t changed. */
static bool route6_track(struct hmap *t, const struct nl_route *nr, bool del)
{
	struct route6 *r = route6_find(t, nr);

	if (del || r) {
		if (!del || !r)
			return false;
		hmap_del(t, &r->h);
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
	hmap_add(t, &r->h);
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
			  unsigned int len, bool local)
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

/* A route with a source prefix: while any exists, IPv6 is not learned. */
static void route_src6(struct derive *d, const struct nl_route *nr, bool del)
{
	unsigned int before = d->srcrt6.n;

	route6_track(&d->srcrt6, nr, del);
	if (!before == !d->srcrt6.n)
		return;
	pr_info("rtnl: %s IPv6 route(s) with a source prefix: IPv6 "
		"learning %s\n",
		d->srcrt6.n ? "some" : "no", d->srcrt6.n ? "suspended" : "on");
	d->dirty6 = true;
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
	mtus_report(d);
	if (d->dirty4) {
		d->dirty4 = false;
		apply_all(d);
	}
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
	derive_flush(d);
}

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
static void neighs6_flush_dev(struct derive *d, uint32_t ifindex)
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
			cand6_ref(d, x->k.addr, false);
		hmap_pool_put(&d->neigh6_pool, x);
	}
	d->dirty6 = true;
}

/* ---- resync ---- */

/* Forget routes, neighbours, addresses; no hook calls. */
static void clear_mirror(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->routes, i, n, tmp)
		route_free(d, container_of(n, struct route, h));
	hmap_for_each(&d->nhs, i, n, tmp)
		nh_free(d, container_of(n, struct nexthop, h));
	hmap_for_each(&d->neighs, i, n, tmp)
		neigh_free(d, container_of(n, struct neigh, h));
	d->n_redo = 0;
	addrs_flush(d, 0, true);
	/* Silently: the dump adds them again (local_add) and the daemon
	 * sweeps at resync_end() what it did not hear of. */
	hmap_for_each(&d->locals, i, n, tmp)
	{
		hmap_del(&d->locals, n);
		free(container_of(n, struct lcount, h));
	}
	addrs6_flush(d, 0, true);
	clear6(d);
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
	d->batch = true;
	if (d->hooks.resync_begin)
		d->hooks.resync_begin(d->hooks.arg);
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
			link_remove(d, l);
	}
	d->n_redo = 0; /* the daemon sweeps what is not set again */
	d->batch = false;
	d->dirty4 = false;     /* apply_all() below */
	d->mtus_dirty = false; /* every link is reported below */
	hmap_for_each(&d->links, i, n, tmp)
		link_report(d, container_of(n, struct link, h), false);
	apply_all(d);
	d->dirty6 = true; /* the dump fed candidates without asking */
	derive_flush(d);
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
	struct hmap_node *n, *tmp;
	uint32_t i;
	int k;

	for (k = 0; k < d->n_ifaces; k++) {
		bool found = false;

		hmap_for_each(
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
	struct hmap_node *g;

	uint8_t blen;

	if (derive_one(d, ip, &e, &nh, &blen) && e.ifindex == ifindex &&
	    nh == ip)
		return true;
	for (g = hmap_find(&d->gws, n->h.key); g; g = hmap_next_same(g))
		if (derive_one(d, container_of(g, struct route, g)->dst.v4, &e,
			       &nh, &blen) &&
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
static unsigned int refresh_walk(struct derive *d, const struct hmap *t,
				 uint32_t *cursor, unsigned int max,
				 bool (*due)(struct derive *d,
					     struct hmap_node *h,
					     const struct refresh_ctx *c),
				 const struct refresh_ctx *c)
{
	uint32_t b, nb = t->mask + 1;
	unsigned int sent = 0, seen = 0;

	if (!d->learn || !nb)
		return 0;
	d->tick++;
	for (b = 0; b < nb && sent < max && seen < 16 * max; b++) {
		struct hmap_node *h;

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
	if (hmap_init(&d->links))
		goto err_free;
	if (hmap_init(&d->neighs))
		goto err_links;
	if (hmap_init(&d->routes))
		goto err_neighs;
	if (hmap_init(&d->gws))
		goto err_routes;
	if (hmap_init(&d->addrs))
		goto err_gws;
	if (hmap_init(&d->locals))
		goto err_addrs;
	if (hmap_init(&d->addrs6))
		goto err_locals;
	if (hmap_init(&d->neighs6) || hmap_init(&d->cands6) ||
	    hmap_init(&d->nhs6) || hmap_init(&d->srcrt6) ||
	    hmap_init(&d->nhs) || hmap_init(&d->mtus) || hmap_init(&d->blks))
		goto err_v6;
	d->rpf_all = -1;
	d->fwd6_all = -1;
	return d;

err_v6:
	free(d->neighs6.b);
	free(d->cands6.b);
	free(d->nhs6.b);
	free(d->srcrt6.b);
	free(d->nhs.b);
	free(d->mtus.b);
	free(d->blks.b);
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
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (!d)
		return;
	d->batch = true; /* no hook calls */
	clear_mirror(d);
	hmap_for_each(&d->links, i, n, tmp)
		free(container_of(n, struct link, h));
	free(d->addrs.b);
	free(d->addrs6.b);
	free(d->neighs6.b);
	free(d->cands6.b);
	free(d->nhs6.b);
	free(d->srcrt6.b);
	free(d->nhs.b);
	free(d->mtus.b);
	free(d->blks.b);
	free(d->locals.b);
	free(d->links.b);
	free(d->neighs.b);
	free(d->routes.b);
	free(d->gws.b);
	free(d->redo);
	hmap_pool_destroy(&d->neigh_pool);
	hmap_pool_destroy(&d->neigh6_pool);
	hmap_pool_destroy(&d->cand6_pool);
	free(d);
}
