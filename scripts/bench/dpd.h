/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpd.h - the real daemon for the data-path bench's routed cases: one
 * build/fwd per trial, managing the forwarder namespace's two veths with
 * a bpffs directory, state file and control socket of its own.
 */
#ifndef BENCH_DPD_H
#define BENCH_DPD_H

#include <stdint.h>
#include <sys/types.h>

struct dpd {
	pid_t pid;	  /* the daemon; 0 when none runs */
	char bpffs[128];  /* its pins: fwd_stats, fwd_prog */
	char sock[256];	  /* its control socket */
	char log[256];	  /* its stdout and stderr */
	char fwdctl[256]; /* the client next to the daemon's binary */
	int stats_fd;	  /* pinned fwd_stats, -1 until open */
	int prog_fd;	  /* pinned fwd_prog, -1 until open */
};

/* What QueryStats' "Demand" object says (docs/api.md); -1: not there. */
struct dpd_demand {
	long long max, entries, learned, ignored; /* the daemon's table */
	long long evicted_idle, evicted_budget;
	long long reports, suppressed, limited, lost; /* the program's */
};

/*
 * Start @bin (loading @obj through --bpf-object, when not NULL) on
 * interfaces @in and @out of the calling thread's network namespace,
 * pinned to @cpu, its files under @dir, with --max-entries @max_entries
 * (0: the default) and the extra options in @extra (NULL-terminated, or
 * NULL). Waits until it logged its first sync and pinned its maps (up to
 * 10 s). 0 or -errno; on an error no daemon is left behind.
 */
int dpd_start(struct dpd *d, const char *bin, const char *obj, const char *dir,
	      const char *in, const char *out, int cpu, uint32_t max_entries,
	      char *const *extra);
/* SIGTERM, then SIGKILL after 5 s; the daemon detaches and unpins. */
void dpd_stop(struct dpd *d);
/* QueryStats through fwdctl --json; 0 or -errno (no Demand: all -1). */
int dpd_demand(const struct dpd *d, struct dpd_demand *dm);

#endif /* BENCH_DPD_H */
