// SPDX-License-Identifier: GPL-2.0
/*
 * links.c - the learning core's links, addresses and netconf: a managed
 * interface's state as the kernel tells it (up, MAC, forwarding,
 * rp_filter, IPv6 on, the MTU bound of its routes), reported to the
 * daemon when it changes; this host's addresses counted across links for
 * the own-source check; what IPv4 drops with a link's last address.
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

static void local_count(struct derive *d, uint32_t ip, bool up);

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

/* Route MTUs changed: every managed link is told its bounds again. */
void lrn_mtus_report(struct derive *d)
{
	struct hmap_node *n, *tmp;
	uint32_t i;

	if (!d->mtus_dirty || d->batch)
		return;
	d->mtus_dirty = false;
	hmap_for_each(&d->links, i, n, tmp)
		lrn_link_report(d, container_of(n, struct link, h), false);
}

/*
 * Frames arriving on @l may carry a checksum left for offload: a veth
 * hands native XDP its peer's CHECKSUM_PARTIAL skbs as bytes, a tap its
 * user's frames marked VIRTIO_NET_HDR_F_NEEDS_CSUM (tun_xdp_one(),
 * tun_build_skb()).
 */
static bool partial_csum(const struct link *l)
{
	return !strcmp(l->kind, "veth") || !strcmp(l->kind, "tun");
}

/*
 * Tell the daemon what @l is now, if it changed or @again (the daemon
 * then reads again what only /proc says). Not during a resync's dump,
 * whose end reports every link once it has seen their addresses.
 */
void lrn_link_report(struct derive *d, struct link *l, bool again)
{
	struct rtnl_iface ri = {0};
	bool same;

	if (!l->managed || d->batch)
		return;
	ri.ifindex = (uint32_t)l->h.key;
	memcpy(ri.name, l->name, sizeof(ri.name));
	if (l->mac_len == 6)
		memcpy(ri.mac, l->mac, 6);
	ri.mtu = lrn_mtu_floor(d, l, AF_INET);
	ri.mtu6 = lrn_mtu_floor(d, l, AF_INET6);
	if ((l->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING))
		ri.flags |= FWD_IF_UP;
	if (l->forwarding == 1)
		ri.flags |= FWD_IF_FORWARDING;
	ri.flags |= rpf_flags(d, l);
	if (l->n_addrs6)
		ri.flags |= FWD_IF_IPV6;
	if (d->fwd6_all == 1)
		ri.flags |= FWD_IF_FORWARDING6;
	if (partial_csum(l))
		ri.flags |= FWD_IF_PARTIAL_CSUM;
	same = l->reported && !memcmp(&ri, &l->last, sizeof(ri));
	if (same && !again)
		return;
	l->last = ri;
	l->reported = true;
	if (!same)
		pr_info("links: interface %s (%u)%s%s%s%s%s mtu %u/%u%s%s%s\n",
			ri.name, ri.ifindex,
			ri.flags & FWD_IF_UP ? " up" : " down",
			ri.flags & FWD_IF_FORWARDING ? " forwarding" : "",
			ri.flags & FWD_IF_RPF_STRICT  ? " rp_filter strict"
			: ri.flags & FWD_IF_RPF_LOOSE ? " rp_filter loose"
						      : "",
			ri.flags & FWD_IF_IPV6 ? " ipv6" : "",
			ri.flags & FWD_IF_FORWARDING6 ? " ipv6-forwarding" : "",
			ri.mtu, ri.mtu6,
			ri.flags & FWD_IF_PARTIAL_CSUM ? ", " : "",
			ri.flags & FWD_IF_PARTIAL_CSUM ? l->kind : "",
			ri.flags & FWD_IF_PARTIAL_CSUM
				? ": checksums left for offload go to the "
				  "kernel"
				: "");
	d->hooks.iface_update(d->hooks.arg, &ri);
}

static struct link *link_new(struct derive *d, uint32_t ifindex)
{
	struct link *l = calloc(1, sizeof(*l));

	if (!l) {
		pr_err("links: out of memory for a link\n");
		return NULL;
	}
	l->h.key = ifindex;
	l->forwarding = -1;
	l->rp_filter = -1;
	hmap_add(&d->links, &l->h);
	return l;
}

void lrn_addrs_flush(struct derive *d, uint32_t ifindex, bool all)
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

void lrn_link_remove(struct derive *d, struct link *l)
{
	uint32_t ifindex = (uint32_t)l->h.key;

	if (l->managed && l->reported) {
		pr_info("links: interface %s (%u) gone\n", l->name, ifindex);
		d->hooks.iface_gone(d->hooks.arg, ifindex, l->name);
	}
	lrn_routes_flush(d, lrn_route_out, ifindex);
	lrn_nhs_flush_oif(d, ifindex);
	lrn_neighs_flush_dev(d, ifindex);
	lrn_addrs_flush(d, ifindex, false);
	lrn_addrs6_flush(d, ifindex, false);
	lrn_neighs6_flush_dev(d, ifindex);
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
			lrn_link_remove(d, l); /* its IPv6 neighbours: dirty6 */
			lrn_redo_apply(d);
			lrn_apply_all(d);
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
	if (nl->kind[0]) /* a driver's own devices have none */
		memcpy(l->kind, nl->kind, sizeof(l->kind));
	l->managed = iface_named(d, l->name);
	if (was_managed && !l->managed && l->reported) {
		/* Renamed away from a managed name. */
		pr_info("links: interface %s (%u) renamed, no longer managed\n",
			l->last.name, (uint32_t)l->h.key);
		d->hooks.iface_gone(d->hooks.arg, (uint32_t)l->h.key,
				    l->last.name);
		l->reported = false;
	}
	lrn_link_report(d, l, false);
	relevant =
		was_managed != l->managed || was_type != l->type ||
		memcmp(was_mac, l->mac, 6) ||
		((was_flags ^ l->flags) & (IFF_UP | IFF_RUNNING | IFF_NOARP));
	if ((was_flags & IFF_UP) && !(l->flags & IFF_UP))
		lrn_routes_flush_oif(d, (uint32_t)l->h.key);
	/* nexthop_flush_dev(): on down and on carrier loss, unannounced */
	if ((was_flags & IFF_UP) &&
	    (l->flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		lrn_nhs_flush_oif(d, (uint32_t)l->h.key);
	lrn_redo_apply(d);
	if (relevant) {
		lrn_apply_all(d);
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
			pr_err("links: out of memory for a local address\n");
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

void lrn_node6_add(struct hmap *t, struct node6 *x, uint32_t ifindex,
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
			lrn_link_report(d, l, false);
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
	lrn_node6_add(&d->addrs6, x, a->ifindex, a->local6);
	if (!l->n_addrs6++)
		lrn_link_report(d, l, false);
}

void lrn_addrs6_flush(struct derive *d, uint32_t ifindex, bool all)
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
	if (lrn_routes_flush_oif(d, a->ifindex)) {
		lrn_redo_apply(d);
		lrn_apply_all(d);
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
		hmap_for_each(&d->links, i, n, tmp) lrn_link_report(
			d, container_of(n, struct link, h), false);
		return;
	}
	l = c->ifindex > 0 ? link_get(d, c->ifindex) : NULL;
	if (l)
		lrn_link_report(d, l, true);
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
		hmap_for_each(&d->links, i, n, tmp) lrn_link_report(
			d, container_of(n, struct link, h), false);
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
	lrn_link_report(d, l, false);
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
