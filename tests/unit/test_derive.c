// SPDX-License-Identifier: GPL-2.0
/*
 * test_derive.c - the derivation rule (docs/design.md), driven with parsed
 * messages; fake hooks keep the "map" the daemon would hold and count
 * every call, so each test asserts both the final table and that nothing
 * superfluous was written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>

#include "derive.h"

#define MAXE 64

static struct {
	uint32_t ip[MAXE];
	struct fwd_entry e[MAXE];
	int n;
	int sets, dels, updates, gones, begins, ends;
	struct rtnl_iface last_iface;
	uint32_t gone_ifindex;
	int local_adds, local_dels;
	uint32_t last_local;
} fk;

static int find(uint32_t ip)
{
	int i;

	for (i = 0; i < fk.n; i++)
		if (fk.ip[i] == ip)
			return i;
	return -1;
}

static void h_iface_update(void *a, const struct rtnl_iface *i)
{
	(void)a;
	fk.updates++;
	fk.last_iface = *i;
}

static void h_iface_gone(void *a, uint32_t ifindex, const char *name)
{
	(void)a;
	(void)name;
	fk.gones++;
	fk.gone_ifindex = ifindex;
}

/*
 * Like the daemon's table, a set that changes nothing and a delete of
 * nothing are no writes; sets and dels count the writes only.
 */
static int h_learn_set(void *a, uint32_t ip, const struct fwd_entry *e)
{
	int i = find(ip);

	(void)a;
	if (i >= 0 && !memcmp(&fk.e[i], e, sizeof(*e)))
		return 0;
	fk.sets++;
	if (i < 0) {
		assert_true(fk.n < MAXE);
		i = fk.n++;
	}
	fk.ip[i] = ip;
	fk.e[i] = *e;
	return 0;
}

static int h_learn_del(void *a, uint32_t ip)
{
	int i = find(ip);

	(void)a;
	if (i < 0)
		return -ENOENT;
	fk.dels++;
	fk.n--;
	fk.ip[i] = fk.ip[fk.n];
	fk.e[i] = fk.e[fk.n];
	return 0;
}

/* The daemon's contract: entries not set again during a resync go. */
static uint8_t resync_seen[MAXE];
static int resync_sets_at_begin;

static void h_resync_begin(void *a)
{
	(void)a;
	fk.begins++;
	memset(resync_seen, 0, sizeof(resync_seen));
	resync_sets_at_begin = fk.sets;
}

static void h_resync_end(void *a)
{
	(void)a;
	fk.ends++;
}

static void h_local_add(void *a, uint32_t ip)
{
	(void)a;
	fk.local_adds++;
	fk.last_local = ip;
}

static void h_local_del(void *a, uint32_t ip)
{
	(void)a;
	fk.local_dels++;
	fk.last_local = ip;
}

/* IPv6: the learned entries the daemon would hold, by destination. */
static struct {
	uint8_t ip[MAXE][16];
	struct fwd_entry e[MAXE];
	int n, sets, dels;
} fk6;

static int find6(const uint8_t ip[16])
{
	for (int i = 0; i < fk6.n; i++)
		if (!memcmp(fk6.ip[i], ip, 16))
			return i;
	return -1;
}

static int h_learn_set6(void *a, const uint8_t ip[16],
			const struct fwd_entry *e)
{
	int i = find6(ip);

	(void)a;
	if (i >= 0 && !memcmp(&fk6.e[i], e, sizeof(*e)))
		return 0;
	fk6.sets++;
	if (i < 0) {
		assert_true(fk6.n < MAXE);
		i = fk6.n++;
	}
	memcpy(fk6.ip[i], ip, 16);
	fk6.e[i] = *e;
	return 0;
}

static int h_learn_del6(void *a, const uint8_t ip[16])
{
	int i = find6(ip);

	(void)a;
	if (i < 0)
		return -ENOENT;
	fk6.dels++;
	fk6.n--;
	memcpy(fk6.ip[i], fk6.ip[fk6.n], 16);
	fk6.e[i] = fk6.e[fk6.n];
	return 0;
}

static const struct rtnl_hooks hooks = {
	.learn_set6 = h_learn_set6,
	.learn_del6 = h_learn_del6,
	.local_add = h_local_add,
	.local_del = h_local_del,
	.iface_update = h_iface_update,
	.iface_gone = h_iface_gone,
	.learn_set = h_learn_set,
	.learn_del = h_learn_del,
	.resync_begin = h_resync_begin,
	.resync_end = h_resync_end,
};

static char *managed[] = {"eth0", "eth1"};

static uint32_t ip(const char *s)
{
	uint32_t v;

	assert_int_equal(inet_pton(AF_INET, s, &v), 1);
	return v;
}

static const uint8_t mac0[6] = {2, 0, 0, 0, 0, 0x10};
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 0x11};
static const uint8_t macA[6] = {2, 0, 0, 0, 0, 0xaa};
static const uint8_t macB[6] = {2, 0, 0, 0, 0, 0xbb};
static const uint8_t macC[6] = {2, 0, 0, 0, 0, 0xcc};

static void link_msg(struct derive *d, uint32_t ifindex, const char *name,
		     const uint8_t *mac, uint32_t flags, uint16_t type)
{
	struct nl_link l = {
		.ifindex = ifindex, .type = type, .flags = flags, .mtu = 1500};

	snprintf(l.name, sizeof(l.name), "%s", name);
	memcpy(l.addr, mac, 6);
	l.addr_len = 6;
	derive_link(d, &l, false);
}

#define UPRUN (IFF_UP | IFF_RUNNING)

static void link_msg_del(struct derive *d, uint32_t ifindex)
{
	struct nl_link l = {.ifindex = ifindex};

	derive_link(d, &l, true);
}

static void route_msg(struct derive *d, uint32_t table, const char *dst,
		      uint8_t len, const char *gw, uint32_t oif, uint8_t type,
		      uint32_t prio, bool del)
{
	struct nl_route r = {.family = AF_INET,
			     .table = table,
			     .type = type,
			     .dst_len = len,
			     .oif = oif,
			     .priority = prio};

	r.dst = ip(dst);
	r.gw = gw ? ip(gw) : 0;
	derive_route(d, &r, del);
}

static void connected(struct derive *d, const char *net, uint8_t len,
		      uint32_t oif, bool del)
{
	route_msg(d, RT_TABLE_MAIN, net, len, NULL, oif, RTN_UNICAST, 0, del);
}

/* An IPv4 multipath route of main: @dst/@len via @gw1 out of ifindex 2
 * and @gw2 out of @oif2. */
static void multipath_msg(struct derive *d, const char *dst, uint8_t len,
			  const char *gw1, uint32_t oif2, const char *gw2,
			  bool del)
{
	struct nl_route mp = {.family = AF_INET,
			      .table = RT_TABLE_MAIN,
			      .type = RTN_UNICAST,
			      .dst_len = len,
			      .n_paths = 2,
			      .paths = {{.oif = 2, .has_gw = true},
					{.oif = oif2, .has_gw = true}}};

	mp.dst = ip(dst);
	memcpy(mp.paths[0].gw, &(uint32_t){ip(gw1)}, 4);
	memcpy(mp.paths[1].gw, &(uint32_t){ip(gw2)}, 4);
	derive_route(d, &mp, del);
}

static void neigh_msg(struct derive *d, uint32_t ifindex, const char *addr,
		      uint16_t state, const uint8_t *mac, bool del)
{
	struct nl_neigh n = {.ifindex = ifindex, .state = state};

	n.ip = ip(addr);
	if (mac) {
		memcpy(n.lladdr, mac, 6);
		n.lladdr_len = 6;
	}
	derive_neigh(d, &n, del);
}

/* eth0 (2) 10.1.0.0/24 and eth1 (3) 10.2.0.0/24, up; lo-ish eth9 (4). */
static void rpf_msg(struct derive *d, int32_t ifindex, int32_t mode)
{
	struct nl_netconf c = {
		.ifindex = ifindex, .forwarding = -1, .rp_filter = mode};

	derive_netconf(d, &c);
}

static int setup(void **state)
{
	struct derive *d;

	memset(&fk, 0, sizeof(fk));
	d = derive_new(&hooks, managed, 2, true);
	assert_non_null(d);
	/* rp_filter 0 everywhere, as netconf's dump tells it first. */
	rpf_msg(d, NETCONFA_IFINDEX_ALL, 0);
	rpf_msg(d, 2, 0);
	rpf_msg(d, 3, 0);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	link_msg(d, 4, "eth9", macB, UPRUN, ARPHRD_ETHER);
	connected(d, "10.1.0.0", 24, 2, false);
	connected(d, "10.2.0.0", 24, 3, false);
	connected(d, "10.4.0.0", 24, 4, false);
	route_msg(d, RT_TABLE_LOCAL, "10.1.0.1", 32, NULL, 2, RTN_LOCAL, 0,
		  false);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	derive_free(*state);
	return 0;
}

static void assert_entry(const char *addr, uint32_t ifindex,
			 const uint8_t *smac, const uint8_t *dmac)
{
	int i = find(ip(addr));

	if (i < 0)
		fail_msg("no entry for %s", addr);
	assert_int_equal(fk.e[i].ifindex, ifindex);
	assert_memory_equal(fk.e[i].smac, smac, 6);
	assert_memory_equal(fk.e[i].dmac, dmac, 6);
}

static void assert_no_entry(const char *addr)
{
	if (find(ip(addr)) >= 0)
		fail_msg("unexpected entry for %s", addr);
}

static void test_managed_links_are_reported(void **state)
{
	struct nl_netconf c = {.ifindex = 3, .forwarding = 1};

	assert_int_equal(fk.updates, 2); /* eth0, eth1; not eth9 */
	derive_netconf(*state, &c);
	assert_int_equal(fk.updates, 3);
	assert_int_equal(fk.last_iface.ifindex, 3);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP | FWD_IF_FORWARDING);
	assert_memory_equal(fk.last_iface.mac, mac1, 6);
	derive_netconf(*state, &c);
	assert_int_equal(fk.updates, 3); /* no change, no call */
}

static void test_neighbour_added_gives_entry(void **state)
{
	neigh_msg(*state, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	assert_entry("10.1.0.7", 2, mac0, macA);
	assert_int_equal(fk.sets, 1);
}

static void test_neighbour_lladdr_replaced_entry_follows(void **state)
{
	neigh_msg(*state, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	neigh_msg(*state, 2, "10.1.0.7", NUD_STALE, macA, false);
	assert_int_equal(fk.sets, 1); /* state change within valid: no write */
	neigh_msg(*state, 2, "10.1.0.7", NUD_STALE, macB, false);
	assert_entry("10.1.0.7", 2, mac0, macB);
	assert_int_equal(fk.sets, 2);
}

static void test_neighbour_failed_or_deleted_removes_entry(void **state)
{
	neigh_msg(*state, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	neigh_msg(*state, 2, "10.1.0.7", NUD_FAILED, NULL, false);
	assert_no_entry("10.1.0.7");
	neigh_msg(*state, 2, "10.1.0.7", NUD_PROBE, macA, false);
	assert_entry("10.1.0.7", 2, mac0, macA);
	neigh_msg(*state, 2, "10.1.0.7", NUD_PROBE, macA, true);
	assert_no_entry("10.1.0.7");
	assert_int_equal(fk.dels, 2);
}

static void test_valid_states_only(void **state)
{
	neigh_msg(*state, 2, "10.1.0.7", NUD_INCOMPLETE, NULL, false);
	neigh_msg(*state, 2, "10.1.0.8", NUD_NOARP, macA, false);
	neigh_msg(*state, 2, "10.1.0.9", NUD_PERMANENT, macA, false);
	neigh_msg(*state, 2, "10.1.0.10", NUD_DELAY, macA, false);
	assert_no_entry("10.1.0.7");
	assert_no_entry("10.1.0.8");
	assert_entry("10.1.0.9", 2, mac0, macA);
	assert_entry("10.1.0.10", 2, mac0, macA);
	assert_int_equal(fk.dels, 0);
}

static void test_local_address_has_no_entry(void **state)
{
	neigh_msg(*state, 2, "10.1.0.1", NUD_PERMANENT, macA, false);
	assert_no_entry("10.1.0.1");
	assert_int_equal(fk.sets, 0);
}

static void test_neighbour_on_other_link_than_route_has_none(void **s)
{
	/* 10.2.0.5 is routed out of eth1: a neighbour on eth0 is moot. */
	neigh_msg(*s, 2, "10.2.0.5", NUD_REACHABLE, macA, false);
	assert_no_entry("10.2.0.5");
	neigh_msg(*s, 3, "10.2.0.5", NUD_REACHABLE, macB, false);
	assert_entry("10.2.0.5", 3, mac1, macB);
}

static void test_unmanaged_interface_has_no_entries(void **state)
{
	neigh_msg(*state, 4, "10.4.0.5", NUD_REACHABLE, macA, false);
	assert_no_entry("10.4.0.5");
	assert_int_equal(fk.sets, 0);
}

static void test_host_route_via_gateway_uses_gateway_mac(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "192.0.2.9", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	assert_entry("192.0.2.9", 2, mac0, macA);
	/* The gateway's MAC changes: the host entry follows. */
	neigh_msg(d, 2, "10.1.0.254", NUD_STALE, macB, false);
	assert_entry("192.0.2.9", 2, mac0, macB);
	/* The gateway fails: both go. */
	neigh_msg(d, 2, "10.1.0.254", NUD_FAILED, NULL, false);
	assert_no_entry("192.0.2.9");
	assert_no_entry("10.1.0.254");
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	assert_entry("192.0.2.9", 2, mac0, macA);
	route_msg(d, RT_TABLE_MAIN, "192.0.2.9", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, true);
	assert_no_entry("192.0.2.9");
	assert_entry("10.1.0.254", 2, mac0, macA);
}

static void test_prefix_route_via_gateway_is_left_to_fib(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.100.0", 24, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	/* A neighbour entry for an address inside it must not be used. */
	neigh_msg(d, 2, "198.51.100.3", NUD_REACHABLE, macB, false);
	assert_no_entry("198.51.100.3");
	/* A /25 via gateway inside a connected /24 takes its part away. */
	neigh_msg(d, 2, "10.1.0.200", NUD_REACHABLE, macB, false);
	assert_entry("10.1.0.200", 2, mac0, macB);
	route_msg(d, RT_TABLE_MAIN, "10.1.0.128", 25, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	assert_no_entry("10.1.0.200");
	route_msg(d, RT_TABLE_MAIN, "10.1.0.128", 25, "10.1.0.254", 2,
		  RTN_UNICAST, 0, true);
	assert_entry("10.1.0.200", 2, mac0, macB);
}

static void test_longest_prefix_and_metric_decide(void **state)
{
	struct derive *d = *state;

	/* 10.1.0.16/28 moves to eth1: the eth0 neighbour there loses. */
	neigh_msg(d, 2, "10.1.0.20", NUD_REACHABLE, macA, false);
	neigh_msg(d, 3, "10.1.0.20", NUD_REACHABLE, macB, false);
	assert_entry("10.1.0.20", 2, mac0, macA);
	connected(d, "10.1.0.16", 28, 3, false);
	assert_entry("10.1.0.20", 3, mac1, macB);
	/* A better metric at the same prefix brings eth0 back. */
	route_msg(d, RT_TABLE_MAIN, "10.1.0.16", 28, NULL, 2, RTN_UNICAST, 0,
		  true);
	route_msg(d, RT_TABLE_MAIN, "10.1.0.16", 28, NULL, 3, RTN_UNICAST, 200,
		  false);
	route_msg(d, RT_TABLE_MAIN, "10.1.0.16", 28, NULL, 2, RTN_UNICAST, 100,
		  false);
	assert_entry("10.1.0.20", 2, mac0, macA);
}

static void alias(struct derive *d, uint32_t oif, uint16_t flags, bool del)
{
	struct nl_route r = {.family = AF_INET,
			     .table = RT_TABLE_MAIN,
			     .type = RTN_UNICAST,
			     .dst_len = 28,
			     .oif = oif,
			     .nlmsg_flags = flags};

	r.dst = ip("10.1.0.32");
	derive_route(d, &r, del);
}

static void test_equal_metric_aliases_first_one_wins(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.40", NUD_REACHABLE, macA, false);
	neigh_msg(d, 3, "10.1.0.40", NUD_REACHABLE, macB, false);
	alias(d, 3, NLM_F_CREATE, false);
	assert_entry("10.1.0.40", 3, mac1, macB);
	/* ip route append ... dev eth0: second alias, not used. */
	alias(d, 2, NLM_F_CREATE | NLM_F_APPEND, false);
	assert_entry("10.1.0.40", 3, mac1, macB);
	/* The first goes: the appended one takes over. */
	alias(d, 3, 0, true);
	assert_entry("10.1.0.40", 2, mac0, macA);
	/* ip route prepend ... dev eth1: goes in front. */
	alias(d, 3, NLM_F_CREATE, false);
	assert_entry("10.1.0.40", 3, mac1, macB);
	/* ip route replace ... dev eth9 replaces the first alias (eth1),
	 * not the second: unmanaged eth9 now decides, so no entry. */
	alias(d, 4, NLM_F_CREATE | NLM_F_REPLACE, false);
	assert_no_entry("10.1.0.40");
}

static void test_blackhole_and_multipath_give_none(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.50", NUD_REACHABLE, macA, false);
	neigh_msg(d, 2, "10.1.0.51", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "10.1.0.50", 32, NULL, 0, RTN_BLACKHOLE, 0,
		  false);
	assert_no_entry("10.1.0.50");
	multipath_msg(d, "10.1.0.51", 32, "10.1.0.1", 2, "10.1.0.2", false);
	assert_no_entry("10.1.0.51");
	multipath_msg(d, "10.1.0.51", 32, "10.1.0.1", 2, "10.1.0.2", true);
	assert_entry("10.1.0.51", 2, mac0, macA);
}

static void test_connected_route_removed_drops_subnet(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	neigh_msg(d, 2, "10.1.0.8", NUD_REACHABLE, macB, false);
	neigh_msg(d, 3, "10.2.0.8", NUD_REACHABLE, macB, false);
	/* Address removal: the kernel withdraws local and prefix routes. */
	route_msg(d, RT_TABLE_LOCAL, "10.1.0.1", 32, NULL, 2, RTN_LOCAL, 0,
		  true);
	connected(d, "10.1.0.0", 24, 2, true);
	assert_no_entry("10.1.0.7");
	assert_no_entry("10.1.0.8");
	assert_entry("10.2.0.8", 3, mac1, macB);
}

static void addr_msg(struct derive *d, uint32_t ifindex, const char *a,
		     uint8_t len, bool del)
{
	struct nl_addr m = {.ifindex = ifindex, .prefixlen = len};

	m.local = m.address = ip(a);
	derive_addr(d, &m, del);
}

static void test_last_address_removed_flushes_static_routes(void **state)
{
	struct derive *d = *state;

	addr_msg(d, 2, "10.1.0.1", 24, false);
	addr_msg(d, 2, "10.1.0.99", 24, false);
	neigh_msg(d, 2, "10.1.0.254", NUD_PERMANENT, macA, false);
	route_msg(d, RT_TABLE_MAIN, "192.0.2.9", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	assert_entry("192.0.2.9", 2, mac0, macA);
	addr_msg(d, 2, "10.1.0.99", 24, true);
	assert_entry("192.0.2.9", 2, mac0, macA);
	/* The last one: the kernel drops the /32 too, and says nothing. */
	addr_msg(d, 2, "10.1.0.1", 24, true);
	assert_no_entry("192.0.2.9");
	addr_msg(d, 2, "10.1.0.1", 24, false);
	connected(d, "10.1.0.0", 24, 2, false);
	assert_entry("10.1.0.254", 2, mac0, macA);
	assert_no_entry("192.0.2.9");
}

static void test_rp_filter_is_the_max_of_all_and_the_link(void **state)
{
	struct derive *d = *state;

	assert_int_equal(fk.last_iface.flags & FWD_IF_RPF_STRICT, 0);
	rpf_msg(d, 2, 2);
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP | FWD_IF_RPF_LOOSE);
	rpf_msg(d, NETCONFA_IFINDEX_ALL, 1);
	/* eth0: max(1, 2) = loose, unchanged; eth1: max(1, 0) = strict */
	assert_int_equal(fk.last_iface.ifindex, 3);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP | FWD_IF_RPF_STRICT);
	rpf_msg(d, 2, 0);
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP | FWD_IF_RPF_STRICT);
	rpf_msg(d, NETCONFA_IFINDEX_ALL, 0);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP);
}

static void test_rp_filter_not_known_yet_is_strict(void **state)
{
	struct derive *d = *state;

	/* eth1 re-created: a new ifindex netconf has not described yet */
	link_msg_del(d, 3);
	link_msg(d, 7, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	assert_int_equal(fk.last_iface.ifindex, 7);
	assert_int_equal(fk.last_iface.flags & FWD_IF_RPF_STRICT,
			 FWD_IF_RPF_STRICT);
	rpf_msg(d, 7, 0);
	assert_int_equal(fk.last_iface.flags & FWD_IF_RPF_STRICT, 0);
}

static void test_local_addresses_counted_across_links(void **state)
{
	struct derive *d = *state;

	addr_msg(d, 2, "10.1.0.1", 24, false);
	assert_int_equal(fk.local_adds, 1);
	assert_int_equal(fk.last_local, ip("10.1.0.1"));
	/* The same address on an unmanaged link too: still one. */
	addr_msg(d, 4, "10.1.0.1", 32, false);
	addr_msg(d, 2, "10.1.0.1", 24, false); /* repeated: nothing */
	assert_int_equal(fk.local_adds, 1);
	addr_msg(d, 2, "10.1.0.1", 24, true);
	assert_int_equal(fk.local_dels, 0);
	addr_msg(d, 4, "10.1.0.1", 32, true);
	assert_int_equal(fk.local_dels, 1);
	/* A link's going takes its addresses with it. */
	addr_msg(d, 4, "10.4.0.1", 24, false);
	assert_int_equal(fk.local_adds, 2);
	link_msg_del(d, 4);
	assert_int_equal(fk.local_dels, 2);
	assert_int_equal(fk.last_local, ip("10.4.0.1"));
}

static void test_carrier_down_and_up(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	link_msg(d, 2, "eth0", mac0, IFF_UP, ARPHRD_ETHER);
	assert_no_entry("10.1.0.7");
	assert_int_equal(fk.last_iface.flags, 0);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	assert_entry("10.1.0.7", 2, mac0, macA);
	assert_int_equal(fk.last_iface.flags, FWD_IF_UP);
}

static void test_admin_down_flushes_routes_like_the_kernel(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_PERMANENT, macA, false);
	link_msg(d, 2, "eth0", mac0, 0, ARPHRD_ETHER);
	assert_no_entry("10.1.0.7");
	/* Up again: the kernel re-adds the prefix route, and announces it. */
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	assert_no_entry("10.1.0.7");
	connected(d, "10.1.0.0", 24, 2, false);
	assert_entry("10.1.0.7", 2, mac0, macA);
}

static void test_link_mac_change_updates_smac(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	link_msg(d, 2, "eth0", macB, UPRUN, ARPHRD_ETHER);
	assert_entry("10.1.0.7", 2, macB, macA);
	assert_memory_equal(fk.last_iface.mac, macB, 6);
}

static void test_link_deleted_and_ifindex_reused(void **state)
{
	struct derive *d = *state;
	struct nl_link l = {.ifindex = 2};

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	derive_link(d, &l, true);
	assert_no_entry("10.1.0.7");
	assert_int_equal(fk.gones, 1);
	assert_int_equal(fk.gone_ifindex, 2);
	/* A new, unmanaged link takes ifindex 2 and a route to the subnet. */
	link_msg(d, 2, "veth7", mac0, UPRUN, ARPHRD_ETHER);
	connected(d, "10.1.0.0", 24, 2, false);
	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	assert_no_entry("10.1.0.7");
}

static void test_link_renamed_away_is_gone(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	link_msg(d, 2, "other", mac0, UPRUN, ARPHRD_ETHER);
	assert_int_equal(fk.gones, 1);
	assert_no_entry("10.1.0.7");
}

static void test_non_ethernet_and_noarp_links_have_none(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_NONE);
	assert_no_entry("10.1.0.7");
	link_msg(d, 2, "eth0", mac0, UPRUN | IFF_NOARP, ARPHRD_ETHER);
	assert_no_entry("10.1.0.7");
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	assert_entry("10.1.0.7", 2, mac0, macA);
}

static void test_resync_sets_everything_again(void **state)
{
	struct derive *d = *state;
	struct nl_link l0 = {.ifindex = 2,
			     .type = ARPHRD_ETHER,
			     .flags = UPRUN,
			     .addr_len = 6,
			     .mtu = 1500};

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	neigh_msg(d, 3, "10.2.0.7", NUD_REACHABLE, macA, false);
	fk.sets = fk.dels = 0;
	derive_resync_begin(d);
	/* The dump: eth1 is gone; 10.1.0.7 changed MAC meanwhile. */
	strcpy(l0.name, "eth0");
	memcpy(l0.addr, mac0, 6);
	derive_link(d, &l0, false);
	connected(d, "10.1.0.0", 24, 2, false);
	neigh_msg(d, 2, "10.1.0.7", NUD_STALE, macB, false);
	assert_int_equal(fk.sets, 0); /* nothing before the end */
	derive_resync_end(d);
	assert_int_equal(fk.begins, 1);
	assert_int_equal(fk.ends, 1);
	assert_int_equal(fk.sets, 1);
	assert_int_equal(fk.dels, 0); /* the sweep is the daemon's */
	assert_entry("10.1.0.7", 2, mac0, macB);
	assert_int_equal(fk.gones, 1);
	assert_int_equal(fk.gone_ifindex, 3);
	/* After the resync, events apply at once again. */
	neigh_msg(d, 2, "10.1.0.7", NUD_FAILED, NULL, false);
	assert_no_entry("10.1.0.7");
}

static void test_custom_policy_rules_suspend_learning(void **state)
{
	struct derive *d = *state;
	struct nl_rule main_rule = {.table = RT_TABLE_MAIN,
				    .priority = 32766,
				    .action = FR_ACT_TO_TBL,
				    .match_all = true};

	assert_true(derive_rule_is_default(&main_rule));
	main_rule.match_all = false; /* e.g. "from 10.9.0.0/16" */
	assert_false(derive_rule_is_default(&main_rule));
	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	derive_rules(d, 1);
	assert_no_entry("10.1.0.7");
	neigh_msg(d, 2, "10.1.0.8", NUD_REACHABLE, macA, false);
	assert_no_entry("10.1.0.8");
	derive_rules(d, 0);
	assert_entry("10.1.0.7", 2, mac0, macA);
	assert_entry("10.1.0.8", 2, mac0, macA);
}

static void test_missing_managed_interface_is_named(void **state)
{
	struct derive *d = *state;
	struct nl_link l = {.ifindex = 3};

	assert_null(derive_missing_iface(d));
	derive_link(d, &l, true);
	assert_string_equal(derive_missing_iface(d), "eth1");
}

static uint32_t refreshed[8];
static int n_refreshed;

static void on_refresh(void *arg, uint32_t ifindex, uint32_t addr)
{
	(void)arg;
	assert_int_equal(ifindex, 2);
	assert_true(n_refreshed < 8);
	refreshed[n_refreshed++] = addr;
}

static void test_refresh_only_stale_neighbours_behind_entries(void **s)
{
	struct derive *d = *s;

	neigh_msg(d, 2, "10.1.0.7", NUD_STALE, macA, false);
	neigh_msg(d, 2, "10.1.0.8", NUD_REACHABLE, macA, false);
	neigh_msg(d, 2, "10.1.0.254", NUD_STALE, macB, false);
	/* Two host routes through one gateway: one refresh for it. */
	route_msg(d, RT_TABLE_MAIN, "192.0.2.9", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	route_msg(d, RT_TABLE_MAIN, "192.0.2.10", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	/* A STALE neighbour behind no entry (unmanaged link). */
	neigh_msg(d, 4, "10.4.0.7", NUD_STALE, macA, false);
	n_refreshed = 0;
	assert_int_equal(derive_refresh(d, on_refresh, NULL, 100), 2);
	assert_int_equal(n_refreshed, 2);
	{
		bool a = false, b = false;
		int i;

		for (i = 0; i < n_refreshed; i++) {
			a |= refreshed[i] == ip("10.1.0.7");
			b |= refreshed[i] == ip("10.1.0.254");
			assert_int_not_equal(refreshed[i], ip("10.1.0.8"));
		}
		assert_true(a && b);
	}
	/* The per-call bound holds and the cursor moves on. */
	n_refreshed = 0;
	assert_int_equal(derive_refresh(d, on_refresh, NULL, 1), 1);
}

static void addr6_msg(struct derive *d, uint32_t ifindex, const char *a,
		      bool del)
{
	struct nl_addr m = {
		.family = AF_INET6, .ifindex = ifindex, .prefixlen = 64};

	assert_int_equal(inet_pton(AF_INET6, a, m.local6), 1);
	derive_addr(d, &m, del);
}

static void netconf6_msg(struct derive *d, int32_t ifindex, int32_t fwd)
{
	struct nl_netconf c = {.family = AF_INET6,
			       .ifindex = ifindex,
			       .forwarding = fwd,
			       .rp_filter = -1};

	derive_netconf(d, &c);
}

/*
 * A veth's frames may carry checksums left for offload (its peer's stack),
 * and a tap's (its user's virtio-net header): the ingress says so; a
 * device of its own driver (no kind) does not, and a message without the
 * kind changes nothing.
 */
static void test_veth_is_told_checksums_may_be_left_for_offload(void **state)
{
	struct derive *d = *state;
	struct nl_link l = {.ifindex = 2,
			    .type = ARPHRD_ETHER,
			    .flags = UPRUN,
			    .mtu = 1500,
			    .addr_len = 6,
			    .name = "eth0",
			    .kind = "veth"};
	int u = fk.updates;

	assert_false(fk.last_iface.flags & FWD_IF_PARTIAL_CSUM);
	memcpy(l.addr, mac0, 6);
	derive_link(d, &l, false);
	assert_int_equal(fk.updates, u + 1);
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_true(fk.last_iface.flags & FWD_IF_PARTIAL_CSUM);
	l.kind[0] = 0;
	derive_link(d, &l, false);
	assert_int_equal(fk.updates, u + 1);
	snprintf(l.kind, sizeof(l.kind), "%s", "macvlan");
	derive_link(d, &l, false);
	assert_int_equal(fk.updates, u + 2);
	assert_false(fk.last_iface.flags & FWD_IF_PARTIAL_CSUM);
	snprintf(l.kind, sizeof(l.kind), "%s", "tun");
	derive_link(d, &l, false);
	assert_int_equal(fk.updates, u + 3);
	assert_true(fk.last_iface.flags & FWD_IF_PARTIAL_CSUM);
}

static void test_ipv6_is_on_while_a_link_has_an_ipv6_address(void **state)
{
	struct derive *d = *state;
	int u = fk.updates;

	addr6_msg(d, 2, "fe80::1", false);
	assert_int_equal(fk.updates, u + 1);
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_true(fk.last_iface.flags & FWD_IF_IPV6);
	/* a second one, the first announced again: nothing to say */
	addr6_msg(d, 2, "2001:db8::1", false);
	addr6_msg(d, 2, "fe80::1", false);
	assert_int_equal(fk.updates, u + 1);
	/* IPv4 addresses and unmanaged links do not count */
	addr6_msg(d, 4, "2001:db8:4::1", false);
	addr_msg(d, 3, "10.2.0.1", 24, false);
	assert_int_equal(fk.updates, u + 1);
	/* the last one gone (disable_ipv6 removes them all): off */
	addr6_msg(d, 2, "fe80::1", true);
	addr6_msg(d, 2, "fe80::1", true);
	assert_int_equal(fk.updates, u + 1);
	addr6_msg(d, 2, "2001:db8::1", true);
	assert_int_equal(fk.updates, u + 2);
	assert_false(fk.last_iface.flags & FWD_IF_IPV6);
}

static void test_ipv6_forwarding_is_the_global_switch(void **state)
{
	struct derive *d = *state;
	int u = fk.updates;

	netconf6_msg(d, NETCONFA_IFINDEX_ALL, 1);
	assert_int_equal(fk.updates, u + 2); /* eth0, eth1 */
	assert_true(fk.last_iface.flags & FWD_IF_FORWARDING6);
	netconf6_msg(d, NETCONFA_IFINDEX_ALL, 1);
	assert_int_equal(fk.updates, u + 2);
	/*
	 * Per link, whatever it says, the daemon is told again (it reads
	 * force_forwarding); ip6_forward() does not read conf.<if>.forwarding.
	 */
	netconf6_msg(d, 3, 0);
	assert_int_equal(fk.updates, u + 3);
	assert_int_equal(fk.last_iface.ifindex, 3);
	assert_true(fk.last_iface.flags & FWD_IF_FORWARDING6);
	netconf6_msg(d, 3, -1);
	assert_int_equal(fk.updates, u + 4);
	netconf6_msg(d, 4, -1); /* not managed */
	assert_int_equal(fk.updates, u + 4);
	netconf6_msg(d, NETCONFA_IFINDEX_ALL, 0);
	assert_int_equal(fk.updates, u + 6);
	assert_false(fk.last_iface.flags & FWD_IF_FORWARDING6);
}

/* A resync shows links before addresses: no report in between. */
static void test_resync_does_not_flap_ipv6(void **state)
{
	struct derive *d = *state;
	int u;

	addr6_msg(d, 2, "fe80::1", false);
	u = fk.updates;
	derive_resync_begin(d);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	addr6_msg(d, 2, "fe80::1", false);
	derive_resync_end(d);
	assert_int_equal(fk.updates, u);
	/* and one that lost it in between is told once */
	derive_resync_begin(d);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	derive_resync_end(d);
	assert_int_equal(fk.updates, u + 1);
	assert_false(fk.last_iface.flags & FWD_IF_IPV6);
}

/* ---- IPv6: routes mirrored as IPv4's ------------------------------- */

static void a6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* An IPv6 route message with @n gateways (NULL: on-link), as rtnl.c
 * applies it: then the batch's end. */
static void route6_full(struct derive *d, const char *dst, uint8_t len,
			uint8_t type, uint32_t oif, const char **gws, int n,
			uint16_t flags, bool del)
{
	struct nl_route r = {.family = AF_INET6,
			     .table = type == RTN_LOCAL ? RT_TABLE_LOCAL
							: RT_TABLE_MAIN,
			     .type = type,
			     .dst_len = len,
			     .oif = n == 1 ? oif : 0,
			     .priority = 1024,
			     .nlmsg_flags = flags};
	int i;

	a6(dst, r.dst6);
	for (i = 0; i < n; i++) {
		r.paths[i].oif = oif;
		r.paths[i].has_gw = gws[i] != NULL;
		if (gws[i])
			a6(gws[i], r.paths[i].gw);
	}
	r.n_paths = (uint8_t)n;
	if (n == 1 && gws[0]) {
		r.has_gw = true;
		a6(gws[0], r.gw6);
	}
	derive_route(d, &r, del);
	derive_flush(d);
}

static void route6_msg(struct derive *d, const char *dst, uint8_t len,
		       const char *gw, uint32_t oif, bool del)
{
	route6_full(d, dst, len, RTN_UNICAST, oif, &gw, 1, 0, del);
}

static uint64_t derivations(struct derive *d)
{
	struct derive_stats st;

	derive_stats(d, &st);
	return st.derivations;
}

static void neigh6_msg(struct derive *d, uint32_t ifindex, const char *addr,
		       uint16_t state, const uint8_t *mac, bool del)
{
	struct nl_neigh n = {
		.family = AF_INET6, .ifindex = ifindex, .state = state};

	a6(addr, n.ip6);
	if (mac) {
		memcpy(n.lladdr, mac, 6);
		n.lladdr_len = 6;
	}
	derive_neigh(d, &n, del);
}

static const struct fwd_entry *entry6(const char *addr)
{
	uint8_t a[16];
	int i;

	a6(addr, a);
	i = find6(a);
	return i < 0 ? NULL : &fk6.e[i];
}

static void assert_entry6(const char *addr, uint32_t ifindex,
			  const uint8_t *smac, const uint8_t *dmac)
{
	const struct fwd_entry *e = entry6(addr);

	if (!e)
		fail_msg("no entry for %s", addr);
	assert_int_equal(e->ifindex, ifindex);
	assert_memory_equal(e->smac, smac, 6);
	assert_memory_equal(e->dmac, dmac, 6);
}

/* setup() and the kernel's routes for eth0 (2), eth1 (3), eth9 (4). */
static int setup6(void **state)
{
	setup(state);
	memset(&fk6, 0, sizeof(fk6));
	route6_msg(*state, "2001:db8:1::", 64, NULL, 2, false);
	route6_msg(*state, "2001:db8:2::", 64, NULL, 3, false);
	route6_msg(*state, "2001:db8:4::", 64, NULL, 4, false);
	route6_full(*state, "2001:db8:1::1", 128, RTN_LOCAL, 2,
		    (const char *[]){NULL}, 1, 0, false);
	return 0;
}

static void test_ipv6_neighbour_gives_entry_and_follows(void **state)
{
	struct derive *d = *state;

	neigh6_msg(d, 2, "2001:db8:1::7", NUD_REACHABLE, macA, false);
	assert_entry6("2001:db8:1::7", 2, mac0, macA);
	assert_int_equal(fk6.sets, 1);
	/* lladdr replaced, a router now (NTF_ROUTER): the entry follows */
	{
		struct nl_neigh n = {.family = AF_INET6,
				     .ifindex = 2,
				     .state = NUD_STALE,
				     .flags = NTF_ROUTER,
				     .lladdr_len = 6};

		a6("2001:db8:1::7", n.ip6);
		memcpy(n.lladdr, macB, 6);
		derive_neigh(d, &n, false);
	}
	assert_entry6("2001:db8:1::7", 2, mac0, macB);
	/* not usable: gone; usable again: back; deleted: gone */
	neigh6_msg(d, 2, "2001:db8:1::7", NUD_FAILED, macB, false);
	assert_null(entry6("2001:db8:1::7"));
	neigh6_msg(d, 2, "2001:db8:1::7", NUD_PERMANENT, macA, false);
	assert_entry6("2001:db8:1::7", 2, mac0, macA);
	neigh6_msg(d, 2, "2001:db8:1::7", NUD_PERMANENT, macA, true);
	assert_null(entry6("2001:db8:1::7"));
	/* no lladdr (INCOMPLETE) */
	neigh6_msg(d, 2, "2001:db8:1::8", NUD_INCOMPLETE, NULL, false);
	assert_null(entry6("2001:db8:1::8"));
	/* IPv4 is not disturbed */
	assert_int_equal(fk.sets, 0);
}

static void test_ipv6_what_the_kernel_would_not_send_there(void **state)
{
	struct derive *d = *state;

	/* our own address (local), unmanaged eth9, no route at all */
	neigh6_msg(d, 2, "2001:db8:1::1", NUD_PERMANENT, macA, false);
	neigh6_msg(d, 4, "2001:db8:4::7", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 2, "2001:db8:99::7", NUD_REACHABLE, macA, false);
	/* link-local and multicast neighbours are no destinations */
	neigh6_msg(d, 2, "fe80::7", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 2, "ff02::1", NUD_NOARP, macA, false);
	assert_int_equal(fk6.sets, 0);
	/* the kernel's route for it leaves by another interface */
	neigh6_msg(d, 2, "2001:db8:2::7", NUD_REACHABLE, macA, false);
	assert_null(entry6("2001:db8:2::7"));
	neigh6_msg(d, 3, "2001:db8:2::7", NUD_REACHABLE, macB, false);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	/* a more specific route through a gateway: left to the fib */
	route6_msg(d, "2001:db8:2::", 112, "2001:db8:2::1", 3, false);
	assert_null(entry6("2001:db8:2::7"));
	route6_msg(d, "2001:db8:2::", 112, "2001:db8:2::1", 3, true);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	/* the /64 replaced by ECMP: no single next hop */
	route6_full(d, "2001:db8:2::", 64, RTN_UNICAST, 3,
		    (const char *[]){"2001:db8:2::1", "2001:db8:2::2"}, 2,
		    NLM_F_REPLACE, false);
	assert_null(entry6("2001:db8:2::7"));
	route6_full(d, "2001:db8:2::", 64, RTN_UNICAST, 3,
		    (const char *[]){NULL}, 1, NLM_F_REPLACE, false);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
}

/* A route change derives again the candidates inside its prefix only. */
static void test_ipv6_route_change_derives_only_inside_its_prefix(void **state)
{
	struct derive *d = *state;
	uint64_t calls;

	neigh6_msg(d, 2, "2001:db8:1::7", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "2001:db8:2::7", NUD_REACHABLE, macB, false);
	neigh6_msg(d, 3, "2001:db8:2::1:7", NUD_REACHABLE, macB, false);
	calls = derivations(d);
	route6_msg(d, "2001:db8:2::", 112, "2001:db8:2::1:7", 3, false);
	assert_int_equal(derivations(d), calls + 1); /* 2001:db8:2::7 */
	assert_null(entry6("2001:db8:2::7"));
	assert_entry6("2001:db8:2::1:7", 3, mac1, macB);
	calls = derivations(d);
	route6_msg(d, "2001:db8:99::", 48, NULL, 3, false);
	assert_int_equal(derivations(d), calls); /* nobody inside */
	/* a default route covers everyone, but cannot move whom a longer
	 * route sends: nobody here is derived again */
	route6_msg(d, "::", 0, "2001:db8:2::1:7", 3, false);
	assert_int_equal(derivations(d), calls);
	assert_entry6("2001:db8:1::7", 2, mac0, macA);
	/* ...unless the longer one goes: 2001:db8:1::7 alone */
	route6_msg(d, "2001:db8:1::", 64, NULL, 2, true);
	assert_int_equal(derivations(d), calls + 1);
	assert_null(entry6("2001:db8:1::7")); /* now via the default */
	calls = derivations(d);
	route6_msg(d, "::", 0, "2001:db8:2::1:7", 3, true);
	assert_int_equal(derivations(d), calls + 1);
	/* a route where no candidate lives: no scan at all */
	calls = derivations(d);
	route6_msg(d, "2001:db9::", 32, NULL, 3, false);
	assert_int_equal(derivations(d), calls);
}

/* The same for IPv4, one route at a time. */
static void test_route_change_derives_only_what_it_can_move(void **state)
{
	struct derive *d = *state;
	uint64_t calls;

	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macA, false);
	neigh_msg(d, 3, "10.2.0.7", NUD_REACHABLE, macB, false);
	calls = derivations(d);
	route_msg(d, RT_TABLE_MAIN, "0.0.0.0", 0, "10.1.0.254", 2, RTN_UNICAST,
		  0, false);
	assert_int_equal(derivations(d), calls); /* their /24s are longer */
	route_msg(d, RT_TABLE_MAIN, "172.16.0.0", 12, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	assert_int_equal(derivations(d), calls); /* nobody inside */
	route_msg(d, RT_TABLE_MAIN, "10.2.0.0", 25, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	assert_int_equal(derivations(d), calls + 1); /* 10.2.0.7 only */
	assert_no_entry("10.2.0.7");
	assert_entry("10.1.0.7", 2, mac0, macA);
	route_msg(d, RT_TABLE_MAIN, "10.2.0.0", 25, "10.1.0.254", 2,
		  RTN_UNICAST, 0, true);
	assert_entry("10.2.0.7", 3, mac1, macB);
	/* table local answers first, whatever main's lengths say */
	route_msg(d, RT_TABLE_LOCAL, "10.2.0.0", 24, NULL, 3, RTN_LOCAL, 0,
		  false);
	assert_no_entry("10.2.0.7");
	route_msg(d, RT_TABLE_LOCAL, "10.2.0.0", 24, NULL, 3, RTN_LOCAL, 0,
		  true);
	assert_entry("10.2.0.7", 3, mac1, macB);
}

static void test_ipv6_host_route_through_a_link_local_gateway(void **state)
{
	struct derive *d = *state;
	uint64_t calls;

	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, false);
	assert_entry6("2001:db8:9::9", 3, mac1, macA);
	/* the gateway's MAC changes: its dependents follow, only they */
	calls = derivations(d);
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macB, false);
	assert_entry6("2001:db8:9::9", 3, mac1, macB);
	assert_int_equal(derivations(d), calls + 1); /* 2001:db8:9::9 */
	neigh6_msg(d, 3, "fe80::1", NUD_FAILED, macB, false);
	assert_null(entry6("2001:db8:9::9"));
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	assert_entry6("2001:db8:9::9", 3, mac1, macA);
	/* the route withdrawn: no candidate, no entry */
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, true);
	assert_null(entry6("2001:db8:9::9"));
}

static void test_ipv6_link_down_and_suspension(void **state)
{
	struct derive *d = *state;
	struct nl_route src = {.family = AF_INET6,
			       .table = RT_TABLE_MAIN,
			       .type = RTN_UNICAST,
			       .dst_len = 64,
			       .src_len = 64,
			       .oif = 3};

	neigh6_msg(d, 3, "2001:db8:2::7", NUD_REACHABLE, macB, false);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	link_msg(d, 3, "eth1", mac1, IFF_UP, ARPHRD_ETHER); /* no carrier */
	derive_flush(d);
	assert_null(entry6("2001:db8:2::7"));
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	derive_flush(d);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	/* custom IPv6 rules: nothing learned for IPv6; IPv4 untouched */
	derive_rules6(d, 1);
	assert_null(entry6("2001:db8:2::7"));
	derive_rules6(d, 0);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	/* a route with a source prefix: the source picks, not the table */
	a6("2001:db8:5::", src.dst6);
	derive_route(d, &src, false);
	derive_flush(d);
	assert_null(entry6("2001:db8:2::7"));
	derive_route(d, &src, true);
	derive_flush(d);
	assert_entry6("2001:db8:2::7", 3, mac1, macB);
	/* the link deleted: its neighbours with it */
	link_msg_del(d, 3);
	derive_flush(d);
	assert_null(entry6("2001:db8:2::7"));
}

static void test_ipv6_resync_derives_once_at_the_end(void **state)
{
	struct derive *d = *state;
	uint64_t calls;

	neigh6_msg(d, 3, "2001:db8:2::7", NUD_REACHABLE, macB, false);
	derive_resync_begin(d);
	calls = derivations(d);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	link_msg(d, 4, "eth9", macB, UPRUN, ARPHRD_ETHER);
	neigh6_msg(d, 3, "2001:db8:2::7", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "2001:db8:2::8", NUD_REACHABLE, macA, false);
	/* the routes come again with the dump */
	route6_msg(d, "2001:db8:2::", 64, NULL, 3, false);
	assert_int_equal(derivations(d), calls); /* nothing during the dump */
	derive_resync_end(d);
	assert_int_equal(derivations(d), calls + 2);
	assert_entry6("2001:db8:2::7", 3, mac1, macA);
	assert_entry6("2001:db8:2::8", 3, mac1, macA);
}

static int n_refreshed6;
static uint8_t refreshed6[8][16];

static void on_refresh6(void *arg, uint32_t ifindex, const uint8_t ip[16])
{
	(void)arg;
	assert_int_equal(ifindex, 3);
	if (n_refreshed6 < 8)
		memcpy(refreshed6[n_refreshed6], ip, 16);
	n_refreshed6++;
}

/* STALE next hops of candidates are kept verified, nothing else. */
static void test_ipv6_refresh_only_stale_next_hops(void **state)
{
	struct derive *d = *state;
	uint8_t gw[16];

	neigh6_msg(d, 3, "2001:db8:2::7", NUD_STALE, macB, false);
	neigh6_msg(d, 3, "2001:db8:2::8", NUD_REACHABLE, macB, false);
	neigh6_msg(d, 3, "fe80::1", NUD_STALE, macA, false);
	neigh6_msg(d, 3, "fe80::2", NUD_STALE, macA, false); /* nobody's */
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, false);
	n_refreshed6 = 0;
	assert_int_equal(derive_refresh6(d, on_refresh6, NULL, 100), 2);
	a6("fe80::1", gw);
	assert_true(!memcmp(refreshed6[0], gw, 16) ||
		    !memcmp(refreshed6[1], gw, 16));
	a6("2001:db8:2::7", gw);
	assert_true(!memcmp(refreshed6[0], gw, 16) ||
		    !memcmp(refreshed6[1], gw, 16));
}

/* ---- route types, route MTU, nexthop objects: both families ---------- */

/*
 * A route of every type but unicast over a learned destination takes its
 * entry away (RTBH: a blackhole /32 or /128 drops attack traffic), in
 * either family; withdrawn, the entry comes back.
 */
static void test_drop_routes_over_learned_destinations(void **state)
{
	static const uint8_t types[] = {RTN_BLACKHOLE, RTN_UNREACHABLE,
					RTN_PROHIBIT, RTN_THROW};
	struct derive *d = *state;
	unsigned int i;

	neigh_msg(d, 2, "10.1.0.60", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "2001:db8:2::60", NUD_REACHABLE, macB, false);
	assert_entry("10.1.0.60", 2, mac0, macA);
	assert_entry6("2001:db8:2::60", 3, mac1, macB);
	for (i = 0; i < sizeof(types); i++) {
		route_msg(d, RT_TABLE_MAIN, "10.1.0.60", 32, NULL, 0, types[i],
			  0, false);
		route6_full(d, "2001:db8:2::60", 128, types[i], 0, NULL, 0, 0,
			    false);
		assert_no_entry("10.1.0.60");
		assert_null(entry6("2001:db8:2::60"));
		route_msg(d, RT_TABLE_MAIN, "10.1.0.60", 32, NULL, 0, types[i],
			  0, true);
		route6_full(d, "2001:db8:2::60", 128, types[i], 0, NULL, 0, 0,
			    true);
		assert_entry("10.1.0.60", 2, mac0, macA);
		assert_entry6("2001:db8:2::60", 3, mac1, macB);
	}
	/* a prefix blackholed under a connected one, more specific */
	route6_full(d, "2001:db8:2::", 120, RTN_BLACKHOLE, 0, NULL, 0, 0,
		    false);
	assert_null(entry6("2001:db8:2::60"));
}

static void route_mtu_msg(struct derive *d, uint8_t family, const char *dst,
			  uint8_t len, uint32_t oif, uint32_t mtu, bool del)
{
	struct nl_route r = {.family = family,
			     .table = RT_TABLE_MAIN,
			     .type = RTN_UNICAST,
			     .dst_len = len,
			     .oif = oif,
			     .mtu = mtu,
			     .priority = 1024,
			     .nlmsg_flags = NLM_F_REPLACE};

	if (family == AF_INET6)
		a6(dst, r.dst6);
	else
		r.dst = ip(dst);
	derive_route(d, &r, del);
	derive_flush(d);
}

/*
 * A route MTU: no table entry under it (ip_forward() checks it, which an
 * entry would skip), and the link it leaves by reports the smaller MTU
 * for that family, so that the fib path, whose helper sees only a locked
 * route MTU, passes bigger packets to the kernel too.
 */
static void test_route_mtu_no_entry_and_bounds_its_link(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.70", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "2001:db8:2::70", NUD_REACHABLE, macB, false);
	route_mtu_msg(d, AF_INET, "10.1.0.70", 32, 2, 1300, false);
	assert_no_entry("10.1.0.70");
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_int_equal(fk.last_iface.mtu, 1300);
	assert_int_equal(fk.last_iface.mtu6, 1500);
	/* IPv6's bound is its own; eth1 now */
	route_mtu_msg(d, AF_INET6, "2001:db8:2::", 64, 3, 1280, false);
	assert_null(entry6("2001:db8:2::70"));
	assert_int_equal(fk.last_iface.ifindex, 3);
	assert_int_equal(fk.last_iface.mtu, 1500);
	assert_int_equal(fk.last_iface.mtu6, 1280);
	/* a route MTU above the device's bounds nothing, learns nothing */
	route_mtu_msg(d, AF_INET, "10.1.0.70", 32, 2, 9000, false);
	assert_no_entry("10.1.0.70");
	assert_int_equal(fk.last_iface.ifindex, 2);
	assert_int_equal(fk.last_iface.mtu, 1500);
	/* the MTU removed: entries back, bounds back */
	route_mtu_msg(d, AF_INET, "10.1.0.70", 32, 2, 0, false);
	assert_entry("10.1.0.70", 2, mac0, macA);
	route_mtu_msg(d, AF_INET6, "2001:db8:2::", 64, 3, 0, false);
	assert_entry6("2001:db8:2::70", 3, mac1, macB);
	assert_int_equal(fk.last_iface.mtu6, 1500);
}

static void nh_msg(struct derive *d, uint32_t id, uint8_t family, uint32_t oif,
		   const char *gw, uint16_t group, bool blackhole, bool del)
{
	struct nl_nexthop nh = {.id = id,
				.family = family,
				.oif = oif,
				.group = group > 0,
				.n_group = group,
				.blackhole = blackhole,
				.has_gw = gw != NULL};

	if (gw && family == AF_INET6)
		a6(gw, nh.gw);
	else if (gw)
		memcpy(nh.gw, &(uint32_t){ip(gw)}, 4);
	derive_nexthop(d, &nh, del);
	derive_flush(d);
}

/* A route through nexthop object @id; @compat_gw: the copy that
 * nexthop_compat_mode 1 adds (NULL: mode 0, none). */
static void route_nh_msg(struct derive *d, uint8_t family, const char *dst,
			 uint8_t len, uint32_t id, const char *compat_gw,
			 bool del)
{
	struct nl_route r = {.family = family,
			     .table = RT_TABLE_MAIN,
			     .type = RTN_UNICAST,
			     .dst_len = len,
			     .nhid = id,
			     .priority = 1024};

	if (family == AF_INET6) {
		a6(dst, r.dst6);
		if (compat_gw)
			a6(compat_gw, r.gw6);
	} else {
		r.dst = ip(dst);
		r.gw = compat_gw ? ip(compat_gw) : 0;
	}
	r.has_gw = compat_gw != NULL;
	derive_route(d, &r, del);
	derive_flush(d);
}

/*
 * A single nexthop object counts as a gateway (FRR installs every route
 * so); `ip nexthop replace` moves its routes' entries whether or not the
 * kernel announces the routes again (nexthop_compat_mode 1 or 0); a
 * group, a blackhole next hop give none; a deleted object takes its
 * routes along, which IPv4 never announces.
 */
static void test_nexthop_objects_both_families(void **state)
{
	struct derive *d = *state;
	int mode;

	for (mode = 1; mode >= 0; mode--) {
		const char *c4 = mode ? "10.1.0.254" : NULL;
		const char *c6 = mode ? "fe80::1" : NULL;

		neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
		neigh_msg(d, 2, "10.1.0.253", NUD_REACHABLE, macB, false);
		neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
		neigh6_msg(d, 3, "fe80::2", NUD_REACHABLE, macB, false);
		nh_msg(d, 5, AF_INET, 2, "10.1.0.254", 0, false, false);
		nh_msg(d, 6, AF_INET6, 3, "fe80::1", 0, false, false);
		route_nh_msg(d, AF_INET, "192.0.2.9", 32, 5, c4, false);
		route_nh_msg(d, AF_INET6, "2001:db8:9::9", 128, 6, c6, false);
		assert_entry("192.0.2.9", 2, mac0, macA);
		assert_entry6("2001:db8:9::9", 3, mac1, macA);
		/* the gateway's MAC changes: the entry follows */
		neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macC, false);
		assert_entry("192.0.2.9", 2, mac0, macC);
		/* ip nexthop replace: mode 1 announces the routes again */
		nh_msg(d, 5, AF_INET, 2, "10.1.0.253", 0, false, false);
		nh_msg(d, 6, AF_INET6, 3, "fe80::2", 0, false, false);
		if (mode) {
			route_nh_msg(d, AF_INET, "192.0.2.9", 32, 5,
				     "10.1.0.253", false);
			route_nh_msg(d, AF_INET6, "2001:db8:9::9", 128, 6,
				     "fe80::2", false);
		}
		assert_entry("192.0.2.9", 2, mac0, macB);
		assert_entry6("2001:db8:9::9", 3, mac1, macB);
		/* ...and the new gateway's neighbour is followed */
		neigh_msg(d, 2, "10.1.0.253", NUD_FAILED, NULL, false);
		assert_no_entry("192.0.2.9");
		neigh_msg(d, 2, "10.1.0.253", NUD_REACHABLE, macB, false);
		assert_entry("192.0.2.9", 2, mac0, macB);
		/* a group (ECMP) and a blackhole next hop: none */
		nh_msg(d, 5, AF_UNSPEC, 0, NULL, 2, false, false);
		nh_msg(d, 6, AF_UNSPEC, 0, NULL, 0, true, false);
		assert_no_entry("192.0.2.9");
		assert_null(entry6("2001:db8:9::9"));
		nh_msg(d, 5, AF_INET, 2, "10.1.0.254", 0, false, false);
		nh_msg(d, 6, AF_INET6, 3, "fe80::1", 0, false, false);
		assert_entry("192.0.2.9", 2, mac0, macC);
		assert_entry6("2001:db8:9::9", 3, mac1, macA);
		/* deleted: its routes go with it, announced or not */
		nh_msg(d, 5, AF_INET, 2, NULL, 0, false, true);
		nh_msg(d, 6, AF_INET6, 3, NULL, 0, false, true);
		assert_no_entry("192.0.2.9");
		assert_null(entry6("2001:db8:9::9"));
		/* a new object of the same id does not bring them back */
		nh_msg(d, 5, AF_INET, 2, "10.1.0.254", 0, false, false);
		assert_no_entry("192.0.2.9");
		nh_msg(d, 5, AF_INET, 2, NULL, 0, false, true);
	}
}

/* A nexthop object goes with its link's carrier (nexthop_flush_dev()). */
static void test_nexthop_flushed_with_carrier(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.254", NUD_PERMANENT, macA, false);
	nh_msg(d, 5, AF_INET, 2, "10.1.0.254", 0, false, false);
	route_nh_msg(d, AF_INET, "192.0.2.9", 32, 5, NULL, false);
	assert_entry("192.0.2.9", 2, mac0, macA);
	link_msg(d, 2, "eth0", mac0, IFF_UP, ARPHRD_ETHER); /* no carrier */
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	derive_flush(d);
	assert_no_entry("192.0.2.9");
	assert_entry("10.1.0.254", 2, mac0, macA);
}

/*
 * IPv6 siblings: `ip -6 route append` makes ECMP (the notification lists
 * both), removing one sibling leaves a single path, an entry again.
 */
static void test_ipv6_ecmp_siblings(void **state)
{
	struct derive *d = *state;

	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "fe80::2", NUD_REACHABLE, macB, false);
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, false);
	assert_entry6("2001:db8:9::9", 3, mac1, macA);
	route6_full(d, "2001:db8:9::9", 128, RTN_UNICAST, 3,
		    (const char *[]){"fe80::1", "fe80::2"}, 2, 0, false);
	assert_null(entry6("2001:db8:9::9"));
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, true);
	assert_entry6("2001:db8:9::9", 3, mac1, macB);
	/* appended one by one, as a dump of old kernels might */
	route6_full(d, "2001:db8:9::9", 128, RTN_UNICAST, 3,
		    (const char *[]){"fe80::1"}, 1, NLM_F_APPEND, false);
	assert_null(entry6("2001:db8:9::9"));
	route6_msg(d, "2001:db8:9::9", 128, "fe80::2", 3, true);
	assert_entry6("2001:db8:9::9", 3, mac1, macA);
	/* the last one: the route is gone */
	route6_msg(d, "2001:db8:9::9", 128, "fe80::1", 3, true);
	assert_null(entry6("2001:db8:9::9"));
}

/*
 * A dump redone after NLM_F_DUMP_INTR begins the resync again: the hooks
 * still see one bracket, or the table would hold its map writes forever.
 */
static void test_redone_dump_is_one_resync_bracket(void **state)
{
	struct derive *d = *state;

	derive_resync_begin(d);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	derive_resync_begin(d); /* interrupted: dumped again */
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	derive_resync_end(d);
	assert_int_equal(fk.begins, 1);
	assert_int_equal(fk.ends, 1);
	derive_resync_begin(d); /* the next resync brackets again */
	derive_resync_end(d);
	assert_int_equal(fk.begins, 2);
	assert_int_equal(fk.ends, 2);
}

/* ---- demand learning ------------------------------------------------ */

static void demand4(struct derive *d, const char *dst, uint64_t now)
{
	struct ip_addr a = ip_addr4(ip(dst));

	derive_demand(d, &a, now);
}

static void demand6(struct derive *d, const char *dst, uint64_t now)
{
	uint8_t v6[16];
	struct ip_addr a;

	a6(dst, v6);
	a = ip_addr6(v6);
	derive_demand(d, &a, now);
}

static struct derive_demand_stats dstats(const struct derive *d)
{
	struct derive_demand_stats st;

	derive_demand_stats(d, &st);
	return st;
}

/*
 * A reported destination inside a prefix via a gateway gets the
 * gateway's entry, and follows everything under it as any learned entry:
 * the gateway's MAC, a more-specific route added and removed (at the
 * batch's end), a drop route, ECMP, a route MTU, a nexthop object
 * replaced and deleted, the link going down.
 */
static void test_demand_prefix_via_gateway_follows(void **state)
{
	struct derive *d = *state;

	derive_demand_config(d, 100, 60000);
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	neigh_msg(d, 3, "10.2.0.254", NUD_REACHABLE, macB, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	derive_flush(d);
	assert_no_entry("198.51.0.9"); /* the rule alone: the fib path's */
	demand4(d, "198.51.0.9", 0);
	assert_entry("198.51.0.9", 2, mac0, macA);
	assert_int_equal(dstats(d).learned, 1);
	/* the gateway's MAC */
	neigh_msg(d, 2, "10.1.0.254", NUD_STALE, macC, false);
	assert_entry("198.51.0.9", 2, mac0, macC);
	/* a more-specific route through the other gateway, and back */
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 24, "10.2.0.254", 3,
		  RTN_UNICAST, 0, false);
	derive_flush(d);
	assert_entry("198.51.0.9", 3, mac1, macB);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 24, "10.2.0.254", 3,
		  RTN_UNICAST, 0, true);
	derive_flush(d);
	assert_entry("198.51.0.9", 2, mac0, macC);
	/* drop routes */
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 24, NULL, 0, RTN_PROHIBIT, 0,
		  false);
	derive_flush(d);
	assert_no_entry("198.51.0.9");
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 24, NULL, 0, RTN_PROHIBIT, 0,
		  true);
	derive_flush(d);
	assert_entry("198.51.0.9", 2, mac0, macC);
	/* ECMP: the fib path's, with the kernel's hash */
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, true);
	multipath_msg(d, "198.51.0.0", 16, "10.1.0.254", 3, "10.2.0.254",
		      false);
	derive_flush(d);
	assert_no_entry("198.51.0.9");
	multipath_msg(d, "198.51.0.0", 16, "10.1.0.254", 3, "10.2.0.254", true);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	derive_flush(d);
	assert_entry("198.51.0.9", 2, mac0, macC);
	/* a route MTU */
	route_mtu_msg(d, AF_INET, "198.51.0.0", 20, 2, 1400, false);
	assert_no_entry("198.51.0.9");
	route_mtu_msg(d, AF_INET, "198.51.0.0", 20, 2, 1400, true);
	assert_entry("198.51.0.9", 2, mac0, macC);
	/* the gateway fails, the link goes down */
	neigh_msg(d, 2, "10.1.0.254", NUD_FAILED, NULL, false);
	assert_no_entry("198.51.0.9");
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	assert_entry("198.51.0.9", 2, mac0, macA);
	link_msg(d, 2, "eth0", mac0, IFF_UP, ARPHRD_ETHER);
	assert_no_entry("198.51.0.9");
	assert_int_equal(dstats(d).entries, 1); /* held, without an entry */
}

/* The same for IPv6, and a prefix through a nexthop object. */
static void test_demand_ipv6_and_nexthop_objects(void **state)
{
	struct derive *d = *state;

	derive_demand_config(d, 100, 60000);
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 3, "fe80::2", NUD_REACHABLE, macB, false);
	route6_msg(d, "2001:db8:99::", 48, "fe80::1", 3, false);
	demand6(d, "2001:db8:99::9", 0);
	assert_entry6("2001:db8:99::9", 3, mac1, macA);
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macC, false);
	assert_entry6("2001:db8:99::9", 3, mac1, macC);
	route6_msg(d, "2001:db8:99::", 64, "fe80::2", 3, false);
	assert_entry6("2001:db8:99::9", 3, mac1, macB);
	route6_msg(d, "2001:db8:99::", 64, "fe80::2", 3, true);
	assert_entry6("2001:db8:99::9", 3, mac1, macC);
	route6_full(d, "2001:db8:99::", 56, RTN_BLACKHOLE, 0,
		    (const char *[]){NULL}, 1, 0, false);
	assert_null(entry6("2001:db8:99::9"));
	route6_full(d, "2001:db8:99::", 56, RTN_BLACKHOLE, 0,
		    (const char *[]){NULL}, 1, 0, true);
	assert_entry6("2001:db8:99::9", 3, mac1, macC);
	/* through nexthop objects: replaced, then deleted */
	nh_msg(d, 7, AF_INET, 2, "10.1.0.254", 0, false, false);
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	neigh_msg(d, 2, "10.1.0.253", NUD_REACHABLE, macB, false);
	route_nh_msg(d, AF_INET, "203.0.113.0", 24, 7, "10.1.0.254", false);
	demand4(d, "203.0.113.5", 0);
	assert_entry("203.0.113.5", 2, mac0, macA);
	nh_msg(d, 7, AF_INET, 2, "10.1.0.253", 0, false, false);
	assert_entry("203.0.113.5", 2, mac0, macB);
	nh_msg(d, 7, AF_INET, 2, NULL, 0, false, true);
	assert_no_entry("203.0.113.5");
}

/*
 * What demand cannot help is ignored, held nowhere: connected and host
 * route destinations (the rule's own candidates), ECMP, no route, local
 * addresses, policy rules; and everything while the budget is 0.
 */
static void test_demand_ignores_what_it_cannot_help(void **state)
{
	struct derive *d = *state;

	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	demand4(d, "198.51.0.9", 0); /* off: budget 0 */
	assert_no_entry("198.51.0.9");
	derive_demand_config(d, 100, 60000);
	demand4(d, "10.1.0.7", 0);  /* connected */
	demand4(d, "10.1.0.1", 0);  /* ours */
	demand4(d, "192.0.2.1", 0); /* no route */
	route_msg(d, RT_TABLE_MAIN, "192.0.2.9", 32, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	demand4(d, "192.0.2.9", 0); /* a host route: its own candidate */
	multipath_msg(d, "198.52.0.0", 16, "10.1.0.254", 3, "10.2.0.254",
		      false);
	demand4(d, "198.52.0.9", 0); /* ECMP */
	derive_rules(d, 1);
	demand4(d, "198.51.0.9", 0); /* policy rules */
	derive_rules(d, 0);
	assert_int_equal(dstats(d).ignored, 7);
	assert_int_equal(dstats(d).entries, 0);
	assert_no_entry("198.52.0.9");
	assert_no_entry("198.51.0.9");
}

/*
 * The budget evicts the one reported longest ago, never a neighbour's or
 * a host route's entry; a report renews; idle ones go after the idle
 * time, and a destination that is also a neighbour keeps what the rule
 * gives it without demand.
 */
static void test_demand_budget_and_idleness(void **state)
{
	struct derive *d = *state;

	derive_demand_config(d, 2, 1000);
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	neigh_msg(d, 2, "10.1.0.7", NUD_REACHABLE, macB, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	demand4(d, "198.51.0.1", 0);
	demand4(d, "198.51.0.2", 10);
	demand4(d, "198.51.0.1", 20); /* renewed: .2 is now the oldest */
	demand4(d, "198.51.0.3", 30);
	assert_int_equal(dstats(d).budget, 1);
	assert_int_equal(dstats(d).renewed, 1);
	assert_int_equal(dstats(d).entries, 2);
	assert_no_entry("198.51.0.2");
	assert_entry("198.51.0.1", 2, mac0, macA);
	assert_entry("198.51.0.3", 2, mac0, macA);
	assert_entry("10.1.0.7", 2, mac0, macB);
	assert_entry("10.1.0.254", 2, mac0, macA);
	derive_demand_expire(d, 1025, 100); /* .1 idle since 20 */
	assert_no_entry("198.51.0.1");
	assert_entry("198.51.0.3", 2, mac0, macA);
	derive_demand_expire(d, 1030, 100);
	assert_no_entry("198.51.0.3");
	assert_int_equal(dstats(d).idle, 2);
	assert_int_equal(dstats(d).entries, 0);
	assert_entry("10.1.0.7", 2, mac0, macB); /* never for demand */
	/* a budget lowered below what is held evicts at once */
	demand4(d, "198.51.0.4", 2000);
	demand4(d, "198.51.0.5", 2000);
	derive_demand_config(d, 1, 1000);
	assert_no_entry("198.51.0.4");
	assert_entry("198.51.0.5", 2, mac0, macA);
	/* at most @max evictions a call */
	derive_demand_config(d, 10, 1000);
	demand4(d, "198.51.0.6", 2000);
	derive_demand_expire(d, 5000, 1);
	assert_int_equal(dstats(d).entries, 1);
}

/*
 * An IPv6 destination that is both a neighbour's address and reported
 * (a prefix via a gateway covers it): evicted, it goes back to what the
 * rule says without demand (the prefix: none); the neighbour's own
 * reference stays. A resync keeps the demand destinations, both
 * families, without taking their references twice.
 */
static void test_demand_ipv6_refs_and_resync(void **state)
{
	struct derive *d = *state;

	derive_demand_config(d, 10, 1000);
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 2, "2001:db8:99::7", NUD_REACHABLE, macB, false);
	route6_msg(d, "2001:db8:99::", 48, "fe80::1", 3, false);
	assert_null(entry6("2001:db8:99::7"));
	demand6(d, "2001:db8:99::7", 0);
	assert_entry6("2001:db8:99::7", 3, mac1, macA);
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	demand4(d, "198.51.0.1", 0);
	/* a resync: the dump shows the same state */
	derive_resync_begin(d);
	link_msg(d, 2, "eth0", mac0, UPRUN, ARPHRD_ETHER);
	link_msg(d, 3, "eth1", mac1, UPRUN, ARPHRD_ETHER);
	connected(d, "10.1.0.0", 24, 2, false);
	neigh_msg(d, 2, "10.1.0.254", NUD_REACHABLE, macA, false);
	route_msg(d, RT_TABLE_MAIN, "198.51.0.0", 16, "10.1.0.254", 2,
		  RTN_UNICAST, 0, false);
	route6_msg(d, "2001:db8:99::", 48, "fe80::1", 3, false);
	neigh6_msg(d, 3, "fe80::1", NUD_REACHABLE, macA, false);
	neigh6_msg(d, 2, "2001:db8:99::7", NUD_REACHABLE, macB, false);
	demand6(d, "2001:db8:99::8", 5); /* reported during the dump */
	derive_resync_end(d);
	assert_entry6("2001:db8:99::7", 3, mac1, macA);
	assert_entry6("2001:db8:99::8", 3, mac1, macA);
	assert_entry("198.51.0.1", 2, mac0, macA);
	assert_int_equal(dstats(d).entries, 3);
	/* evicted: the neighbour's reference stays, the rule says none */
	derive_demand_expire(d, 2000, 100);
	assert_int_equal(dstats(d).entries, 0);
	assert_null(entry6("2001:db8:99::7"));
	assert_null(entry6("2001:db8:99::8"));
	assert_no_entry("198.51.0.1");
	/* the neighbour's candidate is still there: on-link, it has one */
	route6_msg(d, "2001:db8:99::", 64, NULL, 2, false);
	assert_entry6("2001:db8:99::7", 2, mac0, macB);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T6(f) cmocka_unit_test_setup_teardown(f, setup6, teardown)
	const struct CMUnitTest tests[] = {
		T(test_managed_links_are_reported),
		T6(test_ipv6_neighbour_gives_entry_and_follows),
		T6(test_ipv6_what_the_kernel_would_not_send_there),
		T6(test_ipv6_host_route_through_a_link_local_gateway),
		T6(test_ipv6_link_down_and_suspension),
		T6(test_ipv6_resync_derives_once_at_the_end),
		T6(test_ipv6_refresh_only_stale_next_hops),
		T6(test_ipv6_route_change_derives_only_inside_its_prefix),
		T(test_veth_is_told_checksums_may_be_left_for_offload),
		T(test_ipv6_is_on_while_a_link_has_an_ipv6_address),
		T(test_ipv6_forwarding_is_the_global_switch),
		T(test_resync_does_not_flap_ipv6),
		T(test_neighbour_added_gives_entry),
		T(test_neighbour_lladdr_replaced_entry_follows),
		T(test_neighbour_failed_or_deleted_removes_entry),
		T(test_valid_states_only),
		T(test_local_address_has_no_entry),
		T(test_neighbour_on_other_link_than_route_has_none),
		T(test_unmanaged_interface_has_no_entries),
		T(test_host_route_via_gateway_uses_gateway_mac),
		T(test_prefix_route_via_gateway_is_left_to_fib),
		T(test_longest_prefix_and_metric_decide),
		T(test_equal_metric_aliases_first_one_wins),
		T(test_blackhole_and_multipath_give_none),
		T(test_connected_route_removed_drops_subnet),
		T(test_last_address_removed_flushes_static_routes),
		T(test_carrier_down_and_up),
		T(test_rp_filter_is_the_max_of_all_and_the_link),
		T(test_rp_filter_not_known_yet_is_strict),
		T(test_local_addresses_counted_across_links),
		T(test_admin_down_flushes_routes_like_the_kernel),
		T(test_link_mac_change_updates_smac),
		T(test_link_deleted_and_ifindex_reused),
		T(test_link_renamed_away_is_gone),
		T(test_non_ethernet_and_noarp_links_have_none),
		T(test_resync_sets_everything_again),
		T(test_custom_policy_rules_suspend_learning),
		T(test_missing_managed_interface_is_named),
		T(test_refresh_only_stale_neighbours_behind_entries),
		T6(test_drop_routes_over_learned_destinations),
		T6(test_route_mtu_no_entry_and_bounds_its_link),
		T6(test_nexthop_objects_both_families),
		T6(test_nexthop_flushed_with_carrier),
		T6(test_ipv6_ecmp_siblings),
		T(test_route_change_derives_only_what_it_can_move),
		T(test_redone_dump_is_one_resync_bracket),
		T6(test_demand_prefix_via_gateway_follows),
		T6(test_demand_ipv6_and_nexthop_objects),
		T(test_demand_ignores_what_it_cannot_help),
		T(test_demand_budget_and_idleness),
		T6(test_demand_ipv6_refs_and_resync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
