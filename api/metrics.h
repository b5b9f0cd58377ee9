/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - GET /metrics: the data-path counters, the table and the
 * agent's figures in the Prometheus text exposition format (0.0.4).
 */
#ifndef API_METRICS_H
#define API_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

/*
 * fwd_api_request_duration_seconds' buckets, upper bounds in microseconds:
 * a query answers in well under a millisecond, an update waits for its
 * group commit's fsync (milliseconds), a full disk or a slow one longer.
 */
#define API_LATENCY_BUCKETS_US                                                \
	{                                                                     \
		100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, \
			250000, 1000000                                       \
	}
#define API_LATENCY_N 12

/* The HTTP server's own figures, shown next to the daemon's. */
struct api_counts {
	uint64_t requests;     /* requests answered */
	uint64_t errors;       /* ... with an error reply (code != 200) */
	uint64_t updates;      /* acknowledged changes (Update/DeleteForward) */
	uint64_t flushes;      /* ops->flush calls: updates / flushes = batch */
	uint64_t flush_errors; /* flushes that failed */
	/* responses by latency, headers in to response queued */
	uint64_t latency_le[API_LATENCY_N]; /* cumulative: <= bucket */
	uint64_t latency_count;		    /* every response */
	uint64_t latency_sum_us;
	uint64_t conns_evicted; /* TCP: unauthenticated, evicted for newer */
	uint64_t conns_refused; /* control socket: over the per-uid cap */
};

/* One response @us after its request's headers arrived. */
void api_latency_observe(struct api_counts *c, uint64_t us);

/* What the process collector reports, from /proc (api_proc_parse()). */
struct api_proc {
	double cpu_seconds;	   /* utime + stime */
	double start_time_seconds; /* since the epoch */
	uint64_t virtual_bytes;
	uint64_t resident_bytes;
};

/*
 * Parse /proc/self/stat's text @stat and /proc/stat's @proc_stat (for
 * btime), with @hz clock ticks a second and @page bytes a page. Pure: for
 * tests. 0 or -EINVAL.
 */
int api_proc_parse(const char *stat, const char *proc_stat, long hz, long page,
		   struct api_proc *out);

/*
 * Render into a malloc'ed, NUL-terminated @text of @len bytes. 0 or
 * -errno (ops->stats' error, or -ENOMEM).
 */
int api_metrics_render(const struct api_ops *ops, const struct api_counts *c,
		       char **text, size_t *len);

#endif /* API_METRICS_H */
