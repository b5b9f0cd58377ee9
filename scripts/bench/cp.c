// SPDX-License-Identifier: GPL-2.0
/*
 * cp.c - the control-plane benchmark: how fast and how big the daemon is.
 *
 *  - neighbour change -> hfwd updated: the bench replaces a neighbour's
 *    lladdr over rtnetlink (alternating two MACs) and busy-polls the
 *    pinned hfwd until the new MAC is there. The clock starts just before
 *    the request is sent, so the figure includes the kernel's handling of
 *    the request, the event's delivery and the daemon's work. A listener
 *    socket in the bench gives the floor: how long the event itself takes
 *    to reach a user-space listener on this machine.
 *  - cold start: N PERMANENT neighbours exist, the daemon starts; time
 *    from exec to hfwd holding all N (counted in the pinned map, not read
 *    from logs), then the daemon's VmRSS and VmHWM.
 *  - API: wrk at 64 connections, QueryForward(ip) and UpdateForward.
 *
 * The daemon is pinned to CPU 0 and the bench to CPU 1, so the poller does
 * not steal the daemon's CPU. Whatever cannot be measured (no daemon, no
 * API listener, a timeout) is reported as "n/a (reason)", never as a
 * figure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <cjson/cJSON.h>

#include "fwd.h"
#include "dp.h"
#include "util.h"

#define MAX_ROWS 64
/* the scale figures' trials, at most */
#define MAX_TRIALS 16
#define NEIGH_IP "10.200.2.50"
#define COLD_IFACE "f1"
/* 10.128.0.0/15 on f1 holds up to 131070 neighbours. */
#define COLD_NET 0x0a800000U
#define COLD_ADDR "10.128.0.1/15"
/* The IPv6 bench neighbours: 2001:db8:200:2::1:0:2 and up, on f1's /64. */
#define COLD6_NET "2001:db8:200:2:0:1::"
/* The flap's two gateways of each family, on f1 (A is the sink). */
#define FLAP_GW4_A "10.200.2.2"
#define FLAP_GW4_B "10.200.2.3"
#define FLAP_GW6_A "2001:db8:200:2::2"
#define FLAP_GW6_B "2001:db8:200:2::3"

struct row {
	char name[64];
	char value[256];
	char target[32];
};

struct cp {
	/* options */
	const char *ns, *fwd_bin, *json, *dir;
	int changes;
	int cold[4], ncold;
	int port;
	int api_seconds;     /* each wrk run */
	int cold6;	     /* scale: IPv6 neighbours at cold start, 0: skip */
	int burst4, burst6;  /* scale: routes of the burst, 0+0: skip */
	int flap_cands;	     /* scale: candidates per family, 0: skip */
	int trials;	     /* scale: trials of the cold start and the flap */
	int burst_trials;    /* scale: bursts (each one add and withdraw) */
	double flap_seconds; /* scale: API loop per flap trial */
	/* state */
	struct mnl_socket *nl;
	uint32_t seq;
	pid_t daemon;
	char bpffs[128];
	int hfwd;
	struct row rows[MAX_ROWS];
	int nrows;
	cJSON *raw; /* raw figures for results.json */
};

static void add_row(struct cp *cp, const char *name, const char *target,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_row(struct cp *cp, const char *name, const char *target,
		    const char *fmt, ...)
{
	struct row *r;
	va_list ap;

	if (cp->nrows == MAX_ROWS)
		return;
	r = &cp->rows[cp->nrows++];
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->target, sizeof(r->target), "%s", target ? target : "");
	va_start(ap, fmt);
	vsnprintf(r->value, sizeof(r->value), fmt, ap);
	va_end(ap);
	printf("%-40s %s%s%s\n", r->name, r->value, target ? "   target " : "",
	       target ? target : "");
	fflush(stdout);
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	nanosleep(&ts, NULL);
}

/* ---- netlink ---------------------------------------------------------- */

/*
 * Append one neighbour request to @buf: RTM_NEWNEIGH (create or replace,
 * PERMANENT, lladdr @mac) or RTM_DELNEIGH (@mac unused), for an address of
 * @alen bytes (4: IPv4, 16: IPv6).
 */
static size_t neigh_msg_any(struct cp *cp, char *buf, int type, int ifindex,
			    const void *addr, int alen, const uint8_t mac[6])
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (type == RTM_NEWNEIGH)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	nlh->nlmsg_seq = ++cp->seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = alen == 4 ? AF_INET : AF_INET6;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, alen, addr);
	if (type == RTM_NEWNEIGH)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nlh->nlmsg_len;
}

/* Append one RTM_NEWNEIGH (create or replace) to @buf at @off. */
static size_t neigh_msg(struct cp *cp, char *buf, int ifindex, uint32_t ip,
			const uint8_t mac[6])
{
	return neigh_msg_any(cp, buf, RTM_NEWNEIGH, ifindex, &ip, 4, mac);
}

/* Read acks until @n have arrived; the first error is returned. */
static int read_acks(struct cp *cp, int n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	int err = 0;

	while (n > 0) {
		ssize_t got = mnl_socket_recvfrom(cp->nl, buf, sizeof(buf));
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int len = (int)got;

		if (got < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error && !err)
				err = e->error;
			n--;
		}
	}
	return err;
}

/* The @i-th bench neighbour of a family: COLD_NET + 2 + i, COLD6_NET + 2 + i. */
static void cold_addr(int alen, int i, void *addr)
{
	if (alen == 4) {
		uint32_t ip = htonl(COLD_NET + 2 + i);

		memcpy(addr, &ip, 4);
	} else {
		struct in6_addr a6;
		uint32_t low = htonl(2 + i);

		inet_pton(AF_INET6, COLD6_NET, &a6);
		memcpy(&a6.s6_addr[12], &low, 4);
		memcpy(addr, &a6, 16);
	}
}

/*
 * Create (RTM_NEWNEIGH) or delete (RTM_DELNEIGH) bench neighbours @from ..
 * @to - 1 of a family (@alen 4 or 16), acks in batches. Deleting one that
 * is not there is not an error.
 */
static int neigh_bulk_any(struct cp *cp, int type, int alen, int ifindex,
			  int from, int to)
{
	/*
	 * Below the socket's default sndbuf, or sendmsg() says EMSGSIZE;
	 * and ~800 acks of ~1 KiB truesize each must fit the rcvbuf.
	 */
	static char buf[32 * 1024];
	size_t off = 0;
	int n = 0, err;

	for (int i = from; i < to; i++) {
		uint8_t mac[6] = {0x02,
				  alen == 4 ? 0xbe : 0xb6,
				  0,
				  (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8),
				  (uint8_t)i};
		uint8_t addr[16];

		cold_addr(alen, i, addr);
		off += neigh_msg_any(cp, buf + off, type, ifindex, addr, alen,
				     mac);
		n++;
		if (off > sizeof(buf) - 256 || i == to - 1) {
			if (mnl_socket_sendto(cp->nl, buf, off) < 0)
				return -errno;
			err = read_acks(cp, n);
			if (err && !(type == RTM_DELNEIGH && err == -ENOENT))
				return err;
			off = 0;
			n = 0;
		}
	}
	return 0;
}

/* Create neighbours COLD_NET+2+from .. COLD_NET+1+to. */
static int neigh_bulk(struct cp *cp, int ifindex, int from, int to)
{
	return neigh_bulk_any(cp, RTM_NEWNEIGH, 4, ifindex, from, to);
}

static int ip_run(const char *args)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip %s >/dev/null 2>&1", args);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* ---- the daemon ------------------------------------------------------- */

/* -v: the scale figures read the "synced" and "ready" lines (INFO). */
static int daemon_start_v(struct cp *cp, const char *tag, int max_entries,
			  bool verbose)
{
	char log[256], state[256], listen[32], maxe[16];
	cpu_set_t set;
	pid_t pid;

	snprintf(cp->bpffs, sizeof(cp->bpffs), "/sys/fs/bpf/fwdbench-%s", tag);
	mkdir(cp->bpffs, 0700);
	snprintf(log, sizeof(log), "%s/fwd-%s.log", cp->dir, tag);
	snprintf(state, sizeof(state), "%s/state-%s.db", cp->dir, tag);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", cp->port);
	snprintf(maxe, sizeof(maxe), "%d", max_entries);
	unlink(state);
	/* the previous run's lines must not be read as this one's */
	unlink(log);

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* An interrupted bench must not leave a daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
		execl(cp->fwd_bin, cp->fwd_bin, "--iface", "f0", "--iface",
		      "f1", "--bpffs", cp->bpffs, "--state", state, "--listen",
		      listen, "--insecure-listen", "--max-entries", maxe,
		      verbose ? "-v" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	cp->daemon = pid;
	cp->hfwd = -1;
	return 0;
}

static int daemon_start(struct cp *cp, const char *tag, int max_entries)
{
	return daemon_start_v(cp, tag, max_entries, false);
}

static void daemon_stop(struct cp *cp)
{
	if (cp->daemon <= 0)
		return;
	bench_stop_child(cp->daemon);
	cp->daemon = 0;
	if (cp->hfwd >= 0)
		close(cp->hfwd);
	cp->hfwd = -1;
}

static bool daemon_alive(struct cp *cp)
{
	return cp->daemon > 0 && waitpid(cp->daemon, NULL, WNOHANG) == 0;
}

/* Open the pinned hfwd once the daemon has pinned it. */
static int hfwd_open(struct cp *cp, uint64_t deadline)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/hfwd", cp->bpffs);
	while (cp->hfwd < 0) {
		cp->hfwd = bpf_obj_get(path);
		if (cp->hfwd >= 0)
			break;
		if (!daemon_alive(cp))
			return -ECHILD;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		sleep_us(200);
	}
	return 0;
}

/*
 * Entries of hfwd in the cold-start range, by batch lookups (a key-by-key
 * walk of 100k entries takes longer than the daemon's whole start).
 */
static long hfwd_count(struct cp *cp)
{
	static __u32 keys[8192];
	static struct fwd_entry vals[8192];
	// cppcheck-suppress unknownMacro
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 batch, n;
	void *in = NULL;
	long total = 0;
	int err;

	do {
		n = 8192;
		err = bpf_map_lookup_batch(cp->hfwd, in, &batch, keys, vals, &n,
					   &opts);
		if (err && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < n; i++)
			total += (ntohl(keys[i]) & 0xfffe0000U) == COLD_NET;
		in = &batch;
	} while (!err);
	return total;
}

static long proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':')
			kb = atol(line + flen + 1);
	fclose(f);
	return kb;
}

/* ---- neighbour change -> hfwd ----------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t pct(const uint64_t *v, int n, int p)
{
	int i = (int)((long)p * n / 100);

	return v[i >= n ? n - 1 : i];
}

static void report_lat(struct cp *cp, const char *name, const char *key,
		       uint64_t *lat, int n, int lost, const char *tgt)
{
	int slow = 0;

	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	for (int i = 0; i < n; i++)
		slow += lat[i] > 200000;
	add_row(cp, name, tgt,
		"p50 %.1f / p90 %.1f / p99 %.1f / max %.1f us (n=%d, "
		"%d over 200 us%s)",
		pct(lat, n, 50) / 1e3, pct(lat, n, 90) / 1e3,
		pct(lat, n, 99) / 1e3, lat[n - 1] / 1e3, n, slow,
		lost ? ", some timed out" : "");
	{
		cJSON *o = cJSON_AddObjectToObject(cp->raw, key);

		cJSON_AddNumberToObject(o, "n", n);
		cJSON_AddNumberToObject(o, "timeouts", lost);
		cJSON_AddNumberToObject(o, "p50_us", pct(lat, n, 50) / 1e3);
		cJSON_AddNumberToObject(o, "p90_us", pct(lat, n, 90) / 1e3);
		cJSON_AddNumberToObject(o, "p99_us", pct(lat, n, 99) / 1e3);
		cJSON_AddNumberToObject(o, "max_us", lat[n - 1] / 1e3);
	}
}

/* What the floor's listener shares with the bench: arrival times. */
struct floor_shm {
	volatile uint32_t n;	/* events received so far */
	volatile uint64_t t_ns; /* arrival of the last one */
};

/*
 * The floor: a listener process subscribed to RTNLGRP_NEIGH, pinned to the
 * daemon's CPU and observed the way the daemon is (the bench busy-polls
 * memory instead of the map), timed from the request's send to the
 * event's arrival in user space. The daemon cannot do better than this.
 */
static int neigh_floor(struct cp *cp, int ifindex, uint32_t ip)
{
	struct floor_shm *shm;
	struct mnl_socket *lis;
	char buf[8192];
	uint64_t *lat;
	int n = 0, err = 0;
	pid_t child = -1;

	lat = calloc(cp->changes, sizeof(*lat));
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	lis = mnl_socket_open(NETLINK_ROUTE);
	if (!lat || shm == MAP_FAILED || !lis ||
	    mnl_socket_bind(lis, 1 << (RTNLGRP_NEIGH - 1), MNL_SOCKET_AUTOPID) <
		    0) {
		err = -errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		goto out;
	}
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		bench_pin_cpu(0);
		for (;;) {
			if (mnl_socket_recvfrom(lis, buf, sizeof(buf)) <= 0)
				continue;
			shm->t_ns = bench_now_ns();
			__atomic_store_n(&shm->n, shm->n + 1, __ATOMIC_RELEASE);
		}
	}
	sleep_us(20000); /* let the child reach recvfrom() */
	for (int i = 0; i < cp->changes; i++) {
		uint8_t mac[6] = {0x02, 0xfe, 0, 0, 0, (uint8_t)(i & 1)};
		uint32_t seen = __atomic_load_n(&shm->n, __ATOMIC_ACQUIRE);
		size_t len = neigh_msg(cp, buf, ifindex, ip, mac);
		uint64_t t0 = bench_now_ns();

		if (mnl_socket_sendto(cp->nl, buf, len) < 0) {
			err = -errno;
			goto out;
		}
		while (__atomic_load_n(&shm->n, __ATOMIC_ACQUIRE) == seen &&
		       bench_now_ns() - t0 < 1000000000ULL)
			;
		if (__atomic_load_n(&shm->n, __ATOMIC_ACQUIRE) != seen)
			lat[n++] = shm->t_ns - t0;
		err = read_acks(cp, 1);
		if (err)
			goto out;
		sleep_us(500);
	}
	if (n)
		report_lat(cp, "netlink event to a listener (floor)",
			   "neigh_floor", lat, n, cp->changes - n, NULL);
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (lis)
		mnl_socket_close(lis);
	if (shm != MAP_FAILED)
		munmap(shm, sizeof(*shm));
	free(lat);
	return err;
}

static int neigh_latency(struct cp *cp, int ifindex, uint32_t ip)
{
	struct fwd_entry e;
	uint64_t *lat, start = bench_now_ns();
	int n = 0, lost = 0, err = 0, nslow = 0;
	double slow[64][2];
	char buf[512];

	lat = calloc(cp->changes, sizeof(*lat));
	if (!lat)
		return -ENOMEM;
	for (int i = 0; i <= cp->changes; i++) {
		/* Change 0 creates the entry and is not counted. */
		uint8_t mac[6] = {0x02, 0xfe, 0, 0, 0, (uint8_t)(i & 1)};
		size_t len = neigh_msg(cp, buf, ifindex, ip, mac);
		uint64_t t0 = bench_now_ns(), t1;
		bool seen = false;

		if (mnl_socket_sendto(cp->nl, buf, len) < 0) {
			err = -errno;
			goto out;
		}
		do {
			t1 = bench_now_ns();
			if (!bpf_map_lookup_elem(cp->hfwd, &ip, &e) &&
			    !memcmp(e.dmac, mac, 6) &&
			    e.ifindex == (__u32)ifindex)
				seen = true;
		} while (!seen && t1 - t0 < 1000000000ULL);
		err = read_acks(cp, 1);
		if (err)
			goto out;
		if (!i) {
			if (!seen) {
				err = -ETIMEDOUT;
				goto out;
			}
		} else if (seen) {
			lat[n++] = t1 - t0;
			/* When the slow ones happen: periodic work shows. */
			if (t1 - t0 > 200000 && nslow < 64) {
				slow[nslow][0] = (t0 - start) / 1e6;
				slow[nslow++][1] = (t1 - t0) / 1e3;
			}
		} else {
			lost++;
		}
		sleep_us(500);
	}
	if (n)
		report_lat(cp, "neighbour change -> hfwd", "neigh_to_map", lat,
			   n, lost, "p50<=60us p99<=200us");
	else
		err = -ETIMEDOUT;
out : {
	cJSON *a = cJSON_AddArrayToObject(cp->raw, "neigh_slow_at_ms_us");

	for (int i = 0; i < nslow; i++) {
		const double pair[2] = {slow[i][0], slow[i][1]};

		cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(pair, 2));
	}
}
	free(lat);
	return err;
}

/* ---- API -------------------------------------------------------------- */

static bool port_open(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

/*
 * wrk with a Lua script that POSTs @body and prints one line of figures
 * from its done() hook; non-2xx replies count as errors.
 */
static void api_wrk(struct cp *cp, const char *name, const char *key,
		    const char *body)
{
	char script[256], cmd[512], line[256];
	double rps = 0, p99 = 0;
	long non2xx = -1, total = 0;
	FILE *f;

	snprintf(script, sizeof(script), "%s/wrk-%s.lua", cp->dir, key);
	f = fopen(script, "w");
	if (!f)
		return;
	fprintf(f,
		"wrk.method = \"POST\"\n"
		"wrk.headers[\"Content-Type\"] = \"application/json\"\n"
		"wrk.body = '%s'\n"
		"done = function(s, lat, req)\n"
		"  io.write(string.format(\"WRK %%f %%f %%d %%d\\n\",\n"
		"    s.requests / (s.duration / 1e6), lat:percentile(99),\n"
		"    s.errors.status, s.requests))\n"
		"end\n",
		body);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "wrk -t2 -c64 -d%ds -s %s http://127.0.0.1:%d/ 2>&1",
		 cp->api_seconds, script, cp->port);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "WRK ", 4))
			sscanf(line + 4, "%lf %lf %ld %ld", &rps, &p99, &non2xx,
			       &total);
	pclose(f);
	if (non2xx < 0) {
		add_row(cp, name, ">=20k req/s", "n/a (wrk gave no figures)");
		return;
	}
	if (non2xx)
		add_row(cp, name, ">=20k req/s",
			"%.0f req/s, p99 %.2f ms (%ld of %ld replies not 2xx)",
			rps, p99 / 1e3, non2xx, total);
	else
		add_row(cp, name, ">=20k req/s", "%.0f req/s, p99 %.2f ms", rps,
			p99 / 1e3);
	{
		cJSON *o = cJSON_AddObjectToObject(cp->raw, key);

		cJSON_AddNumberToObject(o, "rps", rps);
		cJSON_AddNumberToObject(o, "p99_ms", p99 / 1e3);
		cJSON_AddNumberToObject(o, "non2xx", non2xx);
		cJSON_AddNumberToObject(o, "requests", total);
	}
}

static void api_bench(struct cp *cp)
{
	char body[256];

	if (!port_open(cp->port)) {
		add_row(cp, "API QueryForward(ip)", ">=20k req/s",
			"n/a (no API listener on 127.0.0.1:%d)", cp->port);
		add_row(cp, "API UpdateForward", ">=20k req/s",
			"n/a (no API listener on 127.0.0.1:%d)", cp->port);
		return;
	}
	api_wrk(cp, "API QueryForward(ip), wrk -c64", "api_query",
		"{\"action\":\"QueryForward\",\"traceId\":\"b\","
		"\"ip\":\"10.200.2.2\"}");
	snprintf(body, sizeof(body),
		 "{\"action\":\"UpdateForward\",\"traceId\":\"b\","
		 "\"ip\":\"10.200.2.77\",\"iface\":\"%s\","
		 "\"dstMac\":\"02:00:00:00:02:77\"}",
		 COLD_IFACE);
	api_wrk(cp, "API UpdateForward, wrk -c64", "api_update", body);
}

/* ---- cold start ------------------------------------------------------- */

static int cold_start(struct cp *cp, int ifindex, int n, int *have)
{
	char tag[32], what[64];
	uint64_t t0, deadline;
	long cnt = 0;
	int err;

	/* Neighbours are added, never removed: 10k, then 90k more. */
	err = neigh_bulk(cp, ifindex, *have, n);
	if (err) {
		add_row(cp, "cold start", "<=1s at 100k",
			"n/a (creating %d neighbours: %s)", n, strerror(-err));
		return err;
	}
	*have = n;

	snprintf(tag, sizeof(tag), "cold%d", n);
	snprintf(what, sizeof(what), "cold start, %dk neighbours", n / 1000);
	t0 = bench_now_ns();
	deadline = t0 + 60ULL * 1000000000ULL;
	err = daemon_start(cp, tag, n + 1024 > 10000 ? n + 1024 : 10000);
	if (!err)
		err = hfwd_open(cp, deadline);
	while (!err) {
		cnt = hfwd_count(cp);
		if (cnt < 0)
			err = (int)cnt;
		else if (cnt >= n)
			break;
		else if (!daemon_alive(cp))
			err = -ECHILD;
		else if (bench_now_ns() > deadline)
			err = -ETIMEDOUT;
		else
			sleep_us(1000);
	}
	if (err) {
		add_row(cp, what, n >= 100000 ? "<=1s" : NULL,
			"n/a (%s; hfwd had %ld of %ld, see fwd-%s.log)",
			err == -ECHILD ? "daemon exited" : strerror(-err), cnt,
			(long)n, tag);
		daemon_stop(cp);
		return 0;
	}
	add_row(cp, what, n >= 100000 ? "<=1s" : NULL,
		"%.0f ms to a complete hfwd (%ld of its entries)",
		(bench_now_ns() - t0) / 1e6, cnt);
	snprintf(what, sizeof(what), "cold_%d_ms", n);
	cJSON_AddNumberToObject(cp->raw, what, (bench_now_ns() - t0) / 1e6);
	/* Let the daemon settle (deferred frees, pending work) first. */
	sleep_us(300000);
	{
		long rss = proc_status_kb(cp->daemon, "VmRSS");
		long hwm = proc_status_kb(cp->daemon, "VmHWM");
		long anon = proc_status_kb(cp->daemon, "RssAnon");
		long file = proc_status_kb(cp->daemon, "RssFile");

		snprintf(what, sizeof(what), "daemon RSS at %dk entries",
			 n / 1000);
		add_row(cp, what, n >= 100000 ? "<=16MB" : NULL,
			"VmRSS %.1f MB (anon %.1f, file %.1f; peak %.1f)",
			rss / 1024.0, anon / 1024.0, file / 1024.0,
			hwm / 1024.0);
		static const char *const keys[4] = {"rss", "hwm", "rss_anon",
						    "rss_file"};
		const long kb[4] = {rss, hwm, anon, file};

		for (int i = 0; i < 4; i++) {
			snprintf(what, sizeof(what), "%s_%d_kb", keys[i], n);
			cJSON_AddNumberToObject(cp->raw, what, kb[i]);
		}
	}
	daemon_stop(cp);
	return 0;
}

/* ---- scale: issue 23's figures ---------------------------------------- */

/*
 * What a scale trial reads back: the daemon's own counters (QueryStats'
 * Agent object) and its CPU time.
 */
struct agent_stats {
	double events;	 /* netlinkEvents */
	double resyncs;	 /* resyncs */
	double loop_max; /* loopMaxMicroseconds */
	double slow;	 /* loopSlowCallbacks */
};

/* Median, min and max of @n figures (sorted in place). */
struct agg {
	double med, min, max;
	int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct agg aggregate(double *v, int n)
{
	struct agg a = {0, 0, 0, n};

	if (!n)
		return a;
	qsort(v, n, sizeof(v[0]), cmp_double);
	a.min = v[0];
	a.max = v[n - 1];
	a.med = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return a;
}

/* "12.3 (11.0-14.2)", or just "12.3" for one trial. */
static const char *fmt_agg(char *buf, size_t len, const struct agg *a,
			   double scale, int prec)
{
	if (a->n <= 1)
		snprintf(buf, len, "%.*f", prec, a->med * scale);
	else
		snprintf(buf, len, "%.*f (%.*f-%.*f)", prec, a->med * scale,
			 prec, a->min * scale, prec, a->max * scale);
	return buf;
}

static void json_agg(cJSON *o, const char *key, const struct agg *a)
{
	cJSON *x = cJSON_AddObjectToObject(o, key);

	cJSON_AddNumberToObject(x, "median", a->med);
	cJSON_AddNumberToObject(x, "min", a->min);
	cJSON_AddNumberToObject(x, "max", a->max);
	cJSON_AddNumberToObject(x, "n", a->n);
}

/*
 * A keep-alive HTTP/1.1 client of the daemon's API (the TCP listener the
 * bench gives it): one request at a time, as a script or fwdctl would.
 */
struct http {
	int fd;
	int port;
	int reconnects;
};

static int http_connect(struct http *h)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(h->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;

	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return -errno;
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(h->fd);
		h->fd = -1;
		return err;
	}
	return 0;
}

static void http_close(struct http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/*
 * POST @body, read the whole reply into @out (NUL-terminated body only).
 * Returns the HTTP status, or -errno. A connection the server closed is
 * reopened once.
 */
static int http_post(struct http *h, const char *body, char *out, size_t len)
{
	char req[1024], buf[65536], *hdr_end, *cl;
	size_t got = 0, need;
	int status, tries;
	ssize_t n;

	n = snprintf(req, sizeof(req),
		     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	for (tries = 0; tries < 2; tries++) {
		if (h->fd < 0) {
			int err = http_connect(h);

			if (err)
				return err;
			h->reconnects += tries;
		}
		if (send(h->fd, req, n, MSG_NOSIGNAL) != n) {
			http_close(h);
			continue;
		}
		got = 0;
		for (;;) {
			ssize_t r = recv(h->fd, buf + got,
					 sizeof(buf) - 1 - got, 0);

			if (r <= 0)
				break;
			got += r;
			buf[got] = '\0';
			hdr_end = strstr(buf, "\r\n\r\n");
			if (!hdr_end)
				continue;
			cl = strcasestr(buf, "Content-Length:");
			need = (size_t)(hdr_end + 4 - buf) +
			       (cl && cl < hdr_end ? strtoul(cl + 15, NULL, 10)
						   : 0);
			if (got >= need)
				goto whole;
		}
		http_close(h);
	}
	return -ECONNRESET;
whole:
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -EPROTO;
	if (out)
		snprintf(out, len, "%s", hdr_end + 4);
	return status;
}

static int agent_stats_get(struct http *h, struct agent_stats *st)
{
	static char body[65536];
	cJSON *root, *ag;
	int status;

	status = http_post(h, "{\"action\":\"QueryStats\",\"traceId\":\"s\"}",
			   body, sizeof(body));
	if (status != 200)
		return status < 0 ? status : -EPROTO;
	root = cJSON_Parse(body);
	ag = cJSON_GetObjectItemCaseSensitive(root, "Agent");
	if (!ag) {
		cJSON_Delete(root);
		return -EPROTO;
	}
#define AG(key) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ag, key))
	st->events = AG("netlinkEvents");
	st->resyncs = AG("resyncs");
	st->loop_max = AG("loopMaxMicroseconds");
	st->slow = AG("loopSlowCallbacks");
#undef AG
	cJSON_Delete(root);
	return 0;
}

/*
 * Wait until the daemon's netlink event count stops growing (unchanged
 * over 5 polls 100 ms apart); @t_last: when it last grew.
 */
static int follow(struct cp *cp, struct http *h, struct agent_stats *st,
		  uint64_t *t_last)
{
	uint64_t deadline = bench_now_ns() + 600000000000ULL;
	double prev = -1;
	int stable = 0, err;

	*t_last = bench_now_ns();
	while (stable < 5) {
		err = agent_stats_get(h, st);
		if (err)
			return err;
		if (st->events != prev) {
			prev = st->events;
			stable = 0;
			*t_last = bench_now_ns();
		} else {
			stable++;
		}
		if (!daemon_alive(cp))
			return -ECHILD;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		sleep_us(100000);
	}
	return 0;
}

/* Open a pinned map of the running daemon (@name in its bpffs). */
static int map_open(struct cp *cp, const char *name, uint64_t deadline)
{
	char path[192];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cp->bpffs, name);
	for (;;) {
		fd = bpf_obj_get(path);
		if (fd >= 0)
			return fd;
		if (!daemon_alive(cp))
			return -ECHILD;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		sleep_us(200);
	}
}

/* Entries of hfwd6 among the bench's IPv6 neighbours (COLD6_NET). */
static long hfwd6_count(int fd)
{
	static struct in6_addr keys[8192];
	static struct fwd_entry vals[8192];
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct in6_addr net;
	__u32 batch, n;
	void *in = NULL;
	long total = 0;
	int err;

	inet_pton(AF_INET6, COLD6_NET, &net);
	do {
		n = 8192;
		err = bpf_map_lookup_batch(fd, in, &batch, keys, vals, &n,
					   &opts);
		if (err && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < n; i++)
			total += !memcmp(&keys[i], &net, 12);
		in = &batch;
	} while (!err);
	return total;
}

/*
 * The daemon's figure after @what in its log ("ready in 12 ms", "synced
 * in 345 us"): the number, or -1 while the line is not there yet.
 */
static long log_figure(const char *log, const char *what)
{
	char line[512], *p;
	long v = -1;
	FILE *f = fopen(log, "r");

	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f)) {
		p = strstr(line, what);
		if (p)
			v = atol(p + strlen(what));
	}
	fclose(f);
	return v;
}

/* Wait for the daemon's "ready" line; -errno on exit or timeout. */
static int wait_ready(struct cp *cp, const char *tag, uint64_t deadline)
{
	char log[256];

	snprintf(log, sizeof(log), "%s/fwd-%s.log", cp->dir, tag);
	while (log_figure(log, "ready in ") < 0) {
		if (!daemon_alive(cp))
			return -ECHILD;
		if (bench_now_ns() > deadline)
			return -ETIMEDOUT;
		sleep_us(200);
	}
	return 0;
}

static void loop_row(struct cp *cp, const char *after, const char *key,
		     double *max_us, double *slow, int n)
{
	char name[64], a[48];
	struct agg mx = aggregate(max_us, n), sl = aggregate(slow, n);
	cJSON *o = cJSON_AddObjectToObject(cp->raw, key);

	json_agg(o, "loop_max_us", &mx);
	json_agg(o, "slow_callbacks", &sl);
	snprintf(name, sizeof(name), "longest loop callback, %s", after);
	add_row(cp, name, "<20ms",
		"%s ms; callbacks >= 20 ms: %.0f (%.0f-%.0f) [%s]",
		fmt_agg(a, sizeof(a), &mx, 1e-3, 1), sl.med, sl.min, sl.max,
		mx.max < 20000 ? "met" : "missed");
}

/*
 * Cold start with @n IPv6 neighbours: from exec to the "synced" and
 * "ready" lines in the log (polled every 0.2 ms) and to hfwd6 holding all
 * of them (counted in the map), over @trials starts.
 */
static void scale_cold6(struct cp *cp, int ifindex, int n, int trials,
			int *have6)
{
	double synced[MAX_TRIALS] = {0}, ready[MAX_TRIALS] = {0},
	       full[MAX_TRIALS] = {0}, own[MAX_TRIALS] = {0},
	       rss[MAX_TRIALS] = {0}, lmax[MAX_TRIALS] = {0},
	       slow[MAX_TRIALS] = {0};
	char log[256], what[64], name[64], a[48], b[48], c[48];
	struct agg as, ar, af, ao, am;
	int err = 0, done = 0;

	snprintf(what, sizeof(what), "cold start, %dk IPv6 neighbours",
		 n / 1000);
	if (*have6 < n) {
		err = neigh_bulk_any(cp, RTM_NEWNEIGH, 16, ifindex, *have6, n);
		if (err) {
			add_row(cp, what, "<=200ms",
				"n/a (creating %d IPv6 neighbours: %s)", n,
				strerror(-err));
			return;
		}
		*have6 = n;
	}
	snprintf(log, sizeof(log), "%s/fwd-cold6.log", cp->dir);
	for (int t = 0; t < trials; t++) {
		uint64_t t0 = bench_now_ns(), deadline = t0 + 60000000000ULL;
		uint64_t t_synced = 0, t_ready = 0;
		struct http h = {.fd = -1, .port = cp->port};
		struct agent_stats st;
		long cnt = 0;
		int fd;

		err = daemon_start_v(cp, "cold6", n + 1024, true);
		while (!err && !t_ready) {
			if (!t_synced && log_figure(log, "synced in ") >= 0)
				t_synced = bench_now_ns();
			if (log_figure(log, "ready in ") >= 0)
				t_ready = bench_now_ns();
			else if (!daemon_alive(cp))
				err = -ECHILD;
			else if (bench_now_ns() > deadline)
				err = -ETIMEDOUT;
			else
				sleep_us(200);
		}
		fd = err ? -1 : map_open(cp, "hfwd6", deadline);
		if (fd < 0 && !err)
			err = fd;
		while (!err) {
			cnt = hfwd6_count(fd);
			if (cnt < 0)
				err = (int)cnt;
			else if (cnt >= n)
				break;
			else if (bench_now_ns() > deadline)
				err = -ETIMEDOUT;
			else
				sleep_us(1000);
		}
		if (fd >= 0)
			close(fd);
		if (err) {
			add_row(cp, what, "<=200ms",
				"n/a (%s; hfwd6 had %ld of %d, see "
				"fwd-cold6.log)",
				err == -ECHILD ? "daemon exited"
					       : strerror(-err),
				cnt, n);
			daemon_stop(cp);
			return;
		}
		full[t] = (bench_now_ns() - t0) / 1e6;
		ready[t] = (t_ready - t0) / 1e6;
		/* seen in the same poll as "ready": no earlier than that */
		synced[t] = t_synced ? (t_synced - t0) / 1e6 : ready[t];
		own[t] = log_figure(log, "ready in ");
		sleep_us(300000);
		rss[t] = proc_status_kb(cp->daemon, "VmRSS") / 1024.0;
		if (agent_stats_get(&h, &st) == 0) {
			lmax[t] = st.loop_max;
			slow[t] = st.slow;
		}
		http_close(&h);
		daemon_stop(cp);
		done++;
	}
	as = aggregate(synced, done);
	ar = aggregate(ready, done);
	af = aggregate(full, done);
	ao = aggregate(own, done);
	am = aggregate(rss, done);
	add_row(cp, what, "<=200ms",
		"exec to ready %s ms, to a complete hfwd6 %s ms (synced %s "
		"ms; n=%d) [%s]",
		fmt_agg(a, sizeof(a), &ar, 1, 0),
		fmt_agg(b, sizeof(b), &af, 1, 0),
		fmt_agg(c, sizeof(c), &as, 1, 0), done,
		af.max <= 200	? "met"
		: af.med <= 200 ? "met by the median"
				: "missed");
	{
		cJSON *o = cJSON_AddObjectToObject(cp->raw, "cold6");

		cJSON_AddNumberToObject(o, "neighbours", n);
		json_agg(o, "exec_to_synced_ms", &as);
		json_agg(o, "exec_to_ready_ms", &ar);
		json_agg(o, "exec_to_hfwd6_ms", &af);
		json_agg(o, "own_ready_ms", &ao);
		json_agg(o, "rss_mb", &am);
	}
	snprintf(name, sizeof(name), "daemon RSS at %dk IPv6 entries",
		 n / 1000);
	add_row(cp, name, NULL, "VmRSS %s MB",
		fmt_agg(a, sizeof(a), &am, 1, 1));
	loop_row(cp, "IPv6 cold start", "loop_cold6", lmax, slow, done);
}

/* ---- the default-route flap ---- */

/* Replace the default route of a family via @gw on @ifindex. */
static size_t default_route_msg(char *buf, uint32_t seq, int ifindex,
				const void *gw, int alen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rt;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE |
			   NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtm_family = alen == 4 ? AF_INET : AF_INET6;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_STATIC;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, alen, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return nlh->nlmsg_len;
}

/*
 * The flapper: a child that moves the default routes of @fams (1: IPv4,
 * 2: IPv6, 3: both) between gateway A and gateway B every @period_us for
 * @seconds; it counts the changes in @count (shared memory).
 */
static pid_t flapper_start(int ifindex, int fams, long period_us,
			   double seconds, volatile long *count)
{
	static const char *const gw4[2] = {FLAP_GW4_A, FLAP_GW4_B};
	static const char *const gw6[2] = {FLAP_GW6_A, FLAP_GW6_B};
	pid_t pid = fork();

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
		char buf[8192];
		uint32_t seq = 0;

		uint64_t end = bench_now_ns() + (uint64_t)(seconds * 1e9);

		if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
			_exit(1);
		for (int i = 1; bench_now_ns() < end; i++) {
			uint64_t t0 = bench_now_ns();
			uint8_t a4[4], a6[16];
			size_t len;

			inet_pton(AF_INET, gw4[i & 1], a4);
			inet_pton(AF_INET6, gw6[i & 1], a6);
			len = 0;
			if (fams & 1)
				len += default_route_msg(buf, ++seq, ifindex,
							 a4, 4);
			if (fams & 2)
				len += default_route_msg(buf + len, ++seq,
							 ifindex, a6, 16);
			if (mnl_socket_sendto(nl, buf, len) < 0)
				_exit(1);
			/* an ack each */
			for (int acks = 0; acks < (fams == 3 ? 2 : 1);) {
				ssize_t r = mnl_socket_recvfrom(nl, buf,
								sizeof(buf));
				struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
				int left = (int)r;

				if (r <= 0)
					_exit(1);
				for (; mnl_nlmsg_ok(nlh, left);
				     nlh = mnl_nlmsg_next(nlh, &left))
					acks += nlh->nlmsg_type == NLMSG_ERROR;
			}
			__atomic_add_fetch(count, fams == 3 ? 2 : 1,
					   __ATOMIC_RELAXED);
			sleep_us(period_us -
				 (long)((bench_now_ns() - t0) / 1000));
		}
		_exit(0);
	}
}

/*
 * Back-to-back small API requests for @seconds, alternating a one-IP
 * QueryForward of an IPv4 and of an IPv6 candidate; latencies in ns into
 * @lat (at most @cap). Returns how many, or -errno.
 */
static int api_loop(struct http *h, double seconds, uint64_t *lat, int cap,
		    int *bad)
{
	char q4[160], q6[160], a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	uint8_t addr[16];
	uint64_t end = bench_now_ns() + (uint64_t)(seconds * 1e9);
	static char out[4096];
	int n = 0;

	cold_addr(4, 0, addr);
	inet_ntop(AF_INET, addr, a4, sizeof(a4));
	cold_addr(16, 0, addr);
	inet_ntop(AF_INET6, addr, a6, sizeof(a6));
	snprintf(
		q4, sizeof(q4),
		"{\"action\":\"QueryForward\",\"traceId\":\"p\",\"ip\":\"%s\"}",
		a4);
	snprintf(
		q6, sizeof(q6),
		"{\"action\":\"QueryForward\",\"traceId\":\"p\",\"ip\":\"%s\"}",
		a6);
	while (n < cap && bench_now_ns() < end) {
		uint64_t t0 = bench_now_ns();
		int st = http_post(h, n & 1 ? q6 : q4, out, sizeof(out));

		if (st < 0)
			return st;
		*bad += st != 200;
		lat[n++] = bench_now_ns() - t0;
	}
	return n;
}

/*
 * API latency while the default routes flap, with @cands candidates of
 * each family (neighbours with entries) in the daemon's tables.
 */
static void scale_flap(struct cp *cp, int ifindex, int cands, int trials,
		       int *have, int *have6)
{
	const int cap = 2000000;
	uint64_t *lat = calloc(cap, sizeof(*lat));
	double p99[MAX_TRIALS], p50[MAX_TRIALS], mx[MAX_TRIALS],
		cpu_per[MAX_TRIALS], nreq[MAX_TRIALS];
	double base_p99 = 0, base_p50 = 0, loop_max0 = 0, slow0 = 0;
	double fam_cpu[2] = {-1, -1};
	struct http h = {.fd = -1, .port = cp->port};
	struct agent_stats st0, st1;
	volatile long *flaps;
	char name[80], a[48], b[48], c[48], d[48];
	int err = 0, done = 0, bad = 0, want6;
	long cnt;
	uint64_t deadline, t_last;

	snprintf(name, sizeof(name),
		 "API p99, default route flapping, %dk+%dk candidates",
		 cands / 1000, cands / 1000);
	flaps = mmap(NULL, sizeof(*flaps), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!lat || flaps == MAP_FAILED) {
		add_row(cp, name, "<=5ms", "n/a (out of memory)");
		goto out;
	}
	if (*have < cands) {
		err = neigh_bulk(cp, ifindex, *have, cands);
		if (!err)
			*have = cands;
	}
	if (!err && *have6 < cands) {
		err = neigh_bulk_any(cp, RTM_NEWNEIGH, 16, ifindex, *have6,
				     cands);
		if (!err)
			*have6 = cands;
	}
	if (err ||
	    ip_run("neigh replace " FLAP_GW4_B
		   " lladdr 02:00:00:00:02:03 dev f1 nud permanent") ||
	    ip_run("-6 neigh replace " FLAP_GW6_B
		   " lladdr 02:00:00:00:02:03 dev f1 nud permanent") ||
	    ip_run("route replace default via " FLAP_GW4_A " dev f1") ||
	    ip_run("-6 route replace default via " FLAP_GW6_A " dev f1")) {
		add_row(cp, name, "<=5ms", "n/a (setting up: %s)",
			strerror(err ? -err : EIO));
		goto out;
	}
	want6 = *have6;
	deadline = bench_now_ns() + 60000000000ULL;
	err = daemon_start_v(cp, "flap", (*have > want6 ? *have : want6) + 1024,
			     true);
	if (!err)
		err = hfwd_open(cp, deadline);
	while (!err) {
		cnt = hfwd_count(cp);
		if (cnt < 0)
			err = (int)cnt;
		else if (cnt >= *have)
			break;
		else if (!daemon_alive(cp))
			err = -ECHILD;
		else if (bench_now_ns() > deadline)
			err = -ETIMEDOUT;
		else
			sleep_us(2000);
	}
	if (!err) {
		int fd = map_open(cp, "hfwd6", deadline);

		while (fd >= 0 && (cnt = hfwd6_count(fd)) >= 0 && cnt < want6 &&
		       bench_now_ns() < deadline)
			sleep_us(2000);
		err = fd < 0 ? fd : cnt < want6 ? -ETIMEDOUT : 0;
		if (fd >= 0)
			close(fd);
	}
	if (err || agent_stats_get(&h, &st0)) {
		add_row(cp, name, "<=5ms", "n/a (daemon: %s, see fwd-flap.log)",
			err ? strerror(-err) : "no QueryStats");
		goto out_daemon;
	}
	sleep_us(300000);
	/* the same requests without the flap: what the flap adds */
	cnt = api_loop(&h, cp->flap_seconds, lat, cap, &bad);
	if (cnt > 0) {
		qsort(lat, cnt, sizeof(lat[0]), cmp_u64);
		base_p99 = pct(lat, cnt, 99) / 1e6;
		base_p50 = pct(lat, cnt, 50) / 1e6;
	}
	agent_stats_get(&h, &st0);
	loop_max0 = st0.loop_max;
	slow0 = st0.slow;
	for (int t = 0; t < trials; t++) {
		double cpu0 = bench_cpu_ms(cp->daemon), cpu1;
		long nflaps;
		pid_t fl;

		*flaps = 0;
		fl = flapper_start(ifindex, 3, 50000, cp->flap_seconds, flaps);
		if (fl < 0) {
			err = -errno;
			break;
		}
		/*
		 * Requests are sent while the routes flap; one the daemon
		 * answers only after the flap counts its whole wait.
		 */
		cnt = api_loop(&h, cp->flap_seconds, lat, cap, &bad);
		waitpid(fl, NULL, 0);
		nflaps = *flaps;
		/* the daemon's CPU once it has taken in the last change */
		err = follow(cp, &h, &st1, &t_last);
		if (err)
			break;
		cpu1 = bench_cpu_ms(cp->daemon);
		nreq[t] = cnt;
		if (cnt <= 0) {
			err = cnt ? (int)cnt : -ENODATA;
			break;
		}
		qsort(lat, cnt, sizeof(lat[0]), cmp_u64);
		p99[t] = pct(lat, cnt, 99) / 1e6;
		p50[t] = pct(lat, cnt, 50) / 1e6;
		mx[t] = lat[cnt - 1] / 1e6;
		cpu_per[t] = nflaps ? (cpu1 - cpu0) / nflaps : 0;
		printf("  flap trial %d: %ld requests, %ld route changes, "
		       "p50 %.3f p99 %.3f max %.3f ms, daemon CPU %.0f ms\n",
		       t + 1, cnt, nflaps, p50[t], p99[t], mx[t], cpu1 - cpu0);
		done++;
	}
	/* which family's change costs what: one run of each alone */
	for (int fam = 1; done && fam <= 2; fam++) {
		double cpu0 = bench_cpu_ms(cp->daemon);
		pid_t fl;

		*flaps = 0;
		fl = flapper_start(ifindex, fam, 50000, cp->flap_seconds,
				   flaps);
		if (fl < 0 || waitpid(fl, NULL, 0) != fl ||
		    follow(cp, &h, &st1, &t_last))
			break;
		if (*flaps)
			fam_cpu[fam - 1] =
				(bench_cpu_ms(cp->daemon) - cpu0) / *flaps;
	}
	if (!done || agent_stats_get(&h, &st1)) {
		add_row(cp, name, "<=5ms", "n/a (%s)",
			err ? strerror(-err) : "no QueryStats after the flap");
		goto out_daemon;
	}
	{
		struct agg a99 = aggregate(p99, done),
			   a50 = aggregate(p50, done),
			   amx = aggregate(mx, done),
			   acpu = aggregate(cpu_per, done),
			   areq = aggregate(nreq, done);
		cJSON *o = cJSON_AddObjectToObject(cp->raw, "flap");
		double lm[1] = {st1.loop_max}, sl[1] = {st1.slow - slow0};

		add_row(cp, name, "<=5ms",
			"p99 %s ms, p50 %s, max %s (no flap: p99 %.2f, p50 "
			"%.2f; %d trials of %gs, %.0f requests each) [%s]",
			fmt_agg(a, sizeof(a), &a99, 1, 2),
			fmt_agg(b, sizeof(b), &a50, 1, 2),
			fmt_agg(c, sizeof(c), &amx, 1, 1), base_p99, base_p50,
			done, cp->flap_seconds, areq.med,
			a99.max <= 5   ? "met"
			: a99.med <= 5 ? "met by the median"
				       : "missed");
		/*
		 * During the trials the daemon also serves the request loop
		 * (tens of thousands of requests when it is not stalled), so
		 * only the runs without a client give a change's own cost.
		 */
		add_row(cp, "daemon CPU per default-route change", NULL,
			"IPv4 %.1f ms, IPv6 %.1f ms (no API load; with the "
			"request loop, both families: %s ms; 10 ms ticks)",
			fam_cpu[0], fam_cpu[1],
			fmt_agg(d, sizeof(d), &acpu, 1, 1));
		cJSON_AddNumberToObject(o, "daemon_cpu_ms_per_change4",
					fam_cpu[0]);
		cJSON_AddNumberToObject(o, "daemon_cpu_ms_per_change6",
					fam_cpu[1]);
		cJSON_AddNumberToObject(o, "candidates_per_family", cands);
		cJSON_AddNumberToObject(o, "seconds", cp->flap_seconds);
		json_agg(o, "p99_ms", &a99);
		json_agg(o, "p50_ms", &a50);
		json_agg(o, "max_ms", &amx);
		json_agg(o, "daemon_cpu_ms_per_change_with_api", &acpu);
		json_agg(o, "requests", &areq);
		cJSON_AddNumberToObject(o, "no_flap_p99_ms", base_p99);
		cJSON_AddNumberToObject(o, "no_flap_p50_ms", base_p50);
		cJSON_AddNumberToObject(o, "non200", bad);
		cJSON_AddNumberToObject(o, "reconnects", h.reconnects);
		cJSON_AddNumberToObject(o, "loop_max_us_before", loop_max0);
		cJSON_AddNumberToObject(o, "netlink_events",
					st1.events - st0.events);
		cJSON_AddNumberToObject(o, "resyncs",
					st1.resyncs - st0.resyncs);
		loop_row(cp, "route flaps", "loop_flap", lm, sl, 1);
	}
out_daemon:
	http_close(&h);
	daemon_stop(cp);
	ip_run("route del default via " FLAP_GW4_A " dev f1");
	ip_run("route del default via " FLAP_GW4_B " dev f1");
	ip_run("-6 route del default via " FLAP_GW6_A " dev f1");
	ip_run("-6 route del default via " FLAP_GW6_B " dev f1");
out:
	if (flaps != MAP_FAILED)
		munmap((void *)flaps, sizeof(*flaps));
	free(lat);
}

/* ---- the routing-daemon burst ---- */

/*
 * The batch files: @n4 IPv4 /24s from 16.0.0.0 and @n6 IPv6 /48s from
 * 2a00::, all via the sink's address on f1, as a full table from a
 * routing daemon arrives: one route per request. Then their withdrawal.
 */
static int burst_files(const char *add, const char *del, int n4, int n6)
{
	FILE *fa = fopen(add, "w"), *fd = fopen(del, "w");
	int err = 0;

	if (!fa || !fd) {
		err = -errno;
		goto out;
	}
	for (int k = 0; k < n4; k++) {
		char p[64];

		snprintf(p, sizeof(p), "%d.%d.%d.0/24 via 10.200.2.2 dev f1",
			 16 + k / 65536, (k / 256) % 256, k % 256);
		fprintf(fa, "route add %s\n", p);
		fprintf(fd, "route del %s\n", p);
	}
	for (int k = 0; k < n6; k++) {
		char p[80];

		snprintf(p, sizeof(p),
			 "2a00:%x:%x::/48 via 2001:db8:200:2::2 dev f1",
			 k / 65536, k % 65536);
		fprintf(fa, "route add %s\n", p);
		fprintf(fd, "route del %s\n", p);
	}
	if (fflush(fa) || fflush(fd))
		err = -errno;
out:
	if (fa)
		fclose(fa);
	if (fd)
		fclose(fd);
	return err;
}

/* What `ip -batch` cost: wall, and its CPU (user + system, and system). */
struct ip_cost {
	double wall_ms, cpu_ms, sys_ms;
};

static int ip_batch(struct cp *cp, const char *file, struct ip_cost *c)
{
	char log[256];
	struct rusage ru;
	uint64_t t0 = bench_now_ns();
	int status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/ip-batch.log", cp->dir);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execlp("ip", "ip", "-batch", file, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return -errno;
	c->wall_ms = (bench_now_ns() - t0) / 1e6;
	c->sys_ms = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	c->cpu_ms = c->sys_ms + ru.ru_utime.tv_sec * 1e3 +
		    ru.ru_utime.tv_usec / 1e3;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

enum burst_fig {
	B_ADD_WALL, /* ip -batch of the adds: wall ms */
	B_ADD_CPU,  /* its CPU ms (user + system) */
	B_ADD_SYS,  /* its system CPU ms */
	B_ADD_DCPU, /* the daemon's CPU ms, until it stopped receiving */
	B_ADD_LAG,  /* ms from ip's exit to the daemon's last event */
	B_DEL_WALL, /* the same for the withdrawal */
	B_DEL_CPU,  /* its CPU ms */
	B_DEL_SYS,  /* its system CPU ms */
	B_DEL_DCPU, /* the daemon's CPU ms */
	B_DEL_LAG,  /* ms from ip's exit to the last event */
	B_RSS0,	    /* VmRSS kB before the burst */
	B_RSS1,	    /* ... with every route */
	B_RSS2,	    /* ... after the withdrawal */
	B_ANON0,    /* RssAnon kB, the same three times */
	B_ANON1,    /* ... with every route */
	B_ANON2,    /* ... after the withdrawal */
	B_EVENTS,   /* netlink events the daemon counted for the adds */
	B_RESYNCS,  /* resyncs during the trial (add and withdraw) */
	B_ADD_LOOP, /* loopMaxMicroseconds once the adds are followed */
	B_LOOP_MAX, /* loopMaxMicroseconds after the trial */
	B_SLOW,	    /* loopSlowCallbacks added by the trial */
	B_N
};

/* burst_phase() fills five figures in this order, for either side. */
_Static_assert(B_ADD_LAG - B_ADD_WALL == 4 && B_DEL_LAG - B_DEL_WALL == 4 &&
		       B_ADD_CPU - B_ADD_WALL == B_DEL_CPU - B_DEL_WALL &&
		       B_ADD_DCPU - B_ADD_WALL == B_DEL_DCPU - B_DEL_WALL,
	       "the add and withdrawal figures share one layout");

/*
 * One side of a burst: @batch through `ip -batch`, followed to the
 * daemon's last event (@s: its figures then). @out[0..4]: ip's wall, CPU
 * and system ms, the daemon's CPU ms meanwhile, the lag from ip's exit to
 * the daemon's last event.
 */
static int burst_phase(struct cp *cp, struct http *h, const char *batch,
		       struct agent_stats *s, double *out)
{
	double cpu0 = bench_cpu_ms(cp->daemon);
	uint64_t t_end, t_last;
	struct ip_cost c;
	int err;

	err = ip_batch(cp, batch, &c);
	t_end = bench_now_ns();
	if (!err)
		err = follow(cp, h, s, &t_last);
	if (err)
		return err;
	out[0] = c.wall_ms;
	out[1] = c.cpu_ms;
	out[2] = c.sys_ms;
	out[3] = bench_cpu_ms(cp->daemon) - cpu0;
	out[4] = t_last > t_end ? (t_last - t_end) / 1e6 : 0;
	return 0;
}

static int burst_trial(struct cp *cp, const char *add, const char *del,
		       double *f)
{
	struct http h = {.fd = -1, .port = cp->port};
	struct agent_stats s0, s1, s2;
	int err;

	err = agent_stats_get(&h, &s0);
	if (err)
		goto out;
	f[B_RSS0] = proc_status_kb(cp->daemon, "VmRSS");
	f[B_ANON0] = proc_status_kb(cp->daemon, "RssAnon");
	err = burst_phase(cp, &h, add, &s1, &f[B_ADD_WALL]);
	if (err)
		goto out;
	f[B_EVENTS] = s1.events - s0.events;
	f[B_ADD_LOOP] = s1.loop_max;
	sleep_us(500000);
	f[B_RSS1] = proc_status_kb(cp->daemon, "VmRSS");
	f[B_ANON1] = proc_status_kb(cp->daemon, "RssAnon");

	err = burst_phase(cp, &h, del, &s2, &f[B_DEL_WALL]);
	if (err)
		goto out;
	f[B_RESYNCS] = s2.resyncs - s0.resyncs;
	f[B_LOOP_MAX] = s2.loop_max;
	f[B_SLOW] = s2.slow - s0.slow;
	/* deferred frees, malloc trimming: give it the time a scrape would */
	sleep_us(1000000);
	f[B_RSS2] = proc_status_kb(cp->daemon, "VmRSS");
	f[B_ANON2] = proc_status_kb(cp->daemon, "RssAnon");
out:
	http_close(&h);
	return err;
}

/*
 * A routing daemon's full table arrives (@n4 IPv4 + @n6 IPv6 prefixes
 * via a gateway, `ip -batch`, one request per route) while fwd runs, and
 * is withdrawn again: the daemon's CPU against the kernel's install time,
 * its RSS per route and after the withdrawal, over @trials bursts into
 * one daemon.
 */
static void scale_burst(struct cp *cp, int ifindex, int n4, int n6, int trials,
			int *have, int *have6)
{
	double(*f)[B_N] = calloc(trials, sizeof(*f));
	double *col = calloc(trials, sizeof(double));
	char add[256], del[256], name[80], a[48], b[48], c[48], d[48];
	struct agg g[B_N];
	double routes = (double)n4 + n6;
	int err, done = 0;
	cJSON *o;

	snprintf(name, sizeof(name), "route burst, %dk IPv4 + %dk IPv6",
		 n4 / 1000, n6 / 1000);
	snprintf(add, sizeof(add), "%s/burst-add.batch", cp->dir);
	snprintf(del, sizeof(del), "%s/burst-del.batch", cp->dir);
	if (!f || !col) {
		add_row(cp, name, NULL, "n/a (out of memory)");
		goto out;
	}
	/* the bench's neighbours would only add to the start's RSS */
	err = neigh_bulk_any(cp, RTM_DELNEIGH, 4, ifindex, 0, *have);
	if (!err)
		err = neigh_bulk_any(cp, RTM_DELNEIGH, 16, ifindex, 0, *have6);
	if (!err) {
		*have = 0;
		*have6 = 0;
		err = burst_files(add, del, n4, n6);
	}
	if (err) {
		add_row(cp, name, NULL, "n/a (setting up: %s)", strerror(-err));
		goto out;
	}
	/* a new daemon each time: RSS from a small start, every time */
	for (int t = 0; t < trials; t++) {
		err = daemon_start_v(cp, "burst", 10000, true);
		if (!err)
			err = wait_ready(cp, "burst",
					 bench_now_ns() + 30000000000ULL);
		if (!err) {
			sleep_us(500000);
			err = burst_trial(cp, add, del, f[t]);
		}
		daemon_stop(cp);
		if (err) {
			add_row(cp, name, NULL,
				"n/a (trial %d: %s; see fwd-burst.log, "
				"ip-batch.log)",
				t + 1, strerror(-err));
			break;
		}
		printf("  burst trial %d: ip %.1f s (CPU %.1f), daemon CPU "
		       "%.2f s; withdrawal ip %.1f s (CPU %.1f), daemon %.2f "
		       "s; VmRSS %.1f -> %.1f -> %.1f MB\n",
		       t + 1, f[t][B_ADD_WALL] / 1e3, f[t][B_ADD_CPU] / 1e3,
		       f[t][B_ADD_DCPU] / 1e3, f[t][B_DEL_WALL] / 1e3,
		       f[t][B_DEL_CPU] / 1e3, f[t][B_DEL_DCPU] / 1e3,
		       f[t][B_RSS0] / 1024, f[t][B_RSS1] / 1024,
		       f[t][B_RSS2] / 1024);
		done++;
	}
	if (!done)
		goto out_files;
	for (int i = 0; i < B_N; i++) {
		for (int t = 0; t < done; t++)
			col[t] = f[t][i];
		g[i] = aggregate(col, done);
	}
	add_row(cp, name, NULL,
		"kernel install (ip -batch): wall %s s, CPU %s s (system %s)",
		fmt_agg(a, sizeof(a), &g[B_ADD_WALL], 1e-3, 1),
		fmt_agg(b, sizeof(b), &g[B_ADD_CPU], 1e-3, 1),
		fmt_agg(c, sizeof(c), &g[B_ADD_SYS], 1e-3, 1));
	{
		struct agg r;

		for (int t = 0; t < done; t++)
			col[t] = f[t][B_ADD_DCPU] / f[t][B_ADD_CPU];
		r = aggregate(col, done);
		add_row(cp, "  daemon CPU following the burst",
			"<=kernel install",
			"%s s = %sx ip's CPU; caught up %s ms after ip; "
			"%.0f events, %.0f resyncs [%s]",
			fmt_agg(a, sizeof(a), &g[B_ADD_DCPU], 1e-3, 2),
			fmt_agg(b, sizeof(b), &r, 1, 2),
			fmt_agg(c, sizeof(c), &g[B_ADD_LAG], 1, 0),
			g[B_EVENTS].med, g[B_RESYNCS].max,
			r.max <= 1   ? "met"
			: r.med <= 1 ? "met by the median"
				     : "missed");
	}
	{
		struct agg r;

		for (int t = 0; t < done; t++)
			col[t] = f[t][B_DEL_DCPU] / f[t][B_DEL_CPU];
		r = aggregate(col, done);
		add_row(cp, "  withdrawal: kernel / daemon CPU",
			"<=kernel install",
			"ip wall %s s, CPU %s s; daemon %s s = %sx [%s]",
			fmt_agg(a, sizeof(a), &g[B_DEL_WALL], 1e-3, 1),
			fmt_agg(b, sizeof(b), &g[B_DEL_CPU], 1e-3, 1),
			fmt_agg(c, sizeof(c), &g[B_DEL_DCPU], 1e-3, 2),
			fmt_agg(d, sizeof(d), &r, 1, 2),
			r.max <= 1   ? "met"
			: r.med <= 1 ? "met by the median"
				     : "missed");
	}
	{
		struct agg per, back;

		for (int t = 0; t < done; t++)
			col[t] = (f[t][B_RSS1] - f[t][B_RSS0]) * 1024 / routes;
		per = aggregate(col, done);
		add_row(cp, "  daemon RSS per route", "<=64B",
			"%s B (VmRSS %s -> %s MB) [%s]",
			fmt_agg(a, sizeof(a), &per, 1, 1),
			fmt_agg(b, sizeof(b), &g[B_RSS0], 1 / 1024.0, 1),
			fmt_agg(c, sizeof(c), &g[B_RSS1], 1 / 1024.0, 1),
			per.max <= 64	? "met"
			: per.med <= 64 ? "met by the median"
					: "missed");
		for (int t = 0; t < done; t++)
			col[t] = (f[t][B_RSS2] / f[t][B_RSS0] - 1) * 100;
		back = aggregate(col, done);
		add_row(cp, "  daemon RSS after the withdrawal",
			"within 10% of start",
			"%s MB, %+.1f%% (%+.1f-%+.1f) of its start [%s]",
			fmt_agg(a, sizeof(a), &g[B_RSS2], 1 / 1024.0, 1),
			back.med, back.min, back.max,
			back.max <= 10	 ? "met"
			: back.med <= 10 ? "met by the median"
					 : "missed");
	}
	{
		double lm[1] = {g[B_LOOP_MAX].max}, sl[1] = {0};

		for (int t = 0; t < done; t++)
			sl[0] += f[t][B_SLOW];
		loop_row(cp, "route burst", "loop_burst", lm, sl, 1);
		add_row(cp, "  of which while the routes arrived", NULL,
			"%s ms",
			fmt_agg(a, sizeof(a), &g[B_ADD_LOOP], 1e-3, 1));
	}
	o = cJSON_AddObjectToObject(cp->raw, "burst");
	cJSON_AddNumberToObject(o, "routes4", n4);
	cJSON_AddNumberToObject(o, "routes6", n6);
	{
		static const char *const keys[B_N] = {"add_ip_wall_ms",
						      "add_ip_cpu_ms",
						      "add_ip_sys_ms",
						      "add_daemon_cpu_ms",
						      "add_lag_ms",
						      "del_ip_wall_ms",
						      "del_ip_cpu_ms",
						      "del_ip_sys_ms",
						      "del_daemon_cpu_ms",
						      "del_lag_ms",
						      "rss0_kb",
						      "rss1_kb",
						      "rss2_kb",
						      "anon0_kb",
						      "anon1_kb",
						      "anon2_kb",
						      "events",
						      "resyncs",
						      "add_loop_max_us",
						      "loop_max_us",
						      "slow_callbacks"};

		for (int i = 0; i < B_N; i++)
			json_agg(o, keys[i], &g[i]);
	}
out_files:
	unlink(add);
	unlink(del);
out:
	free(col);
	free(f);
}

/* ---- main ------------------------------------------------------------- */

static void write_json(struct cp *cp)
{
	cJSON *root = cJSON_CreateObject(), *rows, *o;
	char *text;
	FILE *f;

	rows = cJSON_AddArrayToObject(root, "rows");
	for (int i = 0; i < cp->nrows; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", cp->rows[i].name);
		cJSON_AddStringToObject(o, "value", cp->rows[i].value);
		if (cp->rows[i].target[0])
			cJSON_AddStringToObject(o, "target",
						cp->rows[i].target);
		cJSON_AddItemToArray(rows, o);
	}
	cJSON_AddNumberToObject(cp->raw, "changes", cp->changes);
	cJSON_AddItemReferenceToObject(root, "raw", cp->raw);
	text = cJSON_PrintUnformatted(root);
	f = text ? fopen(cp->json, "w") : NULL;
	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
	free(text);
	cJSON_Delete(root);
}

static void run(struct cp *cp)
{
	uint32_t ip;
	int ifindex, err, have = 0, have6 = 0;
	uint64_t deadline;

	inet_pton(AF_INET, NEIGH_IP, &ip);
	ifindex = if_nametoindex(COLD_IFACE);
	if (!ifindex) {
		add_row(cp, "control plane", NULL, "n/a (no %s)", COLD_IFACE);
		return;
	}

	err = neigh_floor(cp, ifindex, ip);
	if (err)
		add_row(cp, "netlink event to a listener (floor)", NULL,
			"n/a (%s)", strerror(-err));

	deadline = bench_now_ns() + 20ULL * 1000000000ULL;
	err = daemon_start(cp, "lat", 10000);
	if (!err)
		err = hfwd_open(cp, deadline);
	if (!err) {
		err = neigh_latency(cp, ifindex, ip);
		if (err)
			add_row(cp, "neighbour change -> hfwd",
				"p50<=60us p99<=200us",
				"n/a (%s, see fwd-lat.log)", strerror(-err));
		api_bench(cp);
	} else {
		add_row(cp, "neighbour change -> hfwd", "p50<=60us p99<=200us",
			"n/a (daemon %s, see fwd-lat.log)",
			err == -ECHILD ? "exited" : "never pinned hfwd");
	}
	daemon_stop(cp);

	if (ip_run("addr add " COLD_ADDR " dev " COLD_IFACE)) {
		add_row(cp, "cold start", NULL, "n/a (cannot add %s)",
			COLD_ADDR);
		return;
	}
	for (int i = 0; i < cp->ncold; i++)
		cold_start(cp, ifindex, cp->cold[i], &have);

	/* Scale (issue 23): the burst last, it removes the neighbours. */
	if (cp->cold6 || cp->flap_cands || cp->burst4 || cp->burst6)
		printf("scale:\n");
	if (cp->cold6)
		scale_cold6(cp, ifindex, cp->cold6, cp->trials, &have6);
	if (cp->flap_cands)
		scale_flap(cp, ifindex, cp->flap_cands, cp->trials, &have,
			   &have6);
	if (cp->burst4 || cp->burst6)
		scale_burst(cp, ifindex, cp->burst4, cp->burst6,
			    cp->burst_trials, &have, &have6);
}

int cp_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ns", required_argument, NULL, 'n'},
		{"fwd", required_argument, NULL, 'f'},
		{"changes", required_argument, NULL, 'c'},
		{"cold", required_argument, NULL, 'C'},
		{"json", required_argument, NULL, 'j'},
		{"port", required_argument, NULL, 'p'},
		{"api-seconds", required_argument, NULL, 'a'},
		{"cold6", required_argument, NULL, '6'},
		{"burst", required_argument, NULL, 'b'},
		{"flap", required_argument, NULL, 'F'},
		{"flap-seconds", required_argument, NULL, 's'},
		{"trials", required_argument, NULL, 't'},
		{"burst-trials", required_argument, NULL, 'B'},
		{}};
	static struct cp cp;
	char *tok, *save = NULL, *dir;
	int opt, err;

	cp.changes = 2000;
	cp.port = 5555;
	cp.api_seconds = 5;
	cp.trials = 3;
	cp.burst_trials = 1;
	cp.flap_seconds = 5;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			cp.ns = optarg;
			break;
		case 'f':
			cp.fwd_bin = optarg;
			break;
		case 'c':
			cp.changes = atoi(optarg);
			break;
		case 'C':
			for (tok = strtok_r(optarg, ",", &save);
			     tok && cp.ncold < 4;
			     tok = strtok_r(NULL, ",", &save))
				cp.cold[cp.ncold++] = atoi(tok);
			break;
		case 'j':
			cp.json = optarg;
			break;
		case 'p':
			cp.port = atoi(optarg);
			break;
		case 'a':
			cp.api_seconds = atoi(optarg);
			break;
		case '6':
			cp.cold6 = atoi(optarg);
			break;
		case 'b':
			if (sscanf(optarg, "%d,%d", &cp.burst4, &cp.burst6) !=
			    2)
				goto bad;
			break;
		case 'F':
			cp.flap_cands = atoi(optarg);
			break;
		case 's':
			cp.flap_seconds = atof(optarg);
			break;
		case 't':
			cp.trials = atoi(optarg);
			break;
		case 'B':
			cp.burst_trials = atoi(optarg);
			break;
		default:
			goto bad;
		}
	}
	if (!cp.ns || !cp.fwd_bin || !cp.json || cp.changes < 1 ||
	    cp.api_seconds < 1)
		goto bad;
	for (int i = 0; i < cp.ncold; i++)
		if (cp.cold[i] < 1 || cp.cold[i] > 131000)
			goto bad;
	/* 10.128.0.0/15 holds 131070 neighbours; burst: 16.0.0.0/4 of /24s */
	if (cp.cold6 < 0 || cp.flap_cands < 0 || cp.flap_cands > 131000 ||
	    cp.burst4 < 0 || cp.burst4 > (1 << 20) || cp.burst6 < 0 ||
	    cp.burst6 > (1 << 24) || cp.trials < 1 || cp.trials > MAX_TRIALS ||
	    cp.burst_trials < 1 || cp.flap_seconds <= 0)
		goto bad;
	dir = strdup(cp.json);
	cp.dir = dirname(dir);

	err = bench_enter_ns(cp.ns);
	/* One CPU: nothing to keep apart, the figures just say less. */
	if (!err && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		err = bench_pin_cpu(1);
	cp.nl = mnl_socket_open(NETLINK_ROUTE);
	if (err || !cp.nl ||
	    mnl_socket_bind(cp.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "bench: control plane setup: %s\n",
			strerror(err ? -err : errno));
		return 1;
	}
	/* Room for a batch's acks; an overrun would lose some of them. */
	setsockopt(mnl_socket_get_fd(cp.nl), SOL_SOCKET, SO_RCVBUFFORCE,
		   &(int){8 << 20}, sizeof(int));
	cp.raw = cJSON_CreateObject();
	if (!cp.raw)
		return 1;
	printf("\ncontrol plane (daemon on CPU 0, bench on CPU 1):\n");
	run(&cp);
	daemon_stop(&cp);
	write_json(&cp);
	cJSON_Delete(cp.raw);
	mnl_socket_close(cp.nl);
	return 0;
bad:
	fprintf(stderr,
		"usage: bench cp --ns NETNS --fwd BIN --json FILE "
		"[--changes N] [--cold N,N] [--port P] [--api-seconds S]\n"
		"       [--cold6 N] [--flap N] [--flap-seconds S] "
		"[--burst N4,N6] [--trials N] [--burst-trials N]\n");
	return 2;
}
