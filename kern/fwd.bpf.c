// SPDX-License-Identifier: GPL-2.0
/*
 * fwd.bpf.c - the XDP fast path: forward IPv4 and IPv6 exactly as the
 * kernel would.
 *
 * A frame goes on only if it is IPv4 (or IPv6, where it is on), unicast to
 * the MAC of the managed interface it arrived on, and carries a header the
 * kernel would forward unchanged apart from TTL (hop limit) and checksum.
 * The next hop comes from hfwd or hfwd6 (filled by the agent from the
 * kernel's neighbour and route tables, or set by an override) and, on a
 * miss, from bpf_fib_lookup(), whose destinations are reported to the
 * agent (fwd_report) so that it can learn them on demand. Anything the
 * program cannot decide with certainty is handed to the kernel with
 * XDP_PASS, never dropped, and counted by reason in fwd_stats.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "fwd.h"

#define AF_INET 2
#define AF_INET6 10
#define IPV6_FLOWINFO_MASK 0x0fffffff /* traffic class and flow label */
/* IPv6 next headers (linux/ipv6.h has the struct, not these) */
#define NEXTHDR_ICMP 58
#define NEXTHDR_NONE 59
#define ICMPV6_INFOMSG 128 /* types below are errors */
#define IP_MF 0x2000	   /* more fragments */
#define IP_OFFSET 0x1fff   /* fragment offset */
/*
 * Bytes of IPv4 the linear part of a multi-buffer frame must hold: the
 * header and what the program reads after it (AH's SPI and ports end at 36).
 */
#define FWD_LINEAR_MIN 64
/* ICMP error types (linux/icmp.h pulls in libc headers) */
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

/*
 * Profiling only: scripts/bench/steps.sh builds variants of this program
 * with steps left out (scripts/bench/profile.h). Every real build and the
 * golden tests have none: SKIP() is 0.
 */
#ifdef FWD_PROFILE
#include "profile.h"
#else
#define SKIP(step) 0
#endif

/* The forwarding table. The agent is its only writer and sizes it at load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_DEFAULT_MAX_ENTRIES);
	__type(key, __be32);
	__type(value, struct fwd_entry);
} hfwd SEC(".maps");

/* Keys of hfwd that are overrides (see struct fwd_ovr). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_DEFAULT_MAX_ENTRIES);
	__type(key, __be32);
	__type(value, struct fwd_ovr);
} fwd_ovr SEC(".maps");

/* The same two for IPv6, keyed by the 16-byte destination. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_DEFAULT_MAX_ENTRIES);
	__type(key, struct in6_addr);
	__type(value, struct fwd_entry);
} hfwd6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_DEFAULT_MAX_ENTRIES);
	__type(key, struct in6_addr);
	__type(value, struct fwd_ovr);
} fwd_ovr6 SEC(".maps");

/*
 * Egress interfaces. DEVMAP_HASH, keyed by ifindex: a plain DEVMAP is an
 * array indexed by ifindex and cannot hold ifindex >= max_entries.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, FWD_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} fwd_ports SEC(".maps");

/*
 * Managed interfaces: MAC, flags and MTU at index ifindex. An ARRAY, not a
 * HASH: the verifier inlines an array lookup into a bounds check and an
 * address computation, where a hash lookup is a helper call (about 25 ns of
 * the table path's budget). Every packet does one for its ingress and the
 * table path one for its egress. An ifindex beyond the array reads NULL,
 * like a zeroed (unmanaged) entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FWD_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, struct fwd_iface);
} fwd_ifaces SEC(".maps");

/* This host's own IPv4 addresses, a set of buckets (see struct fwd_local). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FWD_LOCAL_BUCKETS);
	__type(key, __u32);
	__type(value, struct fwd_local);
} fwd_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FWD_CNT_MAX);
	__type(key, __u32);
	__type(value, struct fwd_count);
} fwd_stats SEC(".maps");

/*
 * Per-interface counters (struct fwd_ifstat): a PERCPU_ARRAY like
 * fwd_stats, so a count is an inlined lookup and adds on this CPU's own
 * lines. The agent sets max_entries to its slots and the baseline before
 * load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FWD_MAX_IFACES + 1);
	__type(key, __u32);
	__type(value, struct fwd_ifstat);
} fwd_ifstats SEC(".maps");

/*
 * Demand learning's report channel (see struct fwd_report): destinations
 * the fib path forwarded, for the agent; fwd_demand bounds it per CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FWD_REPORT_BYTES);
} fwd_report SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_demand);
} fwd_demand SEC(".maps");

/* The kernel's HZ, for jiffies; 0 where libbpf cannot read the config. */
extern unsigned long CONFIG_HZ __kconfig __weak;

/* Record why a packet ended as it did; returns @verdict for tail calls. */
static __always_inline int verdict_of(__u32 *counter, __u32 which, int verdict)
{
	*counter = which;
	return verdict;
}

static __always_inline int pass(__u32 *counter, __u32 which)
{
	return verdict_of(counter, which, XDP_PASS);
}

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

/*
 * One more packet of @len bytes that arrived on the interface of @in, a
 * fwd_ifaces entry (NULL or not managed: no slot, not counted), and ended
 * as @which; and left by the interface of @out, if not NULL. One lookup:
 * both counts are in the ingress's block.
 */
static __always_inline void count_iface(const struct fwd_iface *in,
					const struct fwd_iface *out,
					__u32 which, __u32 len)
{
	struct fwd_ifstat *s;
	__u32 slot;

	if (SKIP(SKIP_IFC) || !in || !(in->flags & FWD_IF_MANAGED))
		return;
	slot = in->slot;
	s = bpf_map_lookup_elem(&fwd_ifstats, &slot);
	if (!s)
		return;
	if (which < FWD_CNT_MAX) {
		s->rx[which].packets++;
		s->rx[which].bytes += len;
	}
	if (out && (out->flags & FWD_IF_MANAGED) &&
	    out->slot < FWD_MAX_IFACES) {
		s->tx[out->slot].packets++;
		s->tx[out->slot].bytes += len;
	}
}

/* ip_rcv() drops a header whose checksum does not fold to 0xffff. */
static __always_inline int ip_csum_ok(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * The one's complement sum of @n bytes at @p (n a multiple of 4), its
 * carries folded back to under 18 bits: 32-bit words into 64 bits, which
 * is the same sum as 16-bit words in half the adds.
 */
static __always_inline __u32 sum16(const void *p, int n)
{
	const __u32 *w = p;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < n / 4; i++)
		sum += w[i];
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)((sum & 0xffff) + (sum >> 16));
}

/*
 * A checksum left for offload, on an ingress with FWD_IF_PARTIAL_CSUM: the
 * stack that sent a CHECKSUM_PARTIAL skb wrote into the TCP or UDP checksum
 * only the pseudo-header's sum, folded and not inverted
 * (__tcp_v4_send_check(), udp4_hwcsum(), their IPv6 twins), and SCTP left
 * its CRC32c 0 (sctp_packet_pack()). The kernel completes it before it
 * sends (skb_checksum_help() or the egress's offload); forwarded as it is,
 * the receiver drops it. @addrs: the addresses' words summed (sum16());
 * @len: the transport's length. A full checksum that equals the
 * pseudo-header's sum (one in 65536) goes to the kernel too, which sends
 * the same bytes, only later. Fragments carry none: the kernel completes a
 * checksum before it fragments.
 */
static __always_inline int csum_left(__u8 proto, void *l4, void *data_end,
				     __u32 addrs, __u32 len)
{
	__u16 *check;

	switch (proto) {
	case IPPROTO_TCP:
		check = l4 + 16;
		break;
	case IPPROTO_UDP:
		check = l4 + 6;
		break;
	case IPPROTO_SCTP:
		check = l4 + 8;
		if ((void *)(check + 2) > data_end)
			return 0;
		return !check[0] && !check[1];
	default:
		return 0;
	}
	if ((void *)(check + 1) > data_end)
		return 0;
	addrs += bpf_htons(proto) + bpf_htons(len);
	addrs = (addrs & 0xffff) + (addrs >> 16);
	addrs = (addrs & 0xffff) + (addrs >> 16);
	return *check == addrs;
}

/*
 * Addresses the kernel never forwards as unicast: multicast (224/4) and
 * limited broadcast go to local delivery or multicast routing; 0/8 and
 * 127/8 are martians that ip_route_input_slow() refuses on either side,
 * and multicast sources are martians too.
 */
static __always_inline int addr_special(__be32 addr)
{
	__u32 a = bpf_ntohl(addr);

	return (a >> 28) == 0xe || a == 0xffffffff || (a >> 24) == 0 ||
	       (a >> 24) == 127;
}

/*
 * Send the frame out of nh->ifindex with nh's MACs, TTL one less. The
 * redirect is set up first, with XDP_PASS as its failure verdict, so that an
 * egress missing from fwd_ports leaves the frame untouched for the kernel.
 * The egress MTU is checked once the egress is known to be managed, so an
 * unmanaged egress is counted as such, against the MTU the agent keeps in
 * fwd_ifaces: the device's, or the smallest route MTU below it of the
 * routes that may leave by it (ip_forward() and ip6_forward() apply a
 * route's MTU locked or not; bpf_fib_lookup() checks only a locked one, so
 * the fib path needs this check as much as the table path; an inlined
 * array read costs nothing where bpf_check_mtu() costs a helper call).
 * Ethernet padding beyond the IPv4 total length (@len is the whole
 * frame, fragments of a multi-buffer one included; it becomes the length
 * sent) is dropped, as ip_rcv() trims it, so the bytes sent are the bytes
 * the kernel would send. @v6: an IPv6 frame (hop limit, no checksum).
 * Inlined at each path's end; @v6 is a constant there. Counted here, in
 * the block of @in (the ingress's fwd_ifaces entry, as the path found
 * it): rx as @which, tx by egress.
 */
static __always_inline int forward(struct xdp_md *ctx, __u32 *counter,
				   const struct fwd_iface *in,
				   const struct fwd_entry *nh, __u32 tot_len,
				   __u32 *len, __u32 which, int v6)
{
	__u32 egress = nh->ifindex;
	const struct fwd_iface *out = NULL;
	void *data, *data_end;
	struct ipv6hdr *ip6;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u32 check;
	long trim;
	int verdict;

	/* Same interface: the kernel would also send an ICMP redirect. */
	if (nh->ifindex == ctx->ingress_ifindex)
		return pass(counter, FWD_CNT_PASS_HAIRPIN);
	verdict = bpf_redirect_map(&fwd_ports, nh->ifindex, XDP_PASS);
	if (verdict != XDP_REDIRECT)
		return pass(counter, FWD_CNT_PASS_EGRESS);
	out = bpf_map_lookup_elem(&fwd_ifaces, &egress);
	/*
	 * In fwd_ports but not (or no longer) managed: a race. IPv6 leaves
	 * only by an interface that has it on, within its IPv6 MTU
	 * (ip6_dst_mtu_maybe_forward(): conf.<if>.mtu).
	 */
	if (!out || !(out->flags & FWD_IF_MANAGED) ||
	    (v6 && !(out->flags & FWD_IF_IPV6)))
		return pass(counter, FWD_CNT_PASS_EGRESS);
	if (tot_len > (v6 ? out->mtu6 : out->mtu))
		return pass(counter, v6 ? FWD_CNT_PASS6_MTU : FWD_CNT_PASS_MTU);

	/* From the tail: a multi-buffer frame loses fragments first. */
	trim = (long)*len - ETH_HLEN - tot_len;
	if (trim > 0) {
		if (bpf_xdp_adjust_tail(ctx, -(int)trim))
			return pass(counter, v6 ? FWD_CNT_PASS6_BAD_HEADER
						: FWD_CNT_PASS_BAD_HEADER);
		*len -= trim;
	}

	/* Re-derive: adjust_tail invalidates every packet pointer. */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	iph = (void *)(eth + 1);
	ip6 = (void *)(eth + 1);
	if (v6 ? (void *)(ip6 + 1) > data_end : (void *)(iph + 1) > data_end)
		return pass(counter, FWD_CNT_PASS_TRUNCATED);

	if (SKIP(SKIP_REWRITE))
		goto sent;
	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	if (v6) {
		ip6->hop_limit--; /* IPv6 has no header checksum */
		goto sent;
	}
	/* RFC 1624 incremental update, the arithmetic of ip_decrease_ttl() */
	check = iph->check;
	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xffff));
	iph->ttl--;
sent:
	/* rx and tx in one; xdp_handle_fwd() counts the rest, the passes */
	count_iface(in, out, which, *len);
	return verdict_of(counter, which, verdict);
}

/*
 * Tell the agent that the fib path found a way out (@egress) for the
 * destination @addr (@tag: a 32-bit digest of it), unless this CPU
 * reported it in the last second or has spent its tokens. bpf_jiffies64()
 * is inlined by the verifier, the state an inlined per-CPU array read: a
 * packet pays a few loads and compares, a report a ring buffer slot.
 */
static __always_inline void report(__u8 family, const void *addr, __u32 tag,
				   __u32 egress)
{
	__u64 hz = CONFIG_HZ ? CONFIG_HZ : 1000, now = bpf_jiffies64();
	struct fwd_demand *s = bpf_map_lookup_elem(&fwd_demand, &(__u32){0});
	__u32 slot = (tag * 0x9e3779b1U) >> 24; /* FWD_DEMAND_SLOTS */
	struct fwd_report *r;
	__u64 cap;

	if (!s || !s->rate)
		return;
	if (s->tag[slot] == tag && (__u32)now - s->when[slot] < hz) {
		s->suppressed++;
		return;
	}
	cap = (__u64)s->burst * hz;
	s->tokens += (now - s->stamp) * s->rate;
	s->stamp = now;
	if (s->tokens > cap)
		s->tokens = cap;
	if (s->tokens < hz) {
		s->limited++;
		return;
	}
	r = bpf_ringbuf_reserve(&fwd_report, sizeof(*r), 0);
	if (!r) {
		s->lost++;
		return;
	}
	r->family = family;
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	r->ifindex = egress;
	if (family == AF_INET) {
		__builtin_memcpy(r->addr, addr, 4);
		__builtin_memset(r->addr + 4, 0, 12);
	} else {
		__builtin_memcpy(r->addr, addr, 16);
	}
	bpf_ringbuf_submit(r, 0);
	s->tokens -= hz;
	s->reports++;
	s->tag[slot] = tag;
	s->when[slot] = now;
}

/*
 * The ports the kernel's flow dissector reads (proto_ports_offset(); an
 * SPI for ESP and AH). ip_route_input() matches them against ip rules with
 * sport/dport and, under fib_multipath_hash_policy 1, hashes them to pick
 * the ECMP next hop; bpf_fib_lookup() can only do the same if it is given
 * them. Fragments, first ones included, carry none for the dissector, and
 * neither does an L4 header cut short by the total length.
 */
static __always_inline int fib_set_ports(struct bpf_fib_lookup *p, __u8 proto,
					 __be16 *ports, void *data_end,
					 void *end, int v6)
{
	if (SKIP(SKIP_PORTS))
		return 0;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_DCCP:
	case IPPROTO_ESP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
		break;
	case IPPROTO_AH:
		ports += 2;
		break;
	case NEXTHDR_ICMP:
	case NEXTHDR_NONE:
		return 0;
	default:
		/*
		 * IPv6: an extension header first (routing, fragment,
		 * destination options ...), whose chain the kernel's flow
		 * dissector walks and we do not: -1, the kernel's packet.
		 */
		return v6 ? -1 : 0;
	}
	if ((void *)(ports + 2) > data_end || (void *)(ports + 2) > end)
		return 0;
	p->sport = ports[0];
	p->dport = ports[1];
	return 0;
}

/*
 * ICMP errors the kernel routes by their inner header: under the default
 * fib_multipath_hash_policy 0, ip_multipath_l3_keys() hashes the quoted
 * packet's addresses, which bpf_fib_lookup() does not, so on an ECMP route
 * the two could pick different next hops. Rare traffic: the kernel takes it.
 */
static __always_inline int icmp_error(struct iphdr *iph, void *data_end)
{
	__u8 *type = (void *)(iph + 1);

	if (SKIP(SKIP_ICMP))
		return 0;
	if (iph->protocol != IPPROTO_ICMP ||
	    (iph->frag_off & bpf_htons(IP_OFFSET)) ||
	    (void *)(type + 1) > data_end)
		return 0;
	switch (*type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return 1;
	}
	return 0;
}

/*
 * bpf_fib_lookup() return codes and why each but SUCCESS is handed to the
 * kernel (the counter each one lands in):
 *  NO_NEIGH       route found, neighbour not valid: the kernel queues the
 *                 packet and resolves ARP; we cannot.
 *  FWD_DISABLED   net.ipv4.conf.<ingress>.forwarding is 0: the kernel
 *                 delivers locally or drops; not ours to forward.
 *  NOT_FWDED      local, broadcast or not a unicast route: local delivery.
 *  BLACKHOLE, UNREACHABLE, PROHIBIT
 *                 the kernel drops and may send ICMP unreachable.
 *  FRAG_NEEDED    beyond the egress MTU: the kernel fragments or sends
 *                 ICMP fragmentation needed.
 *  UNSUPP_LWT and any other code: encapsulation or cases not modelled.
 */
static __always_inline __u32 fib_pass_reason(int rc, int v6)
{
	/* the five fib counters of each family are in the same order */
	__u32 base = v6 ? FWD_CNT_PASS6_FIB_NO_NEIGH
			: FWD_CNT_PASS_FIB_NO_NEIGH;

	switch (rc) {
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return base;
	case BPF_FIB_LKUP_RET_NOT_FWDED:
		return base + 1;
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return base + 2;
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return base + 3;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return v6 ? FWD_CNT_PASS6_MTU : FWD_CNT_PASS_MTU;
	default:
		return base + 4;
	}
}

#define FIB_ORDER(f)                                                 \
	(FWD_CNT_##f##_NOT_FWDED == FWD_CNT_##f##_NO_NEIGH + 1 &&    \
	 FWD_CNT_##f##_FWD_DISABLED == FWD_CNT_##f##_NO_NEIGH + 2 && \
	 FWD_CNT_##f##_DROP == FWD_CNT_##f##_NO_NEIGH + 3 &&         \
	 FWD_CNT_##f##_OTHER == FWD_CNT_##f##_NO_NEIGH + 4)
_Static_assert(FIB_ORDER(PASS_FIB) && FIB_ORDER(PASS6_FIB),
	       "fib_pass_reason() counts on the fib counters' order");

/* @addr is one of this host's addresses, as far as fwd_local knows. */
static __always_inline int local_addr(__be32 addr)
{
	__u32 idx = fwd_local_hash(addr);
	const struct fwd_local *b = bpf_map_lookup_elem(&fwd_local, &idx);

	if (!b)
		return 0;
#pragma unroll
	for (int i = 0; i < FWD_LOCAL_WAYS; i++)
		if (b->addr[i] == addr)
			return 1;
	return 0;
}

/*
 * The kernel's source validation for a packet it would forward
 * (fib_validate_source(), net/ipv4/fib_frontend.c): 0 if it passes, else
 * the counter of the reason to hand the packet to the kernel, which drops
 * it as a martian or for rp_filter and counts it.
 *  rp_filter 0  the source must not be one of our addresses, unless
 *               accept_local: inet_lookup_ifaddr_rcu(), here fwd_local
 *               (all of them, or FWD_IF_LOCAL_UNKNOWN says it is not).
 *  rp_filter 1  the route back to the source must leave by the ingress;
 *  rp_filter 2  any unicast route back to it will do. The reverse lookup
 *               (source and destination swapped, from the ingress) also
 *               finds our own addresses: a local route, NOT_FWDED.
 * Conservative where bpf_fib_lookup() cannot say what the kernel would: an
 * ECMP route back whose chosen path is not the ingress, and accept_local
 * with rp_filter on, go to the kernel, which decides.
 */
static __always_inline __u32 source_invalid(struct xdp_md *ctx,
					    const struct fwd_iface *in,
					    const struct iphdr *iph)
{
	struct bpf_fib_lookup r = {};
	int rc;

	if (!(in->flags & (FWD_IF_RPF_STRICT | FWD_IF_RPF_LOOSE))) {
		if (!(in->flags & FWD_IF_ACCEPT_LOCAL) &&
		    ((in->flags & FWD_IF_LOCAL_UNKNOWN) ||
		     local_addr(iph->saddr)))
			return FWD_CNT_PASS_OWN_SOURCE;
		return 0;
	}
	r.family = AF_INET;
	r.tos = iph->tos;
	r.l4_protocol = iph->protocol;
	r.ipv4_src = iph->daddr;
	r.ipv4_dst = iph->saddr;
	r.ifindex = ctx->ingress_ifindex;
	rc = bpf_fib_lookup(ctx, &r, sizeof(r), BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return FWD_CNT_PASS_RP_FILTER;
	if ((in->flags & FWD_IF_RPF_STRICT) &&
	    r.ifindex != ctx->ingress_ifindex)
		return FWD_CNT_PASS_RP_FILTER;
	return 0;
}

/*
 * The ingress's fwd_ifaces entry, when a frame arriving there may be
 * forwarded at all: the interface is managed (for IPv6, with FWD_IF_IPV6;
 * without it IPv6 is pass6_off), the frame is
 * sent to its MAC, and no netfilter chain of the family nor an IPsec
 * policy holds it. NULL,
 * with *counter set, otherwise.
 */
static __always_inline struct fwd_iface *
ingress(struct xdp_md *ctx, __u32 *counter, const struct ethhdr *eth, int v6)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct fwd_iface *in = bpf_map_lookup_elem(&fwd_ifaces, &ifindex);
	__u16 nf;

	if (!in || !(in->flags & FWD_IF_MANAGED) ||
	    (v6 && !(in->flags & FWD_IF_IPV6))) {
		pass(counter,
		     v6 ? FWD_CNT_PASS6_OFF : FWD_CNT_PASS_NOT_MANAGED);
		return NULL;
	}
	if (!mac_eq(eth->h_dest, in->mac)) {
		pass(counter, FWD_CNT_PASS_NOT_FOR_US);
		return NULL;
	}
	nf = v6 ? FWD_IF_NF_HOLD6 : FWD_IF_NF_HOLD;
	if (in->flags & (nf | FWD_IF_XFRM_HOLD)) {
		pass(counter, in->flags & nf ? FWD_CNT_PASS_NETFILTER
					     : FWD_CNT_PASS_XFRM);
		return NULL;
	}
	return in;
}

/*
 * IPv6 addresses ip6_forward() and ip6_rcv_core() never forward as
 * unicast, either side (ipv6_addr_type()): multicast (ff00::/8, also
 * multicast routing's), the unspecified and the loopback address and the
 * rest of ::/96 (IPv4-compatible), IPv4-mapped ::ffff:0:0/96 (RFC 4291
 * 2.5.5.2: never on the wire) and link-local fe80::/10 (its scope is the
 * link: the kernel answers ICMPv6 beyond-scope).
 */
static __always_inline int addr6_special(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	if (a->in6_u.u6_addr8[0] == 0xff)
		return 1;
	if (a->in6_u.u6_addr8[0] == 0xfe &&
	    (a->in6_u.u6_addr8[1] & 0xc0) == 0x80)
		return 1;
	return w[0] == 0 && w[1] == 0 &&
	       (w[2] == 0 || w[2] == bpf_htonl(0xffff));
}

/*
 * Neighbour discovery (RFC 4861: router and neighbour solicitations and
 * advertisements, redirects) is the kernel's even when sent to a unicast
 * address that is not ours: ip6_forward() hands it to ip6_input() when
 * proxy_ndp answers for the target, and we do not mirror the proxy table.
 */
static __always_inline int icmp6_ndp(__u8 type)
{
	return type >= 133 && type <= 137;
}

/*
 * IPv6, on an ingress with FWD_IF_IPV6. What the kernel does not forward,
 * or forwards otherwise, goes to it (ip6_rcv_core(), ip6_forward()): a bad
 * version or a payload length beyond the frame; hop-by-hop options (router
 * alert, jumbograms) and, on the fib path, other extension headers first;
 * special addresses; hop limit <= 1 (time exceeded); neighbour discovery;
 * forwarding off (FWD_IF_FORWARDING6); on the fib path ICMPv6 errors (ECMP
 * hashes their inner header) and whatever bpf_fib_lookup() does not answer
 * with a neighbour: local delivery, no route, beyond the egress MTU
 * (routers send Packet Too Big, never fragment); on a veth, a checksum
 * left for offload (csum_left()). hfwd6 is read first, as
 * hfwd is for IPv4. Padding beyond the payload length is trimmed, as
 * ip6_rcv_core() does; the hop limit goes down by one.
 */
static __always_inline int fwd_packet6(struct xdp_md *ctx, __u32 *counter,
				       __u32 *len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	__u32 ifindex = ctx->ingress_ifindex, plen;
	struct bpf_fib_lookup p; /* zeroed on the fib path only */
	const struct fwd_iface *in;
	const struct fwd_entry *e;
	struct fwd_entry nh;
	__u8 *type = NULL;
	long linear;
	int rc;

	in = ingress(ctx, counter, eth, 1);
	if (!in)
		return XDP_PASS;
	if ((void *)(ip6 + 1) > data_end)
		return pass(counter, FWD_CNT_PASS_TRUNCATED);
	if (ip6->version != 6)
		return pass(counter, FWD_CNT_PASS6_BAD_HEADER);
	if (ip6->nexthdr == 0) /* NEXTHDR_HOP */
		return pass(counter, FWD_CNT_PASS6_EXT_HEADER);
	plen = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	if (plen > *len - ETH_HLEN)
		return pass(counter, FWD_CNT_PASS6_BAD_HEADER);
	linear = data_end - (void *)ip6;
	if (linear < plen && linear < FWD_LINEAR_MIN)
		return pass(counter, FWD_CNT_PASS_TRUNCATED);
	if (addr6_special(&ip6->daddr) || addr6_special(&ip6->saddr))
		return pass(counter, FWD_CNT_PASS6_NOT_UNICAST);
	if (ip6->hop_limit <= 1)
		return pass(counter, FWD_CNT_PASS6_HOP_LIMIT);
	if (ip6->nexthdr == NEXTHDR_ICMP && (void *)(ip6 + 1) + 1 <= data_end)
		type = (void *)(ip6 + 1);
	if (type && icmp6_ndp(*type))
		return pass(counter, FWD_CNT_PASS6_NDP);
	if ((in->flags & FWD_IF_PARTIAL_CSUM) &&
	    csum_left(ip6->nexthdr, ip6 + 1, data_end, sum16(&ip6->saddr, 32),
		      plen - sizeof(*ip6)))
		return pass(counter, FWD_CNT_PASS_CSUM_PARTIAL);

	e = bpf_map_lookup_elem(&hfwd6, &ip6->daddr);
	if (e) {
		/* Learned entries follow the kernel's rule; overrides don't. */
		if (!(in->flags & FWD_IF_FORWARDING6) &&
		    !bpf_map_lookup_elem(&fwd_ovr6, &ip6->daddr))
			return pass(counter, FWD_CNT_PASS6_FWD_OFF);
		return forward(ctx, counter, in, e, plen, len,
			       FWD_CNT_FWD_TABLE6, 1);
	}
	if (!(in->flags & FWD_IF_FORWARDING6))
		return pass(counter, FWD_CNT_PASS6_FWD_OFF);
	if (type && *type < ICMPV6_INFOMSG)
		return pass(counter, FWD_CNT_PASS6_ICMP_ERROR);

	__builtin_memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.flowinfo = *(__be32 *)ip6 & bpf_htonl(IPV6_FLOWINFO_MASK);
	p.l4_protocol = ip6->nexthdr;
	p.tot_len = plen; /* the lookup checks the MTU */
	__builtin_memcpy(p.ipv6_src, &ip6->saddr, sizeof(p.ipv6_src));
	__builtin_memcpy(p.ipv6_dst, &ip6->daddr, sizeof(p.ipv6_dst));
	p.ifindex = ifindex;
	if (fib_set_ports(&p, ip6->nexthdr, (void *)(ip6 + 1), data_end,
			  (void *)ip6 + plen, 1))
		return pass(counter, FWD_CNT_PASS6_EXT_HEADER);
	rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return pass(counter, fib_pass_reason(rc, 1));
	nh.ifindex = p.ifindex;
	__builtin_memcpy(nh.smac, p.smac, ETH_ALEN);
	__builtin_memcpy(nh.dmac, p.dmac, ETH_ALEN);
	/* the packet's: the lookup leaves the gateway in p.ipv6_dst */
	if (!SKIP(SKIP_REPORT))
		report(AF_INET6, &ip6->daddr,
		       ip6->daddr.in6_u.u6_addr32[0] ^
			       ip6->daddr.in6_u.u6_addr32[1] ^
			       ip6->daddr.in6_u.u6_addr32[2] ^
			       ip6->daddr.in6_u.u6_addr32[3],
		       nh.ifindex);
	return forward(ctx, counter, in, &nh, plen, len, FWD_CNT_FWD_FIB6, 1);
}

/*
 * IPv4, the seed's rules (docs/design.md §3): the header as ip_rcv()
 * checks it, what ip_forward() hands elsewhere to the kernel, on a veth a
 * checksum left for offload (csum_left()), hfwd first, then
 * bpf_fib_lookup() with the kernel's source validation last.
 */
static __always_inline int fwd_packet4(struct xdp_md *ctx, __u32 *counter,
				       __u32 *len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 ifindex = ctx->ingress_ifindex;
	struct bpf_fib_lookup p; /* zeroed on the fib path only */
	struct fwd_iface *in;
	struct fwd_entry *e, nh;
	__u32 which, which2, l3_len;
	__u16 tot_len;
	long linear;
	int rc;

	in = ingress(ctx, counter, eth, 0);
	if (!in)
		return XDP_PASS;
	if ((void *)(iph + 1) > data_end)
		return pass(counter, FWD_CNT_PASS_TRUNCATED);
	if (iph->version != 4 || iph->ihl < 5)
		return pass(counter, FWD_CNT_PASS_BAD_HEADER);
	/* The kernel rewrites RR/TS options and refuses source routes. */
	if (iph->ihl > 5)
		return pass(counter, FWD_CNT_PASS_IP_OPTIONS);
	tot_len = bpf_ntohs(iph->tot_len);
	l3_len = *len - ETH_HLEN;
	if (tot_len < sizeof(*iph) || tot_len > l3_len ||
	    (!SKIP(SKIP_CSUM) && !ip_csum_ok(iph)))
		return pass(counter, FWD_CNT_PASS_BAD_HEADER);
	/*
	 * Everything read past the IPv4 header (the ports, the ICMP type)
	 * must be in the linear part; a driver that splits a frame closer
	 * to its start than FWD_LINEAR_MIN leaves it to the kernel.
	 */
	linear = data_end - (void *)iph;
	if (linear < tot_len && linear < FWD_LINEAR_MIN)
		return pass(counter, FWD_CNT_PASS_TRUNCATED);
	if (addr_special(iph->daddr) || addr_special(iph->saddr))
		return pass(counter, FWD_CNT_PASS_NOT_UNICAST);
	if (iph->ttl <= 1)
		return pass(counter, FWD_CNT_PASS_TTL);
	if ((in->flags & FWD_IF_PARTIAL_CSUM) &&
	    !(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) &&
	    csum_left(iph->protocol, iph + 1, data_end, sum16(&iph->saddr, 8),
		      tot_len - sizeof(*iph)))
		return pass(counter, FWD_CNT_PASS_CSUM_PARTIAL);

#if SKIP(SKIP_HFWD)
	e = bpf_map_lookup_elem(&prof_nh, &(__u32){0});
#else
	e = bpf_map_lookup_elem(&hfwd, &iph->daddr);
#endif
	if (e) {
		/* Learned entries follow the kernel's rule; overrides don't. */
		if (!(in->flags & FWD_IF_FORWARDING) &&
		    !bpf_map_lookup_elem(&fwd_ovr, &iph->daddr))
			return pass(counter, FWD_CNT_PASS_FWD_OFF);
		nh = *e;
		which = FWD_CNT_FWD_TABLE;
	} else {
		if (icmp_error(iph, data_end))
			return pass(counter, FWD_CNT_PASS_ICMP_ERROR);
		__builtin_memset(&p, 0, sizeof(p));
		p.family = AF_INET;
		p.tos = iph->tos;
		p.l4_protocol = iph->protocol;
		/*
		 * Non-zero tot_len makes the lookup check the MTU: the
		 * device's, a PMTU exception or a locked route MTU. An
		 * unlocked route `mtu`, which ip_forward() does apply, it
		 * does not see: forward() checks the agent's bound.
		 */
		p.tot_len = tot_len;
		p.ipv4_src = iph->saddr;
		p.ipv4_dst = iph->daddr;
		p.ifindex = ifindex;
		/* fragments, first ones too, carry none for the dissector */
		if (!(iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			fib_set_ports(&p, iph->protocol, (void *)(iph + 1),
				      data_end, (void *)iph + tot_len, 0);
		rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS)
			return pass(counter, fib_pass_reason(rc, 0));
		nh.ifindex = p.ifindex;
		__builtin_memcpy(nh.smac, p.smac, ETH_ALEN);
		__builtin_memcpy(nh.dmac, p.dmac, ETH_ALEN);
		which = FWD_CNT_FWD_FIB;
	}
	/* Last: only what would be forwarded pays for it. */
	which2 = SKIP(SKIP_SOURCE) ? 0 : source_invalid(ctx, in, iph);
	if (which2)
		return pass(counter, which2);
	/* the packet's: the lookup leaves the gateway in p.ipv4_dst */
	if (!SKIP(SKIP_REPORT) && which == FWD_CNT_FWD_FIB)
		report(AF_INET, &iph->daddr, iph->daddr, nh.ifindex);
	return forward(ctx, counter, in, &nh, tot_len, len, which, 0);
}

/* cppcheck cannot see libbpf's SEC() without the BPF include path. */
// cppcheck-suppress unknownMacro
SEC("xdp.frags")
int xdp_handle_fwd(struct xdp_md *ctx)
{
	/* The whole frame, a multi-buffer one's fragments too; as sent. */
	__u32 len = SKIP(SKIP_LEN) ? ctx->data_end - ctx->data
				   : bpf_xdp_get_buff_len(ctx);
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 counter = FWD_CNT_PASS_NOT_IP;
	__u32 ifindex = ctx->ingress_ifindex;
	int verdict;

	if ((void *)(eth + 1) > data_end)
		verdict = pass(&counter, FWD_CNT_PASS_TRUNCATED);
	else if (eth->h_proto == bpf_htons(ETH_P_IP))
		verdict = fwd_packet4(ctx, &counter, &len);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		verdict = fwd_packet6(ctx, &counter, &len);
	else
		verdict = pass(&counter, FWD_CNT_PASS_NOT_IP);
	struct fwd_count *c;

	c = SKIP(SKIP_COUNT) ? NULL : bpf_map_lookup_elem(&fwd_stats, &counter);
	if (c) {
		c->packets++;
		c->bytes += len;
	}
	/* the same outcome on the ingress's slot (forward() counted its own) */
	if (!SKIP(SKIP_IFC) && verdict != XDP_REDIRECT)
		count_iface(bpf_map_lookup_elem(&fwd_ifaces, &ifindex), NULL,
			    counter, len);
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
