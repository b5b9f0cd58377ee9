// SPDX-License-Identifier: GPL-2.0
/*
 * nl.c - pure rtnetlink parsers (see nl.h).
 *
 * One attribute walker serves every message type: it rejects an attribute
 * that claims more bytes than the message holds (a truncated message must
 * never be half-applied), validates each known attribute against a small
 * policy with libmnl's mnl_attr_validate() and skips unknown ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "nl.h"

/* What a known attribute must look like; mnl == MNL_TYPE_UNSPEC: unused. */
struct nl_policy {
	enum mnl_attr_data_type mnl;
	uint16_t max; /* MNL_TYPE_BINARY / NUL_STRING: largest payload */
};

/*
 * Check the netlink header against the buffer, then that the family
 * header fits: only then may the caller read either.
 */
static int nl_check(const void *buf, size_t len, size_t fam_len,
		    const struct nlmsghdr **out)
{
	const struct nlmsghdr *nlh = buf;

	if (len < sizeof(*nlh))
		return -EBADMSG;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + fam_len || nlh->nlmsg_len > len)
		return -EBADMSG;
	*out = nlh;
	return 0;
}

static int nl_attrs(const struct nlmsghdr *nlh, size_t fam_len,
		    const struct nl_policy *pol, unsigned int max,
		    const struct nlattr **tb)
{
	size_t off = NLMSG_HDRLEN + MNL_ALIGN(fam_len);
	size_t end = nlh->nlmsg_len;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (off < end) {
		const struct nlattr *a =
			(const void *)((const char *)nlh + off);
		uint16_t type;
		size_t plen;

		if (end - off < sizeof(*a) || a->nla_len < sizeof(*a) ||
		    a->nla_len > end - off)
			return -EBADMSG;
		type = mnl_attr_get_type(a);
		plen = mnl_attr_get_payload_len(a);
		if (type <= max && pol[type].mnl != MNL_TYPE_UNSPEC) {
			if (mnl_attr_validate(a, pol[type].mnl) < 0)
				return -EBADMSG;
			if (pol[type].max && plen > pol[type].max)
				return -EBADMSG;
			tb[type] = a;
		}
		off += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

static uint32_t nl_u32(const struct nlattr *a, uint32_t dflt)
{
	return a ? mnl_attr_get_u32(a) : dflt;
}

static uint32_t nl_in4(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a)
		memcpy(&v, mnl_attr_get_payload(a), 4);
	return v;
}

/* IPv4 addresses: exactly 4 bytes, which MNL_TYPE_U32 enforces. */
#define NL_IN4                  \
	{                       \
		MNL_TYPE_U32, 0 \
	}

/* IFLA_LINKINFO's IFLA_INFO_KIND, the driver's name, into @kind. */
static int nl_link_kind(const struct nlattr *nest, char *kind, size_t size)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, nest) {
		if (mnl_attr_get_type(a) != IFLA_INFO_KIND)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(a) > size)
			return -EBADMSG;
		snprintf(kind, size, "%s", mnl_attr_get_str(a));
	}
	return 0;
}

int nl_parse_link(const void *buf, size_t len, struct nl_link *out)
{
	static const struct nl_policy pol[IFLA_LINKINFO + 1] = {
		[IFLA_ADDRESS] = {MNL_TYPE_BINARY, NL_LLADDR_MAX},
		[IFLA_IFNAME] = {MNL_TYPE_NUL_STRING, IF_NAMESIZE},
		[IFLA_MTU] = {MNL_TYPE_U32, 0},
		[IFLA_LINKINFO] = {MNL_TYPE_NESTED, 0},
	};
	const struct nlattr *tb[IFLA_LINKINFO + 1];
	const struct nlmsghdr *nlh;
	const struct ifinfomsg *ifi;
	int err;

	err = nl_check(buf, len, sizeof(*ifi), &nlh);
	if (err)
		return err;
	ifi = mnl_nlmsg_get_payload(nlh);
	/* AF_BRIDGE carries bridge port state, not the link itself. */
	if (ifi->ifi_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	err = nl_attrs(nlh, sizeof(*ifi), pol, IFLA_LINKINFO, tb);
	if (err)
		return err;
	if (ifi->ifi_index <= 0)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->ifindex = ifi->ifi_index;
	out->type = ifi->ifi_type;
	out->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(out->name, sizeof(out->name), "%s",
			 mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_ADDRESS]) {
		out->addr_len = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
		memcpy(out->addr, mnl_attr_get_payload(tb[IFLA_ADDRESS]),
		       out->addr_len);
	}
	out->mtu = nl_u32(tb[IFLA_MTU], 0);
	return tb[IFLA_LINKINFO] ? nl_link_kind(tb[IFLA_LINKINFO], out->kind,
						sizeof(out->kind))
				 : 0;
}

/* IPv6 addresses: at most 16 bytes here, exactly 16 in nl_in6(). */
#define NL_IN6                      \
	{                           \
		MNL_TYPE_BINARY, 16 \
	}

/* An IPv6 address attribute: exactly 16 bytes, copied to @out. */
static int nl_in6(const struct nlattr *a, uint8_t out[16])
{
	if (mnl_attr_get_payload_len(a) != 16)
		return -EBADMSG;
	memcpy(out, mnl_attr_get_payload(a), 16);
	return 0;
}

static int nl_parse_addr6(const struct nlmsghdr *nlh,
			  const struct ifaddrmsg *ifa, struct nl_addr *out)
{
	static const struct nl_policy pol[IFA_LOCAL + 1] = {
		[IFA_ADDRESS] = NL_IN6,
		[IFA_LOCAL] = NL_IN6,
	};
	const struct nlattr *tb[IFA_LOCAL + 1];
	int err;

	err = nl_attrs(nlh, sizeof(*ifa), pol, IFA_LOCAL, tb);
	if (err)
		return err;
	if ((!tb[IFA_LOCAL] && !tb[IFA_ADDRESS]) || ifa->ifa_prefixlen > 128)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	out->ifindex = ifa->ifa_index;
	out->prefixlen = ifa->ifa_prefixlen;
	return nl_in6(tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS],
		      out->local6);
}

int nl_parse_addr(const void *buf, size_t len, struct nl_addr *out)
{
	static const struct nl_policy pol[IFA_LOCAL + 1] = {
		[IFA_ADDRESS] = NL_IN4,
		[IFA_LOCAL] = NL_IN4,
	};
	const struct nlattr *tb[IFA_LOCAL + 1];
	const struct nlmsghdr *nlh;
	const struct ifaddrmsg *ifa;
	int err;

	err = nl_check(buf, len, sizeof(*ifa), &nlh);
	if (err)
		return err;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET6)
		return nl_parse_addr6(nlh, ifa, out);
	if (ifa->ifa_family != AF_INET)
		return -EAFNOSUPPORT;
	err = nl_attrs(nlh, sizeof(*ifa), pol, IFA_LOCAL, tb);
	if (err)
		return err;
	if (!tb[IFA_LOCAL] && !tb[IFA_ADDRESS])
		return -EBADMSG;
	if (ifa->ifa_prefixlen > 32)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	out->ifindex = ifa->ifa_index;
	out->prefixlen = ifa->ifa_prefixlen;
	out->address = nl_in4(tb[IFA_ADDRESS]);
	out->local = tb[IFA_LOCAL] ? nl_in4(tb[IFA_LOCAL]) : out->address;
	return 0;
}

/*
 * RTAX_MTU of a route's nested RTA_METRICS into *@mtu (left 0 if not
 * given). The walk stops at an inner attribute that claims more than the
 * nest holds; an RTAX_MTU of the wrong size is a malformed message.
 */
static int nl_route_mtu(const struct nlattr *nest, uint32_t *mtu)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, nest) {
		if (mnl_attr_get_type(a) != RTAX_MTU)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		*mtu = mnl_attr_get_u32(a);
	}
	return 0;
}

/*
 * RTA_MULTIPATH's next hops into @out->paths: a struct rtnexthop each,
 * its attributes (RTA_GATEWAY) after it; every length checked against
 * what holds it.
 */
static int nl_route_paths(const struct nlattr *mp, unsigned int alen,
			  struct nl_route *out)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);

	while (left >= sizeof(struct rtnexthop)) {
		const struct rtnexthop *nh = (const void *)p;
		size_t off = RTNH_ALIGN(sizeof(*nh)), step;
		struct nl_path *np = out->n_paths < NL_ROUTE_PATHS
					     ? &out->paths[out->n_paths]
					     : NULL;

		if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
			return -EBADMSG;
		if (np) {
			memset(np, 0, sizeof(*np));
			np->oif = (uint32_t)nh->rtnh_ifindex;
		}
		while (off + sizeof(struct nlattr) <= nh->rtnh_len) {
			const struct nlattr *a = (const void *)(p + off);

			if (a->nla_len < sizeof(*a) ||
			    a->nla_len > nh->rtnh_len - off)
				return -EBADMSG;
			/* a path through a tunnel, or via another family */
			if (mnl_attr_get_type(a) == RTA_ENCAP ||
			    mnl_attr_get_type(a) == RTA_VIA)
				out->complex = true;
			if (mnl_attr_get_type(a) == RTA_GATEWAY) {
				if (mnl_attr_get_payload_len(a) != alen)
					return -EBADMSG;
				if (np) {
					np->has_gw = true;
					memcpy(np->gw, mnl_attr_get_payload(a),
					       alen);
				}
			}
			off += MNL_ALIGN(a->nla_len);
		}
		if (out->n_paths < UINT8_MAX)
			out->n_paths++;
		step = RTNH_ALIGN(nh->rtnh_len);
		if (step >= left)
			break;
		p += step;
		left -= step;
	}
	return 0;
}

int nl_parse_route(const void *buf, size_t len, struct nl_route *out)
{
#define ROUTE_POLICY(addr)                              \
	{                                               \
		[RTA_DST] = addr, [RTA_GATEWAY] = addr, \
		[RTA_OIF] = {MNL_TYPE_U32, 0},          \
		[RTA_PRIORITY] = {MNL_TYPE_U32, 0},     \
		[RTA_TABLE] = {MNL_TYPE_U32, 0},        \
		[RTA_MULTIPATH] = {MNL_TYPE_BINARY, 0}, \
		[RTA_VIA] = {MNL_TYPE_BINARY, 0},       \
		[RTA_NH_ID] = {MNL_TYPE_U32, 0},        \
		[RTA_ENCAP] = {MNL_TYPE_BINARY, 0},     \
		[RTA_METRICS] = {MNL_TYPE_NESTED, 0},   \
	}
	static const struct nl_policy pol4[RTA_MAX + 1] = ROUTE_POLICY(NL_IN4);
	static const struct nl_policy pol6[RTA_MAX + 1] = ROUTE_POLICY(NL_IN6);
#undef ROUTE_POLICY
	const struct nlattr *tb[RTA_MAX + 1];
	const struct nlmsghdr *nlh;
	const struct rtmsg *rtm;
	bool v6;
	int err;

	err = nl_check(buf, len, sizeof(*rtm), &nlh);
	if (err)
		return err;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EAFNOSUPPORT;
	v6 = rtm->rtm_family == AF_INET6;
	err = nl_attrs(nlh, sizeof(*rtm), v6 ? pol6 : pol4, RTA_MAX, tb);
	if (err)
		return err;
	if (rtm->rtm_dst_len > (v6 ? 128 : 32) ||
	    rtm->rtm_src_len > (v6 ? 128 : 32))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = rtm->rtm_family;
	out->src_len = rtm->rtm_src_len;
	if (v6 && ((tb[RTA_DST] && nl_in6(tb[RTA_DST], out->dst6)) ||
		   (tb[RTA_GATEWAY] && nl_in6(tb[RTA_GATEWAY], out->gw6))))
		return -EBADMSG;
	out->has_gw = tb[RTA_GATEWAY] != NULL;
	out->table = nl_u32(tb[RTA_TABLE], rtm->rtm_table);
	out->type = rtm->rtm_type;
	out->scope = rtm->rtm_scope;
	out->protocol = rtm->rtm_protocol;
	out->tos = rtm->rtm_tos;
	out->dst_len = rtm->rtm_dst_len;
	out->rtm_flags = rtm->rtm_flags;
	out->nlmsg_flags = nlh->nlmsg_flags;
	if (!v6) {
		out->dst = nl_in4(tb[RTA_DST]);
		out->gw = nl_in4(tb[RTA_GATEWAY]);
	}
	out->oif = nl_u32(tb[RTA_OIF], 0);
	out->priority = nl_u32(tb[RTA_PRIORITY], 0);
	out->nhid = nl_u32(tb[RTA_NH_ID], 0);
	/*
	 * With a nexthop object the next hop is the object's: what
	 * nexthop_compat_mode adds beside it (RTA_GATEWAY, RTA_MULTIPATH)
	 * is a copy that an `ip nexthop replace` does not update in mode 0.
	 */
	out->complex = !out->nhid && (tb[RTA_VIA] || tb[RTA_ENCAP]);
	if (out->nhid) {
		/* the object's next hops, not these */
	} else if (tb[RTA_MULTIPATH]) {
		err = nl_route_paths(tb[RTA_MULTIPATH], v6 ? 16 : 4, out);
		if (err)
			return err;
	} else if (out->oif || out->has_gw) {
		out->n_paths = 1;
		out->paths[0].oif = out->oif;
		out->paths[0].has_gw = out->has_gw;
		if (v6)
			memcpy(out->paths[0].gw, out->gw6, 16);
		else
			memcpy(out->paths[0].gw, &out->gw, 4);
	}
	return tb[RTA_METRICS] ? nl_route_mtu(tb[RTA_METRICS], &out->mtu) : 0;
}

int nl_parse_neigh(const void *buf, size_t len, struct nl_neigh *out)
{
#define NEIGH_POLICY(addr)                                       \
	{                                                        \
		[NDA_DST] = addr,                                \
		[NDA_LLADDR] = {MNL_TYPE_BINARY, NL_LLADDR_MAX}, \
		[NDA_FLAGS_EXT] = {MNL_TYPE_U32, 0},             \
	}
	static const struct nl_policy pol4[NDA_FLAGS_EXT + 1] =
		NEIGH_POLICY(NL_IN4);
	static const struct nl_policy pol6[NDA_FLAGS_EXT + 1] =
		NEIGH_POLICY(NL_IN6);
#undef NEIGH_POLICY
	const struct nlattr *tb[NDA_FLAGS_EXT + 1];
	const struct nlmsghdr *nlh;
	const struct ndmsg *ndm;
	bool v6;
	int err;

	err = nl_check(buf, len, sizeof(*ndm), &nlh);
	if (err)
		return err;
	ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -EAFNOSUPPORT;
	v6 = ndm->ndm_family == AF_INET6;
	err = nl_attrs(nlh, sizeof(*ndm), v6 ? pol6 : pol4, NDA_FLAGS_EXT, tb);
	if (err)
		return err;
	if (!tb[NDA_DST] || ndm->ndm_ifindex <= 0)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = ndm->ndm_family;
	if (v6 && nl_in6(tb[NDA_DST], out->ip6))
		return -EBADMSG;
	out->ifindex = ndm->ndm_ifindex;
	out->ip = v6 ? 0 : nl_in4(tb[NDA_DST]);
	out->state = ndm->ndm_state;
	out->flags = ndm->ndm_flags;
	out->ext_flags = nl_u32(tb[NDA_FLAGS_EXT], 0);
	if (tb[NDA_LLADDR]) {
		out->lladdr_len = mnl_attr_get_payload_len(tb[NDA_LLADDR]);
		memcpy(out->lladdr, mnl_attr_get_payload(tb[NDA_LLADDR]),
		       out->lladdr_len);
	}
	return 0;
}

int nl_parse_netconf(const void *buf, size_t len, struct nl_netconf *out)
{
	static const struct nl_policy pol[NETCONFA_RP_FILTER + 1] = {
		[NETCONFA_IFINDEX] = {MNL_TYPE_U32, 0},
		[NETCONFA_FORWARDING] = {MNL_TYPE_U32, 0},
		[NETCONFA_RP_FILTER] = {MNL_TYPE_U32, 0},
	};
	const struct nlattr *tb[NETCONFA_RP_FILTER + 1];
	const struct nlmsghdr *nlh;
	const struct netconfmsg *ncm;
	int err;

	err = nl_check(buf, len, sizeof(*ncm), &nlh);
	if (err)
		return err;
	ncm = mnl_nlmsg_get_payload(nlh);
	if (ncm->ncm_family != AF_INET && ncm->ncm_family != AF_INET6)
		return -EAFNOSUPPORT;
	err = nl_attrs(nlh, sizeof(*ncm), pol, NETCONFA_RP_FILTER, tb);
	if (err)
		return err;
	if (!tb[NETCONFA_IFINDEX])
		return -EBADMSG;
	out->family = ncm->ncm_family;
	out->ifindex = (int32_t)mnl_attr_get_u32(tb[NETCONFA_IFINDEX]);
	out->forwarding = tb[NETCONFA_FORWARDING]
				  ? !!mnl_attr_get_u32(tb[NETCONFA_FORWARDING])
				  : -1;
	out->rp_filter =
		tb[NETCONFA_RP_FILTER]
			? (int32_t)mnl_attr_get_u32(tb[NETCONFA_RP_FILTER])
			: -1;
	return 0;
}

int nl_parse_nexthop(const void *buf, size_t len, struct nl_nexthop *out)
{
	static const struct nl_policy pol[NHA_FDB + 1] = {
		[NHA_ID] = {MNL_TYPE_U32, 0},
		[NHA_GROUP] = {MNL_TYPE_BINARY, 0},
		[NHA_BLACKHOLE] = {MNL_TYPE_FLAG, 0},
		[NHA_OIF] = {MNL_TYPE_U32, 0},
		[NHA_GATEWAY] = {MNL_TYPE_BINARY, 16},
		[NHA_ENCAP] = {MNL_TYPE_BINARY, 0},
		[NHA_FDB] = {MNL_TYPE_FLAG, 0},
	};
	const struct nlattr *tb[NHA_FDB + 1];
	const struct nlmsghdr *nlh;
	const struct nhmsg *nhm;
	size_t glen;
	int err;

	err = nl_check(buf, len, sizeof(*nhm), &nlh);
	if (err)
		return err;
	nhm = mnl_nlmsg_get_payload(nlh);
	if (nhm->nh_family != AF_INET && nhm->nh_family != AF_INET6 &&
	    nhm->nh_family != AF_UNSPEC)
		return -EAFNOSUPPORT;
	err = nl_attrs(nlh, sizeof(*nhm), pol, NHA_FDB, tb);
	if (err)
		return err;
	if (!tb[NHA_ID] || !mnl_attr_get_u32(tb[NHA_ID]))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->id = mnl_attr_get_u32(tb[NHA_ID]);
	out->family = nhm->nh_family;
	out->flags = nhm->nh_flags;
	out->oif = nl_u32(tb[NHA_OIF], 0);
	out->blackhole = tb[NHA_BLACKHOLE] != NULL;
	out->complex = tb[NHA_ENCAP] || tb[NHA_FDB];
	if (tb[NHA_GROUP]) {
		glen = mnl_attr_get_payload_len(tb[NHA_GROUP]);
		if (!glen || glen % sizeof(struct nexthop_grp) ||
		    glen / sizeof(struct nexthop_grp) > UINT16_MAX)
			return -EBADMSG;
		out->group = true;
		out->n_group = glen / sizeof(struct nexthop_grp);
	}
	if (tb[NHA_GATEWAY]) {
		glen = mnl_attr_get_payload_len(tb[NHA_GATEWAY]);
		if (glen != (nhm->nh_family == AF_INET6 ? 16u : 4u))
			return -EBADMSG;
		out->has_gw = true;
		memcpy(out->gw, mnl_attr_get_payload(tb[NHA_GATEWAY]), glen);
	}
	return 0;
}

int nl_parse_rule(const void *buf, size_t len, struct nl_rule *out)
{
	static const struct nl_policy pol[FRA_PROTOCOL + 1] = {
		[FRA_PRIORITY] = {MNL_TYPE_U32, 0},
		[FRA_SUPPRESS_IFGROUP] = {MNL_TYPE_U32, 0},
		[FRA_SUPPRESS_PREFIXLEN] = {MNL_TYPE_U32, 0},
		[FRA_TABLE] = {MNL_TYPE_U32, 0},
		[FRA_PROTOCOL] = {MNL_TYPE_U8, 0},
	};
	const struct nlattr *tb[FRA_PROTOCOL + 1];
	const struct fib_rule_hdr *frh;
	const struct nlmsghdr *nlh;
	const struct nlattr *a;
	int err;

	err = nl_check(buf, len, sizeof(*frh), &nlh);
	if (err)
		return err;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return -EAFNOSUPPORT;
	err = nl_attrs(nlh, sizeof(*frh), pol, FRA_PROTOCOL, tb);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->family = frh->family;
	out->table = nl_u32(tb[FRA_TABLE], frh->table);
	out->priority = nl_u32(tb[FRA_PRIORITY], 0);
	out->action = frh->action;
	out->match_all = !frh->src_len && !frh->dst_len && !frh->tos &&
			 !(frh->flags & FIB_RULE_INVERT);
	/* nl_attrs() checked every length: walking again is safe. */
	mnl_attr_for_each (a, nlh, sizeof(*frh)) {
		switch (mnl_attr_get_type(a)) {
		case FRA_PRIORITY:
		case FRA_TABLE:
		case FRA_PROTOCOL:
		case FRA_PAD:
			break;
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_SUPPRESS_IFGROUP:
			/* -1 is "not set", as the kernel dumps it. */
			if (mnl_attr_get_u32(a) != UINT32_MAX)
				out->match_all = false;
			break;
		default:
			out->match_all = false;
		}
	}
	return 0;
}

const char *nl_ip_str(uint32_t ip, char *buf)
{
	return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}
