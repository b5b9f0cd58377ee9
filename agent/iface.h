/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iface.h - a managed interface's state, owned in one place, and the
 * fwd_ifaces value the XDP program reads, computed in one place.
 *
 * Three sources make it: what rtnetlink says (links.c reports up,
 * forwarding, rp_filter, IPv6 on, the MAC and the MTU bounds of its
 * routes), what only /proc/sys says (accept_local, force_forwarding, the
 * IPv6 MTU: netconf announces none of their values, so they are read on
 * every report and polled), and what holds on every interface at once
 * (a netfilter chain that could see forwarded packets, an own address
 * fwd_local could not take, accept_local on "all"). The daemon keeps the
 * interfaces and pushes iface_value() to the map whenever any changes.
 */
#ifndef IFACE_H
#define IFACE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

/* What only /proc/sys/net/ipv{4,6}/conf/<if>/ says. */
struct iface_conf {
	bool accept_local;     /* net.ipv4.conf.<if>.accept_local */
	bool force_forwarding; /* net.ipv6.conf.<if>.force_forwarding */
	uint32_t mtu6;	       /* net.ipv6.conf.<if>.mtu, 0 if unreadable */
};

/* A managed interface. */
struct iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	uint16_t flags; /* rtnetlink's: FWD_IF_UP, _FORWARDING, ... */
	uint32_t mtu;	/* IPv4: the device's, or a route MTU below it */
	uint32_t mtu6;	/* IPv6: the same, before conf.<if>.mtu */
	struct iface_conf conf; /* what only /proc/sys says */
};

/* What holds on every interface. */
struct iface_host {
	bool accept_all;	/* net.ipv4.conf.all.accept_local */
	bool nf_hold, nf_hold6; /* a netfilter chain could see IPv4, IPv6 */
	bool bypass_netfilter;	/* --bypass-netfilter */
	bool xfrm_hold;		/* an IPsec policy could apply (xfrm.h) */
	bool local_unknown;	/* fwd_local lacks an address of ours */
};

/* @name's /proc/sys settings now; unreadable ones as off (older kernels). */
struct iface_conf iface_read_conf(const char *name);
/* net.ipv4.conf.all.accept_local. */
bool iface_read_accept_all(void);

/*
 * Read @i's settings again: true if any changed (each change logged), and
 * @i holds them.
 */
bool iface_poll(struct iface *i);

/*
 * The fwd_ifaces value for @i under @h: the flags (FWD_IF_*, without
 * FWD_IF_MANAGED, which the map's writer adds), the IPv4 MTU and the IPv6
 * MTU (conf.<if>.mtu below the device's and the routes'). Pure.
 */
void iface_value(const struct iface *i, const struct iface_host *h,
		 uint16_t *flags, uint32_t *mtu, uint32_t *mtu6);

#endif /* IFACE_H */
