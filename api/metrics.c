// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - see metrics.h. Counters end in _total, as Prometheus'
 * naming rules want; one label, outcome, whose values are
 * fwd_counter_names[], the same names QueryStats uses. IPv6 outcomes have
 * names of their own (fwd_fib6, pass6_*): several outcomes (pass_truncated,
 * pass_not_for_us, pass_netfilter ...) are counted for both families as
 * one, which a family label could not say, and the IPv4 series keep the
 * names and meaning they had.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int api_metrics_render(const struct api_ops *ops, const struct api_counts *c,
		       char **text, size_t *len)
{
	struct api_stats st;
	FILE *f;
	int i, err;

	memset(&st, 0, sizeof(st));
	err = ops->stats(ops->arg, &st);
	if (err)
		return err;
	*text = NULL;
	f = open_memstream(text, len);
	if (!f)
		return -errno;

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

	table_gauges(f, "", "IPv4", st.learned, st.overrides, st.hfwd_entries);
	table_gauges(f, "6", "IPv6", st.learned6, st.overrides6,
		     st.hfwd6_entries);
	family(f, "fwd_hfwd_max_entries", "gauge",
	       "Capacity of hfwd, and of hfwd6.");
	value(f, "fwd_hfwd_max_entries", st.max_entries);
	family(f, "fwd_hfwd_evictions_total", "counter",
	       "Learned entries taken out of a full hfwd or hfwd6 to make "
	       "room for an override.");
	value(f, "fwd_hfwd_evictions_total", st.evicted);
	family(f, "fwd_resyncs_total", "counter",
	       "Full resyncs with the kernel's tables.");
	value(f, "fwd_resyncs_total", st.resyncs);
	family(f, "fwd_netlink_events_total", "counter",
	       "rtnetlink messages applied.");
	value(f, "fwd_netlink_events_total", st.nl_events);
	family(f, "fwd_uptime_seconds", "gauge", "Seconds since fwd started.");
	value(f, "fwd_uptime_seconds", st.uptime_s);
	family(f, "fwd_netfilter_hold", "gauge",
	       "1 while a netfilter chain that could see forwarded packets "
	       "sends them all to the kernel.");
	value(f, "fwd_netfilter_hold", st.netfilter_hold);
	family(f, "fwd_netfilter_bypassed", "gauge",
	       "1 if --bypass-netfilter skips such chains for fast-pathed "
	       "packets.");
	value(f, "fwd_netfilter_bypassed", st.netfilter_bypassed);

	family(f, "fwd_api_requests_total", "counter",
	       "HTTP requests answered.");
	value(f, "fwd_api_requests_total", c->requests);
	family(f, "fwd_api_errors_total", "counter",
	       "HTTP requests answered with an error code.");
	value(f, "fwd_api_errors_total", c->errors);
	family(f, "fwd_api_updates_total", "counter",
	       "Override changes acknowledged.");
	value(f, "fwd_api_updates_total", c->updates);
	family(f, "fwd_api_flushes_total", "counter",
	       "Durable writes of the overrides (one per batch of updates).");
	value(f, "fwd_api_flushes_total", c->flushes);
	family(f, "fwd_api_flush_errors_total", "counter",
	       "Durable writes that failed.");
	value(f, "fwd_api_flush_errors_total", c->flush_errors);
	family(f, "fwd_api_connections_evicted_total", "counter",
	       "TCP connections closed before a whole request head, to make "
	       "room for newer ones.");
	value(f, "fwd_api_connections_evicted_total", c->conns_evicted);
	family(f, "fwd_api_connections_refused_total", "counter",
	       "Control socket connections refused: over the per-uid cap.");
	value(f, "fwd_api_connections_refused_total", c->conns_refused);

	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
