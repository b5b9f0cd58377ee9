// SPDX-License-Identifier: GPL-2.0
/*
 * test_xdp.c - golden-packet tests of xdp_handle_fwd through
 * BPF_PROG_TEST_RUN.
 *
 * Each case feeds one frame to the loaded program and checks three things:
 * the verdict, the frame it leaves behind (byte for byte against a frame the
 * test builds on its own, checksum from a full one's-complement sum), and
 * that exactly one fwd_stats counter grew, by one packet and by the bytes of
 * that frame; in fwd_ifstats the same outcome grew on the ingress's slot
 * (a managed ingress only) and, for a redirect, the tx counter of one
 * egress slot, and nothing else moved. A case that expects XDP_PASS uses a frame that would otherwise
 * be forwarded, so the one property under test is what sends it to the
 * kernel.
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

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* The sender on in0 and the addresses every frame starts from. */
static const uint8_t mac_client[ETH_ALEN] = {2, 0, 0, 0, 1, 2};
#define CLIENT_IP IP4(10, 1, 0, 2)

/* MACs set on the interfaces at setup (and read back from the kernel). */
static const uint8_t mac_in0[ETH_ALEN] = {2, 0, 0, 0, 1, 1};
static const uint8_t mac_in1[ETH_ALEN] = {2, 0, 0, 0, 6, 1};
static const uint8_t mac_in6[ETH_ALEN] = {2, 0, 0, 0, 7, 1};
static const uint8_t mac_client6[ETH_ALEN] = {2, 0, 0, 0, 7, 2};
static const uint8_t mac_gw6[ETH_ALEN] = {2, 0, 0, 0, 8, 2};
/* IPv6 on, forwarded as the kernel would (all.forwarding 1) */
#define FWD6                                                            \
	(FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP | FWD_IF_IPV6 | \
	 FWD_IF_FORWARDING6)
#define TBL6_HIT "2001:db8:5::1"
#define TBL6_UNDER_FIB "2001:db8:9::7"
#define TBL6_OVERRIDE "2001:db8:5::2"
#define TBL6_V4_ONLY "2001:db8:5::3" /* out of eg0: IPv6 is off there */
#define TBL6_HAIRPIN "2001:db8:5::4" /* back out of in6 */
static const uint8_t mac_eg2_in[ETH_ALEN] = {2, 0, 0, 0, 4, 1};
/* Neighbours the test installs on the egress side. */
static const uint8_t mac_gw[ETH_ALEN] = {2, 0, 0, 0, 2, 2};
static const uint8_t mac_stale[ETH_ALEN] = {2, 0, 0, 0, 2, 4};
static const uint8_t mac_eg1_nb[ETH_ALEN] = {2, 0, 0, 0, 3, 2};
static const uint8_t mac_eg2_nb[ETH_ALEN] = {2, 0, 0, 0, 4, 2};
/* Next hop MACs that only hfwd knows: they prove the table was used. */
static const uint8_t mac_tbl[ETH_ALEN] = {2, 0, 0, 0, 5, 1};
static const uint8_t mac_tbl_src[ETH_ALEN] = {2, 0, 0, 0, 5, 0xaa};

/* hfwd destinations */
#define TBL_HIT IP4(10, 5, 0, 1)       /* learned, out eg0 */
#define TBL_UNMANAGED IP4(10, 5, 0, 3) /* out eg1, not in fwd_ports */
#define TBL_SMALL_MTU IP4(10, 5, 0, 4) /* out eg2, MTU 600 */
#define TBL_HAIRPIN IP4(10, 5, 0, 5)   /* out in0, the ingress */
#define TBL_OVERRIDE IP4(10, 5, 0, 7)  /* out eg0, marked in fwd_ovr */
#define TBL_LEARNED IP4(10, 5, 0, 8)   /* out eg0, learned */
#define TBL_NO_DEV IP4(10, 5, 0, 9)    /* out an ifindex that is no device */
#define NO_DEV_IFINDEX 9999

/* Destinations only the kernel's tables know (the fib path). */
#define FIB_NEIGH IP4(10, 2, 0, 2)	  /* eg0, PERMANENT neighbour */
#define FIB_FAILED IP4(10, 2, 0, 3)	  /* eg0, FAILED neighbour */
#define FIB_STALE IP4(10, 2, 0, 4)	  /* eg0, STALE neighbour */
#define FIB_NO_NEIGH IP4(10, 2, 0, 7)	  /* eg0, no neighbour at all */
#define FIB_VIA_GW IP4(10, 9, 1, 1)	  /* 10.9/16 via 10.2.0.2 */
#define FIB_LOCAL IP4(10, 2, 0, 1)	  /* eg0's own address */
#define FIB_NO_ROUTE IP4(10, 99, 0, 1)	  /* nothing routes 10.99/16 */
#define FIB_BLACKHOLE IP4(10, 97, 0, 1)	  /* blackhole 10.97/16 */
#define FIB_UNREACHABLE IP4(10, 98, 0, 1) /* unreachable 10.98/16 */
#define FIB_PROHIBIT IP4(10, 96, 0, 1)	  /* prohibit 10.96/16 */
#define FIB_UNMANAGED IP4(10, 3, 0, 2)	  /* eg1, not in fwd_ports */
#define FIB_SMALL_MTU IP4(10, 4, 0, 2)	  /* eg2, MTU 600 */
#define FIB_HAIRPIN IP4(10, 1, 0, 3)	  /* back out of in0 */
#define FIB_ROUTE_MTU IP4(10, 8, 0, 1)	/* 10.8/16 via 10.2.0.2, mtu lock 500 */
#define FIB_PORT_RULE IP4(10, 11, 0, 1) /* eg0; UDP dport 7777: eg2 */
#define RULE_DPORT 7777
#define FIB_LWT IP4(10, 12, 0, 1) /* 10.12/16 encap ip id 100 */
#define EG2_MTU 600
#define ROUTE_MTU 500

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

static struct {
	struct fwd_bpf *skel;
	int prog_fd, stats_fd, ifstats_fd;
	int ncpus;
	const char *skip_reason; /* no root: every case skips with this */
	char fail_reason[256];	 /* root, but setup broke: every case fails */
	int in0, in1, eg0, eg1, eg2, lo, in6, eg6;
	uint8_t eg6_mac[ETH_ALEN];
	uint8_t eg0_mac[ETH_ALEN]; /* read back from the kernel */
	uint8_t eg2_mac[ETH_ALEN];
	unsigned int frames; /* golden frames checked, for the log */
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

/*
 * The fwd_ifstats slot the tests give @ifindex: not the ifindex itself,
 * so a program that counted by ifindex would be caught.
 */
#define SLOT(ifindex) (200 - (__u32)(ifindex))

static int iface_put(int ifindex, const uint8_t mac[ETH_ALEN], __u16 flags,
		     __u32 mtu)
{
	struct fwd_iface v = {
		.flags = flags, .mtu = mtu, .mtu6 = mtu, .slot = SLOT(ifindex)};
	__u32 key = ifindex;

	memcpy(v.mac, mac, ETH_ALEN);
	return map_put(env.skel->maps.fwd_ifaces, &key, &v);
}

static int port_put(int ifindex)
{
	__u32 key = ifindex, val = ifindex;

	return map_put(env.skel->maps.fwd_ports, &key, &val);
}

static int route_put(uint32_t dst, int ifindex, const uint8_t smac[ETH_ALEN],
		     const uint8_t dmac[ETH_ALEN], int override)
{
	struct fwd_entry e = {.ifindex = ifindex};
	struct fwd_ovr o = {.set = 1};
	__be32 key = htonl(dst);
	int err;

	memcpy(e.smac, smac, ETH_ALEN);
	memcpy(e.dmac, dmac, ETH_ALEN);
	err = map_put(env.skel->maps.hfwd, &key, &e);
	if (!err && override)
		err = map_put(env.skel->maps.fwd_ovr, &key, &o);
	return err;
}

/* hfwd6 (and fwd_ovr6 if @override): @dst, as text, out of @ifindex. */
static int route6_put(const char *dst, int ifindex,
		      const uint8_t smac[ETH_ALEN],
		      const uint8_t dmac[ETH_ALEN], int override)
{
	struct fwd_entry e = {.ifindex = ifindex};
	struct fwd_ovr o = {.set = 1};
	struct in6_addr key;
	int err;

	if (inet_pton(AF_INET6, dst, &key) != 1)
		return -EINVAL;
	memcpy(e.smac, smac, ETH_ALEN);
	memcpy(e.dmac, dmac, ETH_ALEN);
	err = map_put(env.skel->maps.hfwd6, &key, &e);
	if (!err && override)
		err = map_put(env.skel->maps.fwd_ovr6, &key, &o);
	return err;
}

static int setup_net(void)
{
	int err;

	for (size_t i = 0; i < sizeof(net_setup) / sizeof(net_setup[0]); i++) {
		err = system(net_setup[i]);
		if (err) {
			setup_fail("'%s' exited with status %d", net_setup[i],
				   err);
			return -EIO;
		}
	}
	env.in0 = if_nametoindex("in0");
	env.in1 = if_nametoindex("in1");
	env.eg0 = if_nametoindex("eg0");
	env.eg1 = if_nametoindex("eg1");
	env.eg2 = if_nametoindex("eg2");
	env.lo = if_nametoindex("lo");
	env.in6 = if_nametoindex("in6");
	env.eg6 = if_nametoindex("eg6");
	if (!env.in0 || !env.in1 || !env.eg0 || !env.eg1 || !env.eg2 ||
	    !env.lo) {
		setup_fail("an interface created at setup has no ifindex");
		return -ENODEV;
	}
	if (read_mac("eg0", env.eg0_mac) || read_mac("eg2", env.eg2_mac) ||
	    read_mac("eg6", env.eg6_mac)) {
		setup_fail("cannot read egress MACs: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static int setup_maps(void)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;
	static const uint8_t lo_mac[ETH_ALEN];
	int err = 0;

	err |= iface_put(env.in0, mac_in0, fwd, 1500);
	err |= iface_put(env.in1, mac_in1, FWD_IF_MANAGED | FWD_IF_UP, 1500);
	err |= iface_put(env.eg0, env.eg0_mac, fwd, 1500);
	err |= iface_put(env.eg2, env.eg2_mac, fwd, EG2_MTU);
	err |= iface_put(env.lo, lo_mac, FWD_IF_FORWARDING | FWD_IF_UP, 65536);
	err |= port_put(env.in0);
	err |= port_put(env.in1);
	err |= port_put(env.eg0);
	err |= port_put(env.eg2);
	err |= iface_put(env.in6, mac_in6, FWD6, 1500);
	err |= iface_put(env.eg6, env.eg6_mac, FWD6, 1500);
	err |= port_put(env.in6);
	err |= port_put(env.eg6);
	/* IPv6 table entries; the egress is eg6 unless said */
	err |= route6_put(TBL6_HIT, env.eg6, mac_tbl_src, mac_tbl, 0);
	/* under 2001:db8:9::/64, whose fib answer has other MACs */
	err |= route6_put(TBL6_UNDER_FIB, env.eg6, mac_tbl_src, mac_tbl, 0);
	err |= route6_put(TBL6_OVERRIDE, env.eg6, mac_tbl_src, mac_tbl, 1);
	err |= route6_put(TBL6_V4_ONLY, env.eg0, mac_tbl_src, mac_tbl, 0);
	err |= route6_put(TBL6_HAIRPIN, env.in6, mac_tbl_src, mac_tbl, 0);
	err |= route6_put("ff02::1", env.eg6, mac_tbl_src, mac_tbl, 1);
	err |= route6_put("fe80::1", env.eg6, mac_tbl_src, mac_tbl, 1);

	err |= route_put(TBL_HIT, env.eg0, mac_tbl_src, mac_tbl, 0);
	err |= route_put(TBL_UNMANAGED, env.eg1, mac_tbl_src, mac_tbl, 0);
	err |= route_put(TBL_SMALL_MTU, env.eg2, mac_tbl_src, mac_tbl, 0);
	err |= route_put(TBL_HAIRPIN, env.in0, mac_tbl_src, mac_tbl, 0);
	err |= route_put(TBL_OVERRIDE, env.eg0, mac_tbl_src, mac_tbl, 1);
	err |= route_put(TBL_LEARNED, env.eg0, mac_tbl_src, mac_tbl, 0);
	err |= route_put(TBL_NO_DEV, NO_DEV_IFINDEX, mac_tbl_src, mac_tbl, 0);
	/* Entries the unicast checks must never let the program reach. */
	err |= route_put(IP4(224, 0, 0, 5), env.eg0, mac_tbl_src, mac_tbl, 1);
	err |= route_put(IP4(255, 255, 255, 255), env.eg0, mac_tbl_src, mac_tbl,
			 1);
	err |= route_put(IP4(127, 0, 0, 1), env.eg0, mac_tbl_src, mac_tbl, 1);
	err |= route_put(0, env.eg0, mac_tbl_src, mac_tbl, 1);
	if (err) {
		setup_fail("cannot fill the maps");
		return -EIO;
	}
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

/* @ifindex's fwd_ifaces entry is managed: its packets have a slot. */
static int iface_managed(int ifindex)
{
	struct fwd_iface v;
	__u32 key = ifindex;

	if (bpf_map__lookup_elem(env.skel->maps.fwd_ifaces, &key, sizeof(key),
				 &v, sizeof(v), 0))
		return 0;
	return !!(v.flags & FWD_IF_MANAGED);
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
	long rx = iface_managed(ifindex)
			  ? (long)FWD_IFSTAT(SLOT(ifindex), which)
			  : -1;
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
			 slot != (long)SLOT(ifindex))
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
 * The golden check: @in on @ifindex gives @verdict and leaves @want; the
 * counter @which grows by one packet and by the bytes of @want, and no
 * other counter moves; the same in fwd_ifstats for the ingress, and for a
 * redirect the tx of @egress (0: of some egress but the ingress).
 */
static void expect_via(const struct pkt *in, int ifindex, __u32 verdict,
		       const struct pkt *want, enum fwd_counter which,
		       int egress)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	struct fwd_count *if_before, *if_after;
	struct pkt *out = malloc(sizeof(*out));
	__u32 retval = ~0U;

	assert_non_null(out);
	counters_read(before);
	if_before = ifstats_read();
	assert_int_equal(run(in, ifindex, out, &retval), 0);
	counters_read(after);
	if_after = ifstats_read();
	if (retval != verdict)
		fail_msg("verdict %u, want %u (counter %s)", retval, verdict,
			 fwd_counter_names[which]);
	assert_frame_equal(want, out);
	for (int k = 0; k < FWD_CNT_MAX; k++) {
		__u64 dp = after[k].packets - before[k].packets;
		__u64 db = after[k].bytes - before[k].bytes;

		if (dp != (k == (int)which))
			fail_msg("counter %s grew by %llu packets, want %d",
				 fwd_counter_names[k], (unsigned long long)dp,
				 k == (int)which);
		if (db != (k == (int)which ? want->len : 0))
			fail_msg("counter %s grew by %llu bytes",
				 fwd_counter_names[k], (unsigned long long)db);
	}
	ifstats_expect(if_before, if_after, ifindex, which, want->len,
		       verdict != XDP_REDIRECT ? -1
		       : egress		       ? (long)SLOT(egress)
					       : -2);
	free(if_before);
	free(if_after);
	free(out);
	env.frames++;
}

static void expect(const struct pkt *in, int ifindex, __u32 verdict,
		   const struct pkt *want, enum fwd_counter which)
{
	expect_via(in, ifindex, verdict, want, which, 0);
}

static void expect_pass(const struct pkt *in, int ifindex,
			enum fwd_counter which)
{
	expect(in, ifindex, XDP_PASS, in, which);
}

/* A frame from the client on in0 to @daddr, @payload bytes after IPv4. */
static struct pkt *frame(uint32_t daddr, uint8_t ttl, size_t payload)
{
	static struct pkt p;

	pkt_ipv4(&p, mac_in0, mac_client, CLIENT_IP, daddr, ttl, payload);
	return &p;
}

/* ---- table path ---------------------------------------------------- */

static void test_table_hit_rewrites_macs_ttl_and_checksum(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	/* Spell out what pkt_forwarded() promises, independent of it. */
	assert_memory_equal(want.b, mac_tbl, ETH_ALEN);
	assert_memory_equal(want.b + 6, mac_tbl_src, ETH_ALEN);
	assert_int_equal(pkt_ip(&want)->ttl, 63);
	assert_int_equal(pkt_csum(pkt_ip(&want), 20), 0);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

static void test_table_hit_ttl_255_becomes_254(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 255, 64);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	assert_int_equal(pkt_ip(&want)->ttl, 254);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

static void test_table_hit_ttl_2_leaves_with_ttl_1(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 2, 8);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

/*
 * The TTL decrement adds 0x0100 to the checksum with an end-around carry;
 * these inputs sit where the sum wraps or lands next to 0x0000/0xffff.
 * Each output is checked against the literal value and against a full
 * recomputation (the two agree: RFC 1624 never yields 0xffff here, and
 * neither does RFC 1071).
 */
static void test_checksum_wrap_cases(void **state)
{
	static const struct {
		uint16_t in, out;
	} cases[] = {
		{0x0000, 0x0100}, {0xffff, 0x0100}, {0xfeff, 0x0000},
		{0xff00, 0x0001}, {0xfffe, 0x00ff}, {0xfefe, 0xfffe},
		{0x00ff, 0x01ff}, {0x0001, 0x0101},
	};
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in = frame(TBL_HIT, 64, 16);
		assert_int_equal(pkt_ip_force_csum(in, cases[i].in), 0);
		pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
		if (ntohs(pkt_ip(&want)->check) != cases[i].out)
			fail_msg("case 0x%04x: recomputed 0x%04x, table says "
				 "0x%04x",
				 cases[i].in, ntohs(pkt_ip(&want)->check),
				 cases[i].out);
		expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	}
}

static void test_table_forward_trims_ethernet_padding(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* 14 + 20 + 8 = 42 bytes, padded to the 60-byte Ethernet minimum. */
	in = frame(TBL_HIT, 64, 8);
	in->len = 60;
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	assert_int_equal(want.len, 42);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

static void test_table_entry_beats_fib(void **state)
{
	static const uint8_t other[ETH_ALEN] = {2, 0, 0, 0, 0xee, 0xee};
	struct pkt want, *in;
	__be32 key = htonl(FIB_NEIGH);

	(void)state;
	REQUIRE_ENV();
	assert_int_equal(route_put(FIB_NEIGH, env.eg0, env.eg0_mac, other, 0),
			 0);
	in = frame(FIB_NEIGH, 64, 32);
	pkt_forwarded(&want, in, other, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	assert_int_equal(
		bpf_map__delete_elem(env.skel->maps.hfwd, &key, sizeof(key), 0),
		0);
}

static void test_table_egress_mtu_exceeded_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_SMALL_MTU, 64, EG2_MTU - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);
}

static void test_table_egress_mtu_exactly_full_is_forwarded(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_SMALL_MTU, 64, EG2_MTU - 20);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

/*
 * The table path checks the MTU stored in the egress's fwd_ifaces entry
 * (the agent follows the device's): a change there is honoured at once.
 * eg2's device keeps MTU 600 throughout, so a verdict that follows the
 * entry cannot come from the device.
 */
static void test_table_egress_mtu_changed_in_entry_is_honoured(void **state)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	assert_int_equal(iface_put(env.eg2, env.eg2_mac, fwd, EG2_MTU - 100),
			 0);
	expect_pass(frame(TBL_SMALL_MTU, 64, EG2_MTU - 20), env.in0,
		    FWD_CNT_PASS_MTU);
	in = frame(TBL_SMALL_MTU, 64, EG2_MTU - 100 - 20);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);

	assert_int_equal(iface_put(env.eg2, env.eg2_mac, fwd, EG2_MTU + 100),
			 0);
	in = frame(TBL_SMALL_MTU, 64, EG2_MTU + 100 - 20);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	expect_pass(frame(TBL_SMALL_MTU, 64, EG2_MTU + 100 - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);

	assert_int_equal(iface_put(env.eg2, env.eg2_mac, fwd, EG2_MTU), 0);
}

/*
 * In fwd_ports but its fwd_ifaces entry zeroed (the agent forgot it and
 * has not yet removed the port): an unmanaged egress, never a redirect
 * with an MTU of 0 or a stale one.
 */
static void test_table_egress_entry_zeroed_is_passed_as_unmanaged(void **state)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;
	static const uint8_t zero_mac[ETH_ALEN];

	(void)state;
	REQUIRE_ENV();
	assert_int_equal(iface_put(env.eg2, zero_mac, 0, 0), 0);
	expect_pass(frame(TBL_SMALL_MTU, 64, 32), env.in0, FWD_CNT_PASS_EGRESS);
	assert_int_equal(iface_put(env.eg2, env.eg2_mac, fwd, EG2_MTU), 0);
}

static void test_table_egress_unmanaged_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_UNMANAGED, 64, 32), env.in0, FWD_CNT_PASS_EGRESS);
}

/*
 * An entry whose egress is no device at all (deleted under the agent) is an
 * unmanaged egress, not an MTU failure: the devmap is asked before the
 * egress's fwd_ifaces entry (zero for a device that never existed).
 */
static void test_table_egress_gone_is_passed_as_unmanaged(void **state)
{
	(void)state;
	REQUIRE_ENV();
	assert_int_equal(if_indextoname(NO_DEV_IFINDEX, (char[IF_NAMESIZE]){}),
			 NULL);
	expect_pass(frame(TBL_NO_DEV, 64, 32), env.in0, FWD_CNT_PASS_EGRESS);
}

static void test_table_hairpin_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_HAIRPIN, 64, 32), env.in0, FWD_CNT_PASS_HAIRPIN);
}

static void test_override_is_used_with_forwarding_off(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_OVERRIDE, 64, 32);
	memcpy(pkt_eth(in)->h_dest, mac_in1, ETH_ALEN);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in1, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

static void test_learned_entry_is_not_used_with_forwarding_off(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_LEARNED, 64, 32);
	memcpy(pkt_eth(in)->h_dest, mac_in1, ETH_ALEN);
	expect_pass(in, env.in1, FWD_CNT_PASS_FWD_OFF);
	/* The same entry forwards from in0, where forwarding is on. */
	memcpy(pkt_eth(in)->h_dest, mac_in0, ETH_ALEN);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

/* ---- IPv4 header ---------------------------------------------------- */

static void test_ttl_one_is_passed_to_kernel(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_HIT, 1, 32), env.in0, FWD_CNT_PASS_TTL);
}

static void test_ttl_zero_is_passed_to_kernel(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_HIT, 0, 32), env.in0, FWD_CNT_PASS_TTL);
}

static void test_nop_options_ihl_6_to_15_are_passed(void **state)
{
	uint8_t nops[40];
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	memset(nops, 1, sizeof(nops)); /* IPOPT_NOOP */
	for (int ihl = 6; ihl <= 15; ihl++) {
		in = frame(TBL_HIT, 64, 16);
		pkt_ip_add_options(in, nops, (ihl - 5) * 4);
		assert_int_equal(pkt_ip(in)->ihl, ihl);
		assert_int_equal(pkt_csum(pkt_ip(in), ihl * 4), 0);
		expect_pass(in, env.in0, FWD_CNT_PASS_IP_OPTIONS);
	}
}

static void test_record_route_option_is_passed(void **state)
{
	/* RR, len 11, pointer 4, two empty slots; EOL pads to 12. */
	static const uint8_t rr[12] = {7, 11, 4};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 16);
	pkt_ip_add_options(in, rr, sizeof(rr));
	expect_pass(in, env.in0, FWD_CNT_PASS_IP_OPTIONS);
}

static void test_timestamp_option_is_passed(void **state)
{
	/* TS, len 12, pointer 5, flag 0 (timestamps only), two slots. */
	static const uint8_t ts[12] = {68, 12, 5, 0};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 16);
	pkt_ip_add_options(in, ts, sizeof(ts));
	expect_pass(in, env.in0, FWD_CNT_PASS_IP_OPTIONS);
}

static void test_source_route_options_are_passed(void **state)
{
	/* LSRR and SSRR, len 7, pointer 4, one hop 10.2.0.2; EOL pad. */
	static const uint8_t lsrr[8] = {131, 7, 4, 10, 2, 0, 2};
	static const uint8_t ssrr[8] = {137, 7, 4, 10, 2, 0, 2};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 16);
	pkt_ip_add_options(in, lsrr, sizeof(lsrr));
	expect_pass(in, env.in0, FWD_CNT_PASS_IP_OPTIONS);
	in = frame(TBL_HIT, 64, 16);
	pkt_ip_add_options(in, ssrr, sizeof(ssrr));
	expect_pass(in, env.in0, FWD_CNT_PASS_IP_OPTIONS);
}

static void test_ihl_below_5_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	for (int ihl = 0; ihl < 5; ihl++) {
		in = frame(TBL_HIT, 64, 32);
		pkt_ip(in)->ihl = ihl;
		pkt_ip(in)->check = 0;
		pkt_ip(in)->check = pkt_csum(pkt_ip(in), 20);
		expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
	}
}

static void test_ip_version_not_4_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_ip(in)->version = 6;
	pkt_ip_csum(in);
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
}

static void test_total_length_beyond_frame_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_ip(in)->tot_len = htons(20 + 32 + 1);
	pkt_ip_csum(in);
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
	pkt_ip(in)->tot_len = htons(0xffff);
	pkt_ip_csum(in);
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
}

static void test_total_length_below_header_is_passed(void **state)
{
	static const uint16_t lens[] = {0, 1, 19};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		in = frame(TBL_HIT, 64, 32);
		pkt_ip(in)->tot_len = htons(lens[i]);
		pkt_ip_csum(in);
		expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
	}
}

static void test_bad_header_checksum_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_ip(in)->check ^= htons(0x0001);
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
	/* A header damaged elsewhere, checksum left as it was. */
	in = frame(TBL_HIT, 64, 32);
	pkt_ip(in)->tos ^= 0x04;
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
}

/*
 * BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header with
 * -EINVAL before the program runs (bpf_test_init()), so lengths 0..13 can
 * only be checked for that, and for no counter moving; a driver never
 * hands XDP such a frame.
 */
static void test_frames_below_ethernet_header_refused_by_test_run(void **state)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	struct pkt out, in;
	__u32 retval;

	(void)state;
	REQUIRE_ENV();
	in = *frame(TBL_HIT, 64, 32);
	counters_read(before);
	for (size_t len = 0; len < ETH_HLEN; len++) {
		in.len = len;
		assert_int_equal(run(&in, env.in0, &out, &retval), -EINVAL);
	}
	counters_read(after);
	assert_memory_equal(before, after, sizeof(before));
}

static void test_every_truncation_14_to_34_is_passed(void **state)
{
	struct pkt in;

	(void)state;
	REQUIRE_ENV();
	/* A frame that, whole, is forwarded (test_table_hit_...). */
	for (size_t len = ETH_HLEN; len <= ETH_HLEN + 20; len++) {
		in = *frame(TBL_HIT, 64, 32);
		in.len = len;
		/* 34 bytes hold the whole IPv4 header, not its payload. */
		expect_pass(&in, env.in0,
			    len < ETH_HLEN + 20 ? FWD_CNT_PASS_TRUNCATED
						: FWD_CNT_PASS_BAD_HEADER);
	}
}

/* ---- Ethernet ------------------------------------------------------- */

static void test_arp_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_eth(in)->h_proto = htons(ETH_P_ARP);
	memset(in->b + ETH_HLEN, 0, 46);
	/* Ethernet, IPv4, request, 6, 4: a unicast ARP request to in0. */
	memcpy(in->b + ETH_HLEN, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	in->len = 60;
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_IPV4);
}

static void test_ipv6_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 40);
	pkt_eth(in)->h_proto = htons(ETH_P_IPV6);
	in->b[ETH_HLEN] = 0x60;
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_IPV4);
}

static void test_vlan_tagged_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	/* Insert an 802.1Q tag (VID 5) in front of a forwardable frame. */
	in = frame(TBL_HIT, 64, 32);
	memmove(in->b + 16, in->b + 12, in->len - 12);
	memcpy(in->b + 12, "\x81\x00\x00\x05", 4);
	in->len += 4;
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_IPV4);
}

static void test_broadcast_mac_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	memset(pkt_eth(in)->h_dest, 0xff, ETH_ALEN);
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_FOR_US);
}

static void test_multicast_mac_is_passed(void **state)
{
	static const uint8_t mc[ETH_ALEN] = {1, 0, 0x5e, 0, 0, 5};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	memcpy(pkt_eth(in)->h_dest, mc, ETH_ALEN);
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_FOR_US);
}

static void test_frame_to_another_mac_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	/* in1's MAC: ours, but not the ingress interface's. */
	memcpy(pkt_eth(in)->h_dest, mac_in1, ETH_ALEN);
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_FOR_US);
	in->b[5] ^= 0x80;
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_FOR_US);
}

static void test_unmanaged_ingress_is_passed(void **state)
{
	struct fwd_iface v, zero = {};
	__u32 key = env.eg1;
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	/* An array has every index: "absent" is a zeroed entry. */
	assert_int_equal(bpf_map__lookup_elem(env.skel->maps.fwd_ifaces, &key,
					      sizeof(key), &v, sizeof(v), 0),
			 0);
	assert_memory_equal(&v, &zero, sizeof(v));
	in = frame(TBL_HIT, 64, 32);
	expect_pass(in, env.eg1, FWD_CNT_PASS_NOT_MANAGED);
	/* In fwd_ifaces, but without FWD_IF_MANAGED. */
	expect_pass(in, env.lo, FWD_CNT_PASS_NOT_MANAGED);
}

/* ---- addresses the kernel never forwards as unicast --------------- */

static void expect_addrs_passed(uint32_t saddr, uint32_t daddr)
{
	struct pkt *in = frame(daddr, 64, 32);

	pkt_ip(in)->saddr = htonl(saddr);
	pkt_ip_csum(in);
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_UNICAST);
}

static void test_multicast_destination_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_addrs_passed(CLIENT_IP, IP4(224, 0, 0, 5)); /* in hfwd */
	expect_addrs_passed(CLIENT_IP, IP4(239, 1, 2, 3));
	expect_addrs_passed(CLIENT_IP, IP4(224, 0, 0, 1));
}

static void test_limited_broadcast_destination_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_addrs_passed(CLIENT_IP, IP4(255, 255, 255, 255));
}

static void test_loopback_addresses_are_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_addrs_passed(CLIENT_IP, IP4(127, 0, 0, 1));
	expect_addrs_passed(IP4(127, 0, 0, 1), TBL_HIT);
	expect_addrs_passed(IP4(127, 255, 0, 9), TBL_HIT);
}

static void test_zero_addresses_are_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_addrs_passed(CLIENT_IP, 0);
	expect_addrs_passed(CLIENT_IP, IP4(0, 1, 2, 3));
	expect_addrs_passed(0, TBL_HIT);
}

static void test_multicast_or_broadcast_source_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_addrs_passed(IP4(224, 0, 0, 9), TBL_HIT);
	expect_addrs_passed(IP4(255, 255, 255, 255), TBL_HIT);
}

/* ---- fib path ------------------------------------------------------- */

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

static void test_fib_success_uses_neighbour_and_egress_macs(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	assert_neigh_lladdr("10.2.0.2", "eg0", mac_gw);
	in = frame(FIB_NEIGH, 64, 32);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_fib_success_through_gateway(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_VIA_GW, 17, 100);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_fib_stale_neighbour_is_used(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* STALE is valid: the kernel too sends to it (and then probes). */
	assert_neigh_lladdr("10.2.0.4", "eg0", mac_stale);
	in = frame(FIB_STALE, 64, 32);
	pkt_forwarded(&want, in, mac_stale, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_fib_forward_trims_ethernet_padding(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_NEIGH, 64, 0);
	in->len = 60;
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	assert_int_equal(want.len, 34);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_fib_no_neighbour_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_NO_NEIGH, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NO_NEIGH);
}

static void test_fib_failed_neighbour_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_FAILED, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NO_NEIGH);
}

static void test_fib_no_route_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_NO_ROUTE, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NOT_FWDED);
}

static void test_fib_local_destination_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_LOCAL, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NOT_FWDED);
	expect_pass(frame(IP4(10, 1, 0, 1), 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NOT_FWDED);
	/* eg0's subnet broadcast: a broadcast route, delivered locally. */
	expect_pass(frame(IP4(10, 2, 0, 255), 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NOT_FWDED);
}

static void test_fib_blackhole_unreachable_prohibit_are_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_BLACKHOLE, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_DROP);
	expect_pass(frame(FIB_UNREACHABLE, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_DROP);
	expect_pass(frame(FIB_PROHIBIT, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_DROP);
}

/* The kernel would encapsulate: other bytes than a plain forward. */
static void test_fib_lwt_encap_route_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_LWT, 64, 32), env.in0, FWD_CNT_PASS_FIB_OTHER);
}

static void test_fib_forwarding_off_on_ingress_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_NEIGH, 64, 32);
	memcpy(pkt_eth(in)->h_dest, mac_in1, ETH_ALEN);
	expect_pass(in, env.in1, FWD_CNT_PASS_FIB_FWD_DISABLED);
}

static void test_fib_egress_mtu_exceeded_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_SMALL_MTU, 64, EG2_MTU - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);
}

static void test_fib_egress_mtu_exactly_full_is_forwarded(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_SMALL_MTU, 64, EG2_MTU - 20);
	pkt_forwarded(&want, in, mac_eg2_nb, env.eg2_mac);
	assert_memory_equal(env.eg2_mac, mac_eg2_in, ETH_ALEN);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

/*
 * A locked route MTU is honoured by the kernel's forwarding and by
 * bpf_fib_lookup() alike. An unlocked one the helper does not see
 * (ip_mtu_from_fib_result()) while ip_forward() applies it: the agent's
 * bound in fwd_ifaces covers it (the test after this one).
 */
static void test_fib_locked_route_mtu_exceeded_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_ROUTE_MTU, 64, ROUTE_MTU - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);
}

static void test_fib_locked_route_mtu_exactly_full_is_forwarded(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_ROUTE_MTU, 64, ROUTE_MTU - 20);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

/*
 * An unlocked route MTU: ip_forward() applies it, bpf_fib_lookup() does
 * not. The agent lowers the egress's MTU in fwd_ifaces to the smallest
 * route MTU that may leave by it; the fib path checks that bound too.
 * (eg0's device MTU stays 1500, so the verdict can only come from the
 * entry.)
 */
static void test_fib_route_mtu_bound_from_the_agent_is_honoured(void **state)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	assert_int_equal(iface_put(env.eg0, env.eg0_mac, fwd, 1300), 0);
	expect_pass(frame(FIB_NEIGH, 64, 1300 - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);
	in = frame(FIB_NEIGH, 64, 1300 - 20);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	assert_int_equal(iface_put(env.eg0, env.eg0_mac, fwd, 1500), 0);
	in = frame(FIB_NEIGH, 64, 1300 - 20 + 1);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_fib_egress_unmanaged_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	assert_neigh_lladdr("10.3.0.2", "eg1", mac_eg1_nb);
	expect_pass(frame(FIB_UNMANAGED, 64, 32), env.in0, FWD_CNT_PASS_EGRESS);
}

static void test_fib_hairpin_is_passed(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(FIB_HAIRPIN, 64, 32), env.in0, FWD_CNT_PASS_HAIRPIN);
}

/* Set the first four L4 bytes: the UDP/TCP ports. */
static void set_ports(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *l4 = p->b + ETH_HLEN + pkt_ip(p)->ihl * 4;

	l4[0] = sport >> 8, l4[1] = (uint8_t)sport;
	l4[2] = dport >> 8, l4[3] = (uint8_t)dport;
}

/*
 * The egress the kernel's own input routing picks (`ip route get ... iif`
 * builds a packet and runs ip_route_input() on it): "eg0" or "eg2".
 */
static void kernel_route_dev(uint32_t saddr, uint32_t daddr, uint16_t sport,
			     uint16_t dport, char dev[IF_NAMESIZE])
{
	char cmd[256], line[512], *p;
	struct in_addr s = {htonl(saddr)}, d = {htonl(daddr)};
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip -o route get %s", inet_ntoa(d));
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 " from %s iif in0 ipproto udp sport %u dport %u", inet_ntoa(s),
		 sport, dport);
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

static void test_fib_port_rule_selects_route(void **state)
{
	char dev[IF_NAMESIZE];
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	kernel_route_dev(CLIENT_IP, FIB_PORT_RULE, 4242, RULE_DPORT, dev);
	assert_string_equal(dev, "eg2");
	in = frame(FIB_PORT_RULE, 64, 32);
	set_ports(in, 4242, RULE_DPORT);
	pkt_forwarded(&want, in, mac_eg2_nb, env.eg2_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);

	kernel_route_dev(CLIENT_IP, FIB_PORT_RULE, 4242, RULE_DPORT + 1, dev);
	assert_string_equal(dev, "eg0");
	set_ports(in, 4242, RULE_DPORT + 1);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

/* The flow dissector reads no ports from a fragment, first or not. */
static void test_fib_fragments_match_no_port_rule(void **state)
{
	static const uint16_t frag_off[] = {0x2000, 0x2001, 0x0001};
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(frag_off) / sizeof(frag_off[0]); i++) {
		in = frame(FIB_PORT_RULE, 64, 32);
		set_ports(in, 4242, RULE_DPORT);
		pkt_ip(in)->frag_off = htons(frag_off[i]);
		pkt_ip_csum(in);
		pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
		expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	}
}

/*
 * On an ECMP route the program must leave by the next hop the kernel would
 * pick. Policy 0 hashes addresses (vary the source), policy 1 adds the
 * ports (vary the source port); each flow's choice is checked against the
 * kernel's, and both next hops must turn up or the test proves nothing.
 */
static void ecmp_check(int policy)
{
	char cmd[96], dev[IF_NAMESIZE];
	int seen_eg0 = 0, seen_eg2 = 0;
	struct pkt want, *in;

	snprintf(cmd, sizeof(cmd),
		 "sysctl -qw net.ipv4.fib_multipath_hash_policy=%d", policy);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 32; i++) {
		uint32_t saddr = policy ? CLIENT_IP : IP4(10, 1, 0, 10 + i);
		uint16_t sport = policy ? 1000 + 7 * i : 4242;

		kernel_route_dev(saddr, IP4(10, 7, 0, 1), sport, 80, dev);
		in = frame(IP4(10, 7, 0, 1), 64, 32);
		pkt_ip(in)->saddr = htonl(saddr);
		pkt_ip_csum(in);
		set_ports(in, sport, 80);
		if (!strcmp(dev, "eg0")) {
			pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
			seen_eg0++;
		} else if (!strcmp(dev, "eg2")) {
			pkt_forwarded(&want, in, mac_eg2_nb, env.eg2_mac);
			seen_eg2++;
		} else {
			fail_msg("kernel routes 10.7.0.1 out of %s", dev);
		}
		expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
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

/* An ICMP message: @type, code 0, quoting a copy of the IPv4 header. */
static struct pkt *icmp_frame(uint32_t daddr, uint8_t type)
{
	struct pkt *in = frame(daddr, 64, 8 + 28);
	uint8_t *l4 = in->b + ETH_HLEN + 20;

	pkt_ip(in)->protocol = IPPROTO_ICMP;
	memset(l4, 0, 8);
	l4[0] = type;
	memcpy(l4 + 8, pkt_ip(in), 20);
	l4[8 + 20] = 0x10;
	pkt_ip_csum(in);
	return in;
}

static void test_fib_icmp_errors_are_passed(void **state)
{
	static const uint8_t errors[] = {3, 4, 5, 11, 12};

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(errors); i++)
		expect_pass(icmp_frame(FIB_NEIGH, errors[i]), env.in0,
			    FWD_CNT_PASS_ICMP_ERROR);
}

static void test_icmp_non_errors_and_table_hits_are_forwarded(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* Echo request and reply: hashed on the outer header. */
	in = icmp_frame(FIB_NEIGH, 8);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	in = icmp_frame(FIB_NEIGH, 0);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	/* A later fragment of an error: the kernel reads no ICMP type. */
	in = icmp_frame(FIB_NEIGH, 3);
	pkt_ip(in)->frag_off = htons(0x0010);
	pkt_ip_csum(in);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	/* A table entry names one next hop: no hash to disagree on. */
	in = icmp_frame(TBL_HIT, 11);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

/* ---- the kernel's source validation and netfilter ------------------ */

#define IN0_FLAGS (FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP)
#define EG0_ADDR IP4(10, 2, 0, 1)	/* eg0's own address */
#define SRC_VIA_EG0 IP4(10, 2, 0, 9)	/* routed back out of eg0 */
#define SRC_NO_ROUTE IP4(10, 99, 0, 5)	/* no route back at all */
#define SRC_BLACKHOLE IP4(10, 97, 0, 5) /* blackhole 10.97/16 */

/* in0 with @extra flags until restore_in0(). */
static void set_in0(__u16 extra)
{
	assert_int_equal(iface_put(env.in0, mac_in0, IN0_FLAGS | extra, 1500),
			 0);
}

static void restore_in0(void)
{
	set_in0(0);
}

/* @ip (host order) into, or out of, its fwd_local bucket's @slot. */
static void local_put_slot(uint32_t ip, int add, int slot)
{
	__be32 addr = htonl(ip);
	__u32 idx = fwd_local_hash(addr);
	struct fwd_local b;

	assert_int_equal(bpf_map__lookup_elem(env.skel->maps.fwd_local, &idx,
					      sizeof(idx), &b, sizeof(b), 0),
			 0);
	b.addr[slot] = add ? addr : 0;
	assert_int_equal(map_put(env.skel->maps.fwd_local, &idx, &b), 0);
}

static void local_put(uint32_t ip, int add)
{
	local_put_slot(ip, add, 0);
}

/* A frame from @saddr (client MAC, on in0) to @daddr. */
static struct pkt *frame_from(uint32_t saddr, uint32_t daddr)
{
	static struct pkt p;

	pkt_ipv4(&p, mac_in0, mac_client, saddr, daddr, 64, 32);
	return &p;
}

static void test_own_source_is_passed_to_kernel(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	local_put(EG0_ADDR, 1);
	/* Both paths: the table and the fib. */
	expect_pass(frame_from(EG0_ADDR, TBL_HIT), env.in0,
		    FWD_CNT_PASS_OWN_SOURCE);
	expect_pass(frame_from(EG0_ADDR, FIB_NEIGH), env.in0,
		    FWD_CNT_PASS_OWN_SOURCE);
	/* Not an address of ours: forwarded. */
	in = frame_from(SRC_VIA_EG0, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	local_put(EG0_ADDR, 0);
	/* Gone from fwd_local: forwarded again. */
	in = frame_from(EG0_ADDR, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
}

static void test_own_source_with_accept_local_is_forwarded(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	local_put(EG0_ADDR, 1);
	set_in0(FWD_IF_ACCEPT_LOCAL);
	in = frame_from(EG0_ADDR, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	restore_in0();
	local_put(EG0_ADDR, 0);
}

/* An address after @ip (host order) that shares its fwd_local bucket. */
static uint32_t same_bucket(uint32_t ip)
{
	uint32_t idx = fwd_local_hash(htonl(ip)), a = ip;

	while (fwd_local_hash(htonl(++a)) != idx)
		;
	return a;
}

static void test_own_source_in_every_slot_of_its_bucket(void **state)
{
	uint32_t other = same_bucket(EG0_ADDR);
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	for (int slot = 0; slot < FWD_LOCAL_WAYS; slot++) {
		local_put_slot(EG0_ADDR, 1, slot);
		expect_pass(frame_from(EG0_ADDR, TBL_HIT), env.in0,
			    FWD_CNT_PASS_OWN_SOURCE);
		/* Same bucket, not ours: forwarded. */
		in = frame_from(other, TBL_HIT);
		pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
		expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
		local_put_slot(EG0_ADDR, 0, slot);
	}
}

static void test_local_unknown_passes_every_source(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* fwd_local incomplete: any source could be ours. */
	set_in0(FWD_IF_LOCAL_UNKNOWN);
	expect_pass(frame_from(SRC_VIA_EG0, TBL_HIT), env.in0,
		    FWD_CNT_PASS_OWN_SOURCE);
	expect_pass(frame_from(SRC_VIA_EG0, FIB_NEIGH), env.in0,
		    FWD_CNT_PASS_OWN_SOURCE);
	/* accept_local: the kernel would not ask. */
	set_in0(FWD_IF_LOCAL_UNKNOWN | FWD_IF_ACCEPT_LOCAL);
	in = frame_from(SRC_VIA_EG0, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	/* rp_filter: the reverse lookup finds our addresses by itself. */
	set_in0(FWD_IF_LOCAL_UNKNOWN | FWD_IF_RPF_LOOSE);
	in = frame_from(SRC_VIA_EG0, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	restore_in0();
}

static void test_strict_rp_filter_wants_the_route_back_by_ingress(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	set_in0(FWD_IF_RPF_STRICT);
	/* 10.1.0.2 is on in0's prefix: valid, both paths. */
	in = frame_from(CLIENT_IP, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	in = frame_from(CLIENT_IP, FIB_NEIGH);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	/* The route back leaves by eg0, or there is none, or it is ours. */
	expect_pass(frame_from(SRC_VIA_EG0, TBL_HIT), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	expect_pass(frame_from(SRC_VIA_EG0, FIB_NEIGH), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	expect_pass(frame_from(SRC_NO_ROUTE, TBL_HIT), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	expect_pass(frame_from(EG0_ADDR, TBL_HIT), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	restore_in0();
}

static void test_loose_rp_filter_wants_any_route_back(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	set_in0(FWD_IF_RPF_LOOSE);
	in = frame_from(SRC_VIA_EG0, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	in = frame_from(CLIENT_IP, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	/* No route, a blackhole, our own address: fib_validate_source()
	 * refuses each (RTN_UNICAST only). */
	expect_pass(frame_from(SRC_NO_ROUTE, TBL_HIT), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	expect_pass(frame_from(SRC_BLACKHOLE, TBL_HIT), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	expect_pass(frame_from(EG0_ADDR, FIB_NEIGH), env.in0,
		    FWD_CNT_PASS_RP_FILTER);
	restore_in0();
}

static void test_rp_filter_off_forwards_any_source(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame_from(SRC_NO_ROUTE, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	in = frame_from(SRC_VIA_EG0, FIB_NEIGH);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
}

static void test_netfilter_hold_passes_everything(void **state)
{
	(void)state;
	REQUIRE_ENV();
	set_in0(FWD_IF_NF_HOLD);
	expect_pass(frame(TBL_HIT, 64, 32), env.in0, FWD_CNT_PASS_NETFILTER);
	expect_pass(frame(FIB_NEIGH, 64, 32), env.in0, FWD_CNT_PASS_NETFILTER);
	expect_pass(frame(TBL_OVERRIDE, 64, 32), env.in0,
		    FWD_CNT_PASS_NETFILTER);
	restore_in0();
}

/* ---- on the wire ---------------------------------------------------- */

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

/* Wait for the frame for @want's destination and compare it. */
static void wire_expect(int fd, const struct pkt *want)
{
	struct pkt *got = malloc(sizeof(*got));
	ssize_t n;

	assert_non_null(got);
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
	free(got);
}

/*
 * BPF_PROG_TEST_RUN only reports XDP_REDIRECT; with live frames the kernel
 * carries the redirect out, so the frame must show up, byte for byte, at
 * the peer of the egress the table or fib named, and nowhere else.
 */
static void expect_on_wire(const struct pkt *in, const char *peer,
			   const char *other_peer, const struct pkt *want,
			   enum fwd_counter which)
{
	struct fwd_count before[FWD_CNT_MAX], after[FWD_CNT_MAX];
	struct xdp_md ctx = {
		.data_end = in->len,
		.ingress_ifindex = env.in0,
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
	wire_expect(fd, want);
	assert_int_equal(after[which].packets - before[which].packets, 1);
	assert_int_equal(after[which].bytes - before[which].bytes, want->len);
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

static void test_table_redirect_leaves_by_the_entry_egress(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_SMALL_MTU, 64, 64);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect_on_wire(in, "eg2p", "eg0p", &want, FWD_CNT_FWD_TABLE);
	in = frame(TBL_HIT, 64, 64);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect_on_wire(in, "eg0p", "eg2p", &want, FWD_CNT_FWD_TABLE);
}

static void test_fib_redirect_leaves_by_the_route_egress(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_SMALL_MTU, 64, 64);
	in->len = ETH_HLEN + 20 + 64 + 10; /* padding, trimmed on the wire */
	pkt_forwarded(&want, in, mac_eg2_nb, env.eg2_mac);
	expect_on_wire(in, "eg2p", "eg0p", &want, FWD_CNT_FWD_FIB);
	in = frame(FIB_VIA_GW, 64, 64);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect_on_wire(in, "eg0p", "eg2p", &want, FWD_CNT_FWD_FIB);
}

/* ---- multi-buffer frames (xdp.frags) -------------------------------- */

/*
 * An 8000-byte packet does not fit the page BPF_PROG_TEST_RUN puts the
 * linear part in: the program sees a multi-buffer frame, the headers in
 * the linear part, the rest in fragments. Lengths, the trim, the MTU and
 * the counters must use the whole frame.
 */
#define JUMBO 8000

static void jumbo_mtu(int ifindex, const uint8_t mac[ETH_ALEN], __u32 mtu)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;

	assert_int_equal(iface_put(ifindex, mac, fwd, mtu), 0);
}

static void test_frags_table_hit_is_forwarded_whole(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	jumbo_mtu(env.eg0, env.eg0_mac, 9000);
	in = frame(TBL_HIT, 64, JUMBO - 20);
	assert_true(in->len > 4096);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	assert_int_equal(want.len, ETH_HLEN + JUMBO);
	/* the tail, well inside the fragments, is the sender's */
	assert_int_equal(want.b[want.len - 1], (uint8_t)(JUMBO - 20 - 1));
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	jumbo_mtu(env.eg0, env.eg0_mac, 1500);
}

static void test_frags_table_egress_mtu_counts_the_fragments(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* 1500 in eg0's entry: the linear part alone would be below it */
	expect_pass(frame(TBL_HIT, 64, JUMBO - 20), env.in0, FWD_CNT_PASS_MTU);
	jumbo_mtu(env.eg0, env.eg0_mac, JUMBO);
	in = frame(TBL_HIT, 64, JUMBO - 20);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	expect_pass(frame(TBL_HIT, 64, JUMBO - 20 + 1), env.in0,
		    FWD_CNT_PASS_MTU);
	jumbo_mtu(env.eg0, env.eg0_mac, 1500);
}

static void test_frags_padding_in_the_fragments_is_trimmed(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	jumbo_mtu(env.eg0, env.eg0_mac, 9000);
	/* a 6000-byte packet in an 8014-byte frame: 2000 bytes of padding */
	in = frame(TBL_HIT, 64, 6000 - 20);
	in->len = ETH_HLEN + JUMBO;
	memset(in->b + ETH_HLEN + 6000, 0xee, JUMBO - 6000);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	assert_int_equal(want.len, ETH_HLEN + 6000);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	/* and padding that reaches back into the linear part */
	in = frame(TBL_HIT, 64, 1000 - 20);
	in->len = ETH_HLEN + JUMBO;
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	jumbo_mtu(env.eg0, env.eg0_mac, 1500);
}

static void test_frags_total_length_beyond_frame_is_passed(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	jumbo_mtu(env.eg0, env.eg0_mac, 9000);
	in = frame(TBL_HIT, 64, JUMBO - 20);
	in->len -= 1;
	expect_pass(in, env.in0, FWD_CNT_PASS_BAD_HEADER);
	jumbo_mtu(env.eg0, env.eg0_mac, 1500);
}

static void test_frags_fib_path_forwards_and_checks_mtu(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* eg0's device has MTU 9000, as the agent tells fwd_ifaces */
	jumbo_mtu(env.eg0, env.eg0_mac, 9000);
	in = frame(FIB_NEIGH, 64, JUMBO - 20);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB);
	in = frame(FIB_NEIGH, 64, 9000 - 20 + 1);
	expect_pass(in, env.in0, FWD_CNT_PASS_MTU);
	jumbo_mtu(env.eg0, env.eg0_mac, 1500);
	/* eg2 has 600 */
	expect_pass(frame(FIB_SMALL_MTU, 64, JUMBO - 20), env.in0,
		    FWD_CNT_PASS_MTU);
}

/* ---- IPv6: the fib path ------------------------------------------- */

#define SRC6 "2001:db8:7::2"

/* From the client on in6 to @daddr, @payload bytes after IPv6. */
static struct pkt *frame6(const char *daddr, uint8_t hop_limit, size_t payload)
{
	static struct pkt p;

	pkt_ipv6(&p, mac_in6, mac_client6, SRC6, daddr, hop_limit, payload);
	return &p;
}

static void test_ipv6_fib_rewrites_macs_and_hop_limit(void **state)
{
	struct pkt want, *in = frame6("2001:db8:9::5", 64, 64);

	(void)state;
	REQUIRE_ENV();
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	/* Spell out what pkt_forwarded6() promises, independent of it. */
	assert_memory_equal(want.b, mac_gw6, ETH_ALEN);
	assert_int_equal(pkt_ip6(&want)->hop_limit, 63);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
	/* hop limit 2 leaves with 1 */
	in = frame6("2001:db8:9::5", 2, 8);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
}

/* The same bound for IPv6 (mtu6): Packet Too Big comes from the kernel. */
static void test_ipv6_fib_route_mtu_bound_is_honoured(void **state)
{
	struct fwd_iface v = {.flags = FWD6, .mtu = 1500, .mtu6 = 1280};
	__u32 key = (__u32)env.eg6;
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	memcpy(v.mac, env.eg6_mac, ETH_ALEN);
	assert_int_equal(bpf_map__update_elem(env.skel->maps.fwd_ifaces, &key,
					      sizeof(key), &v, sizeof(v), 0),
			 0);
	expect_pass(frame6("2001:db8:9::5", 64, 1280 - 40 + 1), env.in6,
		    FWD_CNT_PASS6_MTU);
	in = frame6("2001:db8:9::5", 64, 1280 - 40);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
	assert_int_equal(iface_put(env.eg6, env.eg6_mac, FWD6, 1500), 0);
	in = frame6("2001:db8:9::5", 64, 1280 - 40 + 1);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
}

static void test_ipv6_padding_is_trimmed(void **state)
{
	struct pkt want, *in = frame6("2001:db8:9::5", 64, 8);

	(void)state;
	REQUIRE_ENV();
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	in->len += 6; /* Ethernet padding past the payload length */
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
}

static void test_ipv6_without_the_flag_is_the_kernels(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	/* in0 is managed for IPv4 only: as before IPv6 was handled */
	in = frame6("2001:db8:9::5", 64, 64);
	memcpy(in->b, mac_in0, ETH_ALEN);
	expect_pass(in, env.in0, FWD_CNT_PASS_NOT_IPV4);
}

static void test_ipv6_hop_limit_1_and_0_are_the_kernels(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame6("2001:db8:9::5", 1, 64), env.in6,
		    FWD_CNT_PASS6_HOP_LIMIT);
	expect_pass(frame6("2001:db8:9::5", 0, 64), env.in6,
		    FWD_CNT_PASS6_HOP_LIMIT);
}

static void test_ipv6_special_addresses_are_the_kernels(void **state)
{
	static const char *const dst[] = {
		"ff02::1", "ff0e::1", "fe80::1",	 "febf::1",
		"::1",	   "::",      "::ffff:10.2.0.2", "::10.2.0.2"};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
		expect_pass(frame6(dst[i], 64, 64), env.in6,
			    FWD_CNT_PASS6_NOT_UNICAST);
	/* the same as sources */
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
		in = frame6("2001:db8:9::5", 64, 64);
		inet_pton(AF_INET6, dst[i], &pkt_ip6(in)->saddr);
		expect_pass(in, env.in6, FWD_CNT_PASS6_NOT_UNICAST);
	}
}

static void test_ipv6_bad_headers_are_the_kernels(void **state)
{
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	in = frame6("2001:db8:9::5", 64, 64);
	*(uint8_t *)pkt_ip6(in) = 0x40; /* version 4 in an IPv6 frame */
	expect_pass(in, env.in6, FWD_CNT_PASS6_BAD_HEADER);
	in = frame6("2001:db8:9::5", 64, 64);
	pkt_ip6(in)->payload_len = htons(65); /* one byte past the frame */
	expect_pass(in, env.in6, FWD_CNT_PASS6_BAD_HEADER);
	in = frame6("2001:db8:9::5", 64, 64);
	in->len = ETH_HLEN + 39; /* shorter than the header */
	expect_pass(in, env.in6, FWD_CNT_PASS_TRUNCATED);
}

static void test_ipv6_extension_headers_are_the_kernels(void **state)
{
	static const uint8_t ext[] = {0, 43, 44, 60, 135};
	struct pkt *in;

	(void)state;
	REQUIRE_ENV();
	for (size_t i = 0; i < sizeof(ext); i++) {
		in = frame6("2001:db8:9::5", 64, 64);
		pkt_ip6(in)->nexthdr = ext[i]; /* hop-by-hop: router alert */
		expect_pass(in, env.in6, FWD_CNT_PASS6_EXT_HEADER);
	}
}

static void test_ipv6_icmp_errors_are_the_kernels(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame6("2001:db8:9::5", 64, 64);
	pkt_ip6(in)->nexthdr = 58;
	((uint8_t *)(pkt_ip6(in) + 1))[0] = 3; /* time exceeded */
	expect_pass(in, env.in6, FWD_CNT_PASS6_ICMP_ERROR);
	/* an echo request is not an error: forwarded */
	((uint8_t *)(pkt_ip6(in) + 1))[0] = 128;
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
}

static void test_ipv6_fib_answers_the_kernel_keeps(void **state)
{
	(void)state;
	REQUIRE_ENV();
	/* a route whose gateway has no neighbour: the kernel resolves it */
	expect_pass(frame6("2001:db8:a::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_NO_NEIGH);
	/* our own address, and no route at all (fib6_null_entry) */
	expect_pass(frame6("2001:db8:7::1", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_NOT_FWDED);
	expect_pass(frame6("2001:db8:99::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_NOT_FWDED);
	/* a blackhole route */
	expect_pass(frame6("2001:db8:c::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_DROP);
	/* beyond eg6's MTU: Packet Too Big is the kernel's; at it: ours */
	expect_pass(frame6("2001:db8:9::5", 64, 1500 - 40 + 1), env.in6,
		    FWD_CNT_PASS6_MTU);
	{
		struct pkt want, *in = frame6("2001:db8:9::5", 64, 1500 - 40);

		pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
		expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
	}
	/* back out of the ingress: the kernel sends a redirect */
	expect_pass(frame6("2001:db8:d::5", 64, 64), env.in6,
		    FWD_CNT_PASS_HAIRPIN);
	/* an encapsulating route: the kernel's */
	expect_pass(frame6("2001:db8:f::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_OTHER);
}

static void test_netfilter_holds_each_family_apart(void **state)
{
	const __u16 fwd = FWD6;
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* an ip6 chain: IPv6 to the kernel ... */
	assert_int_equal(
		iface_put(env.in6, mac_in6, fwd | FWD_IF_NF_HOLD6, 1500), 0);
	expect_pass(frame6("2001:db8:9::5", 64, 64), env.in6,
		    FWD_CNT_PASS_NETFILTER);
	/* ... IPv4 not */
	set_in0(FWD_IF_NF_HOLD6);
	in = frame_from(CLIENT_IP, TBL_HIT);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE);
	restore_in0();
	/* an ip chain holds IPv4 only */
	assert_int_equal(
		iface_put(env.in6, mac_in6, fwd | FWD_IF_NF_HOLD, 1500), 0);
	in = frame6("2001:db8:9::5", 64, 64);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
	assert_int_equal(iface_put(env.in6, mac_in6, fwd, 1500), 0);
}

/* in6 with @flags (FWD6 less or more) until in6_restore(). */
static void in6_set(__u16 flags)
{
	assert_int_equal(iface_put(env.in6, mac_in6, flags, 1500), 0);
}

static void in6_restore(void)
{
	in6_set(FWD6);
}

static void test_ipv6_table_hit_rewrites_macs_and_hop_limit(void **state)
{
	struct pkt want, *in = frame6(TBL6_HIT, 64, 64);

	(void)state;
	REQUIRE_ENV();
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	assert_memory_equal(want.b, mac_tbl, ETH_ALEN);
	assert_memory_equal(want.b + ETH_ALEN, mac_tbl_src, ETH_ALEN);
	assert_int_equal(pkt_ip6(&want)->hop_limit, 63);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
	/* padding trimmed on this path too */
	in = frame6(TBL6_HIT, 2, 8);
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	in->len += 10;
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
}

static void test_ipv6_table_entry_beats_fib(void **state)
{
	struct pkt want, *in = frame6(TBL6_UNDER_FIB, 64, 64);

	(void)state;
	REQUIRE_ENV();
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
	/* its neighbour under the same route goes by the fib */
	in = frame6("2001:db8:9::8", 64, 64);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
}

/*
 * all.forwarding 0 (and no force_forwarding): ip6_forward() refuses even
 * where conf.<if>.forwarding is 1, which bpf_fib_lookup() alone would
 * accept. Learned entries and the fib path stop; overrides go on.
 */
static void test_ipv6_forwarding_off_stops_all_but_overrides(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in6_set(FWD6 & ~FWD_IF_FORWARDING6);
	expect_pass(frame6(TBL6_HIT, 64, 64), env.in6, FWD_CNT_PASS6_FWD_OFF);
	expect_pass(frame6("2001:db8:9::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FWD_OFF);
	in = frame6(TBL6_OVERRIDE, 64, 64);
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
	in6_restore();
}

static void test_ipv6_table_egress_needs_ipv6_and_its_mtu(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* eg0 is managed, IPv6 off: not an IPv6 egress */
	expect_pass(frame6(TBL6_V4_ONLY, 64, 64), env.in6, FWD_CNT_PASS_EGRESS);
	expect_pass(frame6(TBL6_HAIRPIN, 64, 64), env.in6,
		    FWD_CNT_PASS_HAIRPIN);
	/* eg6's IPv6 MTU 1400 below its device MTU 1500 */
	{
		struct fwd_iface v = {.flags = FWD6,
				      .mtu = 1500,
				      .mtu6 = 1400,
				      .slot = SLOT(env.eg6)};
		__u32 key = env.eg6;

		memcpy(v.mac, env.eg6_mac, ETH_ALEN);
		assert_int_equal(map_put(env.skel->maps.fwd_ifaces, &key, &v),
				 0);
	}
	expect_pass(frame6(TBL6_HIT, 64, 1400 - 40 + 1), env.in6,
		    FWD_CNT_PASS6_MTU);
	in = frame6(TBL6_HIT, 64, 1400 - 40);
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
	assert_int_equal(iface_put(env.eg6, env.eg6_mac, FWD6, 1500), 0);
}

static void test_ipv6_table_never_reaches_special_addresses(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame6("ff02::1", 64, 64), env.in6,
		    FWD_CNT_PASS6_NOT_UNICAST);
	expect_pass(frame6("fe80::1", 64, 64), env.in6,
		    FWD_CNT_PASS6_NOT_UNICAST);
	expect_pass(frame6(TBL6_HIT, 1, 64), env.in6, FWD_CNT_PASS6_HOP_LIMIT);
}

static void test_ipv6_neighbour_discovery_is_the_kernels(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	/* unicast RS, RA, NS, NA, redirect: to a table and a fib address */
	for (uint8_t t = 133; t <= 137; t++) {
		in = frame6(TBL6_HIT, 255, 64);
		pkt_ip6(in)->nexthdr = 58;
		((uint8_t *)(pkt_ip6(in) + 1))[0] = t;
		expect_pass(in, env.in6, FWD_CNT_PASS6_NDP);
		in = frame6("2001:db8:9::5", 255, 64);
		pkt_ip6(in)->nexthdr = 58;
		((uint8_t *)(pkt_ip6(in) + 1))[0] = t;
		expect_pass(in, env.in6, FWD_CNT_PASS6_NDP);
	}
	/* the types around them are not NDP */
	in = frame6(TBL6_HIT, 64, 64);
	pkt_ip6(in)->nexthdr = 58;
	((uint8_t *)(pkt_ip6(in) + 1))[0] = 138;
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
	/* an ICMPv6 error to a host entry: no ECMP to mind, forwarded */
	((uint8_t *)(pkt_ip6(in) + 1))[0] = 1;
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6);
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
	uint32_t iif = env.in6, fl = htonl(label);
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
	static const uint8_t mac_nh4[ETH_ALEN] = {2, 0, 0, 0, 8, 4};
	int seen2 = 0, seen4 = 0, label2 = 0, label4 = 0;
	char cmd[96], via[64], src[64];
	struct pkt want, *in;

	snprintf(cmd, sizeof(cmd),
		 "sysctl -qw net.ipv6.fib_multipath_hash_policy=%d", policy);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 64; i++) {
		uint16_t sport = policy == 1 ? 1000 + 7 * i : 4242;
		/* policy 0: the second half varies the flow label only */
		uint32_t label = policy == 1 || i < 32 ? 0 : 0x1000 + 77 * i;
		uint8_t *l4;

		snprintf(src, sizeof(src), "2001:db8:7::%x",
			 policy == 1 || i >= 32 ? 2 : 0x10 + i);
		kernel_route6_via(src, "2001:db8:e::1", sport, 80, label, via);
		in = frame6("2001:db8:e::1", 64, 64);
		*(uint32_t *)pkt_ip6(in) = htonl(6U << 28 | label);
		inet_pton(AF_INET6, src, &pkt_ip6(in)->saddr);
		l4 = (uint8_t *)(pkt_ip6(in) + 1);
		l4[0] = sport >> 8, l4[1] = (uint8_t)sport;
		l4[2] = 0, l4[3] = 80;
		if (!strcmp(via, "2001:db8:8::2")) {
			pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
			seen2++;
			label2 += label != 0;
		} else if (!strcmp(via, "2001:db8:8::4")) {
			pkt_forwarded6(&want, in, mac_nh4, env.eg6_mac);
			seen4++;
			label4 += label != 0;
		} else {
			fail_msg("kernel routes 2001:db8:e::1 via %s", via);
		}
		expect(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6);
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

static void test_ipv6_forwarding_off_on_the_ingress(void **state)
{
	(void)state;
	REQUIRE_ENV();
	assert_int_equal(system("sysctl -qw net.ipv6.conf.in6.forwarding=0"),
			 0);
	expect_pass(frame6("2001:db8:9::5", 64, 64), env.in6,
		    FWD_CNT_PASS6_FIB_FWD_DISABLED);
	assert_int_equal(system("sysctl -qw net.ipv6.conf.in6.forwarding=1"),
			 0);
}

/* ---- per-interface counters (fwd_ifstats) ------------------------- */

/*
 * Each path counts on the right slots: the outcome on the ingress's rx,
 * the redirect on the egress the table or the fib named (expect_via()
 * checks every other counter of the map stayed still).
 */
static void test_ifstats_table_counts_rx_on_ingress_tx_on_egress(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(TBL_HIT, 64, 32);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	expect_via(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE,
		   env.eg0);
	in = frame6(TBL6_HIT, 64, 64);
	pkt_forwarded6(&want, in, mac_tbl, mac_tbl_src);
	expect_via(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_TABLE6,
		   env.eg6);
}

static void test_ifstats_fib_counts_tx_on_the_route_egress(void **state)
{
	struct pkt want, *in;

	(void)state;
	REQUIRE_ENV();
	in = frame(FIB_NEIGH, 64, 32);
	pkt_forwarded(&want, in, mac_gw, env.eg0_mac);
	expect_via(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB, env.eg0);
	in = frame(FIB_SMALL_MTU, 64, 64);
	pkt_forwarded(&want, in, mac_eg2_nb, env.eg2_mac);
	expect_via(in, env.in0, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB, env.eg2);
	in = frame6("2001:db8:9::5", 64, 64);
	pkt_forwarded6(&want, in, mac_gw6, env.eg6_mac);
	expect_via(in, env.in6, XDP_REDIRECT, &want, FWD_CNT_FWD_FIB6, env.eg6);
}

/* A pass is the ingress's, by reason; no egress counts it. */
static void test_ifstats_pass_counts_its_reason_on_the_ingress(void **state)
{
	(void)state;
	REQUIRE_ENV();
	expect_pass(frame(TBL_HIT, 1, 32), env.in0, FWD_CNT_PASS_TTL);
	expect_pass(frame(TBL_SMALL_MTU, 64, EG2_MTU), env.in0,
		    FWD_CNT_PASS_MTU);
	expect_pass(frame(FIB_NO_ROUTE, 64, 32), env.in0,
		    FWD_CNT_PASS_FIB_NOT_FWDED);
}

/*
 * The slot comes from the interface's fwd_ifaces entry: moved to another
 * slot, its packets count there, and the old slot no longer moves.
 */
static void test_ifstats_follow_the_slot_in_fwd_ifaces(void **state)
{
	const __u16 fwd = FWD_IF_MANAGED | FWD_IF_FORWARDING | FWD_IF_UP;
	struct fwd_iface v = {.flags = fwd, .mtu = 1500, .mtu6 = 1500};
	struct fwd_count *before, *after;
	__u32 key = env.in0, moved = 7, idx;
	struct pkt want, *in;
	__u32 retval;

	(void)state;
	REQUIRE_ENV();
	memcpy(v.mac, mac_in0, ETH_ALEN);
	v.slot = moved;
	assert_int_equal(map_put(env.skel->maps.fwd_ifaces, &key, &v), 0);
	in = frame(TBL_HIT, 64, 32);
	pkt_forwarded(&want, in, mac_tbl, mac_tbl_src);
	before = ifstats_read();
	assert_int_equal(run(in, env.in0, &want, &retval), 0);
	after = ifstats_read();
	assert_int_equal(iface_put(env.in0, mac_in0, fwd, 1500), 0);
	assert_int_equal(retval, XDP_REDIRECT);
	idx = FWD_IFSTAT(moved, FWD_CNT_FWD_TABLE);
	assert_int_equal(after[idx].packets - before[idx].packets, 1);
	idx = FWD_IFSTAT(SLOT(env.in0), FWD_CNT_FWD_TABLE);
	assert_int_equal(after[idx].packets - before[idx].packets, 0);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_hit_rewrites_macs_ttl_and_checksum),
		cmocka_unit_test(test_table_hit_ttl_255_becomes_254),
		cmocka_unit_test(test_table_hit_ttl_2_leaves_with_ttl_1),
		cmocka_unit_test(test_checksum_wrap_cases),
		cmocka_unit_test(test_table_forward_trims_ethernet_padding),
		cmocka_unit_test(test_table_entry_beats_fib),
		cmocka_unit_test(test_table_egress_mtu_exceeded_is_passed),
		cmocka_unit_test(
			test_table_egress_mtu_exactly_full_is_forwarded),
		cmocka_unit_test(
			test_table_egress_mtu_changed_in_entry_is_honoured),
		cmocka_unit_test(
			test_table_egress_entry_zeroed_is_passed_as_unmanaged),
		cmocka_unit_test(test_table_egress_unmanaged_is_passed),
		cmocka_unit_test(test_table_egress_gone_is_passed_as_unmanaged),
		cmocka_unit_test(test_table_hairpin_is_passed),
		cmocka_unit_test(test_override_is_used_with_forwarding_off),
		cmocka_unit_test(
			test_learned_entry_is_not_used_with_forwarding_off),
		cmocka_unit_test(test_ttl_one_is_passed_to_kernel),
		cmocka_unit_test(test_ttl_zero_is_passed_to_kernel),
		cmocka_unit_test(test_nop_options_ihl_6_to_15_are_passed),
		cmocka_unit_test(test_record_route_option_is_passed),
		cmocka_unit_test(test_timestamp_option_is_passed),
		cmocka_unit_test(test_source_route_options_are_passed),
		cmocka_unit_test(test_ihl_below_5_is_passed),
		cmocka_unit_test(test_ip_version_not_4_is_passed),
		cmocka_unit_test(test_total_length_beyond_frame_is_passed),
		cmocka_unit_test(test_total_length_below_header_is_passed),
		cmocka_unit_test(test_bad_header_checksum_is_passed),
		cmocka_unit_test(
			test_frames_below_ethernet_header_refused_by_test_run),
		cmocka_unit_test(test_every_truncation_14_to_34_is_passed),
		cmocka_unit_test(test_arp_is_passed),
		cmocka_unit_test(test_ipv6_is_passed),
		cmocka_unit_test(test_vlan_tagged_is_passed),
		cmocka_unit_test(test_ipv6_fib_rewrites_macs_and_hop_limit),
		cmocka_unit_test(test_ipv6_padding_is_trimmed),
		cmocka_unit_test(test_ipv6_without_the_flag_is_the_kernels),
		cmocka_unit_test(test_ipv6_hop_limit_1_and_0_are_the_kernels),
		cmocka_unit_test(test_ipv6_special_addresses_are_the_kernels),
		cmocka_unit_test(test_ipv6_bad_headers_are_the_kernels),
		cmocka_unit_test(test_ipv6_extension_headers_are_the_kernels),
		cmocka_unit_test(test_ipv6_icmp_errors_are_the_kernels),
		cmocka_unit_test(test_ipv6_fib_answers_the_kernel_keeps),
		cmocka_unit_test(test_ipv6_forwarding_off_on_the_ingress),
		cmocka_unit_test(test_ipv6_fib_ecmp_picks_the_kernels_next_hop),
		cmocka_unit_test(
			test_ipv6_table_hit_rewrites_macs_and_hop_limit),
		cmocka_unit_test(test_ipv6_table_entry_beats_fib),
		cmocka_unit_test(
			test_ipv6_forwarding_off_stops_all_but_overrides),
		cmocka_unit_test(test_ipv6_table_egress_needs_ipv6_and_its_mtu),
		cmocka_unit_test(
			test_ipv6_table_never_reaches_special_addresses),
		cmocka_unit_test(test_ipv6_neighbour_discovery_is_the_kernels),
		cmocka_unit_test(test_netfilter_holds_each_family_apart),
		cmocka_unit_test(test_broadcast_mac_is_passed),
		cmocka_unit_test(test_multicast_mac_is_passed),
		cmocka_unit_test(test_frame_to_another_mac_is_passed),
		cmocka_unit_test(test_unmanaged_ingress_is_passed),
		cmocka_unit_test(test_multicast_destination_is_passed),
		cmocka_unit_test(test_limited_broadcast_destination_is_passed),
		cmocka_unit_test(test_loopback_addresses_are_passed),
		cmocka_unit_test(test_zero_addresses_are_passed),
		cmocka_unit_test(test_multicast_or_broadcast_source_is_passed),
		cmocka_unit_test(
			test_fib_success_uses_neighbour_and_egress_macs),
		cmocka_unit_test(test_fib_success_through_gateway),
		cmocka_unit_test(test_fib_stale_neighbour_is_used),
		cmocka_unit_test(test_fib_forward_trims_ethernet_padding),
		cmocka_unit_test(test_fib_no_neighbour_is_passed),
		cmocka_unit_test(test_fib_failed_neighbour_is_passed),
		cmocka_unit_test(test_fib_no_route_is_passed),
		cmocka_unit_test(test_fib_local_destination_is_passed),
		cmocka_unit_test(
			test_fib_blackhole_unreachable_prohibit_are_passed),
		cmocka_unit_test(test_fib_lwt_encap_route_is_passed),
		cmocka_unit_test(test_fib_forwarding_off_on_ingress_is_passed),
		cmocka_unit_test(test_fib_egress_mtu_exceeded_is_passed),
		cmocka_unit_test(test_fib_egress_mtu_exactly_full_is_forwarded),
		cmocka_unit_test(test_fib_locked_route_mtu_exceeded_is_passed),
		cmocka_unit_test(
			test_fib_route_mtu_bound_from_the_agent_is_honoured),
		cmocka_unit_test(test_ipv6_fib_route_mtu_bound_is_honoured),
		cmocka_unit_test(
			test_fib_locked_route_mtu_exactly_full_is_forwarded),
		cmocka_unit_test(test_fib_egress_unmanaged_is_passed),
		cmocka_unit_test(test_fib_hairpin_is_passed),
		cmocka_unit_test(test_fib_port_rule_selects_route),
		cmocka_unit_test(test_fib_fragments_match_no_port_rule),
		cmocka_unit_test(test_fib_ecmp_l3_hash_picks_kernel_next_hop),
		cmocka_unit_test(test_fib_ecmp_l4_hash_picks_kernel_next_hop),
		cmocka_unit_test(test_fib_icmp_errors_are_passed),
		cmocka_unit_test(
			test_table_redirect_leaves_by_the_entry_egress),
		cmocka_unit_test(test_fib_redirect_leaves_by_the_route_egress),
		cmocka_unit_test(
			test_icmp_non_errors_and_table_hits_are_forwarded),
		cmocka_unit_test(test_frags_table_hit_is_forwarded_whole),
		cmocka_unit_test(
			test_frags_table_egress_mtu_counts_the_fragments),
		cmocka_unit_test(
			test_frags_padding_in_the_fragments_is_trimmed),
		cmocka_unit_test(
			test_frags_total_length_beyond_frame_is_passed),
		cmocka_unit_test(test_frags_fib_path_forwards_and_checks_mtu),
		cmocka_unit_test(test_own_source_is_passed_to_kernel),
		cmocka_unit_test(
			test_own_source_with_accept_local_is_forwarded),
		cmocka_unit_test(test_own_source_in_every_slot_of_its_bucket),
		cmocka_unit_test(test_local_unknown_passes_every_source),
		cmocka_unit_test(
			test_strict_rp_filter_wants_the_route_back_by_ingress),
		cmocka_unit_test(test_loose_rp_filter_wants_any_route_back),
		cmocka_unit_test(test_rp_filter_off_forwards_any_source),
		cmocka_unit_test(test_netfilter_hold_passes_everything),
		cmocka_unit_test(
			test_ifstats_table_counts_rx_on_ingress_tx_on_egress),
		cmocka_unit_test(
			test_ifstats_fib_counts_tx_on_the_route_egress),
		cmocka_unit_test(
			test_ifstats_pass_counts_its_reason_on_the_ingress),
		cmocka_unit_test(test_ifstats_follow_the_slot_in_fwd_ifaces),
	};

	return cmocka_run_group_tests_name("xdp_handle_fwd", tests, setup_env,
					   teardown_env);
}
