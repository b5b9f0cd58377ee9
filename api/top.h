/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top.h - `fwdctl top`: live rates from two QueryStats replies.
 *
 * A sample is what one QueryStats reply says (totals per outcome and per
 * interface); a view is the rates between two samples, sorted by packets
 * per second, with the share of packets on the fast path. Parsing, rates
 * and rendering are pure (replies and a width in, text out) so the unit
 * tests drive them without a server or a terminal; top_run() is the loop
 * around them: fetch, render, wait for the next tick or a key.
 */
#ifndef API_TOP_H
#define API_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "fwd.h"

#define TOP_MAX_IFACES FWD_MAX_IFACES

/* Totals, as QueryStats gives them. */
struct top_count {
	double packets, bytes;
};

struct top_iface_sample {
	char name[16];
	struct top_count rx[FWD_CNT_MAX]; /* by outcome */
	struct top_count tx;		  /* redirected out */
};

struct top_sample {
	double t;			   /* seconds, monotonic */
	struct top_count out[FWD_CNT_MAX]; /* by outcome */
	struct top_iface_sample *ifs;	   /* TOP_MAX_IFACES of them */
	int n_ifs;
};

/* Rates, per second. */
struct top_rate {
	double pps, bps; /* packets, bytes */
};

struct top_outcome_row {
	const char *name; /* fwd_counter_names[] */
	struct top_rate r;
};

struct top_iface_row {
	const char *name;
	struct top_rate rx, tx;
	double fast; /* rx share on the fast path, 0..1; -1: no rx */
};

struct top_view {
	double interval;     /* seconds between the two samples */
	struct top_rate all; /* every packet the program saw */
	double fast;	     /* share forwarded by fwd, 0..1; -1: none */
	struct top_outcome_row out[FWD_CNT_MAX];  /* by pps, then name */
	int n_out;				  /* those with a rate > 0 */
	struct top_iface_row ifs[TOP_MAX_IFACES]; /* by rx + tx pps */
	int n_ifs;
};

/* Fill @s (its ifs allocated by the caller) from a QueryStats reply. */
int top_sample_parse(const cJSON *reply, double t, struct top_sample *s);
/*
 * The rates from @prev to @cur. A counter that went down (the daemon
 * restarted) counts from zero, as Prometheus' rate() does; an interface
 * only in @cur counts from zero too.
 */
void top_view_make(const struct top_sample *prev, const struct top_sample *cur,
		   struct top_view *v);
/*
 * The human view in @width columns (no line longer) and at most @height
 * lines (0: no limit): a header with the total rate and the fast-path
 * share, the outcomes with a rate, the interfaces.
 */
void top_render(FILE *f, const struct top_view *v, int width, int height);
/* One JSON object on one line, the same figures. */
void top_json(FILE *f, const struct top_view *v, double now);

/* Where top_run() gets a QueryStats reply from; 0 or -errno. */
typedef int (*top_fetch_fn)(void *arg, cJSON **reply);

struct top_opts {
	int count;	 /* views to show, 0: until q or Ctrl-C */
	double interval; /* seconds */
	bool json;	 /* JSON lines instead of the screen */
};

/*
 * The loop. On a terminal: the alternate screen, keys unbuffered, 'q' or
 * Ctrl-C ends it and the terminal is restored as it was, whatever the
 * exit. Else (a pipe, --json) one view after another. 0 or -errno.
 */
int top_run(const struct top_opts *o, top_fetch_fn fetch, void *arg);

#endif /* API_TOP_H */
