/* SPDX-License-Identifier: GPL-2.0 */
/*
 * learn.h - the learning core's own header, shared by derive.c (the rule
 * and the candidates), routes.c (routes, nexthop objects, the longest
 * prefix match), links.c (links, addresses, netconf) and refresh.c
 * (liveness); derive.h is what the rest of the daemon sees. The mirror's
 * objects, struct derive, and the few calls across these files.
 */
#ifndef LEARN_H
#define LEARN_H

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "derive.h"
#include "hmap.h"
#include "nl.h"
#include "util.h"

/*
 * Route changes remembered per batch: only the IPv6 candidates inside a
 * changed prefix can get another answer. More in one batch: all of them.
 */
#define DIRTY6_PREFIXES 64

/* Neighbour states whose lladdr the kernel would use to send (§4). */
#define DERIVE_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

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
	char kind[16];	   /* IFLA_INFO_KIND: "veth" ...; "" none */
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

/*
 * A demand destination (demand.c): one the program reported because the
 * fib path forwarded it, kept while traffic renews it and the budget
 * allows. It makes a prefix via a gateway yield an entry for it. IPv6
 * ones are also a reference on their cand6 (which tracks the next hop
 * and the routes); IPv4 ones track their own next hop (@g) and are
 * derived again for route changes inside the batch's dirty prefixes.
 */
struct dmd {
	struct hmap_node h; /* key: ip_addr_hash(dst) */
	struct hmap_node g; /* IPv4: nkey(oif, nh) of its last answer */
	bool in_g;
	uint8_t blen;		 /* IPv4: its best main route's length */
	uint32_t oif, nh;	 /* IPv4: its last answer's next hop */
	struct dmd *prev, *next; /* by last report, oldest first */
	uint64_t last; /* ms (the caller's clock) of the last report */
	struct ip_addr dst;
};

/* Demand route changes remembered per batch (IPv4; IPv6: dirty6_pfx). */
#define DMD_DIRTY 64

struct derive {
	struct rtnl_hooks hooks;
	char **ifaces;
	int n_ifaces;
	bool learn;
	bool batch;	/* in a resync dump: mirror only, derive at the end */
	bool resyncing; /* resync_begin hook called, resync_end not yet */
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
	/* demand learning (demand.c) */
	struct hmap dmds;	       /* struct dmd by dst, both families */
	struct hmap dnh4;	       /* IPv4 struct dmd by next hop (g) */
	struct dmd *dmd_old, *dmd_new; /* the list, by last report */
	uint32_t dmd_max;	       /* budget; 0: demand learning off */
	uint64_t dmd_idle_ms;	       /* not reported for this long: evicted */
	bool dmd_all;		       /* every IPv4 demand one to derive */
	bool dmd_held6; /* IPv6 ones hold their cand6 reference (not in a
			 * resync's dump, which clears the candidates) */
	struct {
		uint32_t dst;
		uint8_t len;
		bool local;
	} dmd_dirty[DMD_DIRTY];
	unsigned int n_dmd_dirty;
	struct derive_demand_stats dmd_stats;
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
	uint64_t derivations; /* lrn_apply() and apply6() calls */
	size_t trim_mark; /* objects at the last trim(), or the most since */
};

static inline uint64_t nkey(uint32_t ifindex, uint32_t ip)
{
	return (uint64_t)ifindex << 32 | ip;
}

static inline uint32_t mask_n(unsigned int len)
{
	return len ? htonl(~0U << (32 - len)) : 0;
}

/* Routes of one prefix share it; an IPv6 one may share another's too. */
static inline uint64_t rkey(unsigned int tbl, unsigned int len,
			    const struct ip_addr *dst)
{
	if (dst->family == AF_INET)
		return (uint64_t)tbl << 40 | (uint64_t)len << 32 | dst->v4;
	return ip_addr_hash(dst, (uint64_t)tbl << 56 | (uint64_t)len << 48 |
					 1ULL << 47);
}

static inline unsigned int fam_idx(uint8_t family)
{
	return family == AF_INET6 ? FAM6 : FAM4;
}

static inline struct link *link_get(const struct derive *d, uint32_t ifindex)
{
	struct hmap_node *n = hmap_find(&d->links, ifindex);

	return n ? container_of(n, struct link, h) : NULL;
}

static inline struct neigh *neigh_get(const struct derive *d, uint32_t ifindex,
				      uint32_t ip)
{
	struct hmap_node *n = hmap_find(&d->neighs, nkey(ifindex, ip));

	return n ? container_of(n, struct neigh, h) : NULL;
}

static inline struct nexthop *nh_get(const struct derive *d, uint32_t id)
{
	struct hmap_node *n = hmap_find(&d->nhs, id);

	return n ? container_of(n, struct nexthop, h) : NULL;
}

static inline uint64_t a6key(uint32_t ifindex, const uint8_t a[16])
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return (hi * 0x9e3779b97f4a7c15ULL) ^ lo ^ (uint64_t)ifindex << 48;
}

static inline struct node6 *node6_find(const struct hmap *t, uint32_t ifindex,
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
	bool demand;   /* a demand destination too (one of @refs) */
	uint32_t refs; /* neighbours, /128 routes to it, demand */
	uint32_t oif;
	uint8_t nh[16];
};

/* A route with a source prefix, remembered by its identity. */
struct route6 {
	struct hmap_node h; /* key: a6key of the fields below */
	uint32_t table, prio;
	uint8_t dst[16], src_len, dst_len;
};

static inline struct neigh6 *
neigh6_get(const struct derive *d, uint32_t ifindex, const uint8_t addr[16])
{
	struct node6 *x = node6_find(&d->neighs6, ifindex, addr);

	return x ? container_of(x, struct neigh6, k) : NULL;
}

static inline struct cand6 *cand6_get(const struct derive *d,
				      const uint8_t dst[16])
{
	struct node6 *x = node6_find(&d->cands6, 0, dst);

	return x ? container_of(x, struct cand6, k) : NULL;
}

/* An address an entry may be for: what an override may name too. */
static inline bool unicast6(const uint8_t a[16])
{
	struct ip_addr ip = {.family = AF_INET6};

	memcpy(ip.v6, a, 16);
	return !api_ip_not_unicast(&ip);
}

/* routes.c */
const struct route *lrn_route_of(const struct derive *d,
				 const struct ip_addr *ip, struct path *out,
				 struct ip_addr *nh, uint8_t *blen,
				 bool demand);
void lrn_route_free(struct derive *d, struct route *r);
bool lrn_routes_flush(struct derive *d,
		      bool (*match)(const struct route *r, uint32_t arg),
		      uint32_t arg);
bool lrn_route_out(const struct route *r, uint32_t oif);
bool lrn_routes_flush_oif(struct derive *d, uint32_t oif);
void lrn_nh_free(struct derive *d, struct nexthop *nh);
void lrn_nhs_flush_oif(struct derive *d, uint32_t oif);
uint32_t lrn_mtu_floor(const struct derive *d, const struct link *l,
		       uint8_t family);

/* links.c */
void lrn_mtus_report(struct derive *d);
void lrn_link_report(struct derive *d, struct link *l, bool again);
void lrn_addrs_flush(struct derive *d, uint32_t ifindex, bool all);
void lrn_link_remove(struct derive *d, struct link *l);
void lrn_node6_add(struct hmap *t, struct node6 *x, uint32_t ifindex,
		   const uint8_t addr[16]);
void lrn_addrs6_flush(struct derive *d, uint32_t ifindex, bool all);

/* derive.c */
bool lrn_derive4(const struct derive *d, uint32_t ip, struct fwd_entry *e,
		 struct path *p, uint8_t *blen);
uint8_t lrn_apply4(struct derive *d, uint32_t ip, struct path *p);
uint8_t lrn_apply(struct derive *d, uint32_t ip);
void lrn_redo_add(struct derive *d, uint32_t ip);
void lrn_redo_apply(struct derive *d);
void lrn_apply_all(struct derive *d);
void lrn_apply_prefix(struct derive *d, unsigned int tbl, uint32_t dst,
		      unsigned int len);
void lrn_neighs_flush_dev(struct derive *d, uint32_t ifindex);
struct cand6 *lrn_cand6_ref(struct derive *d, const uint8_t dst[16], bool up,
			    bool demand);
void lrn_apply6(struct derive *d, struct cand6 *c);
void lrn_dirty6_prefix(struct derive *d, const uint8_t p[16], unsigned int len,
		       bool local);
void lrn_neighs6_flush_dev(struct derive *d, uint32_t ifindex);

/* demand.c */
static inline struct dmd *lrn_dmd_get(const struct derive *d,
				      const struct ip_addr *a)
{
	struct hmap_node *n = hmap_find(&d->dmds, ip_addr_hash(a, 0));

	for (; n; n = hmap_next_same(n)) {
		struct dmd *m = container_of(n, struct dmd, h);

		if (ip_addr_eq(&m->dst, a))
			return m;
	}
	return NULL;
}

void lrn_dmd_apply(struct derive *d, struct dmd *m);
void lrn_dmd_neigh(struct derive *d, uint32_t ifindex, uint32_t ip);
void lrn_dmd_all(struct derive *d);
void lrn_dmd_prefix(struct derive *d, unsigned int tbl, uint32_t dst,
		    unsigned int len);
void lrn_dmd_flush(struct derive *d);
void lrn_dmd_resync(struct derive *d);
void lrn_dmd_clear(struct derive *d);
bool lrn_dmd_uses(const struct derive *d, uint32_t ifindex, uint32_t ip);

#endif /* LEARN_H */
