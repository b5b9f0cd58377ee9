// SPDX-License-Identifier: GPL-2.0
/*
 * test_nl.c - the rtnetlink parsers against messages recorded from a real
 * kernel (nl_fixtures.h) and against malformed variants of them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>

#include "nl.h"
#include "unit/nl_fixtures.h"

static uint32_t ip(const char *s)
{
	uint32_t v;

	assert_int_equal(inet_pton(AF_INET, s, &v), 1);
	return v;
}

static const uint8_t mac_fxa[6] = {2, 0, 0, 0, 0xaa, 1};
static const uint8_t mac_n2[6] = {2, 0, 0, 0, 0, 2};

/* The ifindex the recorded link got; every other fixture refers to it. */
static uint32_t fx_ifindex(void)
{
	struct nl_link l;

	assert_int_equal(nl_parse_link(fx_link_new, sizeof(fx_link_new), &l),
			 0);
	return l.ifindex;
}

static void test_link_new_gives_name_type_flags_mac_mtu_kind(void **state)
{
	struct nl_link l;

	(void)state;
	assert_int_equal(nl_parse_link(fx_link_new, sizeof(fx_link_new), &l),
			 0);
	assert_true(l.ifindex > 0);
	assert_string_equal(l.name, "fxa");
	assert_int_equal(l.type, ARPHRD_ETHER);
	assert_true(l.flags & IFF_UP);
	assert_false(l.flags & IFF_NOARP);
	assert_int_equal(l.addr_len, 6);
	assert_memory_equal(l.addr, mac_fxa, 6);
	assert_int_equal(l.mtu, 1400);
	assert_string_equal(l.kind, "veth");
}

static void test_link_del_gives_ifindex(void **state)
{
	struct nl_link l;

	(void)state;
	assert_int_equal(((const struct nlmsghdr *)fx_link_del)->nlmsg_type,
			 RTM_DELLINK);
	assert_int_equal(nl_parse_link(fx_link_del, sizeof(fx_link_del), &l),
			 0);
	assert_int_equal(l.ifindex, fx_ifindex());
	assert_string_equal(l.name, "fxa");
}

static void test_netconf_gives_forwarding_per_ifindex(void **state)
{
	struct nl_netconf c;

	(void)state;
	assert_int_equal(
		nl_parse_netconf(fx_netconf_fwd, sizeof(fx_netconf_fwd), &c),
		0);
	assert_int_equal(c.ifindex, (int32_t)fx_ifindex());
	assert_int_equal(c.forwarding, 1);
}

static void test_addr_new_and_del_give_ipv4_address(void **state)
{
	struct nl_addr a;

	(void)state;
	assert_int_equal(nl_parse_addr(fx_addr_new, sizeof(fx_addr_new), &a),
			 0);
	assert_int_equal(a.ifindex, fx_ifindex());
	assert_int_equal(a.prefixlen, 24);
	assert_int_equal(a.local, ip("10.1.0.1"));
	assert_int_equal(nl_parse_addr(fx_addr_del, sizeof(fx_addr_del), &a),
			 0);
	assert_int_equal(a.local, ip("10.1.0.1"));
}

static void test_route_connected_has_no_gateway(void **state)
{
	struct nl_route r;

	(void)state;
	assert_int_equal(nl_parse_route(fx_route_connected,
					sizeof(fx_route_connected), &r),
			 0);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.type, RTN_UNICAST);
	assert_int_equal(r.scope, RT_SCOPE_LINK);
	assert_int_equal(r.dst, ip("10.1.0.0"));
	assert_int_equal(r.dst_len, 24);
	assert_int_equal(r.gw, 0);
	assert_int_equal(r.oif, fx_ifindex());
	assert_false(r.complex);
}

static void test_route_host_via_gateway(void **state)
{
	struct nl_route r;

	(void)state;
	assert_int_equal(
		nl_parse_route(fx_route_host_gw, sizeof(fx_route_host_gw), &r),
		0);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.dst, ip("10.9.0.5"));
	assert_int_equal(r.dst_len, 32);
	assert_int_equal(r.gw, ip("10.1.0.2"));
	assert_int_equal(r.oif, fx_ifindex());
	assert_int_equal(r.scope, RT_SCOPE_UNIVERSE);
	assert_false(r.complex);
	assert_int_equal(nl_parse_route(fx_route_del, sizeof(fx_route_del), &r),
			 0);
	assert_int_equal(r.dst, ip("10.9.0.5"));
}

static void test_route_multipath_lists_its_paths(void **state)
{
	uint32_t gw0, gw1;
	struct nl_route r;

	(void)state;
	assert_int_equal(nl_parse_route(fx_route_multipath,
					sizeof(fx_route_multipath), &r),
			 0);
	assert_int_equal(r.dst, ip("10.8.0.0"));
	assert_false(r.complex);
	assert_int_equal(r.n_paths, 2);
	memcpy(&gw0, r.paths[0].gw, 4);
	memcpy(&gw1, r.paths[1].gw, 4);
	assert_true(r.paths[0].has_gw && r.paths[1].has_gw);
	assert_int_equal(gw0, ip("10.1.0.2"));
	assert_int_equal(gw1, ip("10.1.0.3"));
	assert_int_equal(r.paths[0].oif, fx_ifindex());
	/* a next hop that claims more than RTA_MULTIPATH holds: refused */
	{
		uint8_t buf[sizeof(fx_route_multipath)];
		size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg));

		memcpy(buf, fx_route_multipath, sizeof(buf));
		while (off + 4 <= sizeof(buf)) {
			struct nlattr *a = (void *)(buf + off);

			if (a->nla_type == RTA_MULTIPATH) {
				struct rtnexthop *nh = (void *)(a + 1);

				nh->rtnh_len = a->nla_len;
				break;
			}
			off += NLA_ALIGN(a->nla_len);
		}
		assert_int_equal(nl_parse_route(buf, sizeof(buf), &r),
				 -EBADMSG);
	}
}

static void test_route6_multipath_lists_its_paths(void **state)
{
	uint8_t gw[16];
	struct nl_route r;

	(void)state;
	assert_int_equal(nl_parse_route(fx_route6_multipath,
					sizeof(fx_route6_multipath), &r),
			 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.dst_len, 64);
	assert_int_equal(r.n_paths, 2);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1::3", gw), 1);
	assert_true(!memcmp(r.paths[0].gw, gw, 16) ||
		    !memcmp(r.paths[1].gw, gw, 16));
}

static void test_route_mtu_metric(void **state)
{
	struct nl_route r;

	(void)state;
	assert_int_equal(nl_parse_route(fx_route_mtu, sizeof(fx_route_mtu), &r),
			 0);
	assert_int_equal(r.dst, ip("10.6.0.0"));
	assert_int_equal(r.mtu, 1300);
	assert_int_equal(
		nl_parse_route(fx_route_host_gw, sizeof(fx_route_host_gw), &r),
		0);
	assert_int_equal(r.mtu, 0);
}

static void test_route_through_a_nexthop_object(void **state)
{
	struct nl_route r;

	(void)state;
	assert_int_equal(
		nl_parse_route(fx_route_nhid, sizeof(fx_route_nhid), &r), 0);
	assert_int_equal(r.dst, ip("10.5.0.0"));
	assert_int_equal(r.nhid, 5);
	assert_false(r.complex);
	/* what compat mode 1 copies beside it is not taken as a path */
	assert_int_equal(r.n_paths, 0);
}

static void test_nexthop_objects(void **state)
{
	struct nl_nexthop nh;
	uint32_t gw;

	(void)state;
	assert_int_equal(nl_parse_nexthop(fx_nexthop_single,
					  sizeof(fx_nexthop_single), &nh),
			 0);
	assert_int_equal(nh.id, 5);
	assert_int_equal(nh.family, AF_INET);
	assert_int_equal(nh.oif, fx_ifindex());
	assert_true(nh.has_gw);
	memcpy(&gw, nh.gw, 4);
	assert_int_equal(gw, ip("10.1.0.2"));
	assert_false(nh.group || nh.blackhole || nh.complex);
	assert_int_equal(nl_parse_nexthop(fx_nexthop_group,
					  sizeof(fx_nexthop_group), &nh),
			 0);
	assert_int_equal(nh.id, 6);
	assert_true(nh.group);
	assert_int_equal(nh.n_group, 2);
	assert_int_equal(nl_parse_nexthop(fx_nexthop_blackhole,
					  sizeof(fx_nexthop_blackhole), &nh),
			 0);
	assert_int_equal(nh.id, 8);
	assert_true(nh.blackhole);
	assert_int_equal(
		nl_parse_nexthop(fx_nexthop_del, sizeof(fx_nexthop_del), &nh),
		0);
	assert_int_equal(nh.id, 8);
	/* truncated anywhere: refused */
	for (size_t n = 0; n < sizeof(fx_nexthop_single); n++)
		assert_int_equal(nl_parse_nexthop(fx_nexthop_single, n, &nh),
				 -EBADMSG);
	/* another kind of message is not one */
	assert_int_not_equal(
		nl_parse_nexthop(fx_neigh_new, sizeof(fx_neigh_new), &nh), 0);
}

static void test_route_blackhole_type(void **state)
{
	struct nl_route r;

	(void)state;
	assert_int_equal(nl_parse_route(fx_route_blackhole,
					sizeof(fx_route_blackhole), &r),
			 0);
	assert_int_equal(r.type, RTN_BLACKHOLE);
	assert_int_equal(r.dst_len, 16);
}

static void test_neigh_states_and_lladdr(void **state)
{
	struct nl_neigh n;

	(void)state;
	assert_int_equal(nl_parse_neigh(fx_neigh_new, sizeof(fx_neigh_new), &n),
			 0);
	assert_int_equal(n.ifindex, fx_ifindex());
	assert_int_equal(n.ip, ip("10.1.0.2"));
	assert_int_equal(n.state, NUD_REACHABLE);
	assert_int_equal(n.lladdr_len, 6);
	assert_memory_equal(n.lladdr, mac_n2, 6);
	assert_int_equal(
		nl_parse_neigh(fx_neigh_perm, sizeof(fx_neigh_perm), &n), 0);
	assert_int_equal(n.state, NUD_PERMANENT);
	assert_int_equal(
		nl_parse_neigh(fx_neigh_noarp, sizeof(fx_neigh_noarp), &n), 0);
	assert_int_equal(n.state, NUD_NOARP);
	assert_int_equal(nl_parse_neigh(fx_neigh_del, sizeof(fx_neigh_del), &n),
			 0);
	assert_int_equal(n.ip, ip("10.1.0.2"));
}

static void test_rules_default_and_custom(void **state)
{
	struct nl_rule r;

	(void)state;
	assert_int_equal(nl_parse_rule(fx_rule_default_main,
				       sizeof(fx_rule_default_main), &r),
			 0);
	assert_int_equal(r.table, RT_TABLE_MAIN);
	assert_int_equal(r.priority, 32766);
	assert_int_equal(r.action, FR_ACT_TO_TBL);
	assert_true(r.match_all);
	assert_int_equal(nl_parse_rule(fx_rule_from, sizeof(fx_rule_from), &r),
			 0);
	assert_int_equal(r.table, 100);
	assert_int_equal(r.priority, 100);
	assert_false(r.match_all); /* from 10.9.0.0/16 */
	assert_int_equal(
		nl_parse_rule(fx_rule_fwmark, sizeof(fx_rule_fwmark), &r), 0);
	assert_false(r.match_all); /* fwmark: an attribute selector */
}

/* --- malformed messages --- */

static uint8_t mbuf[4096] __attribute__((aligned(4)));

static size_t copy_fx(const uint8_t *fx, size_t len)
{
	assert_true(len <= sizeof(mbuf));
	memcpy(mbuf, fx, len);
	return len;
}

/* First attribute of @type after a family header of @fam bytes. */
static struct nlattr *find_attr(size_t fam, uint16_t type)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(fam);

	while (off + 4 <= nlh->nlmsg_len) {
		struct nlattr *a = (void *)(mbuf + off);

		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	fail_msg("attribute %u not in fixture", type);
	return NULL;
}

static void test_buffer_shorter_than_header_is_rejected(void **state)
{
	struct nl_neigh n;

	(void)state;
	assert_int_equal(nl_parse_neigh(fx_neigh_new, 8, &n), -EBADMSG);
	assert_int_equal(nl_parse_neigh(fx_neigh_new, 0, &n), -EBADMSG);
}

static void test_nlmsg_len_beyond_buffer_is_rejected(void **state)
{
	struct nl_neigh n;

	(void)state;
	assert_int_equal(
		nl_parse_neigh(fx_neigh_new, sizeof(fx_neigh_new) - 4, &n),
		-EBADMSG);
}

static void test_nlmsg_len_shorter_than_family_header_is_rejected(void **s)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct nl_route r;
	size_t len = copy_fx(fx_route_host_gw, sizeof(fx_route_host_gw));

	(void)s;
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct rtmsg) - 1;
	assert_int_equal(nl_parse_route(mbuf, len, &r), -EBADMSG);
}

/* IFLA_LINKINFO's kind must be a NUL-terminated string. */
static void test_link_kind_unterminated_is_rejected(void **state)
{
	size_t len = copy_fx(fx_link_new, sizeof(fx_link_new));
	struct nlattr *info =
		find_attr(sizeof(struct ifinfomsg), IFLA_LINKINFO);
	struct nlattr *kind = (void *)((char *)info + NLA_HDRLEN);
	struct nl_link l;

	(void)state;
	assert_int_equal(kind->nla_type & NLA_TYPE_MASK, IFLA_INFO_KIND);
	assert_int_equal(kind->nla_len, NLA_HDRLEN + sizeof("veth"));
	((char *)kind + NLA_HDRLEN)[4] = 'x';
	assert_int_equal(nl_parse_link(mbuf, len, &l), -EBADMSG);
}

static void test_truncated_attribute_is_rejected(void **state)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct nl_link l;
	size_t len = copy_fx(fx_link_new, sizeof(fx_link_new));

	(void)state;
	/* Cut the message in the middle of its last attribute. */
	nlh->nlmsg_len -= 2;
	assert_int_equal(nl_parse_link(mbuf, len, &l), -EBADMSG);
}

static void test_attribute_longer_than_message_is_rejected(void **state)
{
	struct nl_neigh n;
	size_t len = copy_fx(fx_neigh_new, sizeof(fx_neigh_new));
	struct nlattr *a = find_attr(sizeof(struct ndmsg), NDA_DST);

	(void)state;
	a->nla_len = 0x4000;
	assert_int_equal(nl_parse_neigh(mbuf, len, &n), -EBADMSG);
}

static void test_wrong_attribute_size_is_rejected(void **state)
{
	struct nl_neigh n;
	struct nl_route r;
	size_t len;

	(void)state;
	/* A 2-byte NDA_DST, the rest left as padding-sized garbage. */
	len = copy_fx(fx_neigh_new, sizeof(fx_neigh_new));
	find_attr(sizeof(struct ndmsg), NDA_DST)->nla_len = 6;
	assert_int_equal(nl_parse_neigh(mbuf, len, &n), -EBADMSG);
	/* RTA_OIF of 3 bytes. */
	len = copy_fx(fx_route_host_gw, sizeof(fx_route_host_gw));
	find_attr(sizeof(struct rtmsg), RTA_OIF)->nla_len = 7;
	assert_int_equal(nl_parse_route(mbuf, len, &r), -EBADMSG);
	/* An IFLA_MTU of 8 bytes is as wrong as a short one. */
	len = copy_fx(fx_link_new, sizeof(fx_link_new));
	{
		struct nlattr *a =
			find_attr(sizeof(struct ifinfomsg), IFLA_MTU);
		struct nl_link l;

		a->nla_type = IFLA_MTU;
		a->nla_len = 12; /* swallows the next attribute's header */
		assert_int_equal(nl_parse_link(mbuf, len, &l), -EBADMSG);
	}
}

static void test_unknown_attribute_is_skipped(void **state)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct nl_neigh n;
	struct nlattr *a;
	size_t len = copy_fx(fx_neigh_new, sizeof(fx_neigh_new));

	(void)state;
	a = (void *)(mbuf + len);
	a->nla_type = 0x3ff;
	a->nla_len = 4 + 5; /* odd size: padding must be honoured */
	memset(a + 1, 0xee, 8);
	nlh->nlmsg_len = len + 12;
	assert_int_equal(nl_parse_neigh(mbuf, len + 12, &n), 0);
	assert_int_equal(n.ip, ip("10.1.0.2"));
	assert_memory_equal(n.lladdr, mac_n2, 6);
}

static void test_missing_neigh_dst_is_rejected(void **state)
{
	struct nl_neigh n;
	size_t len = copy_fx(fx_neigh_new, sizeof(fx_neigh_new));

	(void)state;
	find_attr(sizeof(struct ndmsg), NDA_DST)->nla_type = 0x3fe;
	assert_int_equal(nl_parse_neigh(mbuf, len, &n), -EBADMSG);
}

static void test_other_family_is_not_an_error(void **state)
{
	struct nl_neigh n;
	size_t len = copy_fx(fx_neigh_new, sizeof(fx_neigh_new));
	struct ndmsg *ndm = (void *)(mbuf + NLMSG_HDRLEN);

	(void)state;
	ndm->ndm_family = AF_BRIDGE; /* the FDB: not ours */
	assert_int_equal(nl_parse_neigh(mbuf, len, &n), -EAFNOSUPPORT);
}

/* An RTM_NEWADDR (AF_INET6) for @addr/@plen on ifindex 5, into mbuf. */
static size_t addr6_msg(const char *addr, uint8_t plen, uint16_t alen)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct ifaddrmsg *ifa = (void *)(mbuf + NLMSG_HDRLEN);
	struct nlattr *a =
		(void *)(mbuf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ifa)));

	memset(mbuf, 0, sizeof(mbuf));
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = 5;
	a->nla_type = IFA_ADDRESS;
	a->nla_len = (uint16_t)(NLA_HDRLEN + alen);
	assert_int_equal(inet_pton(AF_INET6, addr, a + 1), 1);
	nlh->nlmsg_len =
		(uint32_t)((uint8_t *)a - mbuf) + NLA_ALIGN(a->nla_len);
	return nlh->nlmsg_len;
}

static void test_addr6_gives_the_16_bytes(void **state)
{
	struct nl_addr a;
	uint8_t want[16];
	size_t len = addr6_msg("2001:db8::1", 64, 16);

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", want);
	assert_int_equal(nl_parse_addr(mbuf, len, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.ifindex, 5);
	assert_int_equal(a.prefixlen, 64);
	assert_memory_equal(a.local6, want, 16);
	/* not 16 bytes, prefix beyond 128: malformed */
	len = addr6_msg("2001:db8::1", 64, 4);
	assert_int_equal(nl_parse_addr(mbuf, len, &a), -EBADMSG);
	len = addr6_msg("2001:db8::1", 129, 16);
	assert_int_equal(nl_parse_addr(mbuf, len, &a), -EBADMSG);
}

/* What the kernel sends when force_forwarding changes: the index only. */
static void test_netconf6_with_only_an_index(void **state)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct netconfmsg *ncm = (void *)(mbuf + NLMSG_HDRLEN);
	struct nlattr *a =
		(void *)(mbuf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*ncm)));
	struct nl_netconf c;

	(void)state;
	memset(mbuf, 0, sizeof(mbuf));
	nlh->nlmsg_type = RTM_NEWNETCONF;
	ncm->ncm_family = AF_INET6;
	a->nla_type = NETCONFA_IFINDEX;
	a->nla_len = NLA_HDRLEN + 4;
	*(int32_t *)(a + 1) = 7;
	nlh->nlmsg_len = (uint32_t)((uint8_t *)a - mbuf) + 8;
	assert_int_equal(nl_parse_netconf(mbuf, nlh->nlmsg_len, &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.ifindex, 7);
	assert_int_equal(c.forwarding, -1);
	assert_int_equal(c.rp_filter, -1);
}

/* Appends attribute @type with @len bytes of @data to the message. */
static void put_attr(uint16_t type, const void *data, uint16_t len)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct nlattr *a = (void *)(mbuf + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy(a + 1, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void test_route6_and_neigh6_give_the_16_bytes(void **state)
{
	struct nlmsghdr *nlh = (void *)mbuf;
	struct rtmsg *rtm = (void *)(mbuf + NLMSG_HDRLEN);
	struct ndmsg *ndm = (void *)(mbuf + NLMSG_HDRLEN);
	uint8_t dst[16], gw[16];
	uint32_t oif = 3;
	struct nl_route r;
	struct nl_neigh n;

	(void)state;
	inet_pton(AF_INET6, "2001:db8:9::9", dst);
	inet_pton(AF_INET6, "fe80::1", gw);
	memset(mbuf, 0, sizeof(mbuf));
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*rtm);
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 128;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	put_attr(RTA_DST, dst, 16);
	put_attr(RTA_GATEWAY, gw, 16);
	put_attr(RTA_OIF, &oif, 4);
	assert_int_equal(nl_parse_route(mbuf, nlh->nlmsg_len, &r), 0);
	assert_int_equal(r.family, AF_INET6);
	assert_int_equal(r.dst_len, 128);
	assert_true(r.has_gw);
	assert_memory_equal(r.dst6, dst, 16);
	assert_memory_equal(r.gw6, gw, 16);
	assert_int_equal(r.oif, 3);
	assert_int_equal(r.dst, 0);
	/* a 4-byte destination in an IPv6 route, a prefix beyond 128 */
	rtm->rtm_dst_len = 129;
	assert_int_equal(nl_parse_route(mbuf, nlh->nlmsg_len, &r), -EBADMSG);
	rtm->rtm_dst_len = 128;
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*rtm);
	put_attr(RTA_DST, dst, 4);
	assert_int_equal(nl_parse_route(mbuf, nlh->nlmsg_len, &r), -EBADMSG);

	memset(mbuf, 0, sizeof(mbuf));
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*ndm);
	ndm->ndm_family = AF_INET6;
	ndm->ndm_ifindex = 3;
	ndm->ndm_state = NUD_STALE;
	ndm->ndm_flags = NTF_ROUTER;
	put_attr(NDA_DST, gw, 16);
	put_attr(NDA_LLADDR, mac_n2, 6);
	assert_int_equal(nl_parse_neigh(mbuf, nlh->nlmsg_len, &n), 0);
	assert_int_equal(n.family, AF_INET6);
	assert_memory_equal(n.ip6, gw, 16);
	assert_int_equal(n.flags, NTF_ROUTER);
	assert_int_equal(n.lladdr_len, 6);
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*ndm);
	put_attr(NDA_DST, gw, 15);
	assert_int_equal(nl_parse_neigh(mbuf, nlh->nlmsg_len, &n), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_link_new_gives_name_type_flags_mac_mtu_kind),
		cmocka_unit_test(test_link_kind_unterminated_is_rejected),
		cmocka_unit_test(test_link_del_gives_ifindex),
		cmocka_unit_test(test_addr6_gives_the_16_bytes),
		cmocka_unit_test(test_route6_and_neigh6_give_the_16_bytes),
		cmocka_unit_test(test_netconf6_with_only_an_index),
		cmocka_unit_test(test_netconf_gives_forwarding_per_ifindex),
		cmocka_unit_test(test_addr_new_and_del_give_ipv4_address),
		cmocka_unit_test(test_route_connected_has_no_gateway),
		cmocka_unit_test(test_route_host_via_gateway),
		cmocka_unit_test(test_route_multipath_lists_its_paths),
		cmocka_unit_test(test_route6_multipath_lists_its_paths),
		cmocka_unit_test(test_route_mtu_metric),
		cmocka_unit_test(test_route_through_a_nexthop_object),
		cmocka_unit_test(test_nexthop_objects),
		cmocka_unit_test(test_route_blackhole_type),
		cmocka_unit_test(test_neigh_states_and_lladdr),
		cmocka_unit_test(test_rules_default_and_custom),
		cmocka_unit_test(test_buffer_shorter_than_header_is_rejected),
		cmocka_unit_test(test_nlmsg_len_beyond_buffer_is_rejected),
		cmocka_unit_test(
			test_nlmsg_len_shorter_than_family_header_is_rejected),
		cmocka_unit_test(test_truncated_attribute_is_rejected),
		cmocka_unit_test(
			test_attribute_longer_than_message_is_rejected),
		cmocka_unit_test(test_wrong_attribute_size_is_rejected),
		cmocka_unit_test(test_unknown_attribute_is_skipped),
		cmocka_unit_test(test_missing_neigh_dst_is_rejected),
		cmocka_unit_test(test_other_family_is_not_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
