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

/* The HTTP server's own figures, shown next to the daemon's. */
struct api_counts {
	uint64_t requests;     /* requests answered */
	uint64_t errors;       /* ... with an error reply (code != 200) */
	uint64_t updates;      /* acknowledged changes (Update/DeleteForward) */
	uint64_t flushes;      /* ops->flush calls: updates / flushes = batch */
	uint64_t flush_errors; /* flushes that failed */
	uint64_t conns_evicted; /* TCP: unauthenticated, evicted for newer */
	uint64_t conns_refused; /* control socket: over the per-uid cap */
};

/*
 * Render into a malloc'ed, NUL-terminated @text of @len bytes. 0 or
 * -errno (ops->stats' error, or -ENOMEM).
 */
int api_metrics_render(const struct api_ops *ops, const struct api_counts *c,
		       char **text, size_t *len);

#endif /* API_METRICS_H */
