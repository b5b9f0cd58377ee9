// SPDX-License-Identifier: GPL-2.0
/*
 * dpd.c - the real daemon for the data-path bench's routed cases (see
 * dpd.h). Routed traffic reaches the table path only through the daemon's
 * demand learning, so those cases measure build/fwd itself: a fresh one
 * per trial, so every trial starts with the destinations missing from
 * hfwd, as in production after a start or an idle expiry.
 *
 * Without -v the daemon logs nothing on a start that goes well (and -v
 * would log every learned entry, which spray makes a cost of its own), so
 * readiness is its control socket answering: the daemon opens it after
 * its first sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <cjson/cJSON.h>

#include "dpd.h"
#include "util.h"

#define DPD_MAX_ARGS 32

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool dpd_alive(struct dpd *d)
{
	return d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == 0;
}

/* fwdctl --socket SOCK --json stats into @buf; 0 or -errno. */
static int dpd_query(const struct dpd *d, char *buf, size_t len)
{
	char cmd[640];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "'%s' --socket '%s' --json stats 2>/dev/null", d->fwdctl,
		 d->sock);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	n = fread(buf, 1, len - 1, p);
	buf[n] = 0;
	st = pclose(p);
	return st == 0 && n > 0 ? 0 : -EIO;
}

int dpd_start(struct dpd *d, const char *bin, const char *obj, const char *dir,
	      const char *in, const char *out, int cpu, uint32_t max_entries,
	      char *const *extra)
{
	char state[256], maxe[16], path[192], binc[256], *reply;
	char *argv[DPD_MAX_ARGS];
	int argc = 0, err;
	cpu_set_t set;

	memset(d, 0, sizeof(*d));
	d->stats_fd = d->prog_fd = -1;
	snprintf(d->bpffs, sizeof(d->bpffs), "/sys/fs/bpf/fwdbench-dp");
	snprintf(d->sock, sizeof(d->sock), "%s/dp-fwd.sock", dir);
	snprintf(d->log, sizeof(d->log), "%s/dp-fwd.log", dir);
	snprintf(state, sizeof(state), "%s/dp-fwd.db", dir);
	snprintf(binc, sizeof(binc), "%s", bin);
	snprintf(d->fwdctl, sizeof(d->fwdctl), "%s/fwdctl", dirname(binc));
	mkdir(d->bpffs, 0700);
	/* a fresh daemon: no overrides, no earlier run's lines */
	unlink(state);
	unlink(d->sock);

	argv[argc++] = (char *)bin;
	argv[argc++] = "--iface";
	argv[argc++] = (char *)in;
	argv[argc++] = "--iface";
	argv[argc++] = (char *)out;
	argv[argc++] = "--bpffs";
	argv[argc++] = d->bpffs;
	argv[argc++] = "--state";
	argv[argc++] = state;
	argv[argc++] = "--control";
	argv[argc++] = d->sock;
	argv[argc++] = "--xdp-mode";
	argv[argc++] = "native";
	if (obj) {
		argv[argc++] = "--bpf-object";
		argv[argc++] = (char *)obj;
	}
	if (max_entries) {
		snprintf(maxe, sizeof(maxe), "%u", max_entries);
		argv[argc++] = "--max-entries";
		argv[argc++] = maxe;
	}
	for (; extra && *extra && argc < DPD_MAX_ARGS - 1; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;

	d->pid = fork();
	if (d->pid < 0) {
		err = -errno;
		d->pid = 0;
		return err;
	}
	if (!d->pid) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* An interrupted bench must not leave a daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		execv(bin, argv);
		_exit(127);
	}

	reply = malloc(65536);
	if (!reply) {
		err = -ENOMEM;
		goto fail;
	}
	err = -ETIMEDOUT;
	for (int i = 0; i < 2000; i++) {
		if (!dpd_alive(d)) {
			d->pid = 0;
			err = -ECHILD;
			break;
		}
		if (access(d->sock, F_OK) == 0 &&
		    dpd_query(d, reply, 65536) == 0) {
			err = 0;
			break;
		}
		sleep_ms(5);
	}
	free(reply);
	if (err)
		goto fail;
	snprintf(path, sizeof(path), "%s/fwd_stats", d->bpffs);
	d->stats_fd = bpf_obj_get(path);
	snprintf(path, sizeof(path), "%s/fwd_prog", d->bpffs);
	d->prog_fd = bpf_obj_get(path);
	if (d->stats_fd < 0 || d->prog_fd < 0) {
		err = -ENOENT;
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "bench: %s did not come up (%s); see %s\n", bin,
		strerror(-err), d->log);
	dpd_stop(d);
	return err;
}

void dpd_stop(struct dpd *d)
{
	if (d->stats_fd >= 0)
		close(d->stats_fd);
	if (d->prog_fd >= 0)
		close(d->prog_fd);
	d->stats_fd = d->prog_fd = -1;
	if (d->pid <= 0)
		return;
	bench_stop_child(d->pid);
	d->pid = 0;
}

static long long json_ll(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

int dpd_demand(const struct dpd *d, struct dpd_demand *dm)
{
	char *reply = malloc(1 << 20);
	const cJSON *o;
	cJSON *root;
	int err;

	dm->max = dm->entries = dm->learned = dm->ignored = -1;
	dm->evicted_idle = dm->evicted_budget = -1;
	dm->reports = dm->suppressed = dm->limited = dm->lost = -1;
	if (!reply)
		return -ENOMEM;
	err = dpd_query(d, reply, 1 << 20);
	root = err ? NULL : cJSON_Parse(reply);
	free(reply);
	if (!root)
		return err ? err : -EINVAL;
	o = cJSON_GetObjectItemCaseSensitive(root, "Demand");
	if (cJSON_IsObject(o)) {
		dm->max = json_ll(o, "max");
		dm->entries = json_ll(o, "entries");
		dm->learned = json_ll(o, "learned");
		dm->ignored = json_ll(o, "ignored");
		dm->evicted_idle = json_ll(o, "evictedIdle");
		dm->evicted_budget = json_ll(o, "evictedBudget");
		dm->reports = json_ll(o, "reports");
		dm->suppressed = json_ll(o, "suppressed");
		dm->limited = json_ll(o, "limited");
		dm->lost = json_ll(o, "lost");
	}
	cJSON_Delete(root);
	return 0;
}
