/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtnl.h - keeps the learned part of the table true to the kernel.
 *
 * Subscribes to rtnetlink (links, addresses, routes, rules and netconf of
 * both families, neighbours, nexthop objects), dumps, then follows events;
 * on ENOBUFS or SIGHUP it does a full resync. The messages go through the
 * parsers (nl.h) to the learning core (derive.h), which keeps the mirror
 * and derives the learned entries; what they are reaches the rest of the
 * daemon through the hooks below, so nothing here touches a BPF map and
 * unit tests can drive it.
 */
#ifndef RTNL_H
#define RTNL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "fwd.h"

struct loop;
struct rtnl;

/* What the daemon needs to know about a managed interface. */
struct rtnl_iface {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	/*
	 * What the program checks a packet out of here against: the device
	 * MTU, or the smallest route MTU below it of the routes that may
	 * send packets out of here (ip_forward() applies a route's `mtu`,
	 * locked or not; bpf_fib_lookup() only a locked one). IPv6's is
	 * bounded again by conf.<if>.mtu.
	 */
	uint32_t mtu;
	uint32_t mtu6;
	uint16_t flags; /* FWD_IF_UP, FWD_IF_FORWARDING, FWD_IF_RPF_* */
};

struct rtnl_hooks {
	void *arg;
	/* A managed interface appeared or changed (MAC, up, forwarding). */
	void (*iface_update)(void *arg, const struct rtnl_iface *iface);
	/* A managed interface was deleted (or renamed away). */
	void (*iface_gone)(void *arg, uint32_t ifindex, const char *name);
	/* Learned entry for @ip (network order) is now @e. 0 or -errno. */
	int (*learn_set)(void *arg, uint32_t ip, const struct fwd_entry *e);
	/* Learned entry for @ip no longer exists. 0 or -errno (-ENOENT ok). */
	int (*learn_del)(void *arg, uint32_t ip);
	/* The same for an IPv6 destination (16 bytes). Optional. */
	int (*learn_set6)(void *arg, const uint8_t ip[16],
			  const struct fwd_entry *e);
	int (*learn_del6)(void *arg, const uint8_t ip[16]);
	/*
	 * @ip (network order) became, or stopped being, an IPv4 address of
	 * this host on some interface (managed or not). Optional.
	 */
	void (*local_add)(void *arg, uint32_t ip);
	void (*local_del)(void *arg, uint32_t ip);
	/*
	 * A full resync brackets its learn_set() calls with these: at
	 * resync_end() every learned entry not set since resync_begin() is
	 * stale and must go.
	 */
	void (*resync_begin)(void *arg);
	void (*resync_end)(void *arg);
};

struct rtnl_opts {
	char **ifaces; /* managed interface names */
	int n_ifaces;
	bool learn;	     /* false: --no-learn, interfaces only */
	int rcvbuf;	     /* socket receive buffer, bytes (0: 8 MiB) */
	unsigned refresh_ms; /* neighbour liveness period (0: default) */
	uint32_t demand_max; /* demand destinations at most; 0: none */
	uint32_t demand_idle_ms; /* ... evicted when not reported this long */
};

struct rtnl_stats {
	uint64_t events;    /* rtnetlink messages applied */
	uint64_t resyncs;   /* full resyncs (initial one excluded) */
	uint64_t enobufs;   /* receive overruns seen */
	uint64_t refreshes; /* neighbour liveness probes sent */
};

/*
 * Open the sockets, subscribe, dump and apply: when it returns 0 every
 * hook call for the initial state has been made. Fails with -ENODEV (and
 * a log line naming it) if a managed interface does not exist.
 */
int rtnl_open(struct rtnl **out, struct loop *loop, const struct rtnl_opts *o,
	      const struct rtnl_hooks *hooks);
/* Full resync now (SIGHUP). 0 or -errno. */
int rtnl_resync(struct rtnl *r);
void rtnl_stats(const struct rtnl *r, struct rtnl_stats *out);

/* The program reported @dst: a demand destination (derive.h). */
struct ip_addr;
void rtnl_demand(struct rtnl *r, const struct ip_addr *dst);
struct derive_demand_stats;
void rtnl_demand_stats(const struct rtnl *r, struct derive_demand_stats *out);
void rtnl_close(struct rtnl *r);

#endif /* RTNL_H */
