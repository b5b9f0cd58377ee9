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

#define MAX_ROWS 32
#define NEIGH_IP "10.200.2.50"
#define COLD_IFACE "f1"
/* 10.128.0.0/15 on f1 holds up to 131070 neighbours. */
#define COLD_NET 0x0a800000U
#define COLD_ADDR "10.128.0.1/15"

struct row {
	char name[64];
	char value[96];
	char target[32];
};

struct cp {
	/* options */
	const char *ns, *fwd_bin, *json, *dir;
	int changes;
	int cold[4], ncold;
	int port;
	int api_seconds; /* each wrk run */
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

/* Append one RTM_NEWNEIGH (create or replace) to @buf at @off. */
static size_t neigh_msg(struct cp *cp, char *buf, int ifindex, uint32_t ip,
			const uint8_t mac[6])
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *nd;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE |
			   NLM_F_ACK;
	nlh->nlmsg_seq = ++cp->seq;
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, 4, &ip);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nlh->nlmsg_len;
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

/* Create neighbours COLD_NET+1+from .. COLD_NET+to, acks in batches. */
static int neigh_bulk(struct cp *cp, int ifindex, int from, int to)
{
	/*
	 * Below the socket's default sndbuf, or sendmsg() says EMSGSIZE;
	 * and ~800 acks of ~1 KiB truesize each must fit the rcvbuf.
	 */
	static char buf[32 * 1024];
	size_t off = 0;
	int n = 0, err;

	for (int i = from; i < to; i++) {
		uint32_t ip = htonl(COLD_NET + 2 + i);
		uint8_t mac[6] = {0x02,
				  0xbe,
				  0,
				  (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8),
				  (uint8_t)i};

		off += neigh_msg(cp, buf + off, ifindex, ip, mac);
		n++;
		if (off > sizeof(buf) - 256 || i == to - 1) {
			if (mnl_socket_sendto(cp->nl, buf, off) < 0)
				return -errno;
			err = read_acks(cp, n);
			if (err)
				return err;
			off = 0;
			n = 0;
		}
	}
	return 0;
}

static int ip_run(const char *args)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "ip %s >/dev/null 2>&1", args);
	return system(cmd) == 0 ? 0 : -EIO;
}

/* ---- the daemon ------------------------------------------------------- */

static int daemon_start(struct cp *cp, const char *tag, int max_entries)
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
		      (char *)NULL);
		_exit(127);
	}
	cp->daemon = pid;
	cp->hfwd = -1;
	return 0;
}

static void daemon_stop(struct cp *cp)
{
	if (cp->daemon <= 0)
		return;
	kill(cp->daemon, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(cp->daemon, NULL, WNOHANG) == cp->daemon)
			goto reaped;
		sleep_us(10000);
	}
	kill(cp->daemon, SIGKILL);
	waitpid(cp->daemon, NULL, 0);
reaped:
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
	int ifindex, err, have = 0;
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
		{}};
	static struct cp cp;
	char *tok, *save = NULL, *dir;
	int opt, err;

	cp.changes = 2000;
	cp.port = 5555;
	cp.api_seconds = 5;
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
		"[--changes N] [--cold N,N] [--port P] [--api-seconds S]\n");
	return 2;
}
