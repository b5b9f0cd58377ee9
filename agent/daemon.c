// SPDX-License-Identifier: GPL-2.0
/*
 * daemon.c - the glue of the running daemon. See daemon.h.
 *
 * It implements what the modules ask of the rest of the daemon: the
 * rtnetlink hooks (interfaces into the XDP maps, learned entries into the
 * table) and the API operations (overrides, queries, stats). The learning
 * core and the API never reach the table or a map themselves: they meet
 * here, in one thread.
 *
 * Start order is chosen for traffic, not convenience: the state file is
 * read before anything touches XDP (a bad file costs nothing), the program
 * is attached (or swapped in over a previous instance's) before the first
 * sync, and the table defers every map write of that sync to one
 * reconcile at its end, so an adopted hfwd keeps forwarding unchanged
 * until it is replaced by the truth in one step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "api.h"
#include "daemon.h"
#include "iface.h"
#include "localset.h"
#include "log.h"
#include "loop.h"
#include "derive.h"
#include "nft.h"
#include "report.h"
#include "rtnl.h"
#include "store.h"
#include "table.h"
#include "util.h"
#include "xdp.h"
#include "xfrm.h"

/*
 * How often the settings below are read: netconf does not announce them
 * (force_forwarding is announced without its value, and read at once).
 */
#define CONF_POLL_MS 1000

struct daemon {
	const struct daemon_opts *o;
	struct loop *loop;
	struct xdp *xdp;
	struct table *table;
	struct store *store;
	struct rtnl *rtnl;
	struct report *report; /* demand learning's reports, NULL if off */
	struct api *api;
	int sfd;	   /* signalfd: SIGTERM, SIGINT, SIGHUP */
	uint64_t start_us; /* loop_now_us() at start, for uptime */
	struct iface ifaces[FWD_MAX_IFACES];
	int n_ifaces;
	struct iface_host host; /* what holds on every interface */
	struct nft *nft;
	struct xfrm *xfrm;
	int poll_fd;	    /* CONF_POLL_MS timer, -1 if none */
	uint32_t local_gen; /* fwd_local sync generation */
	struct localset locals;
};

static struct iface *iface_by_index(struct daemon *d, uint32_t ifindex)
{
	int i;

	for (i = 0; i < d->n_ifaces; i++)
		if (d->ifaces[i].ifindex == ifindex)
			return &d->ifaces[i];
	return NULL;
}

static struct iface *iface_by_name(struct daemon *d, const char *name)
{
	int i;

	for (i = 0; i < d->n_ifaces; i++)
		if (!strcmp(d->ifaces[i].name, name))
			return &d->ifaces[i];
	return NULL;
}

/* ---- the kernel's policy on each interface ----------------------------- */

/* fwd_ifaces for @di: iface.c computes it from everything that holds. */
static int iface_push(struct daemon *d, const struct iface *di)
{
	uint32_t mtu, mtu6;
	uint16_t flags;

	iface_value(di, &d->host, &flags, &mtu, &mtu6);
	return xdp_iface_set(d->xdp, di->ifindex, di->name, di->mac, flags, mtu,
			     mtu6);
}

static void push_all(struct daemon *d)
{
	int i, err;

	for (i = 0; i < d->n_ifaces; i++) {
		err = iface_push(d, &d->ifaces[i]);
		if (err)
			pr_err("%s: cannot update the interface maps: %s",
			       d->ifaces[i].name, strerror(-err));
	}
}

static void conf_poll(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	bool all = iface_read_accept_all(), changed = all != d->host.accept_all;
	int i;

	(void)loop;
	(void)fd;
	(void)events;
	if (changed)
		pr_info("accept_local %s on all interfaces",
			all ? "on" : "off");
	d->host.accept_all = all;
	for (i = 0; i < d->n_ifaces; i++)
		changed |= iface_poll(&d->ifaces[i]);
	if (changed)
		push_all(d);
}

static void on_nft_hold(void *arg, unsigned int hold, const char *why)
{
	struct daemon *d = arg;

	if (hold && d->o->bypass_netfilter)
		pr_warn("netfilter: %s could see forwarded packets; "
			"--bypass-netfilter: fast-pathed packets skip them",
			why);
	else if (hold)
		pr_warn("netfilter: %s could see forwarded packets: every "
			"packet goes to the kernel until it is gone",
			why);
	else if (d->host.nf_hold || d->host.nf_hold6)
		pr_info("netfilter: no chain sees forwarded packets: fast "
			"path on");
	d->host.nf_hold = hold & NFT_HOLD_IPV4;
	d->host.nf_hold6 = hold & NFT_HOLD_IPV6;
	push_all(d);
}

static void on_xfrm_hold(void *arg, bool hold, const char *why)
{
	struct daemon *d = arg;

	if (hold)
		pr_warn("ipsec: %s could apply to forwarded packets: every "
			"packet goes to the kernel until they are gone",
			why);
	else if (d->host.xfrm_hold)
		pr_info("ipsec: no policy applies to forwarded packets: fast "
			"path on");
	d->host.xfrm_hold = hold;
	push_all(d);
}

/* ---- rtnetlink hooks --------------------------------------------------- */

static void on_iface_update(void *arg, const struct rtnl_iface *ri)
{
	struct daemon *d = arg;
	struct iface *di = iface_by_index(d, ri->ifindex);
	bool changed;
	int err;

	if (!di) {
		if (d->n_ifaces == FWD_MAX_IFACES) {
			pr_err("%s: more than %d managed interfaces", ri->name,
			       FWD_MAX_IFACES);
			return;
		}
		di = &d->ifaces[d->n_ifaces++];
		memset(di, 0, sizeof(*di));
		di->ifindex = ri->ifindex;
		changed = true;
		/* re-created under its name: overrides by name follow it */
		table_iface_follow(d->table, ri->name, ri->ifindex, ri->mac);
	} else {
		changed = memcmp(di->mac, ri->mac, 6) ||
			  di->flags != ri->flags || strcmp(di->name, ri->name);
	}
	snprintf(di->name, sizeof(di->name), "%s", ri->name);
	memcpy(di->mac, ri->mac, 6);
	di->flags = ri->flags;
	di->mtu = ri->mtu;
	di->mtu6 = ri->mtu6;
	di->conf = iface_read_conf(ri->name);
	err = iface_push(d, di);
	if (err)
		pr_err("%s: cannot update the interface maps: %s", ri->name,
		       strerror(-err));
	if (changed) {
		char mac[API_MAC_STRLEN];

		api_format_mac(ri->mac, mac);
		pr_info("%s (ifindex %u): %s, forwarding %s, mac %s", ri->name,
			ri->ifindex, ri->flags & FWD_IF_UP ? "up" : "down",
			ri->flags & FWD_IF_FORWARDING ? "on" : "off", mac);
	}
}

static void on_iface_gone(void *arg, uint32_t ifindex, const char *name)
{
	struct daemon *d = arg;
	struct iface *di = iface_by_index(d, ifindex);

	pr_info("%s (ifindex %u): gone", name, ifindex);
	xdp_iface_del(d->xdp, ifindex);
	if (di)
		*di = d->ifaces[--d->n_ifaces];
}

static int on_learn_set(void *arg, uint32_t ip, const struct fwd_entry *e)
{
	struct daemon *d = arg;
	struct ip_addr a = ip_addr4(ip);

	return table_learn_set(d->table, &a, e);
}

static int on_learn_set6(void *arg, const uint8_t ip[16],
			 const struct fwd_entry *e)
{
	struct daemon *d = arg;
	struct ip_addr a = {.family = AF_INET6};

	memcpy(a.v6, ip, 16);
	return table_learn_set(d->table, &a, e);
}

static int on_learn_del6(void *arg, const uint8_t ip[16])
{
	struct daemon *d = arg;
	struct ip_addr a = {.family = AF_INET6};

	memcpy(a.v6, ip, 16);
	return table_learn_del(d->table, &a);
}

static int on_learn_del(void *arg, uint32_t ip)
{
	struct daemon *d = arg;
	struct ip_addr a = ip_addr4(ip);

	return table_learn_del(d->table, &a);
}

static int local_write(void *arg, uint32_t idx, const struct fwd_local *b)
{
	return xdp_local_write(arg, idx, b);
}

/*
 * fwd_local as the local set says, and the fast path held on every
 * interface (FWD_IF_LOCAL_UNKNOWN) while the map does not hold every
 * address of ours: a bucket full, a write failed, out of memory.
 */
static void locals_push(struct daemon *d, int err)
{
	bool unknown;

	if (!err)
		err = localset_flush(&d->locals, local_write, d->xdp);
	unknown = err || localset_incomplete(&d->locals);
	if (unknown == d->host.local_unknown)
		return;
	d->host.local_unknown = unknown;
	if (err)
		pr_err("fwd_local: cannot record a local address (%s): packets "
		       "on interfaces without rp_filter go to the kernel",
		       strerror(-err));
	else if (unknown)
		pr_warn("fwd_local: %u address(es) found their bucket full: "
			"packets on interfaces without rp_filter go to the "
			"kernel",
			d->locals.n_spill);
	else
		pr_info("fwd_local: every local address recorded again");
	push_all(d);
}

static void on_local_add(void *arg, uint32_t ip)
{
	struct daemon *d = arg;

	locals_push(d, localset_add(&d->locals, ip, d->local_gen));
}

static void on_local_del(void *arg, uint32_t ip)
{
	struct daemon *d = arg;

	localset_del(&d->locals, ip);
	locals_push(d, 0);
}

static void on_resync_begin(void *arg)
{
	struct daemon *d = arg;

	d->local_gen++;
	table_resync_begin(d->table);
}

static void on_resync_end(void *arg)
{
	struct daemon *d = arg;
	int n = localset_sweep(&d->locals, d->local_gen);

	if (n > 0)
		pr_info("fwd_local: %d address(es) no longer ours", n);
	locals_push(d, 0);
	table_resync_end(d->table);
}

/* A previous instance's fwd_local, kept until the first sync sweeps it. */
static void locals_adopt(struct daemon *d)
{
	uint32_t *keys = calloc(FWD_LOCAL_BUCKETS, sizeof(*keys));
	struct fwd_local *vals = calloc(FWD_LOCAL_BUCKETS, sizeof(*vals));
	int n = keys && vals ? xdp_local_adopt(d->xdp, keys, vals) : -ENOMEM;

	/* nothing adopted: the first sync writes every address anyway */
	for (int i = 0; i < n; i++)
		localset_load(&d->locals, keys[i], &vals[i]);
	free(keys);
	free(vals);
}

/* ---- API operations ---------------------------------------------------- */

static int op_iface_resolve(void *arg, const char *iface, uint32_t *ifindex,
			    uint8_t mac[6])
{
	struct daemon *d = arg;
	struct iface *di;
	char *end;
	unsigned long n;

	if (!iface || !*iface)
		return -ENODEV;
	errno = 0;
	n = strtoul(iface, &end, 10);
	if (!*end && !errno && iface[0] >= '0' && iface[0] <= '9') {
		if (n == 0 || n > UINT32_MAX)
			return -ENODEV;
		di = iface_by_index(d, n);
		if (!di) {
			char name[IF_NAMESIZE];

			return if_indextoname(n, name) ? -EPERM : -ENODEV;
		}
	} else {
		di = iface_by_name(d, iface);
		if (!di)
			return if_nametoindex(iface) ? -EPERM : -ENODEV;
	}
	*ifindex = di->ifindex;
	memcpy(mac, di->mac, 6);
	return 0;
}

static int op_override_set(void *arg, const struct ip_addr *ip,
			   const struct fwd_entry *e, const char *ifname,
			   bool own_smac)
{
	struct daemon *d = arg;

	return table_override_set_named(d->table, ip, e, ifname, own_smac);
}

static int op_override_del(void *arg, const struct ip_addr *ip)
{
	struct daemon *d = arg;

	return table_override_del(d->table, ip);
}

static void row_to_api(struct daemon *d, const struct table_row *tr,
		       struct api_row *ar)
{
	ar->ip = tr->ip;
	ar->entry = tr->entry;
	ar->override = tr->override;
	ar->absent = !tr->installed;
	ar->iface_gone = !iface_by_index(d, tr->entry.ifindex);
}

static int op_lookup(void *arg, const struct ip_addr *ip, struct api_row *row)
{
	struct daemon *d = arg;
	struct table_row tr;
	int err;

	err = table_lookup(d->table, ip, &tr);
	if (!err)
		row_to_api(d, &tr, row);
	return err;
}

struct walk_ctx {
	struct daemon *d;
	int (*fn)(const struct api_row *row, void *ctx);
	void *ctx;
};

static int walk_one(const struct table_row *tr, void *arg)
{
	struct walk_ctx *w = arg;
	struct api_row ar;

	row_to_api(w->d, tr, &ar);
	return w->fn(&ar, w->ctx);
}

static int op_walk(void *arg, int (*fn)(const struct api_row *row, void *ctx),
		   void *ctx)
{
	struct daemon *d = arg;
	struct walk_ctx w = {.d = d, .fn = fn, .ctx = ctx};

	return table_walk(d->table, walk_one, &w);
}

/* ---- demand learning --------------------------------------------------- */

static void on_report(void *arg, const struct ip_addr *dst, uint32_t egress)
{
	struct daemon *d = arg;

	(void)egress;
	rtnl_demand(d->rtnl, dst);
}

/*
 * Read the program's reports while anything is learned on demand; else
 * the program sends none (its rate 0), so it pays only for the check.
 */
static int demand_start(struct daemon *d)
{
	bool on = d->o->learn && d->o->demand_max && d->o->demand_rate;
	struct report_opts ro = {
		.ring_fd = xdp_map_fd(d->xdp, "fwd_report"),
		.demand_fd = xdp_map_fd(d->xdp, "fwd_demand"),
		.rate = on ? d->o->demand_rate : 0,
		.burst = on ? d->o->demand_rate / 8 + 1 : 0,
		.fn = on_report,
		.arg = d,
	};
	int err = report_open(&d->report, d->loop, &ro);

	if (!err && on)
		pr_info("demand learning: up to %lld destinations, %u reports "
			"a second per CPU, idle after %u s",
			(long long)d->o->demand_max, d->o->demand_rate,
			d->o->demand_idle);
	return err;
}

static int demand_stats(struct daemon *d, struct api_stats *out)
{
	struct derive_demand_stats ds = {};
	struct report_stats rs = {};
	int err = 0;

	if (d->rtnl)
		rtnl_demand_stats(d->rtnl, &ds);
	if (d->report)
		err = report_stats(d->report, &rs);
	out->demand.max = d->o->learn ? (uint64_t)d->o->demand_max : 0;
	out->demand.entries = ds.entries;
	out->demand.learned = ds.learned;
	out->demand.renewed = ds.renewed;
	out->demand.ignored = ds.ignored;
	out->demand.idle = ds.idle;
	out->demand.budget = ds.budget;
	out->demand.reports = rs.reports;
	out->demand.suppressed = rs.suppressed;
	out->demand.limited = rs.limited;
	out->demand.lost = rs.lost;
	return err;
}

static int op_stats(void *arg, struct api_stats *out)
{
	struct daemon *d = arg;
	struct table_stats ts;
	struct rtnl_stats rs = {};
	int err;

	memset(out, 0, sizeof(*out));
	err = xdp_stats(d->xdp, out->counters);
	if (err)
		return err;
	table_get_stats(d->table, &ts);
	if (d->rtnl)
		rtnl_stats(d->rtnl, &rs);
	out->learned = ts.learned;
	out->overrides = ts.overrides;
	out->hfwd_entries = ts.entries;
	out->learned6 = ts.learned6;
	out->overrides6 = ts.overrides6;
	out->hfwd6_entries = ts.entries6;
	out->max_entries = xdp_max_entries(d->xdp);
	out->evicted = ts.evicted;
	out->resyncs = rs.resyncs;
	out->nl_events = rs.events;
	out->uptime_s = (loop_now_us() - d->start_us) / 1000000;
	{
		struct loop_stats ls;

		loop_get_stats(d->loop, &ls);
		out->loop_max_us = ls.max_us;
		out->loop_slow = ls.slow;
	}
	out->netfilter_hold = d->host.nf_hold || d->host.nf_hold6;
	out->netfilter_bypassed = d->o->bypass_netfilter;
	out->xfrm_hold = d->host.xfrm_hold;
	return demand_stats(d, out);
}

static int op_ifstats(void *arg, struct api_ifstat *out, int max)
{
	struct daemon *d = arg;
	struct xdp_ifstat *xs;
	int n, i;

	xs = calloc(max, sizeof(*xs));
	if (!xs)
		return -ENOMEM;
	n = xdp_ifstats(d->xdp, xs, max);
	for (i = 0; i < n; i++) {
		out[i].ifindex = xs[i].ifindex;
		memcpy(out[i].name, xs[i].name, sizeof(out[i].name));
		memcpy(out[i].rx, xs[i].rx, sizeof(out[i].rx));
		out[i].tx = xs[i].tx;
	}
	free(xs);
	return n;
}

static int op_flush(void *arg)
{
	struct daemon *d = arg;

	return table_flush(d->table);
}

/* ---- loop callbacks ---------------------------------------------------- */

static void on_signal(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	int err;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			pr_info("%s: stopping", strsignal(si.ssi_signo));
			loop_stop(loop);
			break;
		case SIGHUP:
			pr_info("SIGHUP: full resync");
			err = d->rtnl ? rtnl_resync(d->rtnl) : 0;
			if (err)
				pr_err("resync failed: %s", strerror(-err));
			break;
		}
	}
}

/*
 * Signals arrive through a signalfd in the loop, never as handlers, so
 * they are serialised with everything else. Blocked before anything else
 * starts: a SIGTERM during start-up waits and stops the loop at once.
 */
static int signals_open(struct daemon *d)
{
	sigset_t set;
	int err;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sfd < 0)
		return -errno;
	err = loop_add(d->loop, d->sfd, EPOLLIN, on_signal, d);
	if (err) {
		close(d->sfd);
		d->sfd = -1;
	}
	return err;
}

static int api_start(struct daemon *d)
{
	/* api_open() keeps its own copy */
	const struct api_ops ops = {
		.arg = d,
		.iface_resolve = op_iface_resolve,
		.override_set = op_override_set,
		.override_del = op_override_del,
		.lookup = op_lookup,
		.walk = op_walk,
		.stats = op_stats,
		.ifstats = op_ifstats,
		.flush = op_flush,
	};
	struct api_opts ao = {
		.control = d->o->control,
		.control_gid = d->o->control_gid,
		.listen = d->o->listen,
		.token_file = d->o->token_file,
		.insecure_listen = d->o->insecure_listen,
	};

	return api_open(&d->api, d->loop, &ao, &ops);
}

static void api_stop(struct daemon *d)
{
	api_close(d->api);
	d->api = NULL;
}

/* ---- run --------------------------------------------------------------- */

static int rtnl_start(struct daemon *d)
{
	const struct rtnl_hooks hooks = {
		.arg = d,
		.iface_update = on_iface_update,
		.iface_gone = on_iface_gone,
		.learn_set = on_learn_set,
		.learn_del = on_learn_del,
		.learn_set6 = on_learn_set6,
		.learn_del6 = on_learn_del6,
		.resync_begin = on_resync_begin,
		.resync_end = on_resync_end,
		.local_add = on_local_add,
		.local_del = on_local_del,
	};
	struct rtnl_opts ro = {
		.ifaces = d->o->ifaces,
		.n_ifaces = d->o->n_ifaces,
		.learn = d->o->learn,
		.rcvbuf = d->o->rcvbuf,
		.demand_max = (uint32_t)d->o->demand_max,
		.demand_idle_ms = d->o->demand_idle * 1000,
	};
	int err;

	/* The initial sync is one resync: one reconcile at its end. */
	table_resync_begin(d->table);
	err = rtnl_open(&d->rtnl, d->loop, &ro, &hooks);
	if (err) {
		pr_err("rtnetlink: %s", strerror(-err));
		return err;
	}
	err = table_resync_end(d->table);
	/* a full hfwd is logged and counted; the daemon still runs */
	return err == -E2BIG ? 0 : err;
}

static void log_ready(struct daemon *d, uint64_t t0)
{
	struct table_stats ts;
	char status[160];

	table_get_stats(d->table, &ts);
	snprintf(status, sizeof(status),
		 "STATUS=%d interface(s), %llu learned, %llu override(s) "
		 "(IPv6: %llu, %llu)",
		 d->o->n_ifaces, (unsigned long long)(ts.learned + ts.learned6),
		 (unsigned long long)(ts.overrides + ts.overrides6),
		 (unsigned long long)ts.learned6,
		 (unsigned long long)ts.overrides6);
	pr_info("ready in %llu ms: %s",
		(unsigned long long)(loop_now_us() - t0) / 1000, status + 7);
	sd_notifyf(0, "READY=1\n%s", status);
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon *d;
	struct xdp_opts xo = {
		.bpf_object = o->bpf_object,
		.bpffs = o->bpffs,
		.max_entries = o->max_entries,
		.mode = o->mode,
		.ifaces = o->ifaces,
		.n_ifaces = o->n_ifaces,
	};
	struct table_opts to = {.v4 = {-1, -1}, .v6 = {-1, -1}};
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->o = o;
	d->sfd = -1;
	d->poll_fd = -1;
	d->start_us = loop_now_us();
	/* Not 0: that is what an adopted fwd_local's addresses get. */
	d->local_gen = 1; /* d->locals: empty, d is calloc()ed */
	d->loop = loop_new();
	if (!d->loop) {
		err = -errno;
		goto err_free;
	}
	err = signals_open(d);
	if (err)
		goto err_loop;
	err = store_open_group(&d->store, o->state, o->control_gid);
	if (err)
		goto err_signals;
	to.store = d->store;
	err = table_new(&d->table, &to);
	if (err)
		goto err_store;
	err = table_load(d->table);
	if (err)
		goto err_table;
	err = xdp_open(&d->xdp, &xo);
	if (err)
		goto err_table;
	{
		struct table_maps v4 = {xdp_map_fd(d->xdp, "hfwd"),
					xdp_map_fd(d->xdp, "fwd_ovr")};
		struct table_maps v6 = {xdp_map_fd(d->xdp, "hfwd6"),
					xdp_map_fd(d->xdp, "fwd_ovr6")};

		table_set_maps(d->table, &v4, &v6);
	}
	locals_adopt(d);
	d->host.bypass_netfilter = o->bypass_netfilter;
	if (o->bypass_netfilter)
		pr_warn("--bypass-netfilter: netfilter rules do not apply to "
			"fast-pathed packets");
	/* Before the first interface is written: it carries the answer. */
	err = nft_open(&d->nft, d->loop, on_nft_hold, d);
	if (err)
		goto err_xdp;
	err = xfrm_open(&d->xfrm, d->loop, on_xfrm_hold, d);
	if (err)
		goto err_nft;
	d->host.accept_all = iface_read_accept_all();
	d->poll_fd = loop_timer_add(d->loop, CONF_POLL_MS, CONF_POLL_MS,
				    conf_poll, d);
	if (d->poll_fd < 0) {
		err = d->poll_fd;
		goto err_nft;
	}
	err = rtnl_start(d);
	if (err)
		goto err_nft;
	err = demand_start(d);
	if (err)
		goto err_rtnl;
	/* Overrides change only through the API, whose hook group-commits. */
	err = api_start(d);
	if (err)
		goto err_rtnl;
	log_ready(d, d->start_us);

	err = loop_run(d->loop);
	if (err)
		pr_err("event loop: %s", strerror(-err));
	sd_notify(0, "STOPPING=1");
	api_stop(d);
	report_close(d->report);
	rtnl_close(d->rtnl);
	xfrm_close(d->xfrm);
	nft_close(d->nft);
	table_flush(d->table); /* what the API applied but did not commit */
	xdp_close(d->xdp, o->keep);
	goto out_table;

err_rtnl:
	report_close(d->report);
	rtnl_close(d->rtnl);
err_nft:
	xfrm_close(d->xfrm);
	nft_close(d->nft);
err_xdp:
	/* A failed start leaves an adopted data path as it found it. */
	xdp_close(d->xdp, o->keep || xdp_adopted(d->xdp));
out_table:
err_table:
	table_free(d->table);
err_store:
	store_close(d->store);
err_signals:
	if (d->sfd >= 0) {
		loop_del(d->loop, d->sfd);
		close(d->sfd);
	}
err_loop:
	loop_free(d->loop);
err_free:
	localset_free(&d->locals);
	free(d);
	return err;
}
