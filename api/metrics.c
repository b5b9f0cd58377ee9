// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - see metrics.h. Counters end in _total, as Prometheus'
 * naming rules want; the data path's are labelled by outcome, whose values
 * are fwd_counter_names[], the same names QueryStats uses (per interface,
 * also by interface and direction). IPv6 outcomes have
 * names of their own (fwd_fib6, pass6_*): several outcomes (pass_truncated,
 * pass_not_for_us, pass_netfilter ...) are counted for both families as
 * one, which a family label could not say, and the IPv4 series keep the
 * names and meaning they had, but pass_not_ipv4, mapped to two
 * (docs/api.md).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "build_id.h"
#include "metrics.h"

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* A family of one unlabelled series: its HELP, TYPE and value. */
static void metric(FILE *f, const char *name, const char *type,
		   const char *help, uint64_t v)
{
	family(f, name, type, help);
	value(f, name, v);
}

/*
 * One family's table gauges: fwd_table<@sfx>_entries by source and
 * fwd_hfwd<@sfx>_entries, the names the IPv4 ones always had.
 */
static void table_gauges(FILE *f, const char *sfx, const char *fam,
			 uint64_t learned, uint64_t overrides, uint64_t keys)
{
	char name[40], help[80];

	snprintf(name, sizeof(name), "fwd_table%s_entries", sfx);
	snprintf(help, sizeof(help),
		 "%s forwarding entries the agent holds, by source.", fam);
	family(f, name, "gauge", help);
	fprintf(f, "%s{source=\"learned\"} %" PRIu64 "\n", name, learned);
	fprintf(f, "%s{source=\"override\"} %" PRIu64 "\n", name, overrides);
	snprintf(name, sizeof(name), "fwd_hfwd%s_entries", sfx);
	snprintf(help, sizeof(help), "Keys in the hfwd%s map.", sfx);
	family(f, name, "gauge", help);
	value(f, name, keys);
}

/* One family of @n series labelled @label="<names[i]>". */
static void labelled(FILE *f, const char *name, const char *type,
		     const char *help, const char *label,
		     const char *const *names, const uint64_t *v, int n)
{
	family(f, name, type, help);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i],
			v[i]);
}

/* Demand learning: what is held, and the reports that brought it. */
static void demand_metrics(FILE *f, const struct api_stats *st)
{
	static const char *const sup[] = {"duplicate", "rate", "ring_full"};
	static const char *const ev[] = {"idle", "budget"};
	const uint64_t s[] = {st->demand.suppressed, st->demand.limited,
			      st->demand.lost};
	const uint64_t e[] = {st->demand.idle, st->demand.budget};

	metric(f, "fwd_demand_entries", "gauge",
	       "Destinations learned on demand, both families.",
	       st->demand.entries);
	metric(f, "fwd_demand_max_entries", "gauge",
	       "The budget of destinations learned on demand (0: off).",
	       st->demand.max);
	metric(f, "fwd_demand_reports_total", "counter",
	       "Destinations the XDP program reported from the fib path.",
	       st->demand.reports);
	labelled(f, "fwd_demand_reports_suppressed_total", "counter",
		 "Reports the XDP program did not send, by reason.", "reason",
		 sup, s, 3);
	metric(f, "fwd_demand_reports_ignored_total", "counter",
	       "Reports for destinations the rule gives no entry to "
	       "(ECMP, TOS, policy routing) or that need no demand entry.",
	       st->demand.ignored);
	metric(f, "fwd_demand_learned_total", "counter",
	       "Destinations added by demand learning.", st->demand.learned);
	labelled(f, "fwd_demand_evictions_total", "counter",
		 "Destinations learned on demand and evicted, by reason.",
		 "reason", ev, e, 2);
}

/* A label value, escaped as the exposition format wants (\\, \", \n). */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

int api_proc_parse(const char *stat, const char *proc_stat, long hz, long page,
		   struct api_proc *out)
{
	unsigned long long utime, stime, start, vsize, btime = 0;
	long long rss;
	const char *p = strrchr(stat, ')'), *b;

	/*
	 * proc(5): "pid (comm) state ..."; comm may hold spaces and ')',
	 * so fields are counted from the last ')'. After it: state (3),
	 * then utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
	 */
	if (!p || hz <= 0 || page <= 0 ||
	    sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%*d %*d %*d %*d %*d %*d %llu %llu %lld",
		   &utime, &stime, &start, &vsize, &rss) != 5)
		return -EINVAL;
	/* /proc/stat: "btime <seconds since the epoch at boot>" */
	for (b = proc_stat; b && *b; b = strchr(b, '\n'), b = b ? b + 1 : b)
		if (sscanf(b, "btime %llu", &btime) == 1)
			break;
	if (!btime)
		return -EINVAL;
	out->cpu_seconds = (double)(utime + stime) / (double)hz;
	out->start_time_seconds = (double)btime + (double)start / (double)hz;
	out->virtual_bytes = vsize;
	out->resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
	return 0;
}

/* The whole of a small /proc file into @buf, NUL-terminated. */
static int read_small(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n ? 0 : -EIO;
}

/* Open file descriptors: the entries of /proc/self/fd, ours excepted. */
static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	long n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory stream's own */
}

static const uint64_t latency_bounds[API_LATENCY_N] = API_LATENCY_BUCKETS_US;

void api_latency_observe(struct api_counts *c, uint64_t us)
{
	for (int i = 0; i < API_LATENCY_N; i++)
		if (us <= latency_bounds[i])
			c->latency_le[i]++;
	c->latency_count++;
	c->latency_sum_us += us;
}

/* A Prometheus histogram: cumulative buckets, +Inf, _sum, _count. */
static void latency(FILE *f, const struct api_counts *c)
{
	const char *name = "fwd_api_request_duration_seconds";

	family(f, name, "histogram",
	       "Time from a request's headers to its response being queued.");
	for (int i = 0; i < API_LATENCY_N; i++)
		fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
			latency_bounds[i] / 1e6, c->latency_le[i]);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
		c->latency_count);
	fprintf(f, "%s_sum %.6f\n", name, c->latency_sum_us / 1e6);
	fprintf(f, "%s_count %" PRIu64 "\n", name, c->latency_count);
}

/*
 * The process collector's series, named and typed as the Prometheus
 * client libraries (client_golang, client_python) name them, so the
 * dashboards and alerts written for any exporter work on fwd's too.
 * A /proc that cannot be read leaves them out rather than lying.
 */
static void process_metrics(FILE *f)
{
	static char stat[1024], proc_stat[16384];
	struct api_proc p;
	struct rlimit rl;
	long fds;

	if (!read_small("/proc/self/stat", stat, sizeof(stat)) &&
	    !read_small("/proc/stat", proc_stat, sizeof(proc_stat)) &&
	    !api_proc_parse(stat, proc_stat, sysconf(_SC_CLK_TCK),
			    sysconf(_SC_PAGESIZE), &p)) {
		family(f, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		fprintf(f, "process_cpu_seconds_total %.2f\n", p.cpu_seconds);
		metric(f, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.", p.resident_bytes);
		metric(f, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.", p.virtual_bytes);
		family(f, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in "
		       "seconds.");
		fprintf(f, "process_start_time_seconds %.2f\n",
			p.start_time_seconds);
	}
	fds = open_fds();
	if (fds >= 0) {
		metric(f, "process_open_fds", "gauge",
		       "Number of open file descriptors.", (uint64_t)fds);
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY) {
		metric(f, "process_max_fds", "gauge",
		       "Maximum number of open file descriptors.",
		       (uint64_t)rl.rlim_cur);
	}
}

/*
 * fwd_build_info: the info-metric idiom (value 1, the facts in labels),
 * so `fwd_build_info * on(instance) group_left(version) ...` joins them
 * onto any series. kernel is the running one's release, libbpf the
 * library fwd runs with, not the headers it was built against.
 */
static void build_info(FILE *f)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	family(f, "fwd_build_info", "gauge",
	       "fwd's version, commit, libbpf and kernel; always 1.");
	fputs("fwd_build_info{version=\"", f);
	label_value(f, FWD_VERSION);
	fputs("\",commit=\"", f);
	label_value(f, FWD_COMMIT);
	fputs("\",libbpf=\"", f);
	label_value(f, libbpf_version_string());
	fputs("\",kernel=\"", f);
	label_value(f, u.release);
	fputs("\"} 1\n", f);
}

/*
 * fwd_interface_{packets,bytes}_total{interface,direction,outcome}: rx
 * by the outcomes of fwd_packets_total (the same label values), tx with
 * outcome "redirected". One family per unit, as Prometheus wants, with
 * direction a label: rx and tx of one interface sum to nothing useful
 * but sit on one graph; every outcome is shown, zero or not, so a rate()
 * never starts from a missing series.
 */
static void iface_family(FILE *f, const char *name, const char *help,
			 const struct api_ifstat *is, int n, bool bytes)
{
	int i, k;

	family(f, name, "counter", help);
	for (i = 0; i < n; i++) {
		for (k = 0; k <= FWD_CNT_MAX; k++) {
			const struct fwd_count *c =
				k < FWD_CNT_MAX ? &is[i].rx[k] : &is[i].tx;

			fprintf(f, "%s{interface=\"", name);
			label_value(f, is[i].name);
			fprintf(f,
				"\",direction=\"%s\",outcome=\"%s\"} %" PRIu64
				"\n",
				k < FWD_CNT_MAX ? "rx" : "tx",
				k < FWD_CNT_MAX ? fwd_counter_names[k]
						: "redirected",
				(uint64_t)(bytes ? c->bytes : c->packets));
		}
	}
}

int api_metrics_render(const struct api_ops *ops, const struct api_counts *c,
		       char **text, size_t *len)
{
	struct api_ifstat *is = NULL;
	struct api_stats st;
	int i, n = 0, err;
	FILE *f;

	memset(&st, 0, sizeof(st));
	err = ops->stats(ops->arg, &st);
	if (err)
		return err;
	if (ops->ifstats) {
		is = calloc(FWD_MAX_IFACES, sizeof(*is));
		if (!is)
			return -ENOMEM;
		n = ops->ifstats(ops->arg, is, FWD_MAX_IFACES);
		if (n < 0) {
			free(is);
			return n;
		}
	}
	*text = NULL;
	f = open_memstream(text, len);
	if (!f) {
		err = -errno;
		free(is);
		return err;
	}

	family(f, "fwd_packets_total", "counter",
	       "Packets seen by the XDP program, by outcome.");
	for (i = 0; i < FWD_CNT_MAX; i++)
		fprintf(f, "fwd_packets_total{outcome=\"%s\"} %" PRIu64 "\n",
			fwd_counter_names[i], (uint64_t)st.counters[i].packets);
	family(f, "fwd_bytes_total", "counter",
	       "Bytes seen by the XDP program, by outcome.");
	for (i = 0; i < FWD_CNT_MAX; i++)
		fprintf(f, "fwd_bytes_total{outcome=\"%s\"} %" PRIu64 "\n",
			fwd_counter_names[i], (uint64_t)st.counters[i].bytes);
	iface_family(f, "fwd_interface_packets_total",
		     "Packets per managed interface: rx by outcome, tx "
		     "redirected out of it.",
		     is, n, false);
	iface_family(f, "fwd_interface_bytes_total",
		     "Bytes per managed interface: rx by outcome, tx "
		     "redirected out of it.",
		     is, n, true);
	free(is);

	table_gauges(f, "", "IPv4", st.learned, st.overrides, st.hfwd_entries);
	table_gauges(f, "6", "IPv6", st.learned6, st.overrides6,
		     st.hfwd6_entries);
	metric(f, "fwd_hfwd_max_entries", "gauge",
	       "Capacity of hfwd, and of hfwd6.", st.max_entries);
	metric(f, "fwd_hfwd_evictions_total", "counter",
	       "Learned entries taken out of a full hfwd or hfwd6 to make "
	       "room for an override.",
	       st.evicted);
	metric(f, "fwd_resyncs_total", "counter",
	       "Full resyncs with the kernel's tables.", st.resyncs);
	metric(f, "fwd_netlink_events_total", "counter",
	       "rtnetlink messages applied.", st.nl_events);
	metric(f, "fwd_uptime_seconds", "gauge", "Seconds since fwd started.",
	       st.uptime_s);
	family(f, "fwd_loop_callback_max_seconds", "gauge",
	       "The event loop's longest callback since start.");
	fprintf(f, "fwd_loop_callback_max_seconds %.6f\n",
		st.loop_max_us / 1e6);
	metric(f, "fwd_loop_slow_callbacks_total", "counter",
	       "Event loop callbacks that ran 20 ms or longer.", st.loop_slow);
	demand_metrics(f, &st);
	metric(f, "fwd_netfilter_hold", "gauge",
	       "1 while a netfilter chain that could see forwarded packets "
	       "sends them all to the kernel.",
	       st.netfilter_hold);
	metric(f, "fwd_netfilter_bypassed", "gauge",
	       "1 if --bypass-netfilter skips such chains for fast-pathed "
	       "packets.",
	       st.netfilter_bypassed);
	metric(f, "fwd_xfrm_hold", "gauge",
	       "1 while an IPsec policy that could apply to forwarded packets "
	       "sends them all to the kernel.",
	       st.xfrm_hold);

	metric(f, "fwd_api_requests_total", "counter",
	       "HTTP requests answered.", c->requests);
	metric(f, "fwd_api_errors_total", "counter",
	       "HTTP requests answered with an error code.", c->errors);
	metric(f, "fwd_api_updates_total", "counter",
	       "Override changes acknowledged.", c->updates);
	metric(f, "fwd_api_flushes_total", "counter",
	       "Durable writes of the overrides (one per batch of updates).",
	       c->flushes);
	metric(f, "fwd_api_flush_errors_total", "counter",
	       "Durable writes that failed.", c->flush_errors);
	metric(f, "fwd_api_connections_evicted_total", "counter",
	       "TCP connections closed before a whole request head, to make "
	       "room for newer ones.",
	       c->conns_evicted);
	metric(f, "fwd_api_connections_refused_total", "counter",
	       "Control socket connections refused: over the per-uid cap.",
	       c->conns_refused);

	latency(f, c);
	build_info(f);
	process_metrics(f);

	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
