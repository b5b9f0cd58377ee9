// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - read the program's report channel (see report.h).
 *
 * libbpf's ring buffer consumer, its epoll fd served by the daemon's loop.
 * One callback reads what is there: at most the ring's 2048 records,
 * since the program does not wait for us (a full ring counts as lost).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwd.h"
#include "log.h"
#include "loop.h"
#include "report.h"
#include "xdp.h"

struct report {
	struct loop *loop;
	struct ring_buffer *rb;
	int demand_fd;
	void (*fn)(void *arg, const struct ip_addr *dst, uint32_t egress);
	void *arg;
	uint64_t read, bad;
};

static int on_record(void *ctx, void *data, size_t len)
{
	const struct fwd_report *rec = data;
	struct report *r = ctx;
	struct ip_addr dst;

	if (len < sizeof(*rec) ||
	    (rec->family != AF_INET && rec->family != AF_INET6)) {
		r->bad++;
		return 0;
	}
	r->read++;
	if (rec->family == AF_INET) {
		uint32_t v4;

		memcpy(&v4, rec->addr, 4);
		dst = ip_addr4(v4);
	} else {
		dst = ip_addr6(rec->addr);
	}
	r->fn(r->arg, &dst, rec->ifindex);
	return 0;
}

static void on_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct report *r = arg;
	int n;

	(void)loop;
	(void)fd;
	(void)events;
	n = ring_buffer__consume(r->rb);
	if (n < 0)
		pr_warn("report: reading fwd_report: %s", strerror(-n));
}

/*
 * fwd_demand read on every CPU, its counters summed into @sum (if not
 * NULL); with @set, every CPU's @rate and @burst written back first, the
 * counters as they are.
 */
static int demand_rw(int fd, bool set, uint32_t rate, uint32_t burst,
		     struct report_stats *sum)
{
	struct fwd_demand *v;
	int ncpu, c, err = 0;
	uint32_t key = 0;

	v = xdp_percpu_alloc(sizeof(*v), &ncpu);
	if (!v)
		return ncpu;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		err = -errno;
		goto out;
	}
	for (c = 0; c < ncpu; c++) {
		if (set) {
			v[c].rate = rate;
			v[c].burst = burst;
		}
		if (!sum)
			continue;
		sum->reports += v[c].reports;
		sum->suppressed += v[c].suppressed;
		sum->limited += v[c].limited;
		sum->lost += v[c].lost;
	}
	if (set && bpf_map_update_elem(fd, &key, v, BPF_ANY))
		err = -errno;
out:
	free(v);
	return err;
}

int report_open(struct report **out, struct loop *loop,
		const struct report_opts *o)
{
	struct report *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->demand_fd = o->demand_fd;
	r->fn = o->fn;
	r->arg = o->arg;
	err = demand_rw(o->demand_fd, true, o->rate, o->burst, NULL);
	if (err) {
		pr_err("report: cannot configure fwd_demand: %s",
		       strerror(-err));
		goto fail;
	}
	r->rb = ring_buffer__new(o->ring_fd, on_record, r, NULL);
	if (!r->rb) {
		err = -errno;
		pr_err("report: cannot read fwd_report: %s", strerror(-err));
		goto fail;
	}
	err = loop_add(loop, ring_buffer__epoll_fd(r->rb), EPOLLIN, on_ready,
		       r);
	if (err) {
		pr_err("report: %s", strerror(-err));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	ring_buffer__free(r->rb);
	free(r);
	return err;
}

void report_close(struct report *r)
{
	if (!r)
		return;
	loop_del(r->loop, ring_buffer__epoll_fd(r->rb));
	ring_buffer__free(r->rb);
	/* the program stops reporting: nobody reads the ring any more */
	demand_rw(r->demand_fd, true, 0, 0, NULL);
	free(r);
}

int report_stats(const struct report *r, struct report_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->read = r->read;
	out->bad = r->bad;
	return demand_rw(r->demand_fd, false, 0, 0, out);
}
