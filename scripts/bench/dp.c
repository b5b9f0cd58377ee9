// SPDX-License-Identifier: GPL-2.0
/*
 * dp.c - the data-path benchmark: packets per second through the
 * forwarder namespace for each case, trials interleaved round-robin.
 *
 * gen netns --veth--> fwd netns --veth--> sink netns
 *
 * The generator is gen.bpf.c run by BPF_PROG_TEST_RUN in live-frames mode
 * (AF_PACKET tops out near 1.3 Mpps here, below what XDP forwards). The
 * jumbo cases (8000-byte IPv4 packets) use AF_PACKET instead: live frames
 * are at most a page. Their veths get MTU 9000 for the trial; the
 * forwarder's program (xdp.frags) then sees multi-buffer frames. The
 * sink is sink.bpf.c counting per CPU and dropping. The figure reported is
 * what reaches the sink per second of wall time, so frames the pipeline
 * drops do not count. The whole pipeline (generator, both veth NAPI polls,
 * the forwarder and the sink) runs in softirq on the one CPU the process
 * is pinned to: two-vCPU figures swing ~2x with the host's placement of
 * the vCPUs, one-CPU figures do not.
 *
 * The IPv6 cases (kernel6, table6, fib6) send one UDP flow to --dst6, 66
 * bytes on the wire (the smallest UDP over IPv6), through the same
 * pipeline; hfwd6 holds the destination in table6 only.
 *
 * Scaling (--dests N, --hfwd-entries M): hfwd holds M destinations,
 * 10.64.0.0 + k, and the generator cycles through N of them, a random
 * subset in a random order, so the hash buckets and the neighbour MACs miss
 * the caches as real traffic makes them. The fib case sends to N others,
 * 10.80.0.0 + k, that hfwd lacks; 10.64.0.0/11 is routed to the sink.
 *
 * The driver loads build/fwd.bpf.o itself (from the file, so --fwd-obj can
 * measure a modified build) and fills hfwd, fwd_ifaces and fwd_ports as
 * the daemon would for a static neighbour, so the data path is measured
 * without the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>

#include "fwd.h"
#include "bench.h"
#include "dp.h"
#include "util.h"
#include "dpd.h"
#include "gen.skel.h"
#include "sink.skel.h"
#include "bare.skel.h"

#define MAX_TRIALS 100
#define LOOP_RUNS 5 /* --loop: calls of BPF_PROG_TEST_RUN per case */
/* The jumbo cases: 8000-byte IPv4 packets over veths of MTU 9000. */
#define JUMBO_IP_LEN 8000
#define JUMBO_FRAME_LEN (JUMBO_IP_LEN + 14)
#define JUMBO_MTU 9000
#define STD_MTU 1500
#define JUMBO_BATCH 32 /* frames per sendmmsg() */

enum dp_case {
	CASE_KERNEL,
	CASE_TABLE,
	CASE_FIB,
	CASE_GENERIC,
	CASE_BARE,
	CASE_TABLE_RPF,
	CASE_KERNEL_JUMBO,
	CASE_TABLE_JUMBO,
	CASE_KERNEL6,
	CASE_TABLE6,
	CASE_FIB6,
	CASE_PEER, /* --peer-obj's program, the fib case's frames */
	CASE_PEER6,
	CASE_ROUTED, /* build/fwd itself from here on (is_daemon()) */
	CASE_ROUTED6,
	CASE_ROUTED_NH,
	CASE_ECMP,
	CASE_ECMP6,
	CASE_SPRAY,
	CASE_SPRAY6,
	CASE_MAX
};

static const struct {
	const char *name;
	const char *what;
} cases[CASE_MAX] = {
	[CASE_KERNEL] = {"kernel", "kernel forwarding, no XDP, ip_forward=1"},
	[CASE_TABLE] = {"table", "fwd, destination in hfwd, native XDP"},
	[CASE_FIB] = {"fib", "fwd, hfwd empty, bpf_fib_lookup, native XDP"},
	[CASE_GENERIC] = {"generic", "fwd, destination in hfwd, generic XDP"},
	[CASE_BARE] = {"bare", "bare devmap redirect, no parsing or rewrite"},
	[CASE_TABLE_RPF] = {"table-rpf",
			    "as table, strict rp_filter on the ingress"},
	[CASE_KERNEL_JUMBO] =
		{"kernel-8000",
		 "kernel forwarding, 8000-byte packets, MTU 9000"},
	[CASE_TABLE_JUMBO] = {"table-8000",
			      "fwd, hfwd hit, 8000-byte packets, MTU 9000"},
	[CASE_KERNEL6] = {"kernel6", "IPv6: kernel forwarding, no XDP"},
	[CASE_TABLE6] = {"table6", "IPv6: fwd, destination in hfwd6"},
	[CASE_FIB6] = {"fib6", "IPv6: fwd, hfwd6 empty, bpf_fib_lookup"},
	[CASE_PEER] = {"peer", "--peer-obj's program, the fib case's frames"},
	[CASE_PEER6] = {"peer6", "IPv6: --peer-obj's program, fib6's frames"},
	[CASE_ROUTED] = {"routed",
			 "build/fwd, a prefix via a gateway: demand learning"},
	[CASE_ROUTED6] = {"routed6", "IPv6: build/fwd, a prefix via a gateway"},
	[CASE_ROUTED_NH] = {"routed-nh",
			    "build/fwd, a prefix through a nexthop object"},
	[CASE_ECMP] = {"ecmp", "build/fwd, a two-way nexthop group: fib path"},
	[CASE_ECMP6] = {"ecmp6",
			"IPv6: build/fwd, a two-way multipath route: fib path"},
	[CASE_SPRAY] = {"spray",
			"build/fwd, every packet a new destination of a /8"},
	[CASE_SPRAY6] = {"spray6",
			 "IPv6: build/fwd, every packet a new destination of a "
			 "/64"},
};

static bool is_v6(int c)
{
	return c == CASE_KERNEL6 || c == CASE_TABLE6 || c == CASE_FIB6 ||
	       c == CASE_PEER6 || c == CASE_ROUTED6 || c == CASE_ECMP6 ||
	       c == CASE_SPRAY6;
}

/* The cases the real daemon forwards (--fwd-bin), a fresh one per trial. */
static bool is_daemon(int c)
{
	return c >= CASE_ROUTED && c <= CASE_SPRAY6;
}

/* The cases whose first packets teach the daemon: warm-up measured. */
static bool is_learned(int c)
{
	return c == CASE_ROUTED || c == CASE_ROUTED6 || c == CASE_ROUTED_NH;
}

static bool is_kernel(int c)
{
	return c == CASE_KERNEL || c == CASE_KERNEL_JUMBO || c == CASE_KERNEL6;
}

static bool is_jumbo(int c)
{
	return c == CASE_KERNEL_JUMBO || c == CASE_TABLE_JUMBO;
}

/* Bytes of a case's frames, without FCS. */
static int frame_len(int c)
{
	return is_jumbo(c) ? JUMBO_FRAME_LEN
	       : is_v6(c)  ? BENCH_FRAME6_LEN
			   : BENCH_FRAME_LEN;
}

/* Gbit/s of @pps frames of case @c, FCS included (not preamble, IFG). */
static double gbps(int c, double pps)
{
	return pps * (frame_len(c) + 4) * 8 / 1e9;
}

struct trial {
	double pps;	    /* delivered to the sink per second */
	double offered;	    /* frames the generator sent per second */
	uint64_t via_table; /* fwd_stats deltas, to prove the path taken */
	uint64_t via_fib;
	uint64_t passed;
	double prog_ns; /* ns per run of the ingress program (profile) */
	double gen_ns;	/* ns per run of the generator program (profile) */
	/* the daemon's cases */
	double warm_pkts; /* fib-path packets before the table path took over */
	double warm_ms;	  /* and the time it took; -1: it never did */
	double cpu_pct;	  /* the daemon's CPU over the measured window */
	struct dpd_demand dm; /* QueryStats' Demand after the trial */
};

struct iface {
	const char *name;
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu; /* fwd_ifaces keeps it: the table path checks it */
};

struct dp {
	/* options */
	const char *ns_gen, *ns_fwd, *ns_sink;
	struct iface gen_if, fwd_in, fwd_out, sink_if;
	struct in_addr src, dst;
	struct in6_addr src6, dst6;	 /* the IPv6 cases' */
	struct in_addr cdst[CASE_MAX];	 /* per case (--case-dst), else dst */
	struct in6_addr cdst6[CASE_MAX]; /* per case, else dst6 */
	const char *peer_path;		 /* --peer-obj */
	const char *peer_name;		 /* --peer-prog */
	struct bpf_object *peer;
	int peer_fd;
	const char *fwd_bin;  /* --fwd-bin: the daemon's cases */
	const char *dir;      /* --dir: the daemon's files */
	int daemon_cpu;	      /* --daemon-cpu */
	uint32_t daemon_max;  /* its --max-entries (0: default) */
	bool fwd_obj_given;   /* pass --fwd-obj to it as --bpf-object */
	struct dpd dpd;	      /* the running daemon, if any */
	char *daemon_args[9]; /* --daemon-arg: more of its options */
	int ndaemon_args;
	double warm_max;     /* --warmup-max: seconds before giving up */
	struct in_addr base; /* --dest-base: scaling destinations */
	uint32_t stride;     /* base + stride * k, k < span */
	uint32_t span;
	double seconds;
	int trials;
	int cpu;
	bool want[CASE_MAX];
	bool profile;
	uint32_t loop; /* --loop: BPF_PROG_TEST_RUN repetitions, 0: none */
	const char *json;
	/* state */
	struct gen_bpf *gen;
	struct sink_bpf *sink;
	struct bare_bpf *bare;
	const char *fwd_path; /* build/fwd.bpf.o, or a variant to compare */
	struct bpf_object *fwd;
	struct bpf_program *fwd_prog;
	int hfwd, hfwd6, fwd_ifaces, fwd_ports, fwd_stats; /* map fds */
	int stats; /* fwd_stats of this trial's program: ours, the daemon's */
	struct fwd_iface in_fi; /* the ingress's fwd_ifaces entry */
	int pkt_fd;		/* AF_PACKET on the generator's veth: jumbo */
	uint32_t ndst;		/* --dests: active destinations */
	uint32_t nhfwd;		/* --hfwd-entries: what hfwd holds */
	uint32_t *perm;		/* a random order of [0, max(ndst, nhfwd)) */
	int dsts_for;		/* whose destinations gen_dsts holds: -1 none */
	uint32_t mtu_now;	/* the veths' MTU now */
	int ncpus;
	double est_pps[CASE_MAX]; /* last rate seen, sizes the next call */
	struct trial res[CASE_MAX][MAX_TRIALS];
	int nres[CASE_MAX];
	struct trial prof[CASE_MAX]; /* the profile pass, not in the figures */
	bool have_prof[CASE_MAX];
	double loop_ns[CASE_MAX][LOOP_RUNS]; /* loop_pass(): ns a run */
	int loop_ret[CASE_MAX];		     /* and the verdict it gave */
};

static int iface_resolve(struct iface *ifc)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	ifc->ifindex = if_nametoindex(ifc->name);
	if (!ifc->ifindex) {
		err = -errno;
		fprintf(stderr, "bench: %s: %s\n", ifc->name, strerror(-err));
		return err;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!err && ioctl(fd, SIOCGIFMTU, &ifr))
		err = -errno;
	else if (!err)
		ifc->mtu = ifr.ifr_mtu;
	close(fd);
	return err;
}

static uint16_t csum16(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (size_t i = 0; i < len / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Ethernet + IPv4 + UDP to case @k's destination, addressed to the
 * forwarder's ingress MAC, @len bytes in all.
 */
static void build_frame(const struct dp *dp, int k, uint8_t *f, int len)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t tot = len - 14, ulen = tot - 20, c;

	memset(f, 0, len);
	memcpy(f, dp->fwd_in.mac, 6);
	memcpy(f + 6, dp->gen_if.mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;   /* TTL */
	ip[9] = 17;   /* UDP */
	memcpy(ip + 12, &dp->src, 4);
	memcpy(ip + 16, &dp->cdst[k], 4);
	c = csum16(ip, 20);
	memcpy(ip + 10, &c, 2);
	udp[0] = 0x30; /* ports 12345 -> 9 (discard) */
	udp[1] = 0x39;
	udp[3] = 9;
	udp[4] = ulen >> 8;
	udp[5] = ulen & 0xff;
}

/* UDP's checksum over IPv6 (RFC 8200 8.1: never zero). */
static uint16_t udp6_csum(const uint8_t *ip6, const uint8_t *udp, int ulen)
{
	uint32_t sum = 0;

	for (int i = 8; i < 40; i += 2) /* source and destination */
		sum += (uint32_t)ip6[i] << 8 | ip6[i + 1];
	sum += ulen + 17;
	for (int i = 0; i < ulen; i += 2)
		sum += (uint32_t)udp[i] << 8 | (i + 1 < ulen ? udp[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return htons(sum ? sum : 0xffff);
}

/* Ethernet + IPv6 + UDP to case @k's destination, no payload:
 * BENCH_FRAME6_LEN bytes. */
static void build_frame6(const struct dp *dp, int k, uint8_t *f)
{
	uint8_t *ip6 = f + 14, *udp = ip6 + 40;
	uint16_t c;

	memset(f, 0, BENCH_FRAME6_LEN);
	memcpy(f, dp->fwd_in.mac, 6);
	memcpy(f + 6, dp->gen_if.mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip6[0] = 0x60;
	ip6[5] = 8;  /* payload length: the UDP header */
	ip6[6] = 17; /* UDP */
	ip6[7] = 64; /* hop limit */
	memcpy(ip6 + 8, &dp->src6, 16);
	memcpy(ip6 + 24, &dp->cdst6[k], 16);
	udp[0] = 0x30; /* ports 12345 -> 9 (discard) */
	udp[1] = 0x39;
	udp[3] = 9;
	udp[5] = 8;
	c = udp6_csum(ip6, udp, 8);
	memcpy(udp + 6, &c, 2);
}

static uint64_t sink_count(const struct dp *dp)
{
	uint64_t v[dp->ncpus], sum = 0;
	uint32_t key = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->sink->maps.sink_cnt), &key, v))
		return 0;
	for (int i = 0; i < dp->ncpus; i++)
		sum += v[i];
	return sum;
}

/* A counter of this trial's program: dp->stats, ours or the daemon's. */
static uint64_t fwd_count(const struct dp *dp, uint32_t which)
{
	struct fwd_count v[dp->ncpus];
	uint64_t sum = 0;

	if (dp->stats < 0 || bpf_map_lookup_elem(dp->stats, &which, v))
		return 0;
	for (int i = 0; i < dp->ncpus; i++)
		sum += v[i].packets;
	return sum;
}

/* Every counter but the four that say forwarded. */
static uint64_t fwd_passed(const struct dp *dp)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < FWD_CNT_MAX; i++)
		if (i != FWD_CNT_FWD_TABLE && i != FWD_CNT_FWD_FIB &&
		    i != FWD_CNT_FWD_TABLE6 && i != FWD_CNT_FWD_FIB6)
			sum += fwd_count(dp, i);
	return sum;
}

/* Runs and run time of a program (run time counts only with stats on). */
static void prog_stats(int fd, uint64_t *cnt, uint64_t *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	*cnt = *ns = 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*cnt = info.run_cnt;
		*ns = info.run_time_ns;
	}
}

/* The program on the ingress in case @c, once setup_case() put it there. */
static int ingress_prog(const struct dp *dp, enum dp_case c)
{
	if (is_kernel(c))
		return -1;
	if (c == CASE_BARE)
		return bpf_program__fd(dp->bare->progs.xdp_bare);
	if (c == CASE_PEER || c == CASE_PEER6)
		return dp->peer_fd;
	if (is_daemon(c))
		return dp->dpd.prog_fd;
	return bpf_program__fd(dp->fwd_prog);
}

/* hfwd holds dst exactly in the table cases, as the daemon would. */
static int set_route(struct dp *dp, bool in_table)
{
	int fd = dp->hfwd;
	struct fwd_entry e = {.ifindex = dp->fwd_out.ifindex};
	int err;

	/* scaling: the table stays full, the fib case's destinations miss */
	if (dp->nhfwd > 1)
		return 0;
	if (!in_table) {
		err = bpf_map_delete_elem(fd, &dp->dst.s_addr);
		return err && errno != ENOENT ? -errno : 0;
	}
	memcpy(e.smac, dp->fwd_out.mac, 6);
	memcpy(e.dmac, dp->sink_if.mac, 6);
	return bpf_map_update_elem(fd, &dp->dst.s_addr, &e, BPF_ANY) ? -errno
								     : 0;
}

/* hfwd6 holds dst6 in the table6 case only. */
static int set_route6(struct dp *dp, bool in_table)
{
	struct fwd_entry e = {.ifindex = dp->fwd_out.ifindex};
	int err;

	if (!in_table) {
		err = bpf_map_delete_elem(dp->hfwd6, &dp->dst6);
		return err && errno != ENOENT ? -errno : 0;
	}
	memcpy(e.smac, dp->fwd_out.mac, 6);
	memcpy(e.dmac, dp->sink_if.mac, 6);
	return bpf_map_update_elem(dp->hfwd6, &dp->dst6, &e, BPF_ANY) ? -errno
								      : 0;
}

static int set_mtu_in(const char *ns, const char *name, uint32_t mtu)
{
	struct ifreq ifr = {.ifr_mtu = (int)mtu};
	int fd, err;

	err = bench_enter_ns(ns);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ioctl(fd, SIOCSIFMTU, &ifr) ? -errno : 0;
	close(fd);
	if (err)
		fprintf(stderr, "bench: mtu %u on %s: %s\n", mtu, name,
			strerror(-err));
	return err;
}

/*
 * Every veth of the pipeline at @mtu (the ingress program detached: a
 * veth refuses an MTU its peer's program cannot take), and fwd_ifaces
 * told, as the daemon would be: the table path checks the egress MTU.
 */
static int set_mtu(struct dp *dp, uint32_t mtu)
{
	struct fwd_iface out = {
		.flags = dp->in_fi.flags, .mtu = mtu, .mtu6 = mtu, .slot = 1};
	int err;

	if (dp->mtu_now == mtu)
		return 0;
	err = set_mtu_in(dp->ns_gen, dp->gen_if.name, mtu);
	if (!err)
		err = set_mtu_in(dp->ns_sink, dp->sink_if.name, mtu);
	if (!err)
		err = set_mtu_in(dp->ns_fwd, dp->fwd_in.name, mtu);
	if (!err)
		err = set_mtu_in(dp->ns_fwd, dp->fwd_out.name, mtu);
	if (err)
		return err;
	dp->mtu_now = mtu;
	dp->in_fi.mtu = mtu;
	dp->in_fi.mtu6 = mtu;
	memcpy(out.mac, dp->fwd_out.mac, 6);
	if (bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_in.ifindex, &dp->in_fi,
				BPF_ANY) ||
	    bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_out.ifindex, &out,
				BPF_ANY))
		return -errno;
	return 0;
}

/* The k-th scaling destination: the table's, or the fib case's. */
static uint32_t scale_dst(uint32_t k, bool fib)
{
	return htonl((fib ? 0x0a500000 : 0x0a400000) + k);
}

/* A fixed-seed random permutation: the same order in every run. */
static int make_perm(struct dp *dp)
{
	uint32_t n = dp->ndst > dp->nhfwd ? dp->ndst : dp->nhfwd;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	if (dp->span > n)
		n = dp->span;

	dp->perm = malloc(n * sizeof(*dp->perm));
	if (!dp->perm)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		dp->perm[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j, t;

		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = dp->perm[i];
		dp->perm[i] = dp->perm[j];
		dp->perm[j] = t;
	}
	return 0;
}

/* hfwd holds 10.64.0.0 + k for k < nhfwd, all out to the sink. */
static int fill_hfwd(struct dp *dp)
{
	enum { CHUNK = 8192 };
	static uint32_t keys[CHUNK];
	static struct fwd_entry vals[CHUNK];
	struct fwd_entry e = {.ifindex = dp->fwd_out.ifindex};
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	memcpy(e.smac, dp->fwd_out.mac, 6);
	memcpy(e.dmac, dp->sink_if.mac, 6);
	for (uint32_t k = 0; k < dp->nhfwd; k += CHUNK) {
		uint32_t n = dp->nhfwd - k < CHUNK ? dp->nhfwd - k : CHUNK;

		for (uint32_t i = 0; i < n; i++) {
			keys[i] = scale_dst(k + i, false);
			vals[i] = e;
		}
		if (bpf_map_update_batch(dp->hfwd, keys, vals, &n, &o))
			return -errno;
	}
	return 0;
}

/*
 * gen_dsts for case @c: N of the table's destinations in random order, or
 * as many the table lacks for the fib case; with --dest-base, N of the
 * span's (base + stride * k) for every case. Rewritten only on a change.
 */
static int load_dsts(struct dp *dp, enum dp_case c)
{
	int fd = bpf_map__fd(dp->gen->maps.gen_dsts);
	int set = dp->base.s_addr ? 2 : c == CASE_FIB && dp->nhfwd > 1;

	if ((dp->ndst <= 1 && dp->nhfwd <= 1) || dp->dsts_for == set)
		return 0;
	for (uint32_t k = 0; k < dp->ndst; k++) {
		uint32_t d = set == 2 ? htonl(ntohl(dp->base.s_addr) +
					      dp->stride * dp->perm[k])
				      : scale_dst(dp->perm[k], set);

		if (bpf_map_update_elem(fd, &k, &d, BPF_ANY))
			return -errno;
	}
	dp->gen->bss->gen_ndst = dp->ndst;
	dp->gen->bss->gen_next = 0;
	dp->dsts_for = set;
	return 0;
}

/* Put the forwarder's ingress in the state case @c measures. */
static int setup_case(struct dp *dp, enum dp_case c)
{
	int in = dp->fwd_in.ifindex, prog, err;
	uint32_t mode = XDP_FLAGS_DRV_MODE;
	struct fwd_iface fi;

	err = bench_enter_ns(dp->ns_fwd);
	if (err)
		return err;
	/* Only one mode can hold a program at a time: clear both. */
	bpf_xdp_detach(in, XDP_FLAGS_DRV_MODE, NULL);
	bpf_xdp_detach(in, XDP_FLAGS_SKB_MODE, NULL);
	err = set_mtu(dp, is_jumbo(c) ? JUMBO_MTU : STD_MTU);
	if (!err)
		err = bench_enter_ns(dp->ns_fwd);
	if (err)
		return err;
	err = load_dsts(dp, c);
	if (err)
		return err;
	/* the generator's headers: IPv4's, or IPv6's */
	{
		uint8_t f[BENCH_FRAME6_LEN];

		if (is_v6(c))
			build_frame6(dp, c, f);
		else
			build_frame(dp, c, f, BENCH_FRAME_LEN);
		memcpy(dp->gen->bss->gen_hdr, f,
		       is_v6(c) ? BENCH_HDR6_LEN : BENCH_HDR_LEN);
		dp->gen->bss->gen_v6 = is_v6(c);
		/* spray: a /8's 24 bits, a /64's low 32 */
		dp->gen->bss->gen_spray = c == CASE_SPRAY    ? 0x00ffffff
					  : c == CASE_SPRAY6 ? 0xffffffff
							     : 0;
	}
	dp->stats = dp->fwd_stats;
	if (is_daemon(c)) {
		/* fresh: hfwd lacks the case's destinations at the start */
		char *const *extra = dp->daemon_args[0] ? dp->daemon_args
							: NULL;

		err = dpd_start(&dp->dpd, dp->fwd_bin, dp->fwd_path, dp->dir,
				dp->fwd_in.name, dp->fwd_out.name,
				dp->daemon_cpu, dp->daemon_max, extra);
		dp->stats = dp->dpd.stats_fd;
		return err;
	}
	switch (c) {
	case CASE_KERNEL:
	case CASE_KERNEL_JUMBO:
	case CASE_KERNEL6:
		return 0;
	case CASE_PEER:
	case CASE_PEER6:
		prog = dp->peer_fd;
		break;
	case CASE_TABLE6:
	case CASE_FIB6:
		err = set_route6(dp, c == CASE_TABLE6);
		if (err)
			return err;
		if (bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_in.ifindex,
					&dp->in_fi, BPF_ANY))
			return -errno;
		prog = bpf_program__fd(dp->fwd_prog);
		break;
	case CASE_BARE:
		prog = bpf_program__fd(dp->bare->progs.xdp_bare);
		break;
	case CASE_GENERIC:
		mode = XDP_FLAGS_SKB_MODE;
		/* fall through */
	default:
		err = set_route(dp, c != CASE_FIB);
		if (err)
			return err;
		/* strict rp_filter: a reverse bpf_fib_lookup per packet */
		fi = dp->in_fi;
		if (c == CASE_TABLE_RPF)
			fi.flags |= FWD_IF_RPF_STRICT;
		if (bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_in.ifindex,
					&fi, BPF_ANY))
			return -errno;
		prog = bpf_program__fd(dp->fwd_prog);
		break;
	}
	err = bpf_xdp_attach(in, prog, mode, NULL);
	if (err)
		fprintf(stderr, "bench: attach %s on %s: %s\n", cases[c].name,
			dp->fwd_in.name, strerror(-err));
	return err;
}

/*
 * One generator call. Each call waits for RCU grace periods on the way
 * out, so calls are sized to last ~0.5 s: millions of frames, not
 * thousands, or the generator would sleep most of the time.
 */
static int gen_run(struct dp *dp, enum dp_case c, uint32_t repeat)
{
	uint8_t frame[BENCH_FRAME6_LEN];
	// cppcheck-suppress unknownMacro
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = (__u32)frame_len(c), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int err;

	if (is_v6(c))
		build_frame6(dp, c, frame);
	else
		build_frame(dp, c, frame, BENCH_FRAME_LEN);
	err = bpf_prog_test_run_opts(bpf_program__fd(dp->gen->progs.xdp_gen),
				     &opts);
	if (err) {
		err = -errno;
		fprintf(stderr, "bench: generator run: %s\n", strerror(-err));
	}
	return err;
}

/*
 * The jumbo generator: AF_PACKET, JUMBO_BATCH frames per sendmmsg(), for
 * @secs. Frames sent in *sent. The socket bypasses the qdisc, so each
 * frame goes straight to veth_xmit() and, on this CPU, through the
 * pipeline before the call returns.
 */
static int gen_pkt_run(struct dp *dp, double secs, uint64_t *sent)
{
	static uint8_t frame[JUMBO_FRAME_LEN];
	struct mmsghdr msg[JUMBO_BATCH];
	struct iovec iov = {.iov_base = frame, .iov_len = sizeof(frame)};
	uint64_t t0 = bench_now_ns(), n = 0;

	build_frame(dp, CASE_TABLE_JUMBO, frame, sizeof(frame));
	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < JUMBO_BATCH; i++) {
		msg[i].msg_hdr.msg_iov = &iov;
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while ((bench_now_ns() - t0) / 1e9 < secs) {
		int r = sendmmsg(dp->pkt_fd, msg, JUMBO_BATCH, 0);

		if (r < 0 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != EINTR) {
			int err = -errno;

			fprintf(stderr, "bench: AF_PACKET send: %s\n",
				strerror(-err));
			return err;
		}
		if (r > 0)
			n += r;
	}
	*sent = n;
	return 0;
}

/* A socket that sends raw frames out of the generator's veth. */
static int pkt_open(struct dp *dp)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_ifindex = dp->gen_if.ifindex};
	int one = 1, buf = 4 << 20, err;

	dp->pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (dp->pkt_fd < 0)
		return -errno;
	if (setsockopt(dp->pkt_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) ||
	    setsockopt(dp->pkt_fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf)) ||
	    bind(dp->pkt_fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(dp->pkt_fd);
		dp->pkt_fd = -1;
		return err;
	}
	return 0;
}

static uint64_t via_table(const struct dp *dp)
{
	return fwd_count(dp, FWD_CNT_FWD_TABLE) +
	       fwd_count(dp, FWD_CNT_FWD_TABLE6);
}

static uint64_t via_fib(const struct dp *dp)
{
	return fwd_count(dp, FWD_CNT_FWD_FIB) + fwd_count(dp, FWD_CNT_FWD_FIB6);
}

/*
 * A learned case's warm-up: the generator in batches (4096 frames, or
 * one round of the destinations) until a batch goes at least 99% by the
 * table path, at most --warmup-max seconds. Into @t the packets that took
 * the fib path meanwhile (exact: from fwd_stats) and the time until that
 * batch ended (to within a batch, ~2 ms for one destination); -1 if the
 * table path never took over.
 */
static int warm_up(struct dp *dp, enum dp_case c, struct trial *t)
{
	uint32_t batch = dp->ndst > 4096 ? dp->ndst : 4096;
	uint64_t t0 = bench_now_ns(), fib0 = via_fib(dp), f, tb, df, dt;
	int err;

	t->warm_ms = -1;
	while ((bench_now_ns() - t0) / 1e9 < dp->warm_max) {
		f = via_fib(dp);
		tb = via_table(dp);
		err = gen_run(dp, c, batch);
		if (err)
			return err;
		df = via_fib(dp) - f;
		dt = via_table(dp) - tb;
		if (dt > 0 && df * 100 <= df + dt) {
			t->warm_ms = (bench_now_ns() - t0) / 1e6;
			break;
		}
	}
	t->warm_pkts = (double)(via_fib(dp) - fib0);
	return 0;
}

static int run_trial_on(struct dp *dp, enum dp_case c, struct trial *t)
{
	uint64_t t0, t1, now, s0, s1, tab0, fib0, pas0, sent = 0;
	uint64_t pc0, pn0, pc1, pn1, gc0, gn0, gc1, gn1;
	int gfd = bpf_program__fd(dp->gen->progs.xdp_gen);
	double cpu0 = -1, cpu1;
	double left, secs;
	uint32_t repeat;
	int pfd, err;

	err = setup_case(dp, c);
	if (err)
		return err;
	pfd = ingress_prog(dp, c);
	/* Warm-up: attach transients and cold caches out of the figure. */
	if (is_learned(c))
		err = warm_up(dp, c, t);
	else
		err = is_jumbo(c) ? gen_pkt_run(dp, 0.05, &sent)
				  : gen_run(dp, c, 100000);
	if (err)
		return err;
	sent = 0;
	if (is_daemon(c))
		cpu0 = bench_cpu_ms(dp->dpd.pid);

	s0 = sink_count(dp);
	tab0 = via_table(dp);
	fib0 = via_fib(dp);
	pas0 = fwd_passed(dp);
	prog_stats(pfd, &pc0, &pn0);
	prog_stats(gfd, &gc0, &gn0);
	t0 = bench_now_ns();
	now = t1 = t0;
	if (is_jumbo(c)) {
		err = gen_pkt_run(dp, dp->seconds, &sent);
		if (err)
			return err;
		now = t1 = bench_now_ns();
	}
	while (!is_jumbo(c) && (now - t0) / 1e9 < dp->seconds * 0.98) {
		left = dp->seconds - (now - t0) / 1e9;
		if (left > 0.5)
			left = 0.5;
		repeat = (uint32_t)(dp->est_pps[c] * left);
		if (repeat < 65536)
			repeat = 65536;
		err = gen_run(dp, c, repeat);
		if (err)
			return err;
		sent += repeat;
		t1 = bench_now_ns();
		dp->est_pps[c] = repeat / ((t1 - now) / 1e9);
		now = t1;
	}
	s1 = sink_count(dp);
	if (is_daemon(c)) {
		cpu1 = bench_cpu_ms(dp->dpd.pid);
		t->cpu_pct = cpu0 < 0 || cpu1 < 0
				     ? -1
				     : (cpu1 - cpu0) / 10 / ((t1 - t0) / 1e9);
	}
	prog_stats(pfd, &pc1, &pn1);
	prog_stats(gfd, &gc1, &gn1);
	t->prog_ns = pc1 > pc0 ? (double)(pn1 - pn0) / (pc1 - pc0) : 0;
	t->gen_ns = gc1 > gc0 ? (double)(gn1 - gn0) / (gc1 - gc0) : 0;

	secs = (t1 - t0) / 1e9;
	t->pps = (s1 - s0) / secs;
	t->offered = sent / secs;
	t->via_table = via_table(dp) - tab0;
	t->via_fib = via_fib(dp) - fib0;
	t->passed = fwd_passed(dp) - pas0;
	if (is_daemon(c))
		dpd_demand(&dp->dpd, &t->dm);
	return 0;
}

/* One trial of case @c; a daemon started for it stops with it. */
static int run_trial(struct dp *dp, enum dp_case c, struct trial *t)
{
	int err = run_trial_on(dp, c, t);

	if (is_daemon(c))
		dpd_stop(&dp->dpd);
	return err;
}

/*
 * The forwarder's object from its file, as the daemon loads it, so that a
 * modified build (--fwd-obj) can be measured against the same pipeline.
 */
static int fwd_load(struct dp *dp)
{
	int err;

	dp->fwd = bpf_object__open_file(dp->fwd_path, NULL);
	if (!dp->fwd) {
		err = -errno;
		fprintf(stderr, "bench: opening %s: %s\n", dp->fwd_path,
			strerror(-err));
		return err;
	}
	if (dp->nhfwd > FWD_DEFAULT_MAX_ENTRIES) {
		struct bpf_map *m =
			bpf_object__find_map_by_name(dp->fwd, "hfwd");

		err = m ? bpf_map__set_max_entries(m, dp->nhfwd) : -ENOENT;
		if (err)
			return err;
	}
	err = bpf_object__load(dp->fwd);
	if (err) {
		fprintf(stderr, "bench: loading %s: %s\n", dp->fwd_path,
			strerror(-err));
		return err;
	}
	/*
	 * Demand learning's reports, set as the daemon sets them by default
	 * (--demand-rate 4096, a burst of an eighth): without a rate the
	 * fib path's report() returns at once, cheaper than in production.
	 * Nobody reads the ring here; one flow reports once a second.
	 */
	{
		int dfd =
			bpf_object__find_map_fd_by_name(dp->fwd, "fwd_demand");
		struct fwd_demand *v = calloc(dp->ncpus, sizeof(*v));
		uint32_t zero = 0;

		if (!v)
			return -ENOMEM;
		for (int i = 0; i < dp->ncpus; i++) {
			v[i].rate = 4096;
			v[i].burst = 4096 / 8 + 1;
		}
		err = dfd >= 0 && bpf_map_update_elem(dfd, &zero, v, BPF_ANY)
			      ? -errno
			      : 0;
		free(v);
		if (err)
			return err;
	}
	/* a steps.sh variant reads its next hop from here, not hfwd */
	{
		int pfd = bpf_object__find_map_fd_by_name(dp->fwd, "prof_nh");
		struct fwd_entry e = {.ifindex = dp->fwd_out.ifindex};
		uint32_t zero = 0;

		memcpy(e.smac, dp->fwd_out.mac, 6);
		memcpy(e.dmac, dp->sink_if.mac, 6);
		if (pfd >= 0 && bpf_map_update_elem(pfd, &zero, &e, BPF_ANY))
			return -errno;
	}
	dp->fwd_prog =
		bpf_object__find_program_by_name(dp->fwd, "xdp_handle_fwd");
	dp->hfwd = bpf_object__find_map_fd_by_name(dp->fwd, "hfwd");
	/* an older --fwd-obj has none: its IPv6 cases fail, not the rest */
	dp->hfwd6 = bpf_object__find_map_fd_by_name(dp->fwd, "hfwd6");
	dp->fwd_ifaces = bpf_object__find_map_fd_by_name(dp->fwd, "fwd_ifaces");
	dp->fwd_ports = bpf_object__find_map_fd_by_name(dp->fwd, "fwd_ports");
	dp->fwd_stats = bpf_object__find_map_fd_by_name(dp->fwd, "fwd_stats");
	if (!dp->fwd_prog || dp->hfwd < 0 || dp->fwd_ifaces < 0 ||
	    dp->fwd_ports < 0 || dp->fwd_stats < 0) {
		fprintf(stderr, "bench: %s lacks xdp_handle_fwd or a map\n",
			dp->fwd_path);
		return -ENOENT;
	}
	return 0;
}

/*
 * --peer-obj: another XDP forwarder's object (xdp-tools' xdp-forward, say),
 * loaded as its own loader would: every DEVMAP_HASH in it holds the
 * pipeline's two interfaces, ifindex -> ifindex. Called in the
 * forwarder's namespace: devmap entries resolve ifindexes there.
 */
static int peer_load(struct dp *dp)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	int err, ndev = 0;

	dp->peer = bpf_object__open_file(dp->peer_path, NULL);
	if (!dp->peer) {
		err = -errno;
		fprintf(stderr, "bench: opening %s: %s\n", dp->peer_path,
			strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(dp->peer, dp->peer_name);
	if (!prog) {
		fprintf(stderr, "bench: %s has no program %s\n", dp->peer_path,
			dp->peer_name);
		return -ENOENT;
	}
	err = bpf_object__load(dp->peer);
	if (err) {
		fprintf(stderr, "bench: loading %s: %s\n", dp->peer_path,
			strerror(-err));
		return err;
	}
	bpf_object__for_each_map(m, dp->peer)
	{
		uint32_t ifs[2] = {dp->fwd_in.ifindex, dp->fwd_out.ifindex};

		if (bpf_map__type(m) != BPF_MAP_TYPE_DEVMAP_HASH)
			continue;
		for (int i = 0; i < 2; i++)
			if (bpf_map_update_elem(bpf_map__fd(m), &ifs[i],
						&ifs[i], BPF_ANY))
				return -errno;
		ndev++;
	}
	if (!ndev)
		fprintf(stderr, "bench: %s has no DEVMAP_HASH to fill\n",
			dp->peer_path);
	dp->peer_fd = bpf_program__fd(prog);
	return 0;
}

static int load_all(struct dp *dp)
{
	/* as the daemon sets a veth's: checksums left for offload looked at */
	struct fwd_iface fi = {.flags = FWD_IF_MANAGED | FWD_IF_FORWARDING |
					FWD_IF_UP | FWD_IF_IPV6 |
					FWD_IF_FORWARDING6 |
					FWD_IF_PARTIAL_CSUM};
	uint8_t frame[BENCH_FRAME_LEN];
	uint32_t key = 0, oif;
	int err;

	/* Sink first: it gives the sink veth the NAPI redirects need. */
	err = bench_enter_ns(dp->ns_sink);
	if (err || (err = iface_resolve(&dp->sink_if)))
		return err;
	dp->sink = sink_bpf__open_and_load();
	if (!dp->sink)
		return -errno;
	err = bpf_xdp_attach(dp->sink_if.ifindex,
			     bpf_program__fd(dp->sink->progs.xdp_sink),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err)
		return err;

	/* Devmap entries resolve ifindexes in the caller's namespace. */
	err = bench_enter_ns(dp->ns_gen);
	if (err || (err = iface_resolve(&dp->gen_if)))
		return err;
	dp->gen = gen_bpf__open_and_load();
	if (!dp->gen)
		return -errno;
	oif = dp->gen_if.ifindex;
	if (bpf_map_update_elem(bpf_map__fd(dp->gen->maps.gen_out), &key, &oif,
				BPF_ANY))
		return -errno;

	err = bench_enter_ns(dp->ns_fwd);
	if (err || (err = iface_resolve(&dp->fwd_in)) ||
	    (err = iface_resolve(&dp->fwd_out)))
		return err;
	err = fwd_load(dp);
	if (!err && dp->peer_path)
		err = peer_load(dp);
	if (err)
		return err;
	/*
	 * fwd_ifaces is an array indexed by ifindex. An older --fwd-obj
	 * (a hash of 8-byte values) takes the same writes: the kernel copies
	 * only its value size, and mac and flags lead the struct in both.
	 */
	memcpy(fi.mac, dp->fwd_in.mac, 6);
	fi.mtu = fi.mtu6 = dp->fwd_in.mtu;
	dp->in_fi = fi;
	if (bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_in.ifindex, &fi,
				BPF_ANY))
		return -errno;
	memcpy(fi.mac, dp->fwd_out.mac, 6);
	fi.mtu = fi.mtu6 = dp->fwd_out.mtu;
	fi.slot = 1; /* its own fwd_ifstats slot, as the agent gives it */
	if (bpf_map_update_elem(dp->fwd_ifaces, &dp->fwd_out.ifindex, &fi,
				BPF_ANY))
		return -errno;
	oif = dp->fwd_out.ifindex;
	if (bpf_map_update_elem(dp->fwd_ports, &oif, &oif, BPF_ANY))
		return -errno;

	dp->bare = bare_bpf__open();
	if (!dp->bare)
		return -errno;
	dp->bare->rodata->bare_oif = oif;
	err = bare_bpf__load(dp->bare);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(dp->bare->maps.bare_out), &oif,
				&oif, BPF_ANY))
		return -errno;

	build_frame(dp, CASE_TABLE, frame, sizeof(frame));
	memcpy(dp->gen->bss->gen_hdr, frame, BENCH_HDR_LEN);
	if ((dp->want[CASE_TABLE6] || dp->want[CASE_FIB6]) && dp->hfwd6 < 0) {
		fprintf(stderr, "bench: %s has no hfwd6\n", dp->fwd_path);
		return -ENOENT;
	}
	dp->mtu_now = dp->fwd_in.mtu;
	dp->dsts_for = -1;
	if (dp->ndst > 1 || dp->nhfwd > 1) {
		err = make_perm(dp);
		if (!err)
			err = fill_hfwd(dp);
		if (err)
			return err;
	}
	if (dp->want[CASE_KERNEL_JUMBO] || dp->want[CASE_TABLE_JUMBO]) {
		err = bench_enter_ns(dp->ns_gen);
		if (!err)
			err = pkt_open(dp);
	}
	return err;
}

struct prog_size {
	const char *name;
	__u32 verified; /* instructions the verifier walked */
	__u32 xlated;	/* instructions after rewriting */
	__u32 jited;	/* bytes of machine code */
};

#define NPROGS 5

/* Sizes of fwd's, bare's, the generator's, the sink's and the peer's. */
static int prog_sizes(const struct dp *dp, struct prog_size ps[NPROGS])
{
	const struct bpf_program *p[NPROGS] = {
		dp->fwd_prog, dp->bare->progs.xdp_bare, dp->gen->progs.xdp_gen,
		dp->sink->progs.xdp_sink,
		dp->peer ? bpf_object__find_program_by_name(dp->peer,
							    dp->peer_name)
			 : NULL};
	int n = p[NPROGS - 1] ? NPROGS : NPROGS - 1;

	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		ps[i].name = bpf_program__name(p[i]);
		if (bpf_obj_get_info_by_fd(bpf_program__fd(p[i]), &info, &len))
			continue;
		ps[i].verified = info.verified_insns;
		ps[i].xlated = info.xlated_prog_len / 8;
		ps[i].jited = info.jited_prog_len;
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct summary {
	double med, min, max, offered;
	uint64_t via_table, via_fib, passed;
	/* the daemon's cases: medians over the trials */
	double warm_pkts, warm_ms; /* warm_ms -1: a trial never warmed up */
	double cpu_pct;
	struct dpd_demand dm; /* the last trial's */
};

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void summarize(const struct dp *dp, enum dp_case c, struct summary *s)
{
	int n = dp->nres[c];
	double v[MAX_TRIALS], o[MAX_TRIALS], w[MAX_TRIALS], m[MAX_TRIALS],
		u[MAX_TRIALS];
	bool never = false;

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n; i++) {
		const struct trial *t = &dp->res[c][i];

		v[i] = t->pps;
		o[i] = t->offered;
		w[i] = t->warm_pkts;
		m[i] = t->warm_ms;
		u[i] = t->cpu_pct;
		never |= t->warm_ms < 0;
		s->via_table += t->via_table;
		s->via_fib += t->via_fib;
		s->passed += t->passed;
	}
	s->med = median(v, n);
	s->min = v[0];
	s->max = v[n - 1];
	s->offered = median(o, n);
	s->warm_pkts = median(w, n);
	s->warm_ms = never ? -1 : median(m, n);
	s->cpu_pct = median(u, n);
	s->dm = dp->res[c][n - 1].dm;
}

static const struct {
	const char *name;
	enum dp_case num, den;
	double target; /* 0: none */
} ratios[] = {
	{"table/kernel", CASE_TABLE, CASE_KERNEL, 3.5},
	{"fib/kernel", CASE_FIB, CASE_KERNEL, 2.6},
	{"table/bare", CASE_TABLE, CASE_BARE, 0.92},
	{"native/generic", CASE_TABLE, CASE_GENERIC, 0},
	{"table-rpf/table", CASE_TABLE_RPF, CASE_TABLE, 0},
	{"table-8000/kernel-8000", CASE_TABLE_JUMBO, CASE_KERNEL_JUMBO, 0},
	{"table6/kernel6", CASE_TABLE6, CASE_KERNEL6, 3.5},
	{"fib6/kernel6", CASE_FIB6, CASE_KERNEL6, 2.6},
	{"table6/table", CASE_TABLE6, CASE_TABLE, 0},
	{"fib/peer", CASE_FIB, CASE_PEER, 0},
	{"fib6/peer6", CASE_FIB6, CASE_PEER6, 0},
	{"routed/table", CASE_ROUTED, CASE_TABLE, 0},
	{"routed/fib", CASE_ROUTED, CASE_FIB, 0},
	{"routed6/table6", CASE_ROUTED6, CASE_TABLE6, 0},
	{"routed6/fib6", CASE_ROUTED6, CASE_FIB6, 0},
	{"routed-nh/table", CASE_ROUTED_NH, CASE_TABLE, 0},
	{"ecmp/fib", CASE_ECMP, CASE_FIB, 0},
	{"ecmp6/fib6", CASE_ECMP6, CASE_FIB6, 0},
	{"spray/fib", CASE_SPRAY, CASE_FIB, 0},
	{"spray6/fib6", CASE_SPRAY6, CASE_FIB6, 0},
};

/*
 * The ratio of cases @num and @den round by round (trial r of each ran in
 * round r, a few seconds apart), median and range: on a shared machine
 * whose speed moves between rounds, steadier than the medians' ratio.
 */
static double paired(const struct dp *dp, int num, int den, double *lo,
		     double *hi)
{
	int n = dp->nres[num] < dp->nres[den] ? dp->nres[num] : dp->nres[den];
	double v[MAX_TRIALS], m;

	for (int r = 0; r < n; r++)
		v[r] = dp->res[num][r].pps / dp->res[den][r].pps;
	m = median(v, n);
	*lo = v[0];
	*hi = v[n - 1];
	return m;
}

/* QueryStats' Demand, as the daemon named its fields. */
static void json_demand(cJSON *d, const struct dpd_demand *dm)
{
	cJSON_AddNumberToObject(d, "max", dm->max);
	cJSON_AddNumberToObject(d, "entries", dm->entries);
	cJSON_AddNumberToObject(d, "learned", dm->learned);
	cJSON_AddNumberToObject(d, "ignored", dm->ignored);
	cJSON_AddNumberToObject(d, "evictedIdle", dm->evicted_idle);
	cJSON_AddNumberToObject(d, "evictedBudget", dm->evicted_budget);
	cJSON_AddNumberToObject(d, "reports", dm->reports);
	cJSON_AddNumberToObject(d, "suppressed", dm->suppressed);
	cJSON_AddNumberToObject(d, "limited", dm->limited);
	cJSON_AddNumberToObject(d, "lost", dm->lost);
}

/* dp.json, for report.sh: the figures and the runs behind them. */
static void write_json(const struct dp *dp, const struct summary *s,
		       const struct prog_size *ps, int nps)
{
	cJSON *root = cJSON_CreateObject(), *arr, *o, *r;
	char *text;
	FILE *f;

	cJSON_AddNumberToObject(root, "cpu", dp->cpu);
	cJSON_AddNumberToObject(root, "seconds", dp->seconds);
	cJSON_AddNumberToObject(root, "trials", dp->trials);
	cJSON_AddNumberToObject(root, "frame_bytes", BENCH_FRAME_LEN + 4);
	cJSON_AddNumberToObject(root, "dests", dp->ndst);
	cJSON_AddNumberToObject(root, "hfwd_entries", dp->nhfwd);
	arr = cJSON_AddArrayToObject(root, "cases");
	for (int c = 0; c < CASE_MAX; c++) {
		if (!dp->nres[c])
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", cases[c].name);
		cJSON_AddStringToObject(o, "what", cases[c].what);
		/* on the wire, with the FCS */
		cJSON_AddNumberToObject(o, "frame_bytes", frame_len(c) + 4);
		cJSON_AddNumberToObject(o, "pps_median", s[c].med);
		cJSON_AddNumberToObject(o, "pps_min", s[c].min);
		cJSON_AddNumberToObject(o, "pps_max", s[c].max);
		cJSON_AddNumberToObject(o, "gbps_median", gbps(c, s[c].med));
		cJSON_AddNumberToObject(o, "offered_median", s[c].offered);
		cJSON_AddNumberToObject(o, "via_table", (double)s[c].via_table);
		cJSON_AddNumberToObject(o, "via_fib", (double)s[c].via_fib);
		cJSON_AddNumberToObject(o, "passed", (double)s[c].passed);
		if (is_daemon(c)) {
			cJSON *d = cJSON_AddObjectToObject(o, "daemon");

			if (is_learned(c)) {
				cJSON_AddNumberToObject(d, "warmup_packets",
							s[c].warm_pkts);
				cJSON_AddNumberToObject(d, "warmup_ms",
							s[c].warm_ms);
			}
			cJSON_AddNumberToObject(d, "cpu_pct", s[c].cpu_pct);
			json_demand(d, &s[c].dm);
		}
		r = cJSON_AddArrayToObject(o, "pps");
		for (int i = 0; i < dp->nres[c]; i++)
			cJSON_AddItemToArray(
				r, cJSON_CreateNumber(dp->res[c][i].pps));
		cJSON_AddItemToArray(arr, o);
	}
	o = cJSON_AddObjectToObject(root, "ratios");
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		if (!dp->nres[ratios[i].num] || !dp->nres[ratios[i].den])
			continue;
		r = cJSON_AddObjectToObject(o, ratios[i].name);
		cJSON_AddNumberToObject(r, "value",
					s[ratios[i].num].med /
						s[ratios[i].den].med);
		cJSON_AddNumberToObject(r, "target", ratios[i].target);
		{
			double lo, hi,
				m = paired(dp, ratios[i].num, ratios[i].den,
					   &lo, &hi);

			cJSON_AddNumberToObject(r, "paired", m);
			cJSON_AddNumberToObject(r, "paired_min", lo);
			cJSON_AddNumberToObject(r, "paired_max", hi);
		}
	}
	arr = cJSON_AddArrayToObject(root, "programs");
	for (int i = 0; i < nps; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name",
					ps[i].name ? ps[i].name : "");
		cJSON_AddNumberToObject(o, "verified_insns", ps[i].verified);
		cJSON_AddNumberToObject(o, "xlated_insns", ps[i].xlated);
		cJSON_AddNumberToObject(o, "jited_bytes", ps[i].jited);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "loop");
	for (int c = 0; c < CASE_MAX; c++) {
		double v[LOOP_RUNS];

		if (!dp->loop || !dp->loop_ns[c][0])
			continue;
		memcpy(v, dp->loop_ns[c], sizeof(v));
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", cases[c].name);
		cJSON_AddNumberToObject(o, "ns_median", median(v, LOOP_RUNS));
		cJSON_AddNumberToObject(o, "ns_min", v[0]);
		cJSON_AddNumberToObject(o, "verdict", dp->loop_ret[c]);
		cJSON_AddItemToArray(arr, o);
	}
	arr = cJSON_AddArrayToObject(root, "profile");
	for (int c = 0; c < CASE_MAX; c++) {
		if (!dp->have_prof[c])
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", cases[c].name);
		cJSON_AddNumberToObject(o, "pps", dp->prof[c].pps);
		cJSON_AddNumberToObject(o, "ns_per_packet",
					1e9 / dp->prof[c].pps);
		cJSON_AddNumberToObject(o, "ingress_prog_ns",
					dp->prof[c].prog_ns);
		cJSON_AddNumberToObject(o, "gen_prog_ns", dp->prof[c].gen_ns);
		cJSON_AddItemToArray(arr, o);
	}
	text = cJSON_PrintUnformatted(root);
	f = text ? fopen(dp->json, "w") : NULL;
	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	} else {
		fprintf(stderr, "bench: cannot write %s\n", dp->json);
	}
	free(text);
	cJSON_Delete(root);
}

static void report(const struct dp *dp)
{
	struct summary s[CASE_MAX];
	struct prog_size ps[NPROGS] = {};
	bool first = true;
	int nps;

	printf("\n%-11s %10s %10s %10s %10s  %s\n", "case", "Mpps", "min",
	       "max", "offered", "path check (fwd_stats over all trials)");
	for (int c = 0; c < CASE_MAX; c++) {
		if (!dp->nres[c])
			continue;
		summarize(dp, c, &s[c]);
		printf("%-11s %10.3f %10.3f %10.3f %10.3f  table=%llu fib=%llu "
		       "pass=%llu\n",
		       cases[c].name, s[c].med / 1e6, s[c].min / 1e6,
		       s[c].max / 1e6, s[c].offered / 1e6,
		       (unsigned long long)s[c].via_table,
		       (unsigned long long)s[c].via_fib,
		       (unsigned long long)s[c].passed);
	}
	for (int c = 0; c < CASE_MAX; c++)
		if (dp->nres[c] && is_jumbo(c))
			printf("%-11s %d-byte frames: %.2f Gbit/s (min %.2f, "
			       "max %.2f)\n",
			       cases[c].name, frame_len(c) + 4,
			       gbps(c, s[c].med), gbps(c, s[c].min),
			       gbps(c, s[c].max));
	printf("\n");
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		if (!dp->nres[ratios[i].num] || !dp->nres[ratios[i].den])
			continue;
		double lo, hi,
			m = paired(dp, ratios[i].num, ratios[i].den, &lo, &hi);

		printf("%-15s %6.2fx  (paired by round %.2fx, %.2f-%.2f)",
		       ratios[i].name,
		       s[ratios[i].num].med / s[ratios[i].den].med, m, lo, hi);
		if (ratios[i].target)
			printf("  (target >= %.2fx: %s)", ratios[i].target,
			       s[ratios[i].num].med / s[ratios[i].den].med >=
					       ratios[i].target
				       ? "met"
				       : "missed");
		printf("\n");
	}

	for (int c = 0; c < CASE_MAX; c++) {
		if (!dp->nres[c] || !is_daemon(c))
			continue;
		if (first)
			printf("\nthe daemon's cases (medians over the trials; "
			       "demand: the last trial's QueryStats):\n");
		first = false;
		printf("%-10s", cases[c].name);
		if (is_learned(c) && s[c].warm_ms >= 0)
			printf(" warm-up %.0f packets by fib, %.1f ms;",
			       s[c].warm_pkts, s[c].warm_ms);
		else if (is_learned(c))
			printf(" warm-up: the table path never took over "
			       "(%.0f packets by fib);",
			       s[c].warm_pkts);
		printf(" daemon CPU %.1f%%; demand entries %lld/%lld learned "
		       "%lld evicted %lld+%lld; reports %lld suppressed %lld "
		       "limited %lld lost %lld\n",
		       s[c].cpu_pct, s[c].dm.entries, s[c].dm.max,
		       s[c].dm.learned, s[c].dm.evicted_idle,
		       s[c].dm.evicted_budget, s[c].dm.reports,
		       s[c].dm.suppressed, s[c].dm.limited, s[c].dm.lost);
	}
	first = true;

	nps = prog_sizes(dp, ps);
	printf("\n%-18s %9s %7s %7s\n", "program", "verified", "xlated",
	       "jited B");
	for (int i = 0; i < nps; i++)
		printf("%-18s %9u %7u %7u\n", ps[i].name, ps[i].verified,
		       ps[i].xlated, ps[i].jited);
	for (int c = 0; c < CASE_MAX; c++) {
		if (!dp->have_prof[c])
			continue;
		if (first)
			printf("\nprofile pass (BPF run-time stats on, one "
			       "trial each, not in the figures above;\n"
			       "each run carries the stats' own clock reads, "
			       "so compare with bare):\n");
		first = false;
		printf("%-8s ingress program %6.1f ns/run", cases[c].name,
		       dp->prof[c].prog_ns);
		if (dp->have_prof[CASE_BARE] && c != CASE_BARE)
			printf(" = bare %+6.1f ns",
			       dp->prof[c].prog_ns -
				       dp->prof[CASE_BARE].prog_ns);
		printf("\n");
	}
	for (int c = 0; c < CASE_MAX; c++) {
		double v[LOOP_RUNS], m;

		if (!dp->loop || !dp->loop_ns[c][0])
			continue;
		memcpy(v, dp->loop_ns[c], sizeof(v));
		m = median(v, LOOP_RUNS); /* sorts v: v[0] the least */
		printf("loop %-8s %6.1f ns/run (min %.1f; %d calls of %u; "
		       "verdict %d)\n",
		       cases[c].name, m, v[0], LOOP_RUNS, dp->loop,
		       dp->loop_ret[c]);
	}
	if (dp->json)
		write_json(dp, s, ps, nps);
}

static int case_of(const char *name)
{
	for (int c = 0; c < CASE_MAX; c++)
		if (!strcmp(name, cases[c].name))
			return c;
	fprintf(stderr, "bench: unknown case %s\n", name);
	return -EINVAL;
}

static int parse_cases(struct dp *dp, char *list)
{
	char *tok, *save = NULL;

	memset(dp->want, 0, sizeof(dp->want));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int c = case_of(tok);

		if (c < 0)
			return c;
		dp->want[c] = true;
	}
	return 0;
}

/* --case-dst NAME=ADDR: case NAME's frames go to ADDR (its family's). */
static int parse_case_dst(struct dp *dp, char *arg, bool *set)
{
	char *eq = strchr(arg, '=');
	int c;

	if (!eq)
		return -EINVAL;
	*eq = 0;
	c = case_of(arg);
	if (c < 0)
		return c;
	if ((is_v6(c) ? inet_pton(AF_INET6, eq + 1, &dp->cdst6[c])
		      : inet_pton(AF_INET, eq + 1, &dp->cdst[c])) != 1)
		return -EINVAL;
	set[c] = true;
	return 0;
}

/*
 * One more trial per case with BPF run-time statistics on, which gives the
 * ns per run of the forwarder's program apart from the rest of the
 * pipeline. Stats add two clock reads to every program run on the machine,
 * so this pass is kept out of the figures; the stats go off when the fd
 * returned by BPF_ENABLE_STATS is closed, whatever happens.
 */
/*
 * --loop N: fwd's own program in the kernel's test loop, for the table
 * and fib cases, LOOP_RUNS calls of N repetitions on one frame from the
 * ingress (ctx ingress_ifindex: the lookups see the forwarder's
 * namespace), duration per run as the kernel times it: no generator, no
 * veth, no sink, no stats clock per run. Without live frames nothing is
 * sent and the frame is not reset between repetitions, so the program
 * must leave it as it was (a steps.sh build without the rewrite) or the
 * TTL runs out after 63: the verdict of the last run is kept to show it.
 */
static int loop_pass(struct dp *dp)
{
	static const enum dp_case which[] = {CASE_TABLE, CASE_FIB, CASE_TABLE6,
					     CASE_FIB6};

	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		enum dp_case c = which[i];
		uint8_t f[BENCH_FRAME_LEN > BENCH_FRAME6_LEN
				  ? BENCH_FRAME_LEN
				  : BENCH_FRAME6_LEN];
		/* ctx_in's data_end must say the frame's length */
		struct xdp_md md = {.data_end = (__u32)frame_len(c),
				    .ingress_ifindex = dp->fwd_in.ifindex};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f,
			    .data_size_in = (__u32)frame_len(c), .ctx_in = &md,
			    .ctx_size_in = sizeof(md), .repeat = dp->loop);
		int err;

		if (!dp->want[c])
			continue;
		err = setup_case(dp, c);
		if (err)
			return err;
		for (int r = 0; r < LOOP_RUNS; r++) {
			if (is_v6(c))
				build_frame6(dp, c, f);
			else
				build_frame(dp, c, f, BENCH_FRAME_LEN);
			if (bpf_prog_test_run_opts(
				    bpf_program__fd(dp->fwd_prog), &o))
				return -errno;
			dp->loop_ns[c][r] = o.duration;

			dp->loop_ret[c] = (int)o.retval;
		}
	}
	return 0;
}

static int profile_pass(struct dp *dp)
{
	int fd, err = 0;

	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0)
		return -errno;
	for (int c = 0; c < CASE_MAX && !err; c++) {
		if (!dp->want[c] || is_kernel(c))
			continue;
		err = run_trial(dp, c, &dp->prof[c]);
		dp->have_prof[c] = !err;
	}
	close(fd);
	return err;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench dp --ns GEN,FWD,SINK --ifs GEN,IN,OUT,SINK "
		"--src IP --dst IP\n"
		"       [--src6 IP6 --dst6 IP6] [--seconds S] [--trials N] "
		"[--cpu N] "
		"[--cases kernel,table,fib,generic,bare,table-rpf,"
		"kernel-8000,table-8000,kernel6,table6,fib6,peer,peer6,routed,"
		"routed6,routed-nh,ecmp,ecmp6,spray,spray6] [--dests N] "
		"[--hfwd-entries M] [--dest-base IP --dest-stride S "
		"--dest-span N] [--json FILE] [--profile]\n"
		"       [--peer-obj FILE [--peer-prog NAME]] [--fwd-bin FILE "
		"--dir DIR [--daemon-cpu N] [--daemon-arg OPT]... "
		"[--warmup-max S]] [--case-dst NAME=IP]...\n");
}

int dp_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ns", required_argument, NULL, 'n'},
		{"ifs", required_argument, NULL, 'i'},
		{"src", required_argument, NULL, 's'},
		{"dst", required_argument, NULL, 'd'},
		{"src6", required_argument, NULL, '6'},
		{"dst6", required_argument, NULL, '7'},
		{"seconds", required_argument, NULL, 't'},
		{"trials", required_argument, NULL, 'r'},
		{"cpu", required_argument, NULL, 'c'},
		{"cases", required_argument, NULL, 'C'},
		{"json", required_argument, NULL, 'j'},
		{"profile", no_argument, NULL, 'P'},
		{"loop", required_argument, NULL, 'L'},
		{"fwd-obj", required_argument, NULL, 'o'},
		{"dests", required_argument, NULL, 'D'},
		{"hfwd-entries", required_argument, NULL, 'H'},
		{"peer-obj", required_argument, NULL, 'p'},
		{"peer-prog", required_argument, NULL, 'q'},
		{"fwd-bin", required_argument, NULL, 'b'},
		{"dir", required_argument, NULL, 'w'},
		{"daemon-cpu", required_argument, NULL, 'u'},
		{"daemon-arg", required_argument, NULL, 'a'},
		{"warmup-max", required_argument, NULL, 'W'},
		{"case-dst", required_argument, NULL, 'x'},
		{"dest-base", required_argument, NULL, 'B'},
		{"dest-stride", required_argument, NULL, 'S'},
		{"dest-span", required_argument, NULL, 'Z'},
		{}};
	bool dst_set[CASE_MAX] = {}, cases_given = false;
	static struct dp dp; /* results arrays: keep off the stack */
	char *ns = NULL, *ifs = NULL, *save = NULL;
	int opt, err, start = 0;

	dp.fwd_path = "build/fwd.bpf.o";
	dp.pkt_fd = -1;
	dp.ndst = 1;
	dp.nhfwd = 1;
	dp.seconds = 5;
	dp.trials = 5;
	dp.cpu = 1;
	dp.peer_name = "xdp_fwd_fib_full";
	dp.peer_fd = -1;
	dp.stats = -1;
	dp.dir = "build/bench";
	dp.daemon_cpu = 0;
	dp.warm_max = 5;
	dp.stride = 1;
	dp.dpd.pid = 0;
	dp.dpd.stats_fd = dp.dpd.prog_fd = -1;
	for (int c = 0; c < CASE_MAX; c++) {
		dp.want[c] = true;
		dp.est_pps[c] = 1e6;
	}
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			ns = optarg;
			break;
		case 'i':
			ifs = optarg;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &dp.src) != 1)
				goto bad;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &dp.dst) != 1)
				goto bad;
			break;
		case '6':
			if (inet_pton(AF_INET6, optarg, &dp.src6) != 1)
				goto bad;
			break;
		case '7':
			if (inet_pton(AF_INET6, optarg, &dp.dst6) != 1)
				goto bad;
			break;
		case 't':
			dp.seconds = atof(optarg);
			break;
		case 'r':
			dp.trials = atoi(optarg);
			break;
		case 'c':
			dp.cpu = atoi(optarg);
			break;
		case 'C':
			if (parse_cases(&dp, optarg))
				goto bad;
			cases_given = true;
			break;
		case 'p':
			dp.peer_path = optarg;
			break;
		case 'q':
			dp.peer_name = optarg;
			break;
		case 'b':
			dp.fwd_bin = optarg;
			break;
		case 'w':
			dp.dir = optarg;
			break;
		case 'u':
			dp.daemon_cpu = atoi(optarg);
			break;
		case 'a':
			if (dp.ndaemon_args >= 8)
				goto bad;
			dp.daemon_args[dp.ndaemon_args++] = optarg;
			break;
		case 'W':
			dp.warm_max = atof(optarg);
			break;
		case 'x':
			if (parse_case_dst(&dp, optarg, dst_set))
				goto bad;
			break;
		case 'B':
			if (inet_pton(AF_INET, optarg, &dp.base) != 1)
				goto bad;
			break;
		case 'S':
			dp.stride = strtoul(optarg, NULL, 10);
			break;
		case 'Z':
			dp.span = strtoul(optarg, NULL, 10);
			break;
		case 'j':
			dp.json = optarg;
			break;
		case 'P':
			dp.profile = true;
			break;
		case 'L':
			dp.loop = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			dp.fwd_path = optarg;
			break;
		case 'D':
			dp.ndst = strtoul(optarg, NULL, 10);
			break;
		case 'H':
			dp.nhfwd = strtoul(optarg, NULL, 10);
			break;
		default:
			goto bad;
		}
	}
	for (int c = 0; c < CASE_MAX; c++) {
		/* by default, only the cases their options make possible */
		if (!cases_given &&
		    ((is_daemon(c) && !dp.fwd_bin) ||
		     ((c == CASE_PEER || c == CASE_PEER6) && !dp.peer_path)))
			dp.want[c] = false;
		if (!dp.want[c])
			continue;
		if (is_daemon(c) && !dp.fwd_bin) {
			fprintf(stderr, "bench: %s needs --fwd-bin\n",
				cases[c].name);
			goto bad;
		}
		if ((c == CASE_PEER || c == CASE_PEER6) && !dp.peer_path) {
			fprintf(stderr, "bench: %s needs --peer-obj\n",
				cases[c].name);
			goto bad;
		}
		if (is_v6(c) && IN6_IS_ADDR_UNSPECIFIED(&dp.dst6)) {
			fprintf(stderr,
				"bench: the IPv6 cases need --src6, --dst6\n");
			goto bad;
		}
		if (!dst_set[c]) {
			dp.cdst[c] = dp.dst;
			dp.cdst6[c] = dp.dst6;
		}
	}
	/* the demand budget (half of it by default) must hold them all */
	if (dp.ndst * 4 > FWD_DEFAULT_MAX_ENTRIES)
		dp.daemon_max = dp.ndst * 4;
	if (!ns || !ifs || !dp.dst.s_addr || dp.seconds <= 0 || dp.trials < 1 ||
	    dp.trials > MAX_TRIALS || dp.ndst > BENCH_MAX_DSTS ||
	    (dp.base.s_addr && dp.span < dp.ndst) || !dp.stride ||
	    dp.nhfwd > (1U << 24) || (dp.nhfwd > 1 && dp.ndst > dp.nhfwd))
		goto bad;
	dp.ns_gen = strtok_r(ns, ",", &save);
	dp.ns_fwd = strtok_r(NULL, ",", &save);
	dp.ns_sink = strtok_r(NULL, ",", &save);
	save = NULL;
	dp.gen_if.name = strtok_r(ifs, ",", &save);
	dp.fwd_in.name = strtok_r(NULL, ",", &save);
	dp.fwd_out.name = strtok_r(NULL, ",", &save);
	dp.sink_if.name = strtok_r(NULL, ",", &save);
	if (!dp.ns_sink || !dp.sink_if.name)
		goto bad;

	dp.ncpus = libbpf_num_possible_cpus();
	err = bench_pin_cpu(dp.cpu);
	if (!err)
		err = load_all(&dp);
	if (err) {
		fprintf(stderr, "bench: setup: %s\n", strerror(-err));
		return 1;
	}

	/*
	 * Round-robin: one trial of every case per round, the first case
	 * rotating, so that drift in the machine spreads over all cases.
	 */
	for (int r = 0; r < dp.trials; r++, start++) {
		for (int k = 0; k < CASE_MAX; k++) {
			enum dp_case c = (start + k) % CASE_MAX;
			struct trial *t = &dp.res[c][dp.nres[c]];

			if (!dp.want[c])
				continue;
			err = run_trial(&dp, c, t);
			if (err) {
				fprintf(stderr, "bench: %s: %s\n",
					cases[c].name, strerror(-err));
				return 1;
			}
			dp.nres[c]++;
			printf("round %d/%d %-11s %7.3f Mpps (offered %.3f)\n",
			       r + 1, dp.trials, cases[c].name, t->pps / 1e6,
			       t->offered / 1e6);
			fflush(stdout);
		}
	}
	if (dp.loop) {
		err = loop_pass(&dp);
		if (err)
			fprintf(stderr, "bench: loop pass: %s\n",
				strerror(-err));
	}
	if (dp.profile) {
		err = profile_pass(&dp);
		if (err)
			fprintf(stderr, "bench: profile pass: %s\n",
				strerror(-err));
	}
	report(&dp);
	return 0;
bad:
	usage();
	return 2;
}
