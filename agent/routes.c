// SPDX-License-Identifier: GPL-2.0
/*
 * routes.c - the learning core's mirror of the routes of tables main and
 * local, both families, and of the nexthop objects; the longest-prefix
 * match and the rule's view of a route (route_of()): does the kernel send
 * a destination out by one next hop, and which. Also what bounds an
 * egress's MTU (mtu_floor()).
 *
 * IPv4 keeps a prefix's aliases apart (same TOS and metric, another next
 * hop: the first one is used); IPv6 keeps a prefix's siblings of one
 * metric as paths of one route (the kernel hashes over them). What the
 * kernel does without a word is done here too: IPv4 flushes a link's
 * routes when it goes down or loses its last address; a deleted nexthop
 * object takes its routes (IPv4 silently; IPv6 says so only under
 * nexthop_compat_mode 1); a link that goes down or loses its carrier
 * takes its nexthop objects; `ip nexthop replace` moves its routes,
 * announced again only under compat mode 1.
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

static void route_src6(struct derive *d, const struct nl_route *nr, bool del);

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
	out->gw = nh->p.gw;
	if (ip_addr_zero(&out->gw))
		out->gw.family = r->dst.family; /* on-link: no gateway */
	return true;
}

/*
 * The route main has for @ip, and its one way out, if the kernel would
 * forward @ip by it under the default rules (local table first, then
 * main): a unicast route without an MTU metric (ip_forward() would check
 * that MTU; the entry leaves such packets to the fib path, which the
 * agent bounds by the same MTU) with one path that is a connected route,
 * a host route, or, for a @demand destination, any prefix via a gateway.
 * *@nh: the neighbour to send to. *@blen: the prefix length of the route
 * main matched (0 if none, or if table local answered): a route change at
 * a longer prefix than *@blen cannot change the answer for @ip.
 */
const struct route *lrn_route_of(const struct derive *d,
				 const struct ip_addr *ip, struct path *out,
				 struct ip_addr *nh, uint8_t *blen, bool demand)
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
	else if (r->len == ip_addr_bits(ip->family) || demand)
		*nh = out->gw;
	else
		return NULL; /* prefix via a gateway: on demand only */
	return r;
}

static int tbl_idx(uint32_t table)
{
	if (table == RT_TABLE_MAIN)
		return TBL_MAIN;
	if (table == RT_TABLE_LOCAL)
		return TBL_LOCAL;
	return -1;
}

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
 * lrn_mtu_floor() reads. Routes with one are few; their set is walked whole.
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
		pr_err("routes: out of memory for a route MTU\n");
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

void lrn_route_free(struct derive *d, struct route *r)
{
	if (r->dst.family == AF_INET && r->len == 32)
		lrn_redo_add(d, r->dst.v4);
	hmap_del(&d->routes, &r->h);
	if (r->in_g)
		hmap_del(&d->gws, &r->g);
	nh_ref(d, r->nhid, false);
	mtu_track(d, r, false);
	d->plen[r->tbl][fam_idx(r->dst.family)][r->len]--;
	if (route_host6(r))
		lrn_cand6_ref(d, r->dst.v6, false, false);
	free(r->sib);
	free(r);
}

static struct route *route_new(struct derive *d, unsigned int tbl,
			       const struct nl_route *nr,
			       const struct ip_addr *dst)
{
	struct route *r = calloc(1, sizeof(*r));

	if (!r) {
		pr_err("routes: out of memory for a route\n");
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
			lrn_route_free(d, r);
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
			lrn_route_free(d, r);
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
			lrn_cand6_ref(d, r->dst.v6, true, false);
		return;
	}
	route_fill(d, r, nr);
}

/* Routes for which @match(@r, @arg) go, as the kernel drops them. */
bool lrn_routes_flush(struct derive *d,
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
			lrn_route_free(d, r);
			any = true;
		}
	}
	return any;
}

/*
 * IPv4 flushes a link's routes silently when it goes down or loses its
 * last address (fib_sync_down_dev()); a multipath route only loses that
 * next hop (RTNH_F_DEAD) and stays: several paths, no entry either way.
 */
static bool route_out4(const struct route *r, uint32_t oif)
{
	return r->dst.family == AF_INET && !r->nhid && !r->n_sib &&
	       r->p.oif == oif;
}

static bool route_by_nh(const struct route *r, uint32_t id)
{
	return r->nhid == id;
}

/*
 * A link unregistered: IPv4 flushes every route with a next hop through
 * it, multipath ones too, silently. IPv6 announces what it deletes; a
 * route it kept through a link we no longer know gives no entry anyway
 * (no usable link).
 */
bool lrn_route_out(const struct route *r, uint32_t oif)
{
	uint16_t i;

	if (r->dst.family != AF_INET || r->nhid)
		return false; /* a nexthop object goes, and its routes */
	for (i = 0; i < r->n_sib; i++)
		if (r->sib[i].oif == oif)
			return true;
	return r->p.oif == oif;
}

bool lrn_routes_flush_oif(struct derive *d, uint32_t oif)
{
	return lrn_routes_flush(d, route_out4, oif);
}

/* Everything a change of the routes could move gets derived again. */
static void dirty_all(struct derive *d)
{
	d->dirty4 = true;
	d->dirty6 = true;
}

void lrn_nh_free(struct derive *d, struct nexthop *nh)
{
	if (nh->refs && lrn_routes_flush(d, route_by_nh, (uint32_t)nh->h.key))
		dirty_all(d);
	hmap_del(&d->nhs, &nh->h);
	free(nh);
}

/* A link went down or away: so did the nexthop objects through it. */
void lrn_nhs_flush_oif(struct derive *d, uint32_t oif)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->nhs, i, n, tmp)
	{
		struct nexthop *nh = container_of(n, struct nexthop, h);

		if (!nh->group && nh->p.oif == oif)
			lrn_nh_free(d, nh);
	}
}

void derive_nexthop(struct derive *d, const struct nl_nexthop *m, bool del)
{
	struct nexthop *nh = nh_get(d, m->id);
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (del) {
		if (nh)
			lrn_nh_free(d, nh);
		lrn_redo_apply(d);
		derive_flush(d);
		return;
	}
	if (!nh) {
		nh = calloc(1, sizeof(*nh));
		if (!nh) {
			pr_err("routes: out of memory for a nexthop\n");
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
		/* out of the gateway index maybe: not reached by lrn_apply_all() */
		if (r->dst.family == AF_INET && r->len == 32)
			lrn_redo_add(d, r->dst.v4);
	}
	d->mtus_dirty = true;
	dirty_all(d);
	derive_flush(d);
	lrn_redo_apply(d);
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
	lrn_mtus_report(d);
	if (nr->family == AF_INET6) {
		lrn_dirty6_prefix(d, dst.v6, nr->dst_len, tbl == TBL_LOCAL);
		return;
	}
	if (nr->dst_len == 32)
		lrn_apply(d, dst.v4); /* a host route's own candidate */
	lrn_apply_prefix(d, (unsigned int)tbl, dst.v4, nr->dst_len);
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
uint32_t lrn_mtu_floor(const struct derive *d, const struct link *l,
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

/* A route with a source prefix: while any exists, IPv6 is not learned. */
static void route_src6(struct derive *d, const struct nl_route *nr, bool del)
{
	unsigned int before = d->srcrt6.n;

	route6_track(&d->srcrt6, nr, del);
	if (!before == !d->srcrt6.n)
		return;
	pr_info("routes: %s IPv6 route(s) with a source prefix: IPv6 "
		"learning %s\n",
		d->srcrt6.n ? "some" : "no", d->srcrt6.n ? "suspended" : "on");
	d->dirty6 = true;
}
