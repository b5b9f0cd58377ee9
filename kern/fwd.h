/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd.h - the one header shared by the XDP program and user space.
 *
 * Every type that crosses the kernel/user boundary lives here, with
 * fixed-width fields, explicit padding and a size assertion, so that the
 * BPF object, the daemon, the tests and bpftool agree byte for byte.
 */
#ifndef FWD_H
#define FWD_H

#include <linux/types.h>

/* Default size of hfwd, as in the original (`max_entries 10000`). */
#define FWD_DEFAULT_MAX_ENTRIES 10000
/* Upper bound on managed interfaces (devmap and interface table). */
#define FWD_MAX_IFACES 256
/*
 * fwd_ifaces is an ARRAY indexed by ifindex (24 B x 65536 = 1.5 MiB): the
 * verifier inlines an array lookup, a hash lookup costs a helper call. An
 * interface whose ifindex is >= this bound cannot be managed.
 */
#define FWD_MAX_IFINDEX 65536

/*
 * hfwd and hfwd6 value: where to send packets for one destination.
 * Layout fixed by the original system: 16 bytes, no padding.
 */
struct fwd_entry {
	__u32 ifindex; /* egress interface */
	__u8 smac[6];  /* source MAC written on egress (egress interface's) */
	__u8 dmac[6];  /* destination MAC: the next hop's */
};
_Static_assert(sizeof(struct fwd_entry) == 16, "hfwd value must be 16 bytes");

/* fwd_iface.flags */
#define FWD_IF_MANAGED (1U << 0)    /* fwd forwards packets arriving here */
#define FWD_IF_FORWARDING (1U << 1) /* net.ipv4.conf.<if>.forwarding = 1 */
#define FWD_IF_UP (1U << 2)	    /* IFF_UP and IFF_RUNNING */
/*
 * The kernel's source validation on this ingress (fib_validate_source()):
 * rp_filter as IN_DEV_RPFILTER() computes it, max(conf.all, conf.<if>),
 * and accept_local as IN_DEV_ACCEPT_LOCAL(), conf.all || conf.<if>.
 */
#define FWD_IF_RPF_STRICT (1U << 3)   /* rp_filter 1 */
#define FWD_IF_RPF_LOOSE (1U << 4)    /* rp_filter 2 */
#define FWD_IF_ACCEPT_LOCAL (1U << 5) /* own source addresses accepted */
/*
 * A netfilter chain could see (drop, change) what arrives here: the
 * kernel must take every packet, fwd forwards none (see agent/nft.h).
 */
#define FWD_IF_NF_HOLD (1U << 6)
/*
 * fwd_local does not hold every address of ours (a bucket overflowed): on
 * an ingress that relies on it (rp_filter 0, no accept_local) any source
 * could be ours, and the kernel takes every packet, as pass_own_source.
 */
#define FWD_IF_LOCAL_UNKNOWN (1U << 7)
/*
 * IPv6 is on here: the interface holds an IPv6 address (disable_ipv6
 * removes them all), so IPv6 arriving here may be fast-pathed and IPv6
 * may leave by it. Without it IPv6 goes to the kernel as pass6_off.
 */
#define FWD_IF_IPV6 (1U << 8)
/* FWD_IF_NF_HOLD for IPv6: an ip6, inet or netdev chain could see it. */
#define FWD_IF_NF_HOLD6 (1U << 9)
/*
 * The kernel forwards IPv6 arriving here (ip6_forward()): the global
 * net.ipv6.conf.all.forwarding, or this interface's force_forwarding. Not
 * conf.<if>.forwarding, which ip6_forward() does not read (bpf_fib_lookup()
 * does, so the fib path also needs that one).
 */
#define FWD_IF_FORWARDING6 (1U << 10)
/*
 * Frames here may carry a checksum left for offload: a veth hands native
 * XDP the bytes of its peer's CHECKSUM_PARTIAL skbs (a local socket's TCP
 * and UDP, SCTP's CRC32c), a tap those its user marked NEEDS_CSUM, whose
 * checksum only the metadata, lost in a redirect, says how to complete.
 * fwd hands those to the kernel.
 */
#define FWD_IF_PARTIAL_CSUM (1U << 11)
/*
 * An IPsec policy could apply to forwarded packets (agent/xfrm.h: a fwd
 * or out policy, or a blocking default): the kernel takes every packet of
 * both families.
 */
#define FWD_IF_XFRM_HOLD (1U << 12)

/*
 * fwd_ifaces value: per interface, at index ifindex. An all-zero entry
 * (flags without FWD_IF_MANAGED) is an interface not managed.
 */
struct fwd_iface {
	__u8 mac[6]; /* the interface's own MAC: frames must be sent to it */
	__u16 flags; /* FWD_IF_* */
	__u32 mtu;   /* device MTU (L3, as `ip link` shows it) */
	__u32 mtu6;  /* IPv6 MTU, net.ipv6.conf.<if>.mtu (<= mtu) */
	__u32 slot;  /* its counters in fwd_ifstats: FWD_IFSTAT(slot, ...) */
	__u32 pad;   /* zero */
};
_Static_assert(sizeof(struct fwd_iface) == 24, "fwd_iface must be 24 bytes");

/*
 * fwd_ovr value: presence of a key in fwd_ovr marks the hfwd entry of the
 * same key as an override (fwd_ovr6: hfwd6's). The 16-byte hfwd value stays
 * as the original had it; the program consults fwd_ovr only when the
 * ingress interface has forwarding off, where a learned entry must not be
 * used but an override must.
 */
struct fwd_ovr {
	__u8 set; /* always 1 */
	__u8 pad[3];
};
_Static_assert(sizeof(struct fwd_ovr) == 4, "fwd_ovr must be 4 bytes");

/*
 * fwd_local: this host's own IPv4 addresses, on any interface, managed or
 * not (inet_lookup_ifaddr_rcu() sees them all). A packet with such a source
 * the kernel drops as a martian unless the ingress has accept_local.
 *
 * A set the program reads without a helper call: an ARRAY of buckets,
 * direct-mapped by fwd_local_hash(), each with FWD_LOCAL_WAYS slots (0 is
 * an empty slot: 0.0.0.0 is never a source fwd forwards). A lookup is a
 * multiply, a bounds check and four compares on one cache line, where a
 * HASH lookup costs a helper call. An address whose bucket is full cannot
 * be stored: the daemon then sets FWD_IF_LOCAL_UNKNOWN everywhere.
 */
#define FWD_LOCAL_BITS 12
#define FWD_LOCAL_BUCKETS (1U << FWD_LOCAL_BITS)
#define FWD_LOCAL_WAYS 4

struct fwd_local {
	__be32 addr[FWD_LOCAL_WAYS];
};
_Static_assert(sizeof(struct fwd_local) == 16, "fwd_local must be 16 bytes");

/* The bucket of @addr (network order): Fibonacci hashing, top bits. */
static inline __u32 fwd_local_hash(__be32 addr)
{
	return ((__u32)addr * 0x9e3779b1U) >> (32 - FWD_LOCAL_BITS);
}

/*
 * Outcome counters, one slot each in the per-CPU array fwd_stats. One list
 * gives both the enum and the names user space prints (Prometheus label
 * values, QueryStats keys); the order is the map's layout.
 */
#define FWD_COUNTERS(X)                                                        \
	X(FWD_TABLE, "fwd_table")	    /* forwarded by a hfwd hit */      \
	X(FWD_FIB, "fwd_fib")		    /* forwarded by bpf_fib_lookup */  \
	X(PASS_NOT_IP, "pass_not_ip")	    /* ARP, VLAN tagged ...: not IP */ \
	X(PASS_TRUNCATED, "pass_truncated") /* shorter than its headers */     \
	X(PASS_NOT_MANAGED, "pass_not_managed") /* ingress not managed */      \
	X(PASS_NOT_FOR_US, "pass_not_for_us")	/* dst MAC not ingress MAC */  \
	X(PASS_BAD_HEADER, "pass_bad_header") /* version, IHL<5, len, csum */  \
	X(PASS_IP_OPTIONS, "pass_ip_options") /* IHL > 5 */                    \
	X(PASS_TTL, "pass_ttl")		      /* TTL <= 1: time exceeded */    \
	X(PASS_NOT_UNICAST, "pass_not_unicast") /* mcast/bcast/martian */      \
	X(PASS_FWD_OFF, "pass_forwarding_off")	/* learned, ingress fwd off */ \
	X(PASS_MTU, "pass_mtu")			/* egress MTU exceeded */      \
	X(PASS_EGRESS, "pass_egress_unmanaged") /* not in the devmap */        \
	X(PASS_HAIRPIN, "pass_hairpin") /* egress == ingress: ICMP redirect */ \
	X(PASS_FIB_NO_NEIGH, "pass_fib_no_neigh")   /* kernel resolves ARP */  \
	X(PASS_FIB_NOT_FWDED, "pass_fib_not_fwded") /* local, no route */      \
	X(PASS_FIB_FWD_DISABLED, "pass_fib_fwd_disabled")                      \
	X(PASS_FIB_DROP, "pass_fib_drop") /* blackhole/unreachable/prohibit */ \
	X(PASS_FIB_OTHER, "pass_fib_other")   /* LWT, frag needed, other */    \
	X(PASS_ICMP_ERROR, "pass_icmp_error") /* ECMP would hash inner hdr */  \
	X(PASS_OWN_SOURCE, "pass_own_source") /* source is a local address */  \
	X(PASS_RP_FILTER, "pass_rp_filter")   /* reverse path check fails */   \
	X(PASS_NETFILTER, "pass_netfilter")   /* a chain could see it */       \
	X(FWD_FIB6, "fwd_fib6")		      /* IPv6 by bpf_fib_lookup */     \
	X(PASS6_BAD_HEADER, "pass6_bad_header") /* version, payload length */  \
	X(PASS6_EXT_HEADER, "pass6_ext_header") /* HBH, routing, fragment */   \
	X(PASS6_HOP_LIMIT, "pass6_hop_limit")	/* <= 1: time exceeded */      \
	X(PASS6_NOT_UNICAST, "pass6_not_unicast") /* mcast, ::, ::1, fe80 */   \
	X(PASS6_ICMP_ERROR, "pass6_icmp_error")	  /* ECMP hashes inner hdr */  \
	X(PASS6_MTU, "pass6_mtu")		  /* Packet Too Big */         \
	X(PASS6_FIB_NO_NEIGH, "pass6_fib_no_neigh")                            \
	X(PASS6_FIB_NOT_FWDED, "pass6_fib_not_fwded")                          \
	X(PASS6_FIB_FWD_DISABLED, "pass6_fib_fwd_disabled")                    \
	X(PASS6_FIB_DROP, "pass6_fib_drop")                                    \
	X(PASS6_FIB_OTHER, "pass6_fib_other")                                  \
	X(FWD_TABLE6, "fwd_table6")		 /* IPv6 by a hfwd6 hit */     \
	X(PASS6_FWD_OFF, "pass6_forwarding_off") /* not FWD_IF_FORWARDING6 */  \
	X(PASS6_NDP, "pass6_ndp") /* neighbour discovery, proxy_ndp's too */   \
	X(PASS6_OFF, "pass6_off") /* IPv6 off on the ingress, or unmanaged */  \
	X(PASS_CSUM_PARTIAL, "pass_csum_partial") /* left for offload */       \
	X(PASS_XFRM, "pass_xfrm") /* an IPsec policy could apply */

#define FWD_COUNTER_ENUM(id, name) FWD_CNT_##id,
enum fwd_counter { FWD_COUNTERS(FWD_COUNTER_ENUM) FWD_CNT_MAX };
#undef FWD_COUNTER_ENUM

#ifndef __bpf__
#define FWD_COUNTER_NAME(id, name) [FWD_CNT_##id] = name,
static const char *const fwd_counter_names[FWD_CNT_MAX] = {
	FWD_COUNTERS(FWD_COUNTER_NAME)};
#undef FWD_COUNTER_NAME
#endif

/* fwd_stats value: one per counter per CPU. */
struct fwd_count {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct fwd_count) == 16, "fwd_count must be 16 bytes");

/*
 * Per-interface counters: fwd_ifstats, a per-CPU array of one fwd_ifstat
 * per managed interface's slot (fwd_iface.slot: the agent gives one to
 * each interface it manages and takes it back when the interface goes),
 * sized by the agent to the interfaces named at start, so its memory is
 * bounded by --iface, not by how many interfaces ever came and went.
 *
 * A packet is counted once, in the block of the interface it arrived on:
 * rx[its outcome] (the FWD_CNT_* of fwd_stats) and, if fwd forwarded it,
 * tx[the egress's slot] too, so the data path does one lookup a packet.
 * What left by the interface of slot X is tx[X] summed over every block,
 * less the agent's baseline for X: the block at index FWD_IFSTAT_BASE(n),
 * n the map's slots, which the program never counts in (its CPU 0 entry
 * holds tx[X] as it was when slot X was last given to a new interface).
 */
struct fwd_ifstat {
	struct fwd_count rx[FWD_CNT_MAX];    /* arrived here, by outcome */
	struct fwd_count tx[FWD_MAX_IFACES]; /* forwarded, by egress slot */
};
_Static_assert(sizeof(struct fwd_ifstat) % 8 == 0, "fwd_ifstat padding");
#define FWD_IFSTAT_BASE(n_slots) (n_slots)

/*
 * Demand learning's report channel. A destination the fib path forwarded
 * is written to the ring buffer fwd_report as one struct fwd_report, so
 * the agent can derive an hfwd (hfwd6) entry for it when its route allows
 * one; the program still never writes hfwd. Bounded per CPU by the
 * struct fwd_demand at index 0 of the per-CPU array fwd_demand: a
 * destination reported in the last second is not reported again (a
 * direct-mapped cache of FWD_DEMAND_SLOTS tags), and reports spend tokens
 * of a bucket of @burst refilled at @rate a second, so a flood of new
 * destinations costs each packet a lookup, a hash and a compare. @rate 0
 * (a map never configured): no reports.
 */
#define FWD_DEMAND_SLOTS 256
#define FWD_REPORT_BYTES (64 * 1024) /* the ring: 2048 reports */

struct fwd_report {
	__u8 family;   /* AF_INET or AF_INET6 */
	__u8 pad[3];   /* zero */
	__u32 ifindex; /* the egress the fib path chose */
	__u8 addr[16]; /* the destination; IPv4 in the first 4 */
};
_Static_assert(sizeof(struct fwd_report) == 24, "fwd_report must be 24 bytes");

struct fwd_demand {
	/* set by the agent */
	__u32 rate;  /* reports a second on this CPU; 0: none */
	__u32 burst; /* tokens at most */
	/* the program's own */
	__u64 stamp;	  /* jiffies at the last refill */
	__u64 tokens;	  /* in 1/HZ of a report: a report costs HZ */
	__u64 reports;	  /* written to fwd_report */
	__u64 suppressed; /* the same destination within a second */
	__u64 limited;	  /* over the rate */
	__u64 lost;	  /* fwd_report full: the agent is behind */
	__u32 tag[FWD_DEMAND_SLOTS];  /* a reported destination's tag */
	__u32 when[FWD_DEMAND_SLOTS]; /* jiffies (low 32 bits) it was */
};
_Static_assert(sizeof(struct fwd_demand) % 8 == 0, "fwd_demand padding");

#endif /* FWD_H */
