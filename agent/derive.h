/* SPDX-License-Identifier: GPL-2.0 */
/*
 * derive.h - the derivation rule (docs/design.md, "The derivation rule"),
 * applied incrementally.
 *
 * Mirrors what the rule depends on (links, the main and local routing
 * tables, IPv4 and IPv6 neighbours, per-interface forwarding) from parsed
 * rtnetlink messages, and tells the daemon through the rtnl hooks which learned
 * entries exist. No sockets here: rtnl.c feeds it, unit tests feed it
 * structs and watch the hook calls.
 *
 * Route resolution is a longest-prefix match over the mirrored local and
 * main tables (the kernel's lookup order under the default policy rules),
 * so answering "where does D go" costs at most 2 x 33 hash probes and no
 * system call. A destination can only have an entry if it is a candidate:
 * the address of a neighbour, or the destination of a /32 host route.
 */
#ifndef DERIVE_H
#define DERIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "nl.h"
#include "rtnl.h"

struct derive;

struct derive_stats {
	uint64_t links;
	uint64_t routes;   /* both families, tables main and local */
	uint64_t nexthops; /* nexthop objects */
	uint64_t neighs;
	uint64_t neighs6;    /* IPv6 neighbours */
	uint64_t cands6;     /* IPv6 destinations that could have an entry */
	uint64_t learned;    /* entries currently learned */
	uint64_t set_errors; /* learn_set() failures (retried on next change) */
	uint64_t derivations; /* destinations derived again, one by one */
};

/* @ifaces: managed interface names. NULL with errno set on failure. */
struct derive *derive_new(const struct rtnl_hooks *hooks, char **ifaces,
			  int n_ifaces, bool learn);
void derive_free(struct derive *d);

/*
 * A full resync: begin() forgets routes, neighbours and learned entries and
 * calls the resync_begin hook; the dump then feeds messages (applied to the
 * mirror only); end() drops links the dump did not show, derives every
 * candidate, calls learn_set() for each entry and the resync_end hook.
 */
void derive_resync_begin(struct derive *d);
void derive_resync_end(struct derive *d);

/* One parsed message each; @del for RTM_DEL*. Applied at once. */
void derive_link(struct derive *d, const struct nl_link *l, bool del);
void derive_addr(struct derive *d, const struct nl_addr *a, bool del);
void derive_route(struct derive *d, const struct nl_route *r, bool del);
void derive_neigh(struct derive *d, const struct nl_neigh *n, bool del);
void derive_netconf(struct derive *d, const struct nl_netconf *c);

/* Is @r one of the three rules every IPv4 namespace starts with? */
bool derive_rule_is_default(const struct nl_rule *r);
/*
 * @custom IPv4 policy rules besides the default three exist. While any do,
 * the answer may depend on more than the destination (source, mark,
 * interface, VRF): nothing is learned, the fib fallback decides.
 */
void derive_rules(struct derive *d, unsigned int custom);

/* A nexthop object (RTM_NEWNEXTHOP / RTM_DELNEXTHOP). */
void derive_nexthop(struct derive *d, const struct nl_nexthop *nh, bool del);
/*
 * Derive again what the batch of messages just applied moved: the IPv6
 * candidates inside changed prefixes, everything after a nexthop object
 * changed. Call after each batch (rtnl.c does).
 */
void derive_flush(struct derive *d);
/* As derive_rules(), for the IPv6 policy rules. */
void derive_rules6(struct derive *d, unsigned int custom);

/* First managed name no link carries, or NULL. */
const char *derive_missing_iface(const struct derive *d);

/*
 * Neighbour liveness: call @fn(arg, ifindex, ip) for neighbours behind
 * learned entries that sit in NUD_STALE, each at most once per call, at
 * most @max calls; a cursor makes successive calls cover the whole table.
 * Cost: one pass over the neighbours (a derivation for each STALE one).
 * Returns the number of calls made.
 */
unsigned int derive_refresh(struct derive *d,
			    void (*fn)(void *arg, uint32_t ifindex,
				       uint32_t ip),
			    void *arg, unsigned int max);

/* The same for the IPv6 neighbours that are a candidate's next hop. */
unsigned int derive_refresh6(struct derive *d,
			     void (*fn)(void *arg, uint32_t ifindex,
					const uint8_t ip[16]),
			     void *arg, unsigned int max);

void derive_stats(const struct derive *d, struct derive_stats *out);

/*
 * Demand learning (docs/design.md, "Demand learning"): destinations the
 * program reported because the fib path forwarded them. One whose route
 * is a single-path prefix via a gateway (or a single nexthop object) gets
 * an entry by the rule, kept exact as every learned entry is, while
 * reports renew it: not renewed for @idle_ms, or the oldest when @max are
 * held and another comes, it is evicted. Others are ignored: the rule
 * already covers connected and host-route destinations, and ECMP, TOS and
 * policy-routed ones stay on the fib path. @max 0: off (the default).
 */
void derive_demand_config(struct derive *d, uint32_t max, uint64_t idle_ms);
/* The program reported @dst at @now_ms (any monotonic clock in ms). */
void derive_demand(struct derive *d, const struct ip_addr *dst,
		   uint64_t now_ms);
/*
 * Evict the demand destinations not reported since @now_ms - idle, at
 * most @max of them (each is a map write); the rest at the next call.
 */
void derive_demand_expire(struct derive *d, uint64_t now_ms, unsigned int max);

struct derive_demand_stats {
	uint64_t entries; /* demand destinations held (both families) */
	uint64_t learned; /* destinations added */
	uint64_t renewed; /* reports of one already held */
	uint64_t ignored; /* reports the rule does not help (ECMP ...) */
	uint64_t idle;	  /* evicted for idleness */
	uint64_t budget;  /* evicted for a newer one, the budget full */
};
void derive_demand_stats(const struct derive *d,
			 struct derive_demand_stats *out);

#endif /* DERIVE_H */
