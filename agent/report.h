/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the program's report channel, read: destinations the fib
 * path forwarded (ring buffer fwd_report), handed to a callback, and the
 * per-CPU bounds of fwd_demand set and counted (see struct fwd_demand).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "addr.h"

struct loop;
struct report;

struct report_opts {
	int ring_fd;   /* fwd_report */
	int demand_fd; /* fwd_demand */
	uint32_t rate; /* reports a second per CPU; 0: the program sends none */
	uint32_t burst;
	/* one destination reported; @egress the fib path's choice */
	void (*fn)(void *arg, const struct ip_addr *dst, uint32_t egress);
	void *arg;
};

/*
 * Configure every CPU's fwd_demand (its counters kept) and read the ring
 * in @loop. 0 or -errno (logged).
 */
int report_open(struct report **out, struct loop *loop,
		const struct report_opts *o);
void report_close(struct report *r);

struct report_stats {
	uint64_t reports;    /* written by the program */
	uint64_t suppressed; /* the same destination within a second */
	uint64_t limited;    /* over the per-CPU rate */
	uint64_t lost;	     /* the ring was full */
	uint64_t read;	     /* read by us */
	uint64_t bad;	     /* records we could not use */
};
/* Summed over CPUs. 0 or -errno. */
int report_stats(const struct report *r, struct report_stats *out);

#endif /* REPORT_H */
