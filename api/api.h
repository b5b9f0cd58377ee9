/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.h - the HTTP JSON API: what it needs from the daemon, and what it
 * offers to it.
 *
 * The API never touches a map or the table directly: it calls api_ops,
 * which the daemon implements (and tests and the fuzzer fake). Addresses
 * are struct ip_addr (agent/addr.h), either family, network byte order.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd.h"
#include "util.h"

struct loop;
struct api;

struct api_row {
	struct ip_addr ip;
	struct fwd_entry entry; /* as in hfwd */
	bool override;		/* Source: "override" or "learned" */
	bool absent;		/* not in hfwd (hfwd6): the map was full */
	bool iface_gone; /* its ifindex is no interface fwd manages now */
};

struct api_stats {
	struct fwd_count counters[FWD_CNT_MAX]; /* summed over CPUs */
	uint64_t learned;   /* IPv4 learned entries in the table */
	uint64_t overrides; /* IPv4 overrides in the table */
	uint64_t
		hfwd_entries; /* keys in hfwd (learned not shadowed + overrides) */
	uint64_t learned6, overrides6, hfwd6_entries; /* the same for IPv6 */
	uint64_t max_entries; /* capacity of hfwd, and of hfwd6 */
	uint64_t evicted;     /* learned entries taken out of a full map for an
			   * override */
	uint64_t resyncs;
	uint64_t nl_events;
	uint64_t uptime_s;
	uint64_t loop_max_us; /* the event loop's longest callback */
	uint64_t loop_slow;   /* ... callbacks of 20 ms or more */
	struct {
		uint64_t max;	  /* the budget (--demand-max); 0: off */
		uint64_t entries; /* destinations held, both families */
		uint64_t learned; /* added */
		uint64_t renewed; /* reported again while held */
		uint64_t ignored; /* reports the rule does not help */
		uint64_t idle;	  /* evicted: not reported for --demand-idle */
		uint64_t budget;  /* evicted: the oldest, for a newer one */
		uint64_t reports; /* written by the program */
		uint64_t suppressed; /* ... not: reported in the last second */
		uint64_t limited;    /* ... not: over the per-CPU rate */
		uint64_t lost;	     /* ... not: the ring was full */
	} demand;
	bool netfilter_hold;	 /* a chain holds the fast path */
	bool netfilter_bypassed; /* --bypass-netfilter */
	bool xfrm_hold;		 /* an IPsec policy holds the fast path */
};

/* One managed interface's data-path counters, summed over CPUs. */
struct api_ifstat {
	uint32_t ifindex;
	char name[16];			  /* IF_NAMESIZE */
	struct fwd_count rx[FWD_CNT_MAX]; /* arrived here, by outcome */
	struct fwd_count tx;		  /* redirected out of here */
};

struct api_ops {
	void *arg;
	/*
	 * Resolve an interface given as a decimal ifindex ("4") or a name
	 * ("enp0s9"). -ENODEV: no such interface; -EPERM: exists but is not
	 * managed. On success fills @ifindex and the interface's @mac.
	 */
	int (*iface_resolve)(void *arg, const char *iface, uint32_t *ifindex,
			     uint8_t mac[6]);
	/*
	 * Set an override in hfwd at once. Not yet durable (see flush).
	 * @ifname: the interface's name if the request gave it by name (the
	 * override then follows the name), NULL if by index; @own_smac:
	 * srcMac was given (else it is the interface's and follows it).
	 */
	int (*override_set)(void *arg, const struct ip_addr *ip,
			    const struct fwd_entry *e, const char *ifname,
			    bool own_smac);
	/* Remove an override; the learned entry, if any, comes back. -ENOENT */
	int (*override_del)(void *arg, const struct ip_addr *ip);
	/* One row, the one hfwd (hfwd6) holds for @ip. -ENOENT if none. */
	int (*lookup)(void *arg, const struct ip_addr *ip, struct api_row *row);
	/*
	 * Every row, IPv4 then IPv6, each by address; stops early if @fn
	 * returns != 0.
	 */
	int (*walk)(void *arg, int (*fn)(const struct api_row *row, void *ctx),
		    void *ctx);
	int (*stats)(void *arg, struct api_stats *out);
	/*
	 * Per-interface counters of up to @max managed interfaces into
	 * @out: how many, or -errno. NULL: none are kept.
	 */
	int (*ifstats)(void *arg, struct api_ifstat *out, int max);
	/* Make every override set or deleted so far durable. 0 or -errno. */
	int (*flush)(void *arg);
};

struct api_opts {
	const char *control;	/* the control socket's path, NULL: none */
	long control_gid;	/* its group, -1: the daemon's */
	const char *listen;	/* TCP "127.0.0.1:5555", "[::1]:5555"; NULL */
	const char *token_file; /* the token TCP requests need */
	bool insecure_listen;	/* TCP without a token */
};

/* Start serving inside @loop. 0 or -errno (logged with the reason). */
int api_open(struct api **out, struct loop *loop, const struct api_opts *o,
	     const struct api_ops *ops);
void api_close(struct api *api);

#endif /* API_H */
