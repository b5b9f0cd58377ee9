// SPDX-License-Identifier: GPL-2.0
/*
 * demand.c - demand learning: destinations the program reported because
 * the fib path forwarded them (see derive.h for the contract).
 *
 * A report makes a destination a candidate when the rule gives it an entry
 * only as a demand destination (a single-path prefix via a gateway); from
 * then on the learning core keeps its entry exact like any other: an IPv6
 * one is a reference on its cand6, an IPv4 one follows its next hop's
 * neighbour (dnh4) and the route changes of its batch (dmd_dirty).
 *
 * Idleness costs the table path nothing: a destination lives @idle_ms
 * from its last report and is evicted then, busy or not. A busy one's
 * next packet takes the fib path, is reported again and learned again:
 * one detour per destination per period, where counting hits would cost
 * every table-path packet a write. The list is in report order, so both
 * the idle and the budget eviction take from its head.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "learn.h"
#include "log.h"

static void list_unlink(struct derive *d, struct dmd *m)
{
	if (m->prev)
		m->prev->next = m->next;
	else
		d->dmd_old = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		d->dmd_new = m->prev;
	m->prev = m->next = NULL;
}

static void list_append(struct derive *d, struct dmd *m)
{
	m->prev = d->dmd_new;
	m->next = NULL;
	if (d->dmd_new)
		d->dmd_new->next = m;
	else
		d->dmd_old = m;
	d->dmd_new = m;
}

static void unlink_g(struct derive *d, struct dmd *m)
{
	if (m->in_g)
		hmap_del(&d->dnh4, &m->g);
	m->in_g = false;
}

/* Derive IPv4 demand destination @m again; it remembers its next hop. */
void lrn_dmd_apply(struct derive *d, struct dmd *m)
{
	struct path p;

	unlink_g(d, m);
	m->blen = lrn_apply4(d, m->dst.v4, &p);
	if (!p.oif)
		return;
	m->oif = p.oif;
	m->nh = p.gw.v4;
	m->g.key = nkey(m->oif, m->nh);
	hmap_add(&d->dnh4, &m->g);
	m->in_g = true;
}

/* Forget @m; its destination gets what the rule says without it. */
static void dmd_free(struct derive *d, struct dmd *m, bool apply)
{
	struct ip_addr dst = m->dst;

	list_unlink(d, m);
	unlink_g(d, m);
	hmap_del(&d->dmds, &m->h);
	free(m);
	if (!apply)
		return;
	if (dst.family == AF_INET)
		lrn_apply(d, dst.v4);
	else if (d->dmd_held6)
		lrn_cand6_ref(d, dst.v6, false, true);
}

/* An IPv4 neighbour changed: the demand destinations sent through it. */
void lrn_dmd_neigh(struct derive *d, uint32_t ifindex, uint32_t ip)
{
	struct hmap_node *g = hmap_find(&d->dnh4, nkey(ifindex, ip));

	while (g) {
		struct hmap_node *next = hmap_next_same(g);
		struct dmd *m = container_of(g, struct dmd, g);

		if (m->oif == ifindex && m->nh == ip)
			lrn_dmd_apply(d, m); /* may leave this chain */
		g = next;
	}
}

/* Is (@ifindex, @ip) the next hop of an IPv4 demand destination? */
bool lrn_dmd_uses(const struct derive *d, uint32_t ifindex, uint32_t ip)
{
	struct hmap_node *g = hmap_find(&d->dnh4, nkey(ifindex, ip));

	for (; g; g = hmap_next_same(g)) {
		const struct dmd *m = container_of(g, struct dmd, g);

		if (m->oif == ifindex && m->nh == ip)
			return true;
	}
	return false;
}

static void each4(struct derive *d,
		  bool (*want)(const struct derive *d, const struct dmd *m))
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	hmap_for_each(&d->dmds, i, n, tmp)
	{
		struct dmd *m = container_of(n, struct dmd, h);

		if (m->dst.family == AF_INET && (!want || want(d, m)))
			lrn_dmd_apply(d, m);
	}
}

void lrn_dmd_all(struct derive *d)
{
	if (!d->batch)
		each4(d, NULL);
}

/*
 * A route of @dst/@len changed in table @tbl: remember it for the batch's
 * end (lrn_dmd_flush()), which derives the IPv4 demand destinations
 * inside once for all the batch's routes.
 */
void lrn_dmd_prefix(struct derive *d, unsigned int tbl, uint32_t dst,
		    unsigned int len)
{
	unsigned int k = d->n_dmd_dirty;

	if (d->dmd_all || !d->dmds.n)
		return;
	if (k == DMD_DIRTY) {
		d->dmd_all = true;
		return;
	}
	d->dmd_dirty[k].dst = dst;
	d->dmd_dirty[k].len = (uint8_t)len;
	d->dmd_dirty[k].local = tbl == TBL_LOCAL;
	d->n_dmd_dirty++;
}

/* Inside a dirty prefix, and not behind a longer route of main. */
static bool dirty(const struct derive *d, const struct dmd *m)
{
	unsigned int k;

	for (k = 0; k < d->n_dmd_dirty; k++)
		if ((m->dst.v4 & mask_n(d->dmd_dirty[k].len)) ==
			    d->dmd_dirty[k].dst &&
		    (d->dmd_dirty[k].local || m->blen <= d->dmd_dirty[k].len))
			return true;
	return false;
}

void lrn_dmd_flush(struct derive *d)
{
	bool all = d->dmd_all;

	if (d->batch || (!all && !d->n_dmd_dirty))
		return;
	each4(d, all ? NULL : dirty);
	d->dmd_all = false;
	d->n_dmd_dirty = 0;
}

/*
 * A resync's dump ends (still in batch): it cleared the IPv6 candidates,
 * so the demand ones take their references again; lrn_apply_all() and the
 * IPv6 flush that follow derive them all.
 */
void lrn_dmd_resync(struct derive *d)
{
	struct dmd *m;

	if (d->dmd_held6)
		return;
	for (m = d->dmd_old; m; m = m->next)
		if (m->dst.family == AF_INET6)
			lrn_cand6_ref(d, m->dst.v6, true, true);
	d->dmd_held6 = true;
}

void lrn_dmd_clear(struct derive *d)
{
	while (d->dmd_old)
		dmd_free(d, d->dmd_old, false);
}

void derive_demand_config(struct derive *d, uint32_t max, uint64_t idle_ms)
{
	d->dmd_max = max;
	d->dmd_idle_ms = idle_ms;
	while (d->dmds.n > max) {
		d->dmd_stats.budget++;
		dmd_free(d, d->dmd_old, true);
	}
}

/*
 * Would @dst have an entry as a demand destination, and only as one? The
 * rule without it already answers connected and host-route destinations
 * (their neighbour or /32 is a candidate); with it, a single-path prefix
 * via a gateway. Policy rules or IPv6 source routes: the fib decides.
 */
static bool helps(const struct derive *d, const struct ip_addr *dst)
{
	struct ip_addr nh;
	struct path p;
	uint8_t blen;

	if (dst->family == AF_INET6 ? d->custom_rules6 || d->srcrt6.n
				    : d->custom_rules != 0)
		return false;
	if (lrn_route_of(d, dst, &p, &nh, &blen, false))
		return false;
	return lrn_route_of(d, dst, &p, &nh, &blen, true) != NULL;
}

void derive_demand(struct derive *d, const struct ip_addr *dst, uint64_t now_ms)
{
	struct dmd *m = lrn_dmd_get(d, dst);

	if (m) {
		/* renewed; derived again too, whatever the report followed */
		d->dmd_stats.renewed++;
		m->last = now_ms;
		list_unlink(d, m);
		list_append(d, m);
		if (dst->family == AF_INET)
			lrn_dmd_apply(d, m);
		else if (d->dmd_held6 && cand6_get(d, dst->v6))
			lrn_apply6(d, cand6_get(d, dst->v6));
		return;
	}
	if (!d->dmd_max || !d->learn || !helps(d, dst) ||
	    (dst->family == AF_INET6 && !unicast6(dst->v6))) {
		d->dmd_stats.ignored++;
		return;
	}
	if (d->dmds.n >= d->dmd_max) {
		d->dmd_stats.budget++;
		dmd_free(d, d->dmd_old, true);
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		pr_err("demand: out of memory for a destination\n");
		return;
	}
	m->dst = *dst;
	m->last = now_ms;
	m->h.key = ip_addr_hash(dst, 0);
	hmap_add(&d->dmds, &m->h);
	list_append(d, m);
	d->dmd_stats.learned++;
	if (dst->family == AF_INET)
		lrn_dmd_apply(d, m);
	else if (d->dmd_held6)
		lrn_cand6_ref(d, dst->v6, true, true);
}

void derive_demand_expire(struct derive *d, uint64_t now_ms, unsigned int max)
{
	while (max-- && d->dmd_old &&
	       now_ms - d->dmd_old->last >= d->dmd_idle_ms) {
		d->dmd_stats.idle++;
		dmd_free(d, d->dmd_old, true);
	}
}

void derive_demand_stats(const struct derive *d,
			 struct derive_demand_stats *out)
{
	*out = d->dmd_stats;
	out->entries = d->dmds.n;
}
