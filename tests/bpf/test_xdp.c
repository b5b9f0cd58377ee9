// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp.c - golden-packet tests of xdp_handle_fwd through
 * BPF_PROG_TEST_RUN.
 *
 * The cases are data: tables of rows, one table per concern, each row one
 * TAP test named by the row. A row says the frame fed to the program (as
 * fields: addresses, TTL, payload length, header edits), the ingress, the
 * verdict, the one fwd_stats counter that must move, and for a redirect
 * the next hop whose MACs the frame leaves with. One harness, row_run(),
 * builds the frame, builds the frame it expects back on its own (checksum
 * from a full one's-complement sum), runs the program once and checks
 * three things: the verdict, the frame it leaves behind byte for byte, and
 * that exactly one fwd_stats counter grew, by one packet and by the bytes
 * of that frame; in fwd_ifstats the same outcome grew on the ingress's slot
 * (a managed ingress only) and, for a redirect, the tx counter of one
 * egress slot, and nothing else moved. A row that expects XDP_PASS uses a
 * frame that would otherwise be forwarded, so the one property under test
 * is what sends it to the kernel.
 *
 * A row may also hold state for itself alone: a fwd_ifaces entry, a
 * fwd_local address, or before/after hooks (a map entry, a sysctl, a
 * check of the kernel's own answer); the after side runs even when the
 * row fails, so no state leaks into the next row. Its check hook runs on
 * the frame that came out, after the golden check. What cannot be a row
 * (ECMP flows checked against the kernel, lengths test_run refuses) is in
 * the "special" section at the end.
 *
 * The suite moves itself into a network namespace of its own before it
 * creates anything (veth pairs, addresses, routes, neighbours), so
 * bpf_fib_lookup() answers from a routing table the test wrote, and nothing
 * leaks to the host even when run outside tests/isolate.sh. Without root it
 * skips every case, saying why.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwd.h"
#include "fwd.skel.h"
#include "pkt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Rows and tables name only the fields they set: the rest are 0 by design. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* The senders, on in0 and in6, and the addresses every frame starts from. */
static const uint8_t mac_client[ETH_ALEN] = {2, 0, 0, 0, 1, 2};
static const uint8_t mac_client6[ETH_ALEN] = {2, 0, 0, 0, 7, 2};
#define CLIENT_IP "10.1.0.2"
#define SRC6 "2001:db8:7::2"

/* MACs set on the interfaces at setup (and read back from the kernel). */
static const uint8_t mac_in0[ETH_ALEN] = {2, 0, 0, 0, 1, 1};
static const uint8_t mac_in1[ETH_ALEN] = {2, 0, 0, 0, 6, 1};
static const uint8_t mac_in6[ETH_ALEN] = {2, 0, 0, 0, 7, 1};
static const uint8_t mac_eg2_in[ETH_ALEN] = {2, 0, 0, 0, 4, 1};
/* Neighbours the test installs on the egress side. */
static const uint8_t mac_gw[ETH_ALEN] = {2, 0, 0, 0, 2, 2};
static const uint8_t mac_stale[ETH_ALEN] = {2, 0, 0, 0, 2, 4};
static const uint8_t mac_eg1_nb[ETH_ALEN] = {2, 0, 0, 0, 3, 2};
static const uint8_t mac_eg2_nb[ETH_ALEN] = {2, 0, 0, 0, 4, 2};
static const uint8_t mac_gw6[ETH_ALEN] = {2, 0, 0, 0, 8, 2};
static const uint8_t mac_nh4_6[ETH_ALEN] = {2, 0, 0, 0, 8, 4};
/* Next hop MACs that only hfwd knows: they prove the table was used. */
static const uint8_t mac_tbl[ETH_ALEN] = {2, 0, 0, 0, 5, 1};
static const uint8_t mac_tbl_src[ETH_ALEN] = {2, 0, 0, 0, 5, 0xaa};
/* A next hop a row puts over the fib's answer for one address. */
static const uint8_t mac_other[ETH_ALEN] = {2, 0, 0, 0, 0xee, 0xee};

/* hfwd destinations */
#define TBL_HIT "10.5.0.1"	 /* learned, out eg0 */
#define TBL_UNMANAGED "10.5.0.3" /* out eg1, not in fwd_ports */
#define TBL_SMALL_MTU "10.5.0.4" /* out eg2, MTU 600 */
#define TBL_HAIRPIN "10.5.0.5"	 /* out in0, the ingress */
#define TBL_OVERRIDE "10.5.0.7"	 /* out eg0, marked in fwd_ovr */
#define TBL_LEARNED "10.5.0.8"	 /* out eg0, learned */
#define TBL_NO_DEV "10.5.0.9"	 /* out an ifindex that is no device */
#define NO_DEV_IFINDEX 9999

/* Destinations only the kernel's tables know (the fib path). */
#define FIB_NEIGH "10.2.0.2"	    /* eg0, PERMANENT neighbour */
#define FIB_FAILED "10.2.0.3"	    /* eg0, FAILED neighbour */
#define FIB_STALE "10.2.0.4"	    /* eg0, STALE neighbour */
#define FIB_NO_NEIGH "10.2.0.7"	    /* eg0, no neighbour at all */
#define FIB_VIA_GW "10.9.1.1"	    /* 10.9/16 via 10.2.0.2 */
#define FIB_LOCAL "10.2.0.1"	    /* eg0's own address */
#define FIB_NO_ROUTE "10.99.0.1"    /* nothing routes 10.99/16 */
#define FIB_BLACKHOLE "10.97.0.1"   /* blackhole 10.97/16 */
#define FIB_UNREACHABLE "10.98.0.1" /* unreachable 10.98/16 */
#define FIB_PROHIBIT "10.96.0.1"    /* prohibit 10.96/16 */
#define FIB_UNMANAGED "10.3.0.2"    /* eg1, not in fwd_ports */
#define FIB_SMALL_MTU "10.4.0.2"    /* eg2, MTU 600 */
#define FIB_HAIRPIN "10.1.0.3"	    /* back out of in0 */
#define FIB_ROUTE_MTU "10.8.0.1"    /* 10.8/16 via 10.2.0.2, mtu lock 500 */
#define FIB_PORT_RULE "10.11.0.1"   /* eg0; UDP dport 7777: eg2 */
#define RULE_DPORT 7777
#define FIB_LWT "10.12.0.1" /* 10.12/16 encap ip id 100 */
#define FIB_ECMP "10.7.0.1" /* 10.7/16 over eg0 and eg2 */
#define EG2_MTU 600
#define ROUTE_MTU 500

/* Sources for the kernel's source validation. */
#define EG0_ADDR "10.2.0.1"	  /* eg0's own address */
#define SRC_VIA_EG0 "10.2.0.9"	  /* routed back out of eg0 */
#define SRC_NO_ROUTE "10.99.0.5"  /* no route back at all */
#define SRC_BLACKHOLE "10.97.0.5" /* blackhole 10.97/16 */

/* IPv6: hfwd6 destinations (out of eg6 unless said) and fib ones. */
#define TBL6_HIT "2001:db8:5::1"
#define TBL6_UNDER_FIB "2001:db8:9::7" /* under a fib route, other MACs */
#define TBL6_OVERRIDE "2001:db8:5::2"
#define TBL6_V4_ONLY "2001:db8:5::3" /* out of eg0: IPv6 is off there */
#define TBL6_HAIRPIN "2001:db8:5::4" /* back out of in6 */
#define FIB6_GW "2001:db8:9::5"	     /* 2001:db8:9::/64 via 8::2 on eg6 */
#define FIB6_ECMP "2001:db8:e::1"    /* over 8::2 and 8::4 on eg6 */

/* 8000 bytes do not fit the page test_run puts the linear part in. */
#define JUMBO 8000

/* fwd_ifaces flags of a forwarding interface, IPv4 only and both. */
#define FWD4 (FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP)
#define FWD6 (FWD4 | FWD_IF_IPV6 | FWD_IF_FORWARDING6)

/*
 * in0: managed ingress, forwarding on. in1: managed, forwarding off (sysctl
 * and flag). eg0, eg2: managed egress (eg2 with MTU 600, in its device and
 * its fwd_ifaces entry). eg1: egress outside fwd_ports, its fwd_ifaces
 * entry never written (zero). lo stands for an interface whose fwd_ifaces
 * entry has flags but not FWD_IF_MANAGED.
 */
static const char *const net_setup[] = {
	"sysctl -qw net.ipv4.conf.all.forwarding=1",
	/* Keep IPv6 ND chatter off the wire the live tests capture. */
	"sysctl -qw net.ipv6.conf.default.disable_ipv6=1",
	"ip link add in0 address 02:00:00:00:01:01 type veth peer name in0p"
	" address 02:00:00:00:01:02",
	"ip link add in1 address 02:00:00:00:06:01 type veth peer name in1p",
	"ip link add eg0 address 02:00:00:00:02:01 type veth peer name eg0p"
	" address 02:00:00:00:02:02",
	"ip link add eg1 address 02:00:00:00:03:01 type veth peer name eg1p"
	" address 02:00:00:00:03:02",
	"ip link add eg2 address 02:00:00:00:04:01 type veth peer name eg2p"
	" address 02:00:00:00:04:02",
	"ip link set eg2 mtu 600",
	/* jumbo frames out of eg0 (frags programs attach at any MTU) */
	"ip link set eg0 mtu 9000",
	"ip link set eg0p mtu 9000",
	/* A veth peer takes XDP-redirected frames only with NAPI (GRO) on. */
	"ethtool -K eg0p gro on >/dev/null",
	"ethtool -K eg2p gro on >/dev/null",
	"ip link set eg2p mtu 600",
	"sysctl -qw net.ipv4.conf.in1.forwarding=0",
	"ip addr add 10.1.0.1/24 dev in0",
	"ip addr add 10.6.0.1/24 dev in1",
	"ip addr add 10.2.0.1/24 dev eg0",
	"ip addr add 10.3.0.1/24 dev eg1",
	"ip addr add 10.4.0.1/24 dev eg2",
	"for i in lo in0 in0p in1 in1p eg0 eg0p eg1 eg1p eg2 eg2p; do"
	" ip link set $i up || exit 1; done",
	"ip neigh replace 10.1.0.2 lladdr 02:00:00:00:01:02 dev in0 nud "
	"permanent",
	"ip neigh replace 10.1.0.3 lladdr 02:00:00:00:01:03 dev in0 nud "
	"permanent",
	"ip neigh replace 10.2.0.2 lladdr 02:00:00:00:02:02 dev eg0 nud "
	"permanent",
	"ip neigh replace 10.2.0.3 dev eg0 nud failed",
	"ip neigh replace 10.2.0.4 lladdr 02:00:00:00:02:04 dev eg0 nud stale",
	"ip neigh replace 10.3.0.2 lladdr 02:00:00:00:03:02 dev eg1 nud "
	"permanent",
	"ip neigh replace 10.4.0.2 lladdr 02:00:00:00:04:02 dev eg2 nud "
	"permanent",
	"ip route add 10.9.0.0/16 via 10.2.0.2 dev eg0",
	"ip route add 10.8.0.0/16 via 10.2.0.2 dev eg0 mtu lock 500",
	"ip route add 10.11.0.0/16 via 10.2.0.2 dev eg0",
	"ip route add 10.11.0.0/16 via 10.4.0.2 dev eg2 table 100",
	"ip rule add ipproto udp dport 7777 lookup 100",
	"ip route add 10.7.0.0/16 nexthop via 10.2.0.2 dev eg0"
	" nexthop via 10.4.0.2 dev eg2",
	"ip route add 10.12.0.0/16 encap ip id 100 dst 10.2.0.2 dev eg0",
	"ip route add blackhole 10.97.0.0/16",
	"ip route add unreachable 10.98.0.0/16",
	"ip route add prohibit 10.96.0.0/16",
	/*
	 * IPv6: in6 and eg6 only (the other interfaces stay without it: the
	 * live tests capture their wires), no DAD, no router solicitations.
	 */
	"ip link add in6 address 02:00:00:00:07:01 type veth peer name in6p"
	" address 02:00:00:00:07:02",
	"ip link add eg6 address 02:00:00:00:08:01 type veth peer name eg6p"
	" address 02:00:00:00:08:02",
	"ethtool -K eg6p gro on >/dev/null",
	"for i in in6 in6p eg6 eg6p; do"
	" sysctl -qw net.ipv6.conf.$i.disable_ipv6=0"
	" net.ipv6.conf.$i.accept_dad=0"
	" net.ipv6.conf.$i.router_solicitations=0 || exit 1;"
	" ip link set $i up || exit 1; done",
	"sysctl -qw net.ipv6.conf.all.forwarding=1",
	"ip -6 addr add 2001:db8:7::1/64 dev in6 nodad",
	"ip -6 addr add 2001:db8:8::1/64 dev eg6 nodad",
	"ip -6 neigh replace 2001:db8:8::2 lladdr 02:00:00:00:08:02 dev eg6"
	" nud permanent",
	"ip -6 route add 2001:db8:9::/64 via 2001:db8:8::2 dev eg6",
	"ip -6 route add 2001:db8:a::/64 via 2001:db8:8::3 dev eg6",
	"ip -6 route add blackhole 2001:db8:c::/64",
	"ip -6 route add 2001:db8:d::/64 via 2001:db8:7::2 dev in6",
	"ip -6 neigh replace 2001:db8:7::2 lladdr 02:00:00:00:07:02 dev in6"
	" nud permanent",
	/* a lightweight tunnel: bpf_fib_lookup() says UNSUPP_LWT */
	"ip -6 route add 2001:db8:f::/64 encap ip6 id 100 dst 2001:db8:8::2"
	" dev eg6",
	/* ECMP over two next hops on eg6 */
	"ip -6 neigh replace 2001:db8:8::4 lladdr 02:00:00:00:08:04 dev eg6"
	" nud permanent",
	"ip -6 route add 2001:db8:e::/64 nexthop via 2001:db8:8::2 dev eg6"
	" nexthop via 2001:db8:8::4 dev eg6",
};

/* The interfaces the rows name; 0 is "the family's ingress" (in0, in6). */
enum dev {
	DEV_DEFAULT,
	IN0,
	IN1,
	EG0,
	EG1,
	EG2,
	LO,
	IN6,
	EG6,
	NO_DEV,
	DEV_MAX
};

static const char *const dev_names[DEV_MAX] = {
	[IN0] = "in0", [IN1] = "in1", [EG0] = "eg0", [EG1] = "eg1",
	[EG2] = "eg2", [LO] = "lo",   [IN6] = "in6", [EG6] = "eg6",
};

/*
 * fwd_ifaces as setup leaves it, and as every row's changes are undone to.
 * eg1 is not here: an egress outside fwd_ports, its entry never written
 * (zero). lo stands for an interface whose entry has flags but not
 * FWD_IF_MANAGED.
 */
static const struct iface_default {
	enum dev dev;
	__u16 flags; /* FWD_IF_* */
	__u32 mtu;   /* and mtu6 */
	bool port;   /* in fwd_ports: a redirect target */
} ifaces[] = {
	{IN0, FWD4, 1500, true},
	{IN1, FWD_IF_MANAGED | FWD_IF_UP, 1500, true}, /* forwarding off */
	{EG0, FWD4, 1500, true},
	{EG2, FWD4, EG2_MTU, true},
	{LO, FWD_IF_FORWARDING | FWD_IF_UP, 65536, false},
	{IN6, FWD6, 1500, true},
	{EG6, FWD6, 1500, true},
};

/* hfwd and hfwd6 entries, all with the MACs only the table knows. */
static const struct {
	const char *dst;
	enum dev dev;
	bool override; /* in fwd_ovr(6) too */
} routes[] = {
	{TBL_HIT, EG0},
	{TBL_UNMANAGED, EG1},
	{TBL_SMALL_MTU, EG2},
	{TBL_HAIRPIN, IN0},
	{TBL_OVERRIDE, EG0, true},
	{TBL_LEARNED, EG0},
	{TBL_NO_DEV, NO_DEV},
	/* entries the unicast checks must never let the program reach */
	{"224.0.0.5", EG0, true},
	{"255.255.255.255", EG0, true},
	{"127.0.0.1", EG0, true},
	{"0.0.0.0", EG0, true},
	{TBL6_HIT, EG6},
	{TBL6_UNDER_FIB, EG6},
	{TBL6_OVERRIDE, EG6, true},
	{TBL6_V4_ONLY, EG0},
	{TBL6_HAIRPIN, IN6},
	{"ff02::1", EG6, true},
	{"fe80::1", EG6, true},
};

static struct {
	struct fwd_bpf *skel;
	int prog_fd, stats_fd, ifstats_fd;
	int ncpus;
	const char *skip_reason; /* no root: every case skips with this */
	char fail_reason[256];	 /* root, but setup broke: every case fails */
	int ifindex[DEV_MAX];
	uint8_t mac[DEV_MAX][ETH_ALEN]; /* read back from the kernel */
	unsigned int frames;		/* golden frames checked, for the log */
} env;

static void __attribute__((format(printf, 1, 2)))
setup_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(env.fail_reason, sizeof(env.fail_reason), fmt, ap);
	va_end(ap);
}

static int read_mac(const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

static int map_put(struct bpf_map *map, const void *key, const void *val)
{
	return bpf_map__update_elem(map, key, bpf_map__key_size(map), val,
				    bpf_map__value_size(map), BPF_ANY);
}

/* An IPv4 address as text, in host order. */
static uint32_t ip4(const char *text)
{
	struct in_addr a = {};

	inet_pton(AF_INET, text, &a);
	return ntohl(a.s_addr);
}

/*
 * The fwd_ifstats slot the tests give @ifindex: not the ifindex itself,
 * so a program that counted by ifindex would be caught.
 */
#define SLOT(ifindex) (200 - (__u32)(ifindex))

/*
 * A fwd_ifaces entry for @dev. It differs from setup's in what a row asks
 * (struct iface_set); the whole entry zero with @zeroed.
 */
struct iface_set {
	enum dev dev;	 /* 0: no change */
	__u16 flags;	 /* FWD_IF_* */
	__u32 mtu, mtu6; /* 0: setup's; mtu6 0: as mtu */
	__u32 slot;	 /* 0: SLOT(ifindex) */
	bool zeroed;	 /* all zero: the agent forgot it */
};

static int iface_put(const struct iface_set *s)
{
	struct fwd_iface v = {};
	__u32 key = env.ifindex[s->dev];

	if (!s->zeroed) {
		v.flags = s->flags;
		v.mtu = s->mtu;
		v.mtu6 = s->mtu6 ? s->mtu6 : s->mtu;
		v.slot = s->slot ? s->slot : SLOT(key);
		memcpy(v.mac, env.mac[s->dev], ETH_ALEN);
		for (size_t i = 0; !v.mtu && i < ARRAY_SIZE(ifaces); i++)
			if (ifaces[i].dev == s->dev)
				v.mtu = v.mtu6 = ifaces[i].mtu;
	}
	return map_put(env.skel->maps.fwd_ifaces, &key, &v);
}

/* @dev's fwd_ifaces entry back to setup's. */
static int iface_reset(enum dev dev)
{
	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++)
		if (ifaces[i].dev == dev)
			return iface_put(&(struct iface_set){
				.dev = dev, .flags = ifaces[i].flags});
	return -ENOENT;
}

/* hfwd(6), and fwd_ovr(6) if @override: @dst out of @dev. */
static int route_put(const char *dst, enum dev dev,
		     const uint8_t smac[ETH_ALEN], const uint8_t dmac[ETH_ALEN],
		     bool override)
{
	struct fwd_entry e = {.ifindex = env.ifindex[dev]};
	bool v6 = strchr(dst, ':') != NULL;
	struct fwd_ovr o = {.set = 1};
	struct in6_addr key;
	int err;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, dst, &key) != 1)
		return -EINVAL;
	memcpy(e.smac, smac, ETH_ALEN);
	memcpy(e.dmac, dmac, ETH_ALEN);
	err = map_put(v6 ? env.skel->maps.hfwd6 : env.skel->maps.hfwd, &key,
		      &e);
	if (!err && override)
		err = map_put(v6 ? env.skel->maps.fwd_ovr6
				 : env.skel->maps.fwd_ovr,
			      &key, &o);
	return err;
}

static int setup_net(void)
{
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(net_setup); i++) {
		err = system(net_setup[i]);
		if (err) {
			setup_fail("'%s' exited with status %d", net_setup[i],
				   err);
			return -EIO;
		}
	}
	for (int d = IN0; d < NO_DEV; d++) {
		env.ifindex[d] = (int)if_nametoindex(dev_names[d]);
		if (!env.ifindex[d]) {
			setup_fail("%s, created at setup, has no ifindex",
				   dev_names[d]);
			return -ENODEV;
		}
		if (read_mac(dev_names[d], env.mac[d])) {
			setup_fail("cannot read %s's MAC: %s", dev_names[d],
				   strerror(errno));
			return -EIO;
		}
	}
	env.ifindex[NO_DEV] = NO_DEV_IFINDEX;
	return 0;
}

static int setup_maps(void)
{
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
		__u32 key = env.ifindex[ifaces[i].dev];

		err |= iface_reset(ifaces[i].dev);
		if (ifaces[i].port)
			err |= map_put(env.skel->maps.fwd_ports, &key, &key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		err |= route_put(routes[i].dst, routes[i].dev, mac_tbl_src,
				 mac_tbl, routes[i].override);
	if (err) {
		setup_fail("cannot fill the maps");
		return -EIO;
	}
	return 0;
}

/* The report channel as read by the rows that check it (report_expect()). */
static struct {
	struct ring_buffer *rb;
	struct fwd_report last;
	int n;
	cpu_set_t cpus; /* the process's, while report rows pin it */
} rep;

static int rep_record(void *ctx, void *data, size_t len)
{
	(void)ctx;
	assert_int_equal(len, sizeof(rep.last));
	memcpy(&rep.last, data, sizeof(rep.last));
	rep.n++;
	return 0;
}

static int setup_env(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		env.skip_reason = "needs root (CAP_BPF, CAP_NET_ADMIN) to load "
				  "the program and build a network namespace";
		return 0;
	}
	/* Everything from here on lives in this private namespace. */
	if (unshare(CLONE_NEWNET)) {
		setup_fail("unshare(CLONE_NEWNET): %s", strerror(errno));
		return 0;
	}
	env.skel = fwd_bpf__open_and_load();
	if (!env.skel) {
		setup_fail("fwd_bpf__open_and_load: %s", strerror(errno));
		return 0;
	}
	env.prog_fd = bpf_program__fd(env.skel->progs.xdp_handle_fwd);
	env.stats_fd = bpf_map__fd(env.skel->maps.fwd_stats);
	env.ifstats_fd = bpf_map__fd(env.skel->maps.fwd_ifstats);
	rep.rb = ring_buffer__new(bpf_map__fd(env.skel->maps.fwd_report),
				  rep_record, NULL, NULL);
	if (!rep.rb) {
		setup_fail("ring_buffer__new: %s", strerror(errno));
		return 0;
	}
	env.ncpus = libbpf_num_possible_cpus();
	if (env.ncpus <= 0) {
		setup_fail("libbpf_num_possible_cpus: %d", env.ncpus);
		return 0;
	}
	if (setup_net() || setup_maps())
		return 0;
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	if (env.frames)
		print_message("# %u golden frames checked\n", env.frames);
	ring_buffer__free(rep.rb);
	fwd_bpf__destroy(env.skel);
	return 0;
}

/* Every case starts here: skip without root, fail if setup broke. */
#define REQUIRE_ENV()                                                   \
	do {                                                            \
		if (env.skip_reason) {                                  \
			print_message("# SKIP: %s\n", env.skip_reason); \
			skip();                                         \
		}                                                       \
		if (env.fail_reason[0])                                 \
			fail_msg("setup failed: %s", env.fail_reason);  \
	} while (0)

/* ---- the golden check ------------------------------------------------ */

/* Per-counter totals over all CPUs. */
static void counters_read(struct fwd_count sum[FWD_CNT_MAX])
{
	struct fwd_count v[env.ncpus];

	for (__u32 k = 0; k < FWD_CNT_MAX; k++) {
		assert_int_equal(bpf_map_lookup_elem(env.stats_fd, &k, v), 0);
		sum[k] = (struct fwd_count){};
		for (int c = 0; c < env.ncpus; c++) {
			sum[k].packets += v[c].packets;
			sum[k].bytes += v[c].bytes;
		}
	}
}

/* Exactly @which grew, by one packet of @len bytes; nothing else moved. */
static void counters_expect(const struct fwd_count *before,
			    const struct fwd_count *after,
			    enum fwd_counter which, size_t len)
{
	for (int k = 0; k < FWD_CNT_MAX; k++) {
		__u64 dp = after[k].packets - before[k].packets;
		__u64 db = after[k].bytes - before[k].bytes;

		if (dp != (k == (int)which))
			fail_msg("counter %s grew by %llu packets, want %d",
				 fwd_counter_names[k], (unsigned long long)dp,
				 k == (int)which);
		if (db != (k == (int)which ? len : 0))
			fail_msg("counter %s grew by %llu bytes",
				 fwd_counter_names[k], (unsigned long long)db);
	}
}

/*
 * fwd_ifstats as the agent reports it, flat: per slot, FWD_CNT_MAX rx
 * counters then tx (what left by the slot's interface: its cells summed
 * over every block; the tests never set a baseline, so that is all).
 */
#define FWD_IFSTAT_TX FWD_CNT_MAX
#define FWD_IFSTAT_STRIDE (FWD_CNT_MAX + 1)
#define FWD_IFSTAT(slot, which) (FWD_IFSTAT_STRIDE * (slot) + (which))
#define N_IFSTATS (FWD_MAX_IFACES * FWD_IFSTAT_STRIDE)
#define N_BLOCKS (FWD_MAX_IFACES + 1)

/* Every fwd_ifstats counter, summed over CPUs, in one batch read. */
static struct fwd_count *ifstats_read(void)
{
	struct fwd_count *sum = calloc(N_IFSTATS, sizeof(*sum));
	struct fwd_ifstat *v = calloc((size_t)N_BLOCKS * env.ncpus, sizeof(*v));
	__u32 *keys = calloc(N_BLOCKS, sizeof(*keys)), out, n = N_BLOCKS;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int err;

	assert_true(sum && v && keys);
	err = bpf_map_lookup_batch(env.ifstats_fd, NULL, &out, keys, v, &n, &o);
	if (err && errno != ENOENT)
		fail_msg("fwd_ifstats batch read: %s", strerror(errno));
	assert_int_equal(n, N_BLOCKS);
	for (__u32 i = 0; i < n; i++) {
		for (int c = 0; c < env.ncpus; c++) {
			const struct fwd_ifstat *b = &v[i * env.ncpus + c];

			/* the baseline block is the agent's: never counted */
			if (keys[i] == FWD_IFSTAT_BASE(FWD_MAX_IFACES)) {
				for (int k = 0; k < FWD_MAX_IFACES; k++)
					if (b->tx[k].packets)
						fail_msg("the program counted "
							 "in the baseline");
				continue;
			}
			for (int k = 0; k < FWD_CNT_MAX; k++) {
				sum[FWD_IFSTAT(keys[i], k)].packets +=
					b->rx[k].packets;
				sum[FWD_IFSTAT(keys[i], k)].bytes +=
					b->rx[k].bytes;
			}
			for (int k = 0; k < FWD_MAX_IFACES; k++) {
				sum[FWD_IFSTAT(k, FWD_IFSTAT_TX)].packets +=
					b->tx[k].packets;
				sum[FWD_IFSTAT(k, FWD_IFSTAT_TX)].bytes +=
					b->tx[k].bytes;
			}
		}
	}
	free(keys);
	free(v);
	return sum;
}

/*
 * @ifindex's slot in fwd_ifstats, as its fwd_ifaces entry says (a row may
 * move it); -1 for an interface not managed: its packets have no slot.
 */
static long iface_slot(int ifindex)
{
	struct fwd_iface v;
	__u32 key = ifindex;

	if (bpf_map__lookup_elem(env.skel->maps.fwd_ifaces, &key, sizeof(key),
				 &v, sizeof(v), 0) ||
	    !(v.flags & FWD_IF_MANAGED))
		return -1;
	return v.slot;
}

/*
 * fwd_ifstats between @before and @after: the ingress's slot (if it is
 * managed) counted one packet of @len bytes as @which; if @tx_slot >= 0,
 * that slot's tx counted the same, or with @tx_slot -2, some one slot's
 * tx other than the ingress's did; nothing else moved.
 */
static void ifstats_expect(const struct fwd_count *before,
			   const struct fwd_count *after, int ifindex,
			   enum fwd_counter which, size_t len, long tx_slot)
{
	long in_slot = iface_slot(ifindex);
	long rx = in_slot >= 0 ? (long)FWD_IFSTAT(in_slot, which) : -1;
	int tx_seen = 0;

	for (long k = 0; k < N_IFSTATS; k++) {
		__u64 dp = after[k].packets - before[k].packets;
		__u64 db = after[k].bytes - before[k].bytes;
		long slot = k / FWD_IFSTAT_STRIDE;
		int is_tx = k % FWD_IFSTAT_STRIDE == FWD_IFSTAT_TX;
		int want;

		if (k == rx)
			want = 1;
		else if (is_tx && tx_slot >= 0)
			want = slot == tx_slot;
		else if (is_tx && tx_slot == -2 && dp && !tx_seen &&
			 slot != in_slot)
			want = tx_seen = 1;
		else
			want = 0;
		if (dp != (__u64)want || db != (want ? len : 0))
			fail_msg("fwd_ifstats slot %ld %s %s grew by %llu "
				 "packets, %llu bytes; want %d, %zu",
				 slot, is_tx ? "tx" : "rx",
				 is_tx ? "redirected"
				       : fwd_counter_names[k %
							   FWD_IFSTAT_STRIDE],
				 (unsigned long long)dp, (unsigned long long)db,
				 want, want ? len : 0);
	}
	if (tx_slot == -2 && !tx_seen)
		fail_msg("a redirect counted on no egress's tx");
}

/* Run @in once as if received on @ifindex; 0 or -errno from test_run. */
static int run(const struct pkt *in, int ifindex, struct pkt *out,
	       __u32 *retval)
{
	struct xdp_md ctx = {
		.data_end = in->len,
		.ingress_ifindex = ifindex,
	};
	struct bpf_test_run_opts opts = {
		.sz = sizeof(opts),
		.data_in = in->b,
		.data_size_in = in->len,
		.data_out = out->b,
		.data_size_out = sizeof(out->b),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	};
	int err;

	err = bpf_prog_test_run_opts(env.prog_fd, &opts);
	out->len = opts.data_size_out;
	*retval = opts.retval;
	return err;
}

static void assert_frame_equal(const struct pkt *want, const struct pkt *got)
{
	size_t n = want->len < got->len ? want->len : got->len;

	for (size_t i = 0; i < n; i++) {
		if (want->b[i] != got->b[i])
			fail_msg("frame differs at byte %zu: want 0x%02x, "
				 "got 0x%02x",
				 i, want->b[i], got->b[i]);
	}
	if (want->len != got->len)
		fail_msg("frame length: want %zu, got %zu", want->len,
			 got->len);
}

/*
 * The golden check: @in on @ifindex gives @verdict and leaves @want (the
 * program's frame in @out); the counter @which grows by one packet and by
 * the bytes of @want, and no other counter moves; the same in fwd_ifstats
 * for the ingress, and for a redirect the tx of @egress (0: of some egress
 * but the ingress).
 */
static void expect(const struct pkt *in, int ifindex, __u32 verdict,
		   const struct pkt *want, enum fwd_counter which, int egress,
		   struct pkt *out)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	struct fwd_count *if_before, *if_after;
	__u32 retval = ~0U;

	counters_read(before);
	if_before = ifstats_read();
	assert_int_equal(run(in, ifindex, out, &retval), 0);
	counters_read(after);
	if_after = ifstats_read();
	if (retval != verdict)
		fail_msg("verdict %u, want %u (counter %s)", retval, verdict,
			 fwd_counter_names[which]);
	assert_frame_equal(want, out);
	counters_expect(before, after, which, want->len);
	ifstats_expect(if_before, if_after, ifindex, which, want->len,
		       verdict != XDP_REDIRECT ? -1
		       : egress		       ? iface_slot(egress)
					       : -2);
	free(if_before);
	free(if_after);
	env.frames++;
}

/* ---- live frames ------------------------------------------------------ */

/* A packet socket on @ifname, to see what actually leaves the peer. */
static int wire_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(ifname),
	};
	struct timeval tv = {.tv_sec = 2};
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	assert_int_equal(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

/* Wait for the frame for @want's destination into @got and compare it. */
static void wire_expect(int fd, const struct pkt *want, struct pkt *got)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, got->b, sizeof(got->b), 0);
		if (n < 0)
			fail_msg("nothing arrived on the egress peer: %s",
				 strerror(errno));
		got->len = (size_t)n;
		if (got->len >= ETH_HLEN + 20 &&
		    pkt_eth(got)->h_proto == htons(ETH_P_IP) &&
		    pkt_ip(got)->daddr == pkt_ip((struct pkt *)want)->daddr)
			break;
	}
	assert_frame_equal(want, got);
}

/*
 * BPF_PROG_TEST_RUN only reports XDP_REDIRECT; with live frames the kernel
 * carries the redirect out, so the frame must show up, byte for byte, at
 * the peer of the egress the table or fib named (@peer), and not at
 * @other_peer; exactly the counter @which moved.
 */
static void expect_on_wire(const struct pkt *in, int ifindex, const char *peer,
			   const char *other_peer, const struct pkt *want,
			   enum fwd_counter which, struct pkt *out)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	struct xdp_md ctx = {
		.data_end = in->len,
		.ingress_ifindex = ifindex,
	};
	struct bpf_test_run_opts opts = {
		.sz = sizeof(opts),
		.data_in = in->b,
		.data_size_in = in->len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	};
	int fd = wire_open(peer), other = wire_open(other_peer);
	char buf[64];

	counters_read(before);
	assert_int_equal(bpf_prog_test_run_opts(env.prog_fd, &opts), 0);
	counters_read(after);
	wire_expect(fd, want, out);
	counters_expect(before, after, which, want->len);
	for (;;) { /* the other egress saw no IPv4 */
		struct timeval tv = {.tv_usec = 100000};
		ssize_t n;

		setsockopt(other, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = recv(other, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		if (n >= ETH_HLEN && buf[12] == 0x08 && buf[13] == 0x00)
			fail_msg("an IPv4 frame left by %s too", other_peer);
	}
	close(other);
	close(fd);
	env.frames++;
}

/* ---- rows ------------------------------------------------------------- */

/*
 * Numeric fields of a row leave 0 for "as built"; where 0 itself is the
 * value under test (TTL 0, next header 0, checksum 0x0000) the row says
 * ZERO.
 */
#define ZERO (-1)

static int num(int field, int dflt)
{
	return field == ZERO ? 0 : field ? field : dflt;
}

/*
 * A frame, as fields. From the client (on in0, or on in6 for an IPv6
 * destination) to @dst, UDP 4242 -> 5353, DF, a counting payload; then
 * each field set changes that, in the order written here.
 */
struct frame {
	const char *dst;     /* text; a ':' makes the frame IPv6 */
	const char *src;     /* 0: the client's address */
	int ttl;	     /* TTL or hop limit; 0: 64 */
	int payload;	     /* bytes after the IP header; 0: 32, 64 (IPv6) */
	const uint8_t *dmac; /* 0: in0's MAC, in6's (IPv6) */
	int sport, dport;    /* 0: 4242, 5353 */
	int icmp;	     /* ICMP(v6) type; IPv4 quotes its own header */
	int proto;	     /* protocol, next header */
	int label;	     /* IPv6 flow label; 0: 0x12345 */
	int frag_off;	     /* IPv4 flags and fragment offset; 0: DF */
	int version;	     /* IP version field */
	int ihl;	     /* IPv4 IHL field (no options: checksum on 20) */
	int ip_len;	     /* total length (IPv4), payload length (IPv6) */
	const uint8_t *opts; /* IPv4 options, @opts_len bytes; 0: NOPs */
	int opts_len;	     /* a multiple of 4 */
	int csum;	     /* the IPv4 checksum this comes out at (via ID) */
	bool bad_csum;	     /* the IPv4 checksum one off */
	int vlan;	     /* an 802.1Q tag with this VID */
	int len;	     /* frame length: padding or truncation */
	void (*edit)(struct pkt *p); /* whatever the fields cannot say */
};

#define OPTS(...)                               \
	.opts = (const uint8_t[]){__VA_ARGS__}, \
	.opts_len = sizeof((const uint8_t[]){__VA_ARGS__})

/* Next hops a redirected frame leaves with: its destination, source MAC. */
enum hop { HOP_NONE, TBL, GW, STALE, EG2_NB, OTHER, GW6, NH4_6, HOP_MAX };

static void hop_macs(enum hop h, const uint8_t **dmac, const uint8_t **smac)
{
	switch (h) {
	case TBL: /* a table entry's own pair */
		*dmac = mac_tbl, *smac = mac_tbl_src;
		break;
	case GW: /* 10.2.0.2 on eg0 */
		*dmac = mac_gw, *smac = env.mac[EG0];
		break;
	case STALE: /* 10.2.0.4 on eg0, STALE */
		*dmac = mac_stale, *smac = env.mac[EG0];
		break;
	case EG2_NB: /* 10.4.0.2 on eg2 */
		*dmac = mac_eg2_nb, *smac = env.mac[EG2];
		break;
	case OTHER: /* a table entry a row puts over 10.2.0.2 */
		*dmac = mac_other, *smac = env.mac[EG0];
		break;
	case GW6: /* 2001:db8:8::2 on eg6 */
		*dmac = mac_gw6, *smac = env.mac[EG6];
		break;
	case NH4_6: /* 2001:db8:8::4 on eg6 */
		*dmac = mac_nh4_6, *smac = env.mac[EG6];
		break;
	default:
		fail_msg("a redirect row names no next hop");
	}
}

/*
 * Demand learning's report channel (struct fwd_report): what one run must
 * leave in it, checked against fwd_report and fwd_demand's counters.
 */
enum report {
	REP_UNCHECKED, /* not this row's concern (reports are off) */
	REP_NONE,      /* nothing sent, no counter moved */
	REP_SENT,      /* one report of the frame's destination */
	REP_DUP,       /* suppressed: this CPU reported it just now */
	REP_LIMITED,   /* held back: over the rate */
};

/*
 * One golden case. The verdict, counter and next hop are written with
 * PASS(counter) or FWD(counter, hop); the counter is FWD_CNT_<counter>.
 */
struct golden {
	const char *name; /* the TAP name: the behaviour it pins */
	struct frame in;
	enum dev ingress; /* 0: in0, in6 for IPv6 */
	__u32 verdict;
	enum fwd_counter counter;
	enum hop hop;	  /* XDP_REDIRECT: the MACs it leaves with */
	enum dev egress;  /* XDP_REDIRECT: whose tx counts; 0: any but in */
	int out_len;	  /* the frame out is this long (says the trim) */
	int out_csum;	  /* its IPv4 checksum is this */
	const char *wire; /* live frames: the peer it must arrive at ... */
	const char *wire_other; /* ... and not at */
	/* state for this row alone, undone after it, failed or not */
	struct iface_set iface; /* a fwd_ifaces entry */
	const char *local;	/* an address in fwd_local ... */
	int local_way;		/* ... in this slot of its bucket */
	void (*before)(void);	/* map writes, sysctls, the kernel's view */
	void (*after)(void);	/* undoes @before; must not fail if it did */
	/*
	 * More checks on what came out, after the golden check: a row that
	 * pins more than verdict, bytes and counters (e.g. that a report was
	 * or was not emitted) says so here.
	 */
	void (*check)(const struct golden *g, const struct pkt *in,
		      const struct pkt *out);
	enum report report; /* what the report channel must show */
};

#define PASS(c) .verdict = XDP_PASS, .counter = FWD_CNT_##c
#define FWD(c, h) .verdict = XDP_REDIRECT, .counter = FWD_CNT_##c, .hop = (h)

static bool frame_v6(const struct frame *f)
{
	return strchr(f->dst, ':') != NULL;
}

static enum dev row_ingress(const struct golden *g)
{
	return g->ingress ? g->ingress : frame_v6(&g->in) ? IN6 : IN0;
}

/* Set the first four L4 bytes: the UDP/TCP ports. */
static void set_ports(uint8_t *l4, int sport, int dport)
{
	if (sport)
		l4[0] = (uint8_t)(sport >> 8), l4[1] = (uint8_t)sport;
	if (dport)
		l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
}

static void frame4_build(struct pkt *p, const struct frame *f)
{
	struct iphdr *iph = pkt_ip(p);
	uint8_t *l4 = (uint8_t *)(iph + 1);

	pkt_ipv4(p, f->dmac ? f->dmac : mac_in0, mac_client,
		 ip4(f->src ? f->src : CLIENT_IP), ip4(f->dst),
		 (uint8_t)num(f->ttl, 64),
		 (size_t)num(f->payload, f->icmp ? 8 + 28 : 32));
	set_ports(l4, f->sport, f->dport);
	if (f->icmp) { /* quoting its own header, as an error would */
		iph->protocol = IPPROTO_ICMP;
		memset(l4, 0, 8);
		l4[0] = (uint8_t)num(f->icmp, 0);
		memcpy(l4 + 8, iph, 20);
		l4[8 + 20] = 0x10;
	}
	if (f->proto)
		iph->protocol = (uint8_t)num(f->proto, 0);
	if (f->frag_off)
		iph->frag_off = htons((uint16_t)f->frag_off);
	if (f->version)
		iph->version = (unsigned int)f->version & 0xf;
	if (f->ihl)
		iph->ihl = (unsigned int)num(f->ihl, 0) & 0xf;
	if (f->ip_len)
		iph->tot_len = htons((uint16_t)num(f->ip_len, 0));
	iph->check = 0;
	iph->check = pkt_csum(iph, 20);
	if (f->opts_len) {
		uint8_t nops[40];

		memset(nops, 1, sizeof(nops)); /* IPOPT_NOOP */
		pkt_ip_add_options(p, f->opts ? f->opts : nops,
				   (size_t)f->opts_len);
	}
	if (f->csum)
		assert_int_equal(
			pkt_ip_force_csum(p, (uint16_t)num(f->csum, 0)), 0);
	if (f->bad_csum)
		iph->check ^= htons(0x0001);
}

static void frame6_build(struct pkt *p, const struct frame *f)
{
	struct ipv6hdr *ip6 = pkt_ip6(p);
	uint8_t *l4 = (uint8_t *)(ip6 + 1);
	uint32_t w;

	pkt_ipv6(p, f->dmac ? f->dmac : mac_in6, mac_client6,
		 f->src ? f->src : SRC6, f->dst, (uint8_t)num(f->ttl, 64),
		 (size_t)num(f->payload, 64));
	set_ports(l4, f->sport, f->dport);
	if (f->icmp) {
		ip6->nexthdr = IPPROTO_ICMPV6;
		l4[0] = (uint8_t)num(f->icmp, 0);
	}
	if (f->proto)
		ip6->nexthdr = (uint8_t)num(f->proto, 0);
	w = ntohl(*(uint32_t *)ip6);
	if (f->label)
		w = (w & ~0xfffffU) | (uint32_t)num(f->label, 0);
	if (f->version)
		w = (w & 0x0fffffffU) | (uint32_t)f->version << 28;
	*(uint32_t *)ip6 = htonl(w);
	if (f->ip_len)
		ip6->payload_len = htons((uint16_t)num(f->ip_len, 0));
}

static void frame_build(struct pkt *p, const struct frame *f)
{
	if (frame_v6(f))
		frame6_build(p, f);
	else
		frame4_build(p, f);
	if (f->vlan) { /* a tag in front of the EtherType */
		memmove(p->b + 16, p->b + 12, p->len - 12);
		p->b[12] = 0x81, p->b[13] = 0x00;
		p->b[14] = (uint8_t)(f->vlan >> 8), p->b[15] = (uint8_t)f->vlan;
		p->len += 4;
	}
	if (f->len)
		p->len = (size_t)f->len;
	if (f->edit)
		f->edit(p);
}

/* What @g expects back from @in: @in itself, or forwarded by @g's hop. */
static void want_build(struct pkt *want, const struct pkt *in,
		       const struct golden *g)
{
	const uint8_t *dmac, *smac;

	if (g->verdict != XDP_REDIRECT) {
		if (g->hop)
			fail_msg("a row that is not a redirect names a hop");
		*want = *in;
		return;
	}
	hop_macs(g->hop, &dmac, &smac);
	if (frame_v6(&g->in))
		pkt_forwarded6(want, in, dmac, smac);
	else
		pkt_forwarded(want, in, dmac, smac);
	if (g->out_len && want->len != (size_t)g->out_len)
		fail_msg("the frame out is %zu bytes, the row says %d",
			 want->len, g->out_len);
	if (g->out_csum && ntohs(pkt_ip(want)->check) != num(g->out_csum, 0))
		fail_msg("recomputed checksum 0x%04x, the row says 0x%04x",
			 ntohs(pkt_ip(want)->check), num(g->out_csum, 0));
}

static void local_put(const char *ip, int way, bool add);

/* Whether row_apply() ran for the row under test: row_undo() then runs. */
static const struct golden *applied;

/* The state @g asks for, before its frame. */
static void row_apply(const struct golden *g)
{
	applied = g;
	if (g->iface.dev)
		assert_int_equal(iface_put(&g->iface), 0);
	if (g->local)
		local_put(g->local, g->local_way, true);
	if (g->before)
		g->before();
}

/* Undo row_apply(); a cmocka teardown, so it runs after a failure too. */
static int row_undo(void **state)
{
	const struct golden *g = *state;
	int err = 0;

	if (applied != g)
		return 0;
	applied = NULL;
	if (g->after)
		g->after();
	if (g->local)
		local_put(g->local, g->local_way, false);
	if (g->iface.dev)
		err = iface_reset(g->iface.dev);
	return err;
}

/* ---- the report channel ------------------------------------------------ */

/* fwd_demand summed over CPUs; with @set, first every CPU's bounds. */
static void demand_rw(struct fwd_demand *sum, bool set, __u32 rate, __u32 burst)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct fwd_demand *v = calloc(ncpu, sizeof(*v));
	__u32 key = 0;

	assert_non_null(v);
	fd = bpf_map__fd(env.skel->maps.fwd_demand);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, v), 0);
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		if (set) { /* a fresh bucket and cache too */
			memset(&v[c], 0, sizeof(v[c]));
			v[c].rate = rate;
			v[c].burst = burst;
		}
		sum->reports += v[c].reports;
		sum->suppressed += v[c].suppressed;
		sum->limited += v[c].limited;
		sum->lost += v[c].lost;
	}
	if (set)
		assert_int_equal(bpf_map_update_elem(fd, &key, v, BPF_ANY), 0);
	free(v);
}

/*
 * Reports on, 1000 a second, a burst of 100, on the one CPU the rows run
 * on (the bucket and the cache are per CPU; test_run runs on the caller's).
 */
static void demand_on(void)
{
	cpu_set_t one;
	struct fwd_demand s;

	sched_getaffinity(0, sizeof(rep.cpus), &rep.cpus);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	demand_rw(&s, true, 1000, 100);
}

static void demand_off(void)
{
	struct fwd_demand s;

	demand_rw(&s, true, 0, 0);
	sched_setaffinity(0, sizeof(rep.cpus), &rep.cpus);
}

/* Run a frame to @dst once, its outcome unchecked (a row's history). */
static void run_to(const char *dst)
{
	static struct pkt in, out;
	__u32 retval;

	frame_build(&in, &(struct frame){.dst = dst});
	assert_int_equal(
		run(&in,
		    env.ifindex[frame_v6(&(struct frame){.dst = dst}) ? IN6
								      : IN0],
		    &out, &retval),
		0);
	assert_int_equal(retval, XDP_REDIRECT);
}

/* Reports on, and this CPU reported 10.9.1.2 a moment ago. */
static void demand_seen(void)
{
	demand_on();
	run_to("10.9.1.2");
}

/* Reports on at one a second, its one token spent on 10.9.1.4. */
static void demand_spent(void)
{
	struct fwd_demand s;

	demand_on();
	demand_rw(&s, true, 1, 1);
	run_to("10.9.1.4");
}

/* After @g's run: what the channel and its counters show, as it says. */
static void report_expect(const struct golden *g, const struct pkt *in,
			  const struct fwd_demand *b)
{
	struct fwd_demand a;
	int sent = g->report == REP_SENT, dup = g->report == REP_DUP,
	    lim = g->report == REP_LIMITED;

	rep.n = 0;
	ring_buffer__consume(rep.rb);
	demand_rw(&a, false, 0, 0);
	if (rep.n != sent || a.reports - b->reports != (__u64)sent ||
	    a.suppressed - b->suppressed != (__u64)dup ||
	    a.limited - b->limited != (__u64)lim || a.lost != b->lost)
		fail_msg(
			"reports %d in the ring, +%llu sent, +%llu suppressed, "
			"+%llu limited, +%llu lost; want %d/%d/%d/%d",
			rep.n, a.reports - b->reports,
			a.suppressed - b->suppressed, a.limited - b->limited,
			a.lost - b->lost, sent, sent, dup, lim);
	if (!sent)
		return;
	/* the destination: at 24 of an IPv6 header, 16 of an IPv4 one */
	if (frame_v6(&g->in)) {
		assert_int_equal(rep.last.family, AF_INET6);
		assert_memory_equal(rep.last.addr, in->b + ETH_HLEN + 24, 16);
	} else {
		assert_int_equal(rep.last.family, AF_INET);
		assert_memory_equal(rep.last.addr, in->b + ETH_HLEN + 16, 4);
		assert_memory_equal(rep.last.addr + 4, (uint8_t[12]){0}, 12);
	}
	assert_int_equal(rep.last.ifindex,
			 env.ifindex[frame_v6(&g->in) ? EG6 : EG0]);
}

/*
 * Build, run and check one row (also for the special cases' own rows); a
 * row with a report expectation also drains the channel before its run
 * and checks it after.
 */
static void row_run(const struct golden *g)
{
	static struct pkt in, want, out;
	int ifindex = env.ifindex[row_ingress(g)];
	struct fwd_demand before;

	frame_build(&in, &g->in);
	want_build(&want, &in, g);
	if (g->report) {
		ring_buffer__consume(rep.rb);
		demand_rw(&before, false, 0, 0);
	}
	if (g->wire)
		expect_on_wire(&in, ifindex, g->wire, g->wire_other, &want,
			       g->counter, &out);
	else
		expect(&in, ifindex, g->verdict, &want, g->counter,
		       env.ifindex[g->egress], &out);
	if (g->report)
		report_expect(g, &in, &before);
	if (g->check)
		g->check(g, &in, &out);
}

static void row_test(void **state)
{
	const struct golden *g = *state;

	REQUIRE_ENV();
	row_apply(g);
	row_run(g);
}

/* ---- hooks the rows name ---------------------------------------------- */

/* What pkt_forwarded(6)() promises, spelled out independent of it. */
static void spelled_out(const struct golden *g, const struct pkt *in,
			const struct pkt *out)
{
	const uint8_t *dmac, *smac;

	hop_macs(g->hop, &dmac, &smac);
	assert_memory_equal(out->b, dmac, ETH_ALEN);
	assert_memory_equal(out->b + ETH_ALEN, smac, ETH_ALEN);
	if (frame_v6(&g->in)) {
		assert_int_equal(pkt_ip6((struct pkt *)out)->hop_limit,
				 pkt_ip6((struct pkt *)in)->hop_limit - 1);
		return;
	}
	assert_int_equal(pkt_ip((struct pkt *)out)->ttl,
			 pkt_ip((struct pkt *)in)->ttl - 1);
	assert_int_equal(pkt_csum(out->b + ETH_HLEN, 20), 0);
}

/* The neighbour's lladdr as `ip neigh` shows it, to check it is @mac. */
static void assert_neigh_lladdr(const char *ip, const char *dev,
				const uint8_t mac[ETH_ALEN])
{
	char cmd[128], line[256], want[32];
	FILE *f;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "ip neigh show to %s dev %s", ip, dev);
	snprintf(want, sizeof(want), "lladdr %02x:%02x:%02x:%02x:%02x:%02x ",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		found |= strstr(line, want) != NULL;
	pclose(f);
	if (!found)
		fail_msg("'%s' does not show '%s'", cmd, want);
}

static void neigh_gw(void)
{
	assert_neigh_lladdr("10.2.0.2", "eg0", mac_gw);
}

static void neigh_stale(void)
{
	/* STALE is valid: the kernel too sends to it (and then probes). */
	assert_neigh_lladdr("10.2.0.4", "eg0", mac_stale);
}

static void neigh_eg1(void)
{
	assert_neigh_lladdr("10.3.0.2", "eg1", mac_eg1_nb);
}

static void eg2_mac_is_set(void)
{
	assert_memory_equal(env.mac[EG2], mac_eg2_in, ETH_ALEN);
}

/*
 * The egress the kernel's own input routing picks (`ip route get ... iif`
 * builds a packet and runs ip_route_input() on it): "eg0" or "eg2".
 */
static void kernel_route_dev(const char *saddr, const char *daddr,
			     uint16_t sport, uint16_t dport,
			     char dev[IF_NAMESIZE])
{
	char cmd[256], line[512], *p;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "ip -o route get %s from %s iif in0 ipproto udp sport %u "
		 "dport %u",
		 daddr, saddr, sport, dport);
	f = popen(cmd, "r");
	assert_non_null(f);
	line[0] = 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	pclose(f);
	p = strstr(line, " dev ");
	if (!p || sscanf(p, " dev %15s", dev) != 1)
		fail_msg("'%s' gave '%s'", cmd, line);
}

static void rule_port_takes_eg2(void)
{
	char dev[IF_NAMESIZE];

	kernel_route_dev(CLIENT_IP, FIB_PORT_RULE, 4242, RULE_DPORT, dev);
	assert_string_equal(dev, "eg2");
}

static void other_port_takes_eg0(void)
{
	char dev[IF_NAMESIZE];

	kernel_route_dev(CLIENT_IP, FIB_PORT_RULE, 4242, RULE_DPORT + 1, dev);
	assert_string_equal(dev, "eg0");
}

/* A table entry for FIB_NEIGH, which the fib knows with other MACs. */
static void tbl_over_fib(void)
{
	assert_int_equal(
		route_put(FIB_NEIGH, EG0, env.mac[EG0], mac_other, false), 0);
}

static void tbl_over_fib_undo(void)
{
	__be32 key = htonl(ip4(FIB_NEIGH));

	bpf_map__delete_elem(env.skel->maps.hfwd, &key, sizeof(key), 0);
}

static void no_dev_is_no_device(void)
{
	assert_null(if_indextoname(NO_DEV_IFINDEX, (char[IF_NAMESIZE]){}));
}

/* An array has every index: "absent" is a zeroed entry. */
static void eg1_entry_is_zero(void)
{
	struct fwd_iface v, zero = {};
	__u32 key = env.ifindex[EG1];

	assert_int_equal(bpf_map__lookup_elem(env.skel->maps.fwd_ifaces, &key,
					      sizeof(key), &v, sizeof(v), 0),
			 0);
	assert_memory_equal(&v, &zero, sizeof(v));
}

static void in6_forwarding_off(void)
{
	assert_int_equal(system("sysctl -qw net.ipv6.conf.in6.forwarding=0"),
			 0);
}

static void in6_forwarding_on(void)
{
	if (system("sysctl -qw net.ipv6.conf.in6.forwarding=1"))
		print_message("# cannot turn in6's forwarding back on\n");
}

/* @ip into, or out of, slot @way of its fwd_local bucket. */
static void local_put(const char *ip, int way, bool add)
{
	__be32 addr = htonl(ip4(ip));
	__u32 idx = fwd_local_hash(addr);
	struct fwd_local b;

	assert_int_equal(bpf_map__lookup_elem(env.skel->maps.fwd_local, &idx,
					      sizeof(idx), &b, sizeof(b), 0),
			 0);
	b.addr[way] = add ? addr : 0;
	assert_int_equal(map_put(env.skel->maps.fwd_local, &idx, &b), 0);
}

/* The source: the address after EG0_ADDR that shares its bucket. */
static void src_in_eg0_bucket(struct pkt *p)
{
	uint32_t a = ip4(EG0_ADDR);
	__u32 idx = fwd_local_hash(htonl(a));

	while (fwd_local_hash(htonl(++a)) != idx)
		;
	pkt_ip(p)->saddr = htonl(a);
	pkt_ip_csum(p);
}

/* A header damaged after its checksum was computed. */
static void tos_changed_after_checksum(struct pkt *p)
{
	pkt_ip(p)->tos ^= 0x04;
}

/* Ethernet, IPv4, request, 6, 4: a unicast ARP request to in0. */
static void arp_request(struct pkt *p)
{
	pkt_eth(p)->h_proto = htons(ETH_P_ARP);
	memset(p->b + ETH_HLEN, 0, 46);
	memcpy(p->b + ETH_HLEN, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	p->len = 60;
}

/* The IPv6 EtherType, version 6, over what is otherwise IPv4. */
static void ipv6_ethertype(struct pkt *p)
{
	pkt_eth(p)->h_proto = htons(ETH_P_IPV6);
	p->b[ETH_HLEN] = 0x60;
}

/* Padding in the fragments that is not zero, after a 6000-byte packet. */
static void pad_0xee_after_6000(struct pkt *p)
{
	memset(p->b + ETH_HLEN + 6000, 0xee, p->len - ETH_HLEN - 6000);
}

/*
 * The tables, hand-laid: a row reads as one line, or two or three, and
 * clang-format would give each field a line of its own.
 */
/* clang-format off */

/* ---- the table path ---------------------------------------------------- */

/*
 * The TTL decrement adds 0x0100 to the checksum with an end-around carry;
 * these inputs sit where the sum wraps or lands next to 0x0000/0xffff.
 * Each output is checked against the literal value and against a full
 * recomputation (the two agree: RFC 1624 never yields 0xffff here, and
 * neither does RFC 1071).
 */
#define CSUM_WRAP(in, out)                                              \
	{"checksum_" #in "_leaves_as_" #out,                            \
	 {TBL_HIT, .payload = 16, .csum = (in) ? (in) : ZERO},          \
	 FWD(FWD_TABLE, TBL), .out_csum = (out) ? (out) : ZERO}

/* The egress's MTU in fwd_ifaces, for one row. */
#define MTU(d, m) .iface = {(d), FWD4, .mtu = (m)}

static const struct golden table_rows[] = {
	{"table_hit_rewrites_macs_ttl_and_checksum", {TBL_HIT},
	 FWD(FWD_TABLE, TBL), .check = spelled_out},
	{"table_hit_ttl_255_becomes_254", {TBL_HIT, .ttl = 255, .payload = 64},
	 FWD(FWD_TABLE, TBL), .check = spelled_out},
	{"table_hit_ttl_2_leaves_with_ttl_1", {TBL_HIT, .ttl = 2, .payload = 8},
	 FWD(FWD_TABLE, TBL)},
	CSUM_WRAP(0x0000, 0x0100),
	CSUM_WRAP(0xffff, 0x0100),
	CSUM_WRAP(0xfeff, 0x0000),
	CSUM_WRAP(0xff00, 0x0001),
	CSUM_WRAP(0xfffe, 0x00ff),
	CSUM_WRAP(0xfefe, 0xfffe),
	CSUM_WRAP(0x00ff, 0x01ff),
	CSUM_WRAP(0x0001, 0x0101),
	/* 14 + 20 + 8 = 42 bytes, padded to the 60-byte Ethernet minimum */
	{"table_forward_trims_ethernet_padding",
	 {TBL_HIT, .payload = 8, .len = 60}, FWD(FWD_TABLE, TBL),
	 .out_len = 42},
	{"table_entry_beats_fib", {FIB_NEIGH}, FWD(FWD_TABLE, OTHER),
	 .before = tbl_over_fib, .after = tbl_over_fib_undo},
	{"table_egress_mtu_exceeded_is_passed",
	 {TBL_SMALL_MTU, .payload = EG2_MTU - 20 + 1}, PASS(PASS_MTU)},
	{"table_egress_mtu_exactly_full_is_forwarded",
	 {TBL_SMALL_MTU, .payload = EG2_MTU - 20}, FWD(FWD_TABLE, TBL)},
	/*
	 * The table path checks the MTU stored in the egress's fwd_ifaces
	 * entry (the agent follows the device's): a change there is honoured
	 * at once. eg2's device keeps MTU 600 throughout, so a verdict that
	 * follows the entry cannot come from the device.
	 */
	{"table_egress_mtu_lowered_in_entry_passes",
	 {TBL_SMALL_MTU, .payload = EG2_MTU - 20}, PASS(PASS_MTU),
	 MTU(EG2, EG2_MTU - 100)},
	{"table_egress_mtu_lowered_in_entry_full_is_forwarded",
	 {TBL_SMALL_MTU, .payload = EG2_MTU - 100 - 20}, FWD(FWD_TABLE, TBL),
	 MTU(EG2, EG2_MTU - 100)},
	{"table_egress_mtu_raised_in_entry_full_is_forwarded",
	 {TBL_SMALL_MTU, .payload = EG2_MTU + 100 - 20}, FWD(FWD_TABLE, TBL),
	 MTU(EG2, EG2_MTU + 100)},
	{"table_egress_mtu_raised_in_entry_exceeded_passes",
	 {TBL_SMALL_MTU, .payload = EG2_MTU + 100 - 20 + 1}, PASS(PASS_MTU),
	 MTU(EG2, EG2_MTU + 100)},
	/*
	 * In fwd_ports but its fwd_ifaces entry zeroed (the agent forgot it
	 * and has not yet removed the port): an unmanaged egress, never a
	 * redirect with an MTU of 0 or a stale one.
	 */
	{"table_egress_entry_zeroed_is_passed_as_unmanaged", {TBL_SMALL_MTU},
	 PASS(PASS_EGRESS), .iface = {EG2, .zeroed = true}},
	{"table_egress_unmanaged_is_passed", {TBL_UNMANAGED},
	 PASS(PASS_EGRESS)},
	/*
	 * An entry whose egress is no device at all (deleted under the agent)
	 * is an unmanaged egress, not an MTU failure: the devmap is asked
	 * before the egress's fwd_ifaces entry (zero for a device that never
	 * existed).
	 */
	{"table_egress_gone_is_passed_as_unmanaged", {TBL_NO_DEV},
	 PASS(PASS_EGRESS), .before = no_dev_is_no_device},
	{"table_hairpin_is_passed", {TBL_HAIRPIN}, PASS(PASS_HAIRPIN)},
	{"override_is_used_with_forwarding_off",
	 {TBL_OVERRIDE, .dmac = mac_in1}, .ingress = IN1,
	 FWD(FWD_TABLE, TBL)},
	{"learned_entry_is_not_used_with_forwarding_off",
	 {TBL_LEARNED, .dmac = mac_in1}, .ingress = IN1, PASS(PASS_FWD_OFF)},
	{"learned_entry_is_used_with_forwarding_on", {TBL_LEARNED},
	 FWD(FWD_TABLE, TBL)},
};

/* ---- the IPv4 header --------------------------------------------------- */

#define NOP_OPTIONS(ihl)                                                \
	{"nop_options_ihl_" #ihl "_are_passed",                         \
	 {TBL_HIT, .payload = 16, .opts_len = ((ihl)-5) * 4},           \
	 PASS(PASS_IP_OPTIONS)}
#define IHL_BELOW_5(n)                                                 \
	{"ihl_" #n "_is_passed", {TBL_HIT, .ihl = (n) ? (n) : ZERO},   \
	 PASS(PASS_BAD_HEADER)}
/* Cut to @n bytes; 34 hold the whole IPv4 header, not its payload. */
#define TRUNCATED(n)                                                    \
	{"truncated_to_" #n "_bytes_is_passed", {TBL_HIT, .len = (n)},  \
	 PASS(PASS_TRUNCATED)}

static const struct golden header_rows[] = {
	{"ttl_one_is_passed_to_kernel", {TBL_HIT, .ttl = 1}, PASS(PASS_TTL)},
	{"ttl_zero_is_passed_to_kernel", {TBL_HIT, .ttl = ZERO},
	 PASS(PASS_TTL)},
	NOP_OPTIONS(6),
	NOP_OPTIONS(7),
	NOP_OPTIONS(8),
	NOP_OPTIONS(9),
	NOP_OPTIONS(10),
	NOP_OPTIONS(11),
	NOP_OPTIONS(12),
	NOP_OPTIONS(13),
	NOP_OPTIONS(14),
	NOP_OPTIONS(15),
	/* RR, len 11, pointer 4, two empty slots; EOL pads to 12 */
	{"record_route_option_is_passed",
	 {TBL_HIT, .payload = 16, OPTS(7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	 PASS(PASS_IP_OPTIONS)},
	/* TS, len 12, pointer 5, flag 0 (timestamps only), two slots */
	{"timestamp_option_is_passed",
	 {TBL_HIT, .payload = 16, OPTS(68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	 PASS(PASS_IP_OPTIONS)},
	/* LSRR and SSRR, len 7, pointer 4, one hop 10.2.0.2; EOL pad */
	{"loose_source_route_option_is_passed",
	 {TBL_HIT, .payload = 16, OPTS(131, 7, 4, 10, 2, 0, 2, 0)},
	 PASS(PASS_IP_OPTIONS)},
	{"strict_source_route_option_is_passed",
	 {TBL_HIT, .payload = 16, OPTS(137, 7, 4, 10, 2, 0, 2, 0)},
	 PASS(PASS_IP_OPTIONS)},
	IHL_BELOW_5(0),
	IHL_BELOW_5(1),
	IHL_BELOW_5(2),
	IHL_BELOW_5(3),
	IHL_BELOW_5(4),
	{"ip_version_6_in_ipv4_is_passed", {TBL_HIT, .version = 6},
	 PASS(PASS_BAD_HEADER)},
	{"total_length_one_beyond_frame_is_passed",
	 {TBL_HIT, .ip_len = 20 + 32 + 1}, PASS(PASS_BAD_HEADER)},
	{"total_length_0xffff_is_passed", {TBL_HIT, .ip_len = 0xffff},
	 PASS(PASS_BAD_HEADER)},
	{"total_length_0_is_passed", {TBL_HIT, .ip_len = ZERO},
	 PASS(PASS_BAD_HEADER)},
	{"total_length_1_is_passed", {TBL_HIT, .ip_len = 1},
	 PASS(PASS_BAD_HEADER)},
	{"total_length_19_is_passed", {TBL_HIT, .ip_len = 19},
	 PASS(PASS_BAD_HEADER)},
	{"bad_header_checksum_is_passed", {TBL_HIT, .bad_csum = true},
	 PASS(PASS_BAD_HEADER)},
	{"header_changed_after_checksum_is_passed",
	 {TBL_HIT, .edit = tos_changed_after_checksum}, PASS(PASS_BAD_HEADER)},
	/* A frame that, whole, is forwarded (table_hit_...), cut short. */
	TRUNCATED(14),
	TRUNCATED(15),
	TRUNCATED(16),
	TRUNCATED(17),
	TRUNCATED(18),
	TRUNCATED(19),
	TRUNCATED(20),
	TRUNCATED(21),
	TRUNCATED(22),
	TRUNCATED(23),
	TRUNCATED(24),
	TRUNCATED(25),
	TRUNCATED(26),
	TRUNCATED(27),
	TRUNCATED(28),
	TRUNCATED(29),
	TRUNCATED(30),
	TRUNCATED(31),
	TRUNCATED(32),
	TRUNCATED(33),
	{"truncated_to_34_bytes_is_a_bad_header", {TBL_HIT, .len = 34},
	 PASS(PASS_BAD_HEADER)},
};

/* ---- Ethernet ------------------------------------------------------------ */

static const uint8_t mac_bcast[ETH_ALEN] = {0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff};
static const uint8_t mac_mcast[ETH_ALEN] = {1, 0, 0x5e, 0, 0, 5};
/* in1's MAC with one bit flipped: no interface's */
static const uint8_t mac_stranger[ETH_ALEN] = {2, 0, 0, 0, 6, 0x81};

static const struct golden eth_rows[] = {
	{"arp_is_passed", {TBL_HIT, .edit = arp_request},
	 PASS(PASS_NOT_IP)},
	/* in0 has IPv6 off */
	{"ipv6_ethertype_is_passed", {TBL_HIT, .payload = 40,
				      .edit = ipv6_ethertype},
	 PASS(PASS6_OFF)},
	{"vlan_tagged_is_passed", {TBL_HIT, .vlan = 5}, PASS(PASS_NOT_IP)},
	{"broadcast_mac_is_passed", {TBL_HIT, .dmac = mac_bcast},
	 PASS(PASS_NOT_FOR_US)},
	{"multicast_mac_is_passed", {TBL_HIT, .dmac = mac_mcast},
	 PASS(PASS_NOT_FOR_US)},
	/* ours, but not the ingress interface's */
	{"frame_to_another_interfaces_mac_is_passed",
	 {TBL_HIT, .dmac = mac_in1}, PASS(PASS_NOT_FOR_US)},
	{"frame_to_a_strangers_mac_is_passed",
	 {TBL_HIT, .dmac = mac_stranger}, PASS(PASS_NOT_FOR_US)},
	{"ingress_without_entry_is_passed", {TBL_HIT}, .ingress = EG1,
	 PASS(PASS_NOT_MANAGED), .before = eg1_entry_is_zero},
	{"ingress_entry_not_managed_is_passed", {TBL_HIT}, .ingress = LO,
	 PASS(PASS_NOT_MANAGED)},
};

/* ---- addresses the kernel never forwards as unicast ------------------- */

#define NOT_UNICAST(what, s, d)                                        \
	{"not_unicast_" what "_is_passed", {(d), .src = (s)},          \
	 PASS(PASS_NOT_UNICAST)}

static const struct golden addr_rows[] = {
	NOT_UNICAST("multicast_dst_in_hfwd", CLIENT_IP, "224.0.0.5"),
	NOT_UNICAST("multicast_dst", CLIENT_IP, "239.1.2.3"),
	NOT_UNICAST("all_hosts_dst", CLIENT_IP, "224.0.0.1"),
	NOT_UNICAST("limited_broadcast_dst", CLIENT_IP, "255.255.255.255"),
	NOT_UNICAST("loopback_dst", CLIENT_IP, "127.0.0.1"),
	NOT_UNICAST("loopback_src", "127.0.0.1", TBL_HIT),
	NOT_UNICAST("loopback_net_src", "127.255.0.9", TBL_HIT),
	NOT_UNICAST("zero_dst", CLIENT_IP, "0.0.0.0"),
	NOT_UNICAST("zero_net_dst", CLIENT_IP, "0.1.2.3"),
	NOT_UNICAST("zero_src", "0.0.0.0", TBL_HIT),
	NOT_UNICAST("multicast_src", "224.0.0.9", TBL_HIT),
	NOT_UNICAST("broadcast_src", "255.255.255.255", TBL_HIT),
};

/* ---- the fib path ---------------------------------------------------- */

#define ICMP_ERROR(type)                                                \
	{"fib_icmp_error_type_" #type "_is_passed",                     \
	 {FIB_NEIGH, .icmp = (type)}, PASS(PASS_ICMP_ERROR)}
/* The flow dissector reads no ports from a fragment, first or not. */
#define FRAGMENT(off)                                                   \
	{"fib_fragment_" #off "_matches_no_port_rule",                  \
	 {FIB_PORT_RULE, .dport = RULE_DPORT, .frag_off = (off)},       \
	 FWD(FWD_FIB, GW)}

static const struct golden fib_rows[] = {
	{"fib_success_uses_neighbour_and_egress_macs", {FIB_NEIGH},
	 FWD(FWD_FIB, GW), .before = neigh_gw},
	{"fib_success_through_gateway", {FIB_VIA_GW, .ttl = 17, .payload = 100},
	 FWD(FWD_FIB, GW)},
	{"fib_stale_neighbour_is_used", {FIB_STALE}, FWD(FWD_FIB, STALE),
	 .before = neigh_stale},
	{"fib_forward_trims_ethernet_padding",
	 {FIB_NEIGH, .payload = ZERO, .len = 60}, FWD(FWD_FIB, GW),
	 .out_len = 34},
	{"fib_no_neighbour_is_passed", {FIB_NO_NEIGH}, PASS(PASS_FIB_NO_NEIGH)},
	{"fib_failed_neighbour_is_passed", {FIB_FAILED},
	 PASS(PASS_FIB_NO_NEIGH)},
	{"fib_no_route_is_passed", {FIB_NO_ROUTE}, PASS(PASS_FIB_NOT_FWDED)},
	{"fib_egress_address_is_passed", {FIB_LOCAL},
	 PASS(PASS_FIB_NOT_FWDED)},
	{"fib_ingress_address_is_passed", {"10.1.0.1"},
	 PASS(PASS_FIB_NOT_FWDED)},
	/* eg0's subnet broadcast: a broadcast route, delivered locally */
	{"fib_subnet_broadcast_is_passed", {"10.2.0.255"},
	 PASS(PASS_FIB_NOT_FWDED)},
	{"fib_blackhole_is_passed", {FIB_BLACKHOLE}, PASS(PASS_FIB_DROP)},
	{"fib_unreachable_is_passed", {FIB_UNREACHABLE}, PASS(PASS_FIB_DROP)},
	{"fib_prohibit_is_passed", {FIB_PROHIBIT}, PASS(PASS_FIB_DROP)},
	/* the kernel would encapsulate: other bytes than a plain forward */
	{"fib_lwt_encap_route_is_passed", {FIB_LWT}, PASS(PASS_FIB_OTHER)},
	{"fib_forwarding_off_on_ingress_is_passed",
	 {FIB_NEIGH, .dmac = mac_in1}, .ingress = IN1,
	 PASS(PASS_FIB_FWD_DISABLED)},
	{"fib_egress_mtu_exceeded_is_passed",
	 {FIB_SMALL_MTU, .payload = EG2_MTU - 20 + 1}, PASS(PASS_MTU)},
	{"fib_egress_mtu_exactly_full_is_forwarded",
	 {FIB_SMALL_MTU, .payload = EG2_MTU - 20}, FWD(FWD_FIB, EG2_NB),
	 .before = eg2_mac_is_set},
	/*
	 * A locked route MTU is honoured by the kernel's forwarding and by
	 * bpf_fib_lookup() alike. An unlocked one the helper does not see
	 * (ip_mtu_from_fib_result()) while ip_forward() applies it: the
	 * agent lowers the egress's MTU in fwd_ifaces to the smallest route
	 * MTU that may leave by it, and the fib path checks that bound too
	 * (eg0's device MTU stays 1500: the verdict can only come from the
	 * entry).
	 */
	{"fib_locked_route_mtu_exceeded_is_passed",
	 {FIB_ROUTE_MTU, .payload = ROUTE_MTU - 20 + 1}, PASS(PASS_MTU)},
	{"fib_locked_route_mtu_exactly_full_is_forwarded",
	 {FIB_ROUTE_MTU, .payload = ROUTE_MTU - 20}, FWD(FWD_FIB, GW)},
	{"fib_route_mtu_bound_from_the_agent_exceeded_is_passed",
	 {FIB_NEIGH, .payload = 1300 - 20 + 1}, PASS(PASS_MTU),
	 MTU(EG0, 1300)},
	{"fib_route_mtu_bound_from_the_agent_full_is_forwarded",
	 {FIB_NEIGH, .payload = 1300 - 20}, FWD(FWD_FIB, GW), MTU(EG0, 1300)},
	{"fib_without_the_bound_same_frame_is_forwarded",
	 {FIB_NEIGH, .payload = 1300 - 20 + 1}, FWD(FWD_FIB, GW)},
	{"fib_egress_unmanaged_is_passed", {FIB_UNMANAGED}, PASS(PASS_EGRESS),
	 .before = neigh_eg1},
	{"fib_hairpin_is_passed", {FIB_HAIRPIN}, PASS(PASS_HAIRPIN)},
	{"fib_port_rule_selects_route",
	 {FIB_PORT_RULE, .sport = 4242, .dport = RULE_DPORT},
	 FWD(FWD_FIB, EG2_NB), .before = rule_port_takes_eg2},
	{"fib_port_rule_other_port_takes_main_route",
	 {FIB_PORT_RULE, .sport = 4242, .dport = RULE_DPORT + 1},
	 FWD(FWD_FIB, GW), .before = other_port_takes_eg0},
	FRAGMENT(0x2000),
	FRAGMENT(0x2001),
	FRAGMENT(0x0001),
	ICMP_ERROR(3),
	ICMP_ERROR(4),
	ICMP_ERROR(5),
	ICMP_ERROR(11),
	ICMP_ERROR(12),
	/* echo request and reply: hashed on the outer header */
	{"fib_icmp_echo_request_is_forwarded", {FIB_NEIGH, .icmp = 8},
	 FWD(FWD_FIB, GW)},
	{"fib_icmp_echo_reply_is_forwarded", {FIB_NEIGH, .icmp = ZERO},
	 FWD(FWD_FIB, GW)},
	/* a later fragment of an error: the kernel reads no ICMP type */
	{"fib_icmp_error_later_fragment_is_forwarded",
	 {FIB_NEIGH, .icmp = 3, .frag_off = 0x0010}, FWD(FWD_FIB, GW)},
	/* a table entry names one next hop: no hash to disagree on */
	{"table_icmp_error_is_forwarded", {TBL_HIT, .icmp = 11},
	 FWD(FWD_TABLE, TBL)},
};

/* ---- the kernel's source validation and netfilter ---------------------- */

/* in0 with @extra flags, for one row. */
#define IN0_WITH(extra) .iface = {IN0, FWD4 | (extra)}
/* Ours in slot @w of its bucket: passed; another in that bucket: not. */
#define OWN_SOURCE_IN_WAY(w)                                            \
	{"own_source_in_way_" #w "_is_passed",                          \
	 {TBL_HIT, .src = EG0_ADDR}, PASS(PASS_OWN_SOURCE),             \
	 .local = EG0_ADDR, .local_way = (w)},                          \
	{"own_bucket_way_" #w "_other_source_is_forwarded",             \
	 {TBL_HIT, .edit = src_in_eg0_bucket}, FWD(FWD_TABLE, TBL),     \
	 .local = EG0_ADDR, .local_way = (w)}

static const struct golden policy_rows[] = {
	/* both paths: the table and the fib */
	{"own_source_is_passed_on_table_path", {TBL_HIT, .src = EG0_ADDR},
	 PASS(PASS_OWN_SOURCE), .local = EG0_ADDR},
	{"own_source_is_passed_on_fib_path", {FIB_NEIGH, .src = EG0_ADDR},
	 PASS(PASS_OWN_SOURCE), .local = EG0_ADDR},
	{"other_source_is_forwarded", {TBL_HIT, .src = SRC_VIA_EG0},
	 FWD(FWD_TABLE, TBL), .local = EG0_ADDR},
	{"own_source_gone_from_fwd_local_is_forwarded",
	 {TBL_HIT, .src = EG0_ADDR}, FWD(FWD_TABLE, TBL)},
	{"own_source_with_accept_local_is_forwarded",
	 {TBL_HIT, .src = EG0_ADDR}, FWD(FWD_TABLE, TBL), .local = EG0_ADDR,
	 IN0_WITH(FWD_IF_ACCEPT_LOCAL)},
	OWN_SOURCE_IN_WAY(0),
	OWN_SOURCE_IN_WAY(1),
	OWN_SOURCE_IN_WAY(2),
	OWN_SOURCE_IN_WAY(3),
	/* fwd_local incomplete: any source could be ours */
	{"local_unknown_passes_every_source_table",
	 {TBL_HIT, .src = SRC_VIA_EG0}, PASS(PASS_OWN_SOURCE),
	 IN0_WITH(FWD_IF_LOCAL_UNKNOWN)},
	{"local_unknown_passes_every_source_fib",
	 {FIB_NEIGH, .src = SRC_VIA_EG0}, PASS(PASS_OWN_SOURCE),
	 IN0_WITH(FWD_IF_LOCAL_UNKNOWN)},
	/* accept_local: the kernel would not ask */
	{"local_unknown_with_accept_local_is_forwarded",
	 {TBL_HIT, .src = SRC_VIA_EG0}, FWD(FWD_TABLE, TBL),
	 IN0_WITH(FWD_IF_LOCAL_UNKNOWN | FWD_IF_ACCEPT_LOCAL)},
	/* rp_filter: the reverse lookup finds our addresses by itself */
	{"local_unknown_with_rp_filter_is_forwarded",
	 {TBL_HIT, .src = SRC_VIA_EG0}, FWD(FWD_TABLE, TBL),
	 IN0_WITH(FWD_IF_LOCAL_UNKNOWN | FWD_IF_RPF_LOOSE)},
	/* strict: 10.1.0.2 is on in0's prefix, valid on both paths */
	{"strict_rp_filter_source_on_ingress_table",
	 {TBL_HIT, .src = CLIENT_IP}, FWD(FWD_TABLE, TBL),
	 IN0_WITH(FWD_IF_RPF_STRICT)},
	{"strict_rp_filter_source_on_ingress_fib",
	 {FIB_NEIGH, .src = CLIENT_IP}, FWD(FWD_FIB, GW),
	 IN0_WITH(FWD_IF_RPF_STRICT)},
	/* the route back leaves by eg0, or there is none, or it is ours */
	{"strict_rp_filter_route_back_by_other_if_table",
	 {TBL_HIT, .src = SRC_VIA_EG0}, PASS(PASS_RP_FILTER),
	 IN0_WITH(FWD_IF_RPF_STRICT)},
	{"strict_rp_filter_route_back_by_other_if_fib",
	 {FIB_NEIGH, .src = SRC_VIA_EG0}, PASS(PASS_RP_FILTER),
	 IN0_WITH(FWD_IF_RPF_STRICT)},
	{"strict_rp_filter_no_route_back", {TBL_HIT, .src = SRC_NO_ROUTE},
	 PASS(PASS_RP_FILTER), IN0_WITH(FWD_IF_RPF_STRICT)},
	{"strict_rp_filter_own_address", {TBL_HIT, .src = EG0_ADDR},
	 PASS(PASS_RP_FILTER), IN0_WITH(FWD_IF_RPF_STRICT)},
	/* loose: any route back */
	{"loose_rp_filter_route_back_by_other_if",
	 {TBL_HIT, .src = SRC_VIA_EG0}, FWD(FWD_TABLE, TBL),
	 IN0_WITH(FWD_IF_RPF_LOOSE)},
	{"loose_rp_filter_route_back_by_ingress", {TBL_HIT, .src = CLIENT_IP},
	 FWD(FWD_TABLE, TBL), IN0_WITH(FWD_IF_RPF_LOOSE)},
	/* no route, a blackhole, our own address: fib_validate_source()
	 * refuses each (RTN_UNICAST only) */
	{"loose_rp_filter_no_route_back", {TBL_HIT, .src = SRC_NO_ROUTE},
	 PASS(PASS_RP_FILTER), IN0_WITH(FWD_IF_RPF_LOOSE)},
	{"loose_rp_filter_blackhole_back", {TBL_HIT, .src = SRC_BLACKHOLE},
	 PASS(PASS_RP_FILTER), IN0_WITH(FWD_IF_RPF_LOOSE)},
	{"loose_rp_filter_own_address", {FIB_NEIGH, .src = EG0_ADDR},
	 PASS(PASS_RP_FILTER), IN0_WITH(FWD_IF_RPF_LOOSE)},
	{"rp_filter_off_forwards_no_route_back",
	 {TBL_HIT, .src = SRC_NO_ROUTE}, FWD(FWD_TABLE, TBL)},
	{"rp_filter_off_forwards_route_back_by_other_if",
	 {FIB_NEIGH, .src = SRC_VIA_EG0}, FWD(FWD_FIB, GW)},
	{"netfilter_hold_passes_table_hit", {TBL_HIT}, PASS(PASS_NETFILTER),
	 IN0_WITH(FWD_IF_NF_HOLD)},
	{"netfilter_hold_passes_fib", {FIB_NEIGH}, PASS(PASS_NETFILTER),
	 IN0_WITH(FWD_IF_NF_HOLD)},
	{"netfilter_hold_passes_override", {TBL_OVERRIDE},
	 PASS(PASS_NETFILTER), IN0_WITH(FWD_IF_NF_HOLD)},
	/* an ip6 chain holds IPv6, not IPv4; an ip chain IPv4, not IPv6 */
	{"netfilter_ip6_chain_holds_ipv6", {FIB6_GW}, PASS(PASS_NETFILTER),
	 .iface = {IN6, FWD6 | FWD_IF_NF_HOLD6}},
	{"netfilter_ip6_chain_lets_ipv4_go", {TBL_HIT}, FWD(FWD_TABLE, TBL),
	 IN0_WITH(FWD_IF_NF_HOLD6)},
	{"netfilter_ip_chain_lets_ipv6_go", {FIB6_GW}, FWD(FWD_FIB6, GW6),
	 .iface = {IN6, FWD6 | FWD_IF_NF_HOLD}},
	/* an IPsec policy holds both families, overrides too */
	{"xfrm_hold_passes_table_hit", {TBL_HIT}, PASS(PASS_XFRM),
	 IN0_WITH(FWD_IF_XFRM_HOLD)},
	{"xfrm_hold_passes_fib", {FIB_NEIGH}, PASS(PASS_XFRM),
	 IN0_WITH(FWD_IF_XFRM_HOLD)},
	{"xfrm_hold_passes_override", {TBL_OVERRIDE}, PASS(PASS_XFRM),
	 IN0_WITH(FWD_IF_XFRM_HOLD)},
	{"xfrm_hold_passes_ipv6_fib", {FIB6_GW}, PASS(PASS_XFRM),
	 .iface = {IN6, FWD6 | FWD_IF_XFRM_HOLD}},
	{"xfrm_hold_passes_ipv6_table_hit", {TBL6_HIT}, PASS(PASS_XFRM),
	 .iface = {IN6, FWD6 | FWD_IF_XFRM_HOLD}},
	/* both: one counter, netfilter's (checked first) */
	{"netfilter_and_xfrm_hold_count_netfilter", {TBL_HIT},
	 PASS(PASS_NETFILTER), IN0_WITH(FWD_IF_NF_HOLD | FWD_IF_XFRM_HOLD)},
	{"ipv4_netfilter_and_xfrm_hold_ipv6_counts_xfrm", {FIB6_GW},
	 PASS(PASS_XFRM),
	 .iface = {IN6, FWD6 | FWD_IF_NF_HOLD | FWD_IF_XFRM_HOLD}},
};

/* ---- checksums left for offload (a veth's peer's stack) --------------- */

/*
 * The transport of @p: its start, length and protocol, and the
 * pseudo-header its checksum covers (RFC 768, RFC 8200 8.1) in @ph, whose
 * length it returns.
 */
static size_t l4_pseudo(struct pkt *p, uint8_t **l4, uint16_t *len,
			uint8_t *proto, uint8_t ph[40])
{
	if (pkt_eth(p)->h_proto == htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = pkt_ip6(p);
		uint32_t l;

		*l4 = (uint8_t *)(ip6 + 1);
		*len = ntohs(ip6->payload_len);
		*proto = ip6->nexthdr;
		l = htonl(*len);
		memcpy(ph, &ip6->saddr, 32);
		memcpy(ph + 32, &l, 4);
		memset(ph + 36, 0, 3);
		ph[39] = *proto;
		return 40;
	}
	struct iphdr *iph = pkt_ip(p);
	uint16_t l;

	*l4 = (uint8_t *)iph + 20;
	*len = (uint16_t)(ntohs(iph->tot_len) - 20);
	*proto = iph->protocol;
	l = htons(*len);
	memcpy(ph, &iph->saddr, 8);
	ph[8] = 0;
	ph[9] = *proto;
	memcpy(ph + 10, &l, 2);
	return 12;
}

/* Where TCP's and UDP's checksum is; SCTP's CRC32c is 4 bytes at 8. */
static size_t l4_check_at(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_SCTP ? 8 : 6;
}

/*
 * What a CHECKSUM_PARTIAL skb's bytes carry: the pseudo-header's sum, not
 * inverted, for the device to add the rest to; SCTP's CRC32c left 0.
 */
static void l4_csum_partial(struct pkt *p)
{
	uint8_t ph[40], *l4, proto;
	uint16_t len, c;
	size_t n = l4_pseudo(p, &l4, &len, &proto, ph);

	if (proto == IPPROTO_SCTP) {
		memset(l4 + 8, 0, 4);
		return;
	}
	c = (uint16_t)~pkt_csum(ph, n);
	memcpy(l4 + l4_check_at(proto), &c, 2);
}

/* The whole checksum, as a NIC or the stack computes it; any CRC32c. */
static void l4_csum_full(struct pkt *p)
{
	uint8_t ph[40], *l4, proto, buf[40 + PKT_MAX + 1];
	uint16_t len, c;
	size_t n = l4_pseudo(p, &l4, &len, &proto, ph);

	if (proto == IPPROTO_SCTP) {
		memcpy(l4 + 8, "\x5c\x0e\x8a\x31", 4);
		return;
	}
	memset(l4 + l4_check_at(proto), 0, 2);
	memcpy(buf, ph, n);
	memcpy(buf + n, l4, len);
	buf[n + len] = 0; /* an odd length's last byte, padded */
	c = pkt_csum(buf, n + len + 1);
	if (!c && proto == IPPROTO_UDP)
		c = 0xffff; /* 0 says "none" */
	memcpy(l4 + l4_check_at(proto), &c, 2);
}

/* IPv4 UDP without a checksum (0: none computed). */
static void l4_csum_none(struct pkt *p)
{
	memset((uint8_t *)pkt_ip(p) + 20 + 6, 0, 2);
}

/* in0 / in6 a veth: checksums left for offload go to the kernel */
#define VETH4 IN0_WITH(FWD_IF_PARTIAL_CSUM)
#define VETH6 .iface = {IN6, FWD6 | FWD_IF_PARTIAL_CSUM}
#define TCP .proto = IPPROTO_TCP
#define SCTP .proto = IPPROTO_SCTP

static const struct golden csum_rows[] = {
	{"partial_udp_csum_is_passed_on_table_path",
	 {TBL_HIT, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL), VETH4},
	{"partial_tcp_csum_is_passed_on_table_path",
	 {TBL_HIT, TCP, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL),
	 VETH4},
	{"partial_udp_csum_is_passed_on_fib_path",
	 {FIB_NEIGH, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL), VETH4},
	{"partial_sctp_crc_is_passed", {TBL_HIT, SCTP, .edit = l4_csum_partial},
	 PASS(PASS_CSUM_PARTIAL), VETH4},
	/* the pseudo-header's length is the total length's, not the frame's */
	{"partial_udp_csum_padded_frame_is_passed",
	 {TBL_HIT, .payload = 8, .len = 60, .edit = l4_csum_partial},
	 PASS(PASS_CSUM_PARTIAL), VETH4},
	{"full_udp_csum_is_forwarded", {TBL_HIT, .edit = l4_csum_full},
	 FWD(FWD_TABLE, TBL), VETH4},
	{"full_udp_csum_odd_length_is_forwarded",
	 {FIB_NEIGH, .payload = 33, .edit = l4_csum_full}, FWD(FWD_FIB, GW),
	 VETH4},
	{"full_tcp_csum_is_forwarded", {TBL_HIT, TCP, .edit = l4_csum_full},
	 FWD(FWD_TABLE, TBL), VETH4},
	{"full_sctp_crc_is_forwarded", {TBL_HIT, SCTP, .edit = l4_csum_full},
	 FWD(FWD_TABLE, TBL), VETH4},
	{"no_udp_csum_is_forwarded", {TBL_HIT, .edit = l4_csum_none},
	 FWD(FWD_TABLE, TBL), VETH4},
	/* the kernel completes a checksum before it fragments */
	{"partial_looking_first_fragment_is_forwarded",
	 {TBL_HIT, .frag_off = 0x2000, .edit = l4_csum_partial},
	 FWD(FWD_TABLE, TBL), VETH4},
	/* a NIC's frames come from the wire, complete: not looked at */
	{"partial_udp_csum_from_a_nic_is_forwarded",
	 {TBL_HIT, .edit = l4_csum_partial}, FWD(FWD_TABLE, TBL)},
	{"ipv6_partial_udp_csum_is_passed_on_fib_path",
	 {FIB6_GW, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL), VETH6},
	{"ipv6_partial_tcp_csum_is_passed_on_table_path",
	 {TBL6_HIT, TCP, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL),
	 VETH6},
	{"ipv6_partial_sctp_crc_is_passed",
	 {FIB6_GW, SCTP, .edit = l4_csum_partial}, PASS(PASS_CSUM_PARTIAL),
	 VETH6},
	{"ipv6_full_udp_csum_is_forwarded", {FIB6_GW, .edit = l4_csum_full},
	 FWD(FWD_FIB6, GW6), VETH6},
	{"ipv6_full_tcp_csum_is_forwarded_on_table_path",
	 {TBL6_HIT, TCP, .payload = 41, .edit = l4_csum_full},
	 FWD(FWD_TABLE6, TBL), VETH6},
	{"ipv6_partial_udp_csum_from_a_nic_is_forwarded",
	 {FIB6_GW, .edit = l4_csum_partial}, FWD(FWD_FIB6, GW6)},
};

/* ---- on the wire: live frames ---------------------------------------- */

static const struct golden wire_rows[] = {
	{"table_redirect_leaves_by_the_entry_egress_eg2",
	 {TBL_SMALL_MTU, .payload = 64}, FWD(FWD_TABLE, TBL), .wire = "eg2p",
	 .wire_other = "eg0p"},
	{"table_redirect_leaves_by_the_entry_egress_eg0",
	 {TBL_HIT, .payload = 64}, FWD(FWD_TABLE, TBL), .wire = "eg0p",
	 .wire_other = "eg2p"},
	/* padding, trimmed on the wire */
	{"fib_redirect_leaves_by_the_route_egress_eg2",
	 {FIB_SMALL_MTU, .payload = 64, .len = ETH_HLEN + 20 + 64 + 10},
	 FWD(FWD_FIB, EG2_NB), .wire = "eg2p", .wire_other = "eg0p"},
	{"fib_redirect_leaves_by_the_route_egress_eg0",
	 {FIB_VIA_GW, .payload = 64}, FWD(FWD_FIB, GW), .wire = "eg0p",
	 .wire_other = "eg2p"},
};

/* ---- multi-buffer frames (xdp.frags) ---------------------------------- */

/*
 * A JUMBO packet does not fit the page BPF_PROG_TEST_RUN puts the linear
 * part in: the program sees a multi-buffer frame, the headers in the
 * linear part, the rest in fragments. Lengths, the trim, the MTU and the
 * counters must use the whole frame.
 */
static const struct golden frags_rows[] = {
	{"frags_table_hit_is_forwarded_whole", {TBL_HIT, .payload = JUMBO - 20},
	 FWD(FWD_TABLE, TBL), .out_len = ETH_HLEN + JUMBO, MTU(EG0, 9000)},
	/* 1500 in eg0's entry: the linear part alone would be below it */
	{"frags_table_egress_mtu_counts_the_fragments",
	 {TBL_HIT, .payload = JUMBO - 20}, PASS(PASS_MTU)},
	{"frags_table_egress_mtu_exactly_full_is_forwarded",
	 {TBL_HIT, .payload = JUMBO - 20}, FWD(FWD_TABLE, TBL),
	 MTU(EG0, JUMBO)},
	{"frags_table_egress_mtu_exceeded_is_passed",
	 {TBL_HIT, .payload = JUMBO - 20 + 1}, PASS(PASS_MTU), MTU(EG0, JUMBO)},
	/* a 6000-byte packet in an 8014-byte frame: 2000 bytes of padding */
	{"frags_padding_in_the_fragments_is_trimmed",
	 {TBL_HIT, .payload = 6000 - 20, .len = ETH_HLEN + JUMBO,
	  .edit = pad_0xee_after_6000},
	 FWD(FWD_TABLE, TBL), .out_len = ETH_HLEN + 6000, MTU(EG0, 9000)},
	{"frags_padding_reaching_into_the_linear_part_is_trimmed",
	 {TBL_HIT, .payload = 1000 - 20, .len = ETH_HLEN + JUMBO},
	 FWD(FWD_TABLE, TBL), .out_len = ETH_HLEN + 1000, MTU(EG0, 9000)},
	{"frags_total_length_beyond_frame_is_passed",
	 {TBL_HIT, .payload = JUMBO - 20, .len = ETH_HLEN + JUMBO - 1},
	 PASS(PASS_BAD_HEADER), MTU(EG0, 9000)},
	/* eg0's device has MTU 9000, as the agent tells fwd_ifaces */
	{"frags_fib_path_forwards_whole", {FIB_NEIGH, .payload = JUMBO - 20},
	 FWD(FWD_FIB, GW), MTU(EG0, 9000)},
	{"frags_fib_path_mtu_exceeded_is_passed",
	 {FIB_NEIGH, .payload = 9000 - 20 + 1}, PASS(PASS_MTU),
	 MTU(EG0, 9000)},
	{"frags_fib_path_small_egress_mtu_is_passed",
	 {FIB_SMALL_MTU, .payload = JUMBO - 20}, PASS(PASS_MTU)},
};

/* ---- IPv6: the fib path ------------------------------------------------ */

/* @a as the destination, then as the source */
#define V6_NOT_UNICAST(a)                                               \
	{"ipv6_dst_" a "_is_passed", {a}, PASS(PASS6_NOT_UNICAST)},     \
	{"ipv6_src_" a "_is_passed", {FIB6_GW, .src = a},               \
	 PASS(PASS6_NOT_UNICAST)}
#define V6_EXT_HEADER(h)                                                \
	{"ipv6_next_header_" #h "_is_passed",                           \
	 {FIB6_GW, .proto = (h) ? (h) : ZERO}, PASS(PASS6_EXT_HEADER)}

/* eg6's IPv6 MTU below its device MTU 1500, for one row. */
#define MTU6(m) .iface = {EG6, FWD6, .mtu = 1500, .mtu6 = (m)}

static const struct golden ipv6_rows[] = {
	{"ipv6_fib_rewrites_macs_and_hop_limit", {FIB6_GW}, FWD(FWD_FIB6, GW6),
	 .check = spelled_out},
	{"ipv6_fib_hop_limit_2_leaves_with_1",
	 {FIB6_GW, .ttl = 2, .payload = 8}, FWD(FWD_FIB6, GW6)},
	/* the route MTU bound for IPv6 (mtu6): Packet Too Big is the
	 * kernel's */
	{"ipv6_fib_route_mtu_bound_exceeded_is_passed",
	 {FIB6_GW, .payload = 1280 - 40 + 1}, PASS(PASS6_MTU), MTU6(1280)},
	{"ipv6_fib_route_mtu_bound_full_is_forwarded",
	 {FIB6_GW, .payload = 1280 - 40}, FWD(FWD_FIB6, GW6), MTU6(1280)},
	{"ipv6_fib_without_the_bound_same_frame_is_forwarded",
	 {FIB6_GW, .payload = 1280 - 40 + 1}, FWD(FWD_FIB6, GW6)},
	/* Ethernet padding past the payload length */
	{"ipv6_padding_is_trimmed",
	 {FIB6_GW, .payload = 8, .len = ETH_HLEN + 40 + 8 + 6},
	 FWD(FWD_FIB6, GW6), .out_len = ETH_HLEN + 40 + 8},
	/* in0 is managed for IPv4 only: as before IPv6 was handled */
	{"ipv6_without_the_flag_is_the_kernels", {FIB6_GW, .dmac = mac_in0},
	 .ingress = IN0, PASS(PASS6_OFF)},
	{"ipv6_hop_limit_1_is_the_kernels", {FIB6_GW, .ttl = 1},
	 PASS(PASS6_HOP_LIMIT)},
	{"ipv6_hop_limit_0_is_the_kernels", {FIB6_GW, .ttl = ZERO},
	 PASS(PASS6_HOP_LIMIT)},
	V6_NOT_UNICAST("ff02::1"),
	V6_NOT_UNICAST("ff0e::1"),
	V6_NOT_UNICAST("fe80::1"),
	V6_NOT_UNICAST("febf::1"),
	V6_NOT_UNICAST("::1"),
	V6_NOT_UNICAST("::"),
	V6_NOT_UNICAST("::ffff:10.2.0.2"),
	V6_NOT_UNICAST("::10.2.0.2"),
	{"ipv6_version_4_is_the_kernels", {FIB6_GW, .version = 4},
	 PASS(PASS6_BAD_HEADER)},
	{"ipv6_payload_length_beyond_frame_is_the_kernels",
	 {FIB6_GW, .ip_len = 65}, PASS(PASS6_BAD_HEADER)},
	{"ipv6_shorter_than_its_header_is_the_kernels",
	 {FIB6_GW, .len = ETH_HLEN + 39}, PASS(PASS_TRUNCATED)},
	V6_EXT_HEADER(0),
	V6_EXT_HEADER(43),
	V6_EXT_HEADER(44),
	V6_EXT_HEADER(60),
	V6_EXT_HEADER(135),
	{"ipv6_icmp_time_exceeded_is_the_kernels", {FIB6_GW, .icmp = 3},
	 PASS(PASS6_ICMP_ERROR)},
	{"ipv6_icmp_echo_request_is_forwarded", {FIB6_GW, .icmp = 128},
	 FWD(FWD_FIB6, GW6)},
	/* a route whose gateway has no neighbour: the kernel resolves it */
	{"ipv6_fib_no_neighbour_is_the_kernels", {"2001:db8:a::5"},
	 PASS(PASS6_FIB_NO_NEIGH)},
	/* our own address, and no route at all (fib6_null_entry) */
	{"ipv6_fib_own_address_is_the_kernels", {"2001:db8:7::1"},
	 PASS(PASS6_FIB_NOT_FWDED)},
	{"ipv6_fib_no_route_is_the_kernels", {"2001:db8:99::5"},
	 PASS(PASS6_FIB_NOT_FWDED)},
	{"ipv6_fib_blackhole_is_the_kernels", {"2001:db8:c::5"},
	 PASS(PASS6_FIB_DROP)},
	/* beyond eg6's MTU: Packet Too Big is the kernel's; at it: ours */
	{"ipv6_fib_egress_mtu_exceeded_is_the_kernels",
	 {FIB6_GW, .payload = 1500 - 40 + 1}, PASS(PASS6_MTU)},
	{"ipv6_fib_egress_mtu_exactly_full_is_forwarded",
	 {FIB6_GW, .payload = 1500 - 40}, FWD(FWD_FIB6, GW6)},
	/* back out of the ingress: the kernel sends a redirect */
	{"ipv6_fib_hairpin_is_the_kernels", {"2001:db8:d::5"},
	 PASS(PASS_HAIRPIN)},
	/* an encapsulating route: the kernel's */
	{"ipv6_fib_lwt_encap_route_is_the_kernels", {"2001:db8:f::5"},
	 PASS(PASS6_FIB_OTHER)},
	{"ipv6_forwarding_off_on_the_ingress", {FIB6_GW},
	 PASS(PASS6_FIB_FWD_DISABLED), .before = in6_forwarding_off,
	 .after = in6_forwarding_on},
};

/* ---- IPv6: the table path -------------------------------------------- */

/* ICMPv6 @type to a table and to a fib address */
#define NDP(type)                                                       \
	{"ipv6_ndp_type_" #type "_to_table_address_is_the_kernels",     \
	 {TBL6_HIT, .ttl = 255, .icmp = (type)}, PASS(PASS6_NDP)},      \
	{"ipv6_ndp_type_" #type "_to_fib_address_is_the_kernels",       \
	 {FIB6_GW, .ttl = 255, .icmp = (type)}, PASS(PASS6_NDP)}
/* in6 without FWD_IF_FORWARDING6: all.forwarding 0 */
#define IN6_FWD_OFF .iface = {IN6, FWD6 & ~FWD_IF_FORWARDING6}

static const struct golden ipv6_table_rows[] = {
	{"ipv6_table_hit_rewrites_macs_and_hop_limit", {TBL6_HIT},
	 FWD(FWD_TABLE6, TBL), .check = spelled_out},
	/* padding trimmed on this path too */
	{"ipv6_table_hit_trims_padding",
	 {TBL6_HIT, .ttl = 2, .payload = 8, .len = ETH_HLEN + 40 + 8 + 10},
	 FWD(FWD_TABLE6, TBL), .out_len = ETH_HLEN + 40 + 8},
	{"ipv6_table_entry_beats_fib", {TBL6_UNDER_FIB}, FWD(FWD_TABLE6, TBL)},
	/* its neighbour under the same route goes by the fib */
	{"ipv6_fib_neighbour_of_table_entry", {"2001:db8:9::8"},
	 FWD(FWD_FIB6, GW6)},
	/*
	 * all.forwarding 0 (and no force_forwarding): ip6_forward() refuses
	 * even where conf.<if>.forwarding is 1, which bpf_fib_lookup() alone
	 * would accept. Learned entries and the fib path stop; overrides go
	 * on.
	 */
	{"ipv6_forwarding_off_stops_learned_entries", {TBL6_HIT},
	 PASS(PASS6_FWD_OFF), IN6_FWD_OFF},
	{"ipv6_forwarding_off_stops_the_fib", {FIB6_GW}, PASS(PASS6_FWD_OFF),
	 IN6_FWD_OFF},
	{"ipv6_forwarding_off_lets_overrides_go", {TBL6_OVERRIDE},
	 FWD(FWD_TABLE6, TBL), IN6_FWD_OFF},
	/* eg0 is managed, IPv6 off: not an IPv6 egress */
	{"ipv6_table_egress_without_ipv6_is_passed", {TBL6_V4_ONLY},
	 PASS(PASS_EGRESS)},
	{"ipv6_table_hairpin_is_passed", {TBL6_HAIRPIN}, PASS(PASS_HAIRPIN)},
	{"ipv6_table_egress_mtu6_exceeded_is_passed",
	 {TBL6_HIT, .payload = 1400 - 40 + 1}, PASS(PASS6_MTU), MTU6(1400)},
	{"ipv6_table_egress_mtu6_exactly_full_is_forwarded",
	 {TBL6_HIT, .payload = 1400 - 40}, FWD(FWD_TABLE6, TBL), MTU6(1400)},
	{"ipv6_table_never_reaches_multicast", {"ff02::1"},
	 PASS(PASS6_NOT_UNICAST)},
	{"ipv6_table_never_reaches_link_local", {"fe80::1"},
	 PASS(PASS6_NOT_UNICAST)},
	{"ipv6_table_hop_limit_1_is_the_kernels", {TBL6_HIT, .ttl = 1},
	 PASS(PASS6_HOP_LIMIT)},
	/* unicast RS, RA, NS, NA, redirect */
	NDP(133),
	NDP(134),
	NDP(135),
	NDP(136),
	NDP(137),
	/* the types around them are not NDP */
	{"ipv6_icmp_type_138_is_forwarded", {TBL6_HIT, .icmp = 138},
	 FWD(FWD_TABLE6, TBL)},
	/* an ICMPv6 error to a host entry: no ECMP to mind, forwarded */
	{"ipv6_icmp_error_to_table_entry_is_forwarded", {TBL6_HIT, .icmp = 1},
	 FWD(FWD_TABLE6, TBL)},
};

/* ---- per-interface counters (fwd_ifstats) ------------------------------ */

/*
 * Each path counts on the right slots: the outcome on the ingress's rx,
 * the redirect on the egress the table or the fib named (expect() checks
 * every other counter of the map stayed still). The slot comes from the
 * interface's fwd_ifaces entry: moved, its packets count there, and the
 * old slot no longer moves.
 */
static const struct golden ifstats_rows[] = {
	{"ifstats_table_counts_tx_on_the_entry_egress", {TBL_HIT},
	 FWD(FWD_TABLE, TBL), .egress = EG0},
	{"ifstats_table6_counts_tx_on_the_entry_egress", {TBL6_HIT},
	 FWD(FWD_TABLE6, TBL), .egress = EG6},
	{"ifstats_fib_counts_tx_on_the_route_egress_eg0", {FIB_NEIGH},
	 FWD(FWD_FIB, GW), .egress = EG0},
	{"ifstats_fib_counts_tx_on_the_route_egress_eg2",
	 {FIB_SMALL_MTU, .payload = 64}, FWD(FWD_FIB, EG2_NB), .egress = EG2},
	{"ifstats_fib6_counts_tx_on_the_route_egress", {FIB6_GW},
	 FWD(FWD_FIB6, GW6), .egress = EG6},
	/* a pass is the ingress's, by reason; no egress counts it */
	{"ifstats_pass_ttl_counts_on_the_ingress", {TBL_HIT, .ttl = 1},
	 PASS(PASS_TTL)},
	{"ifstats_pass_mtu_counts_on_the_ingress",
	 {TBL_SMALL_MTU, .payload = EG2_MTU}, PASS(PASS_MTU)},
	{"ifstats_pass_no_route_counts_on_the_ingress", {FIB_NO_ROUTE},
	 PASS(PASS_FIB_NOT_FWDED)},
	{"ifstats_follow_the_slot_in_fwd_ifaces", {TBL_HIT},
	 FWD(FWD_TABLE, TBL), .egress = EG0, .iface = {IN0, FWD4, .slot = 7}},
};

/* clang-format on */

/* ---- special cases: not one frame, or not one answer -------------------- */

/*
 * BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header with
 * -EINVAL before the program runs (bpf_test_init()), so lengths 0..13 can
 * only be checked for that, and for no counter moving; a driver never
 * hands XDP such a frame.
 */
static void test_frames_below_ethernet_header_refused_by_test_run(void **state)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	static struct pkt in, out;
	__u32 retval;

	(void)state;
	REQUIRE_ENV();
	frame_build(&in, &(struct frame){TBL_HIT});
	counters_read(before);
	for (size_t len = 0; len < ETH_HLEN; len++) {
		in.len = len;
		assert_int_equal(run(&in, env.ifindex[IN0], &out, &retval),
				 -EINVAL);
	}
	counters_read(after);
	assert_memory_equal(before, after, sizeof(before));
}

/*
 * On an ECMP route the program must leave by the next hop the kernel would
 * pick. Policy 0 hashes addresses (vary the source), policy 1 adds the
 * ports (vary the source port); each flow's choice is checked against the
 * kernel's, and both next hops must turn up or the test proves nothing.
 */
static void ecmp_check(int policy)
{
	char cmd[96], dev[IF_NAMESIZE], src[16];
	int seen_eg0 = 0, seen_eg2 = 0;

	snprintf(cmd, sizeof(cmd),
		 "sysctl -qw net.ipv4.fib_multipath_hash_policy=%d", policy);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 32; i++) {
		uint16_t sport = policy ? 1000 + 7 * i : 4242;
		struct golden g = {
			"ecmp",
			{FIB_ECMP, .src = src, .sport = sport, .dport = 80},
			FWD(FWD_FIB, GW)};

		snprintf(src, sizeof(src), "10.1.0.%d", policy ? 2 : 10 + i);
		kernel_route_dev(src, FIB_ECMP, sport, 80, dev);
		if (!strcmp(dev, "eg0"))
			seen_eg0++;
		else if (!strcmp(dev, "eg2"))
			g.hop = EG2_NB, seen_eg2++;
		else
			fail_msg("kernel routes %s out of %s", FIB_ECMP, dev);
		row_run(&g);
	}
	assert_int_equal(system("sysctl -qw "
				"net.ipv4.fib_multipath_hash_policy=0"),
			 0);
	if (!seen_eg0 || !seen_eg2)
		fail_msg("policy %d: 32 flows all took one path (%d/%d)",
			 policy, seen_eg0, seen_eg2);
}

static void test_fib_ecmp_l3_hash_picks_kernel_next_hop(void **state)
{
	(void)state;
	REQUIRE_ENV();
	ecmp_check(0);
}

static void test_fib_ecmp_l4_hash_picks_kernel_next_hop(void **state)
{
	(void)state;
	REQUIRE_ENV();
	ecmp_check(1);
}

/* RTA_FLOWLABEL (Linux 6.12), which older uapi headers lack. */
#define RTA_FLOWLABEL_ (RTA_NH_ID + 1)

/* Appends rtattr @type of @len bytes to the request @h. */
static void nl_put(struct nlmsghdr *h, uint16_t type, const void *v,
		   uint16_t len)
{
	struct rtattr *a = (void *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), v, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/*
 * The next hop the kernel's input routing picks for an IPv6 UDP flow
 * arriving on in6: RTM_GETROUTE with RTA_IIF runs ip6_route_input_lookup()
 * on the flow, flow label included (RTA_FLOWLABEL, which `ip route get`
 * cannot pass). Its RTA_GATEWAY, as text, into @via.
 */
static void kernel_route6_via(const char *saddr, const char *daddr,
			      uint16_t sport, uint16_t dport, uint32_t label,
			      char via[64])
{
	union {
		struct nlmsghdr h;
		char b[4096];
	} m = {};
	struct rtmsg *rtm = NLMSG_DATA(&m.h);
	uint8_t a[16], proto = IPPROTO_UDP;
	uint16_t sp = htons(sport), dp = htons(dport);
	uint32_t iif = env.ifindex[IN6], fl = htonl(label);
	struct rtattr *rta;
	int fd, n, len;

	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	m.h.nlmsg_type = RTM_GETROUTE;
	m.h.nlmsg_flags = NLM_F_REQUEST;
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = rtm->rtm_src_len = 128;
	inet_pton(AF_INET6, daddr, a);
	nl_put(&m.h, RTA_DST, a, 16);
	inet_pton(AF_INET6, saddr, a);
	nl_put(&m.h, RTA_SRC, a, 16);
	nl_put(&m.h, RTA_IIF, &iif, 4);
	nl_put(&m.h, RTA_IP_PROTO, &proto, 1);
	nl_put(&m.h, RTA_SPORT, &sp, 2);
	nl_put(&m.h, RTA_DPORT, &dp, 2);
	nl_put(&m.h, RTA_FLOWLABEL_, &fl, 4);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, &m, m.h.nlmsg_len, 0),
			 (ssize_t)m.h.nlmsg_len);
	n = (int)recv(fd, &m, sizeof(m), 0);
	close(fd);
	if (n <= 0 || !NLMSG_OK(&m.h, n) || m.h.nlmsg_type != RTM_NEWROUTE)
		fail_msg("RTM_GETROUTE %s from %s: no route (type %u)", daddr,
			 saddr, n > 0 ? m.h.nlmsg_type : 0);
	len = RTM_PAYLOAD(&m.h);
	for (rta = RTM_RTA(rtm); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == RTA_GATEWAY &&
		    inet_ntop(AF_INET6, RTA_DATA(rta), via, 64))
			return;
	fail_msg("RTM_GETROUTE %s: no gateway", daddr);
}

/*
 * IPv6 ECMP: the program leaves by the next hop the kernel would pick,
 * flow by flow. Policy 0 hashes addresses, flow label and next header
 * (vary the source, then the flow label alone), policy 1 the five-tuple
 * (vary the source port); policy 2, without encapsulation, is policy 0.
 * Both paths must turn up, or the check proves nothing.
 */
static void ecmp6_check(int policy)
{
	int seen2 = 0, seen4 = 0, label2 = 0, label4 = 0;
	char cmd[96], via[64], src[64];

	snprintf(cmd, sizeof(cmd),
		 "sysctl -qw net.ipv6.fib_multipath_hash_policy=%d", policy);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 64; i++) {
		uint16_t sport = policy == 1 ? 1000 + 7 * i : 4242;
		/* policy 0: the second half varies the flow label only */
		int label = policy == 1 || i < 32 ? 0 : 0x1000 + 77 * i;
		struct golden g = {"ecmp6",
				   {FIB6_ECMP, .src = src,
				    .label = label ? label : ZERO,
				    .sport = sport, .dport = 80},
				   FWD(FWD_FIB6, GW6)};

		snprintf(src, sizeof(src), "2001:db8:7::%x",
			 policy == 1 || i >= 32 ? 2 : 0x10 + i);
		kernel_route6_via(src, FIB6_ECMP, sport, 80, (uint32_t)label,
				  via);
		if (!strcmp(via, "2001:db8:8::2")) {
			seen2++;
			label2 += label != 0;
		} else if (!strcmp(via, "2001:db8:8::4")) {
			g.hop = NH4_6;
			seen4++;
			label4 += label != 0;
		} else {
			fail_msg("kernel routes %s via %s", FIB6_ECMP, via);
		}
		row_run(&g);
	}
	assert_int_equal(system("sysctl -qw "
				"net.ipv6.fib_multipath_hash_policy=0"),
			 0);
	if (!seen2 || !seen4)
		fail_msg("policy %d: 64 flows all took one path (%d/%d)",
			 policy, seen2, seen4);
	if (policy != 1 && (!label2 || !label4))
		fail_msg(
			"policy %d: the flow label alone moved no flow (%d/%d)",
			policy, label2, label4);
}

static void test_ipv6_fib_ecmp_picks_the_kernels_next_hop(void **state)
{
	(void)state;
	REQUIRE_ENV();
	ecmp6_check(0);
	ecmp6_check(1);
	ecmp6_check(2);
}

/*
 * The report channel: a destination the fib path forwards is reported
 * (its address, the egress), once a second per CPU and within the rate;
 * nothing for a table hit, a destination the fib path passes, or while
 * the agent reads none (rate 0).
 */
#define DEMAND .before = demand_on, .after = demand_off
/* clang-format off */
static const struct golden report_rows[] = {
	{"report_fib_forwarded_destination", {"10.9.1.1"}, FWD(FWD_FIB, GW),
	 DEMAND, .report = REP_SENT},
	{"report_fib6_forwarded_destination", {FIB6_GW}, FWD(FWD_FIB6, GW6),
	 DEMAND, .report = REP_SENT},
	{"report_once_a_second_per_cpu", {"10.9.1.2"}, FWD(FWD_FIB, GW),
	 .before = demand_seen, .after = demand_off, .report = REP_DUP},
	{"report_held_back_over_the_rate", {"10.9.1.3"}, FWD(FWD_FIB, GW),
	 .before = demand_spent, .after = demand_off, .report = REP_LIMITED},
	{"report_none_for_a_table_hit", {TBL_HIT}, FWD(FWD_TABLE, TBL), DEMAND,
	 .report = REP_NONE},
	{"report_none_for_a_fib_pass", {FIB_NO_NEIGH}, PASS(PASS_FIB_NO_NEIGH),
	 DEMAND, .report = REP_NONE},
	{"report_none_for_an_own_source", {"10.9.1.5", .src = EG0_ADDR},
	 PASS(PASS_OWN_SOURCE), .local = EG0_ADDR, DEMAND, .report = REP_NONE},
	{"report_none_while_nobody_reads", {"10.9.1.6"}, FWD(FWD_FIB, GW),
	 .report = REP_NONE},
};
/* clang-format on */

/* ---- main ------------------------------------------------------------ */

#define TABLE(t)                 \
	{                        \
		t, ARRAY_SIZE(t) \
	}

static const struct {
	const struct golden *rows;
	size_t n;
} tables[] = {
	TABLE(table_rows),	TABLE(header_rows),  TABLE(eth_rows),
	TABLE(addr_rows),	TABLE(fib_rows),     TABLE(policy_rows),
	TABLE(wire_rows),	TABLE(frags_rows),   TABLE(ipv6_rows),
	TABLE(ipv6_table_rows), TABLE(ifstats_rows), TABLE(report_rows),
	TABLE(csum_rows),
};

static const struct CMUnitTest specials[] = {
	cmocka_unit_test(test_frames_below_ethernet_header_refused_by_test_run),
	cmocka_unit_test(test_fib_ecmp_l3_hash_picks_kernel_next_hop),
	cmocka_unit_test(test_fib_ecmp_l4_hash_picks_kernel_next_hop),
	cmocka_unit_test(test_ipv6_fib_ecmp_picks_the_kernels_next_hop),
};

int main(void)
{
	struct CMUnitTest *tests;
	size_t n = 0, total = ARRAY_SIZE(specials);
	int rc;

	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		total += tables[t].n;
	tests = calloc(total, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (size_t r = 0; r < tables[t].n; r++) {
			const struct golden *g = &tables[t].rows[r];

			/* a failure names its row: no two rows share one */
			for (size_t k = 0; k < n; k++)
				if (!strcmp(tests[k].name, g->name)) {
					fprintf(stderr, "two rows named %s\n",
						g->name);
					free(tests);
					return 1;
				}
			tests[n++] = (struct CMUnitTest){
				.name = g->name,
				.test_func = row_test,
				.teardown_func = row_undo,
				.initial_state = (void *)g,
			};
		}
	}
	for (size_t s = 0; s < ARRAY_SIZE(specials); s++)
		tests[n++] = specials[s];
	rc = _cmocka_run_group_tests("xdp_handle_fwd", tests, n, setup_env,
				     teardown_env);
	free(tests);
	return rc;
}
