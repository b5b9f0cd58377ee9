// SPDX-License-Identifier: GPL-2.0
/*
 * rtnl.c - rtnetlink I/O: subscribe, dump, follow, resync, keep
 * neighbours verified (contract in rtnl.h).
 *
 * The event socket subscribes before the dump starts, so nothing that
 * happens during the dump is lost: it waits in the socket and is applied
 * after it. Applying an event older than the dump is harmless because every
 * rtnetlink message carries the full new state of its object and later
 * events follow it in order. If the event socket overruns (ENOBUFS) some
 * change is lost for good, so the only safe answer is a full resync.
 *
 * Liveness (docs/design.md, "Liveness of fast-pathed neighbours"): every
 * refresh period the learning core names the STALE neighbours behind
 * learned entries (refresh.c) and each gets an RTM_NEWNEIGH with NTF_USE
 * on the request socket, as if the kernel itself had used it: an answer
 * to the probe makes it REACHABLE again, none makes it FAILED and the
 * entry goes.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/netconf.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "derive.h"
#include "log.h"
#include "loop.h"
#include "nl.h"
#include "rtnl.h"

#define RTNL_RCVBUF_DEFAULT (8 << 20)
#define RTNL_REFRESH_MS_DEFAULT 1000
/* NTF_USE requests per refresh period: bounds the ARP we cause. */
#define RTNL_REFRESH_MAX 1000
/* Idle demand destinations evicted per refresh period: map writes. */
#define RTNL_EXPIRE_MAX 4096
/*
 * Event buffers read per loop iteration before yielding to others, and
 * the time after which no further buffer is begun: a full-table burst
 * must not hold the API's requests for long.
 */
#define RTNL_EV_BATCH 64
#define RTNL_EV_BUDGET_US 5000
#define RTNL_DUMP_TRIES 5
#define RTNL_BUF_SIZE 65536

struct rtnl {
	struct loop *loop;
	struct derive *d;
	struct mnl_socket *ev;	 /* subscribed to the groups */
	struct mnl_socket *dump; /* dumps, one at a time */
	struct mnl_socket *req;	 /* NTF_USE requests; replies drained */
	int timer_fd;		 /* refresh timer, -1 if none */
	uint32_t seq;
	bool intr;		    /* a dump message had NLM_F_DUMP_INTR */
	bool rules_dirty;	    /* a rule changed: recount them */
	bool in_rule_dump;	    /* rule messages are being counted */
	unsigned int custom_rules;  /* count of the rule dump in progress */
	unsigned int custom_rules6; /* ... of its IPv6 rules */
	struct rtnl_stats st;
	uint64_t bad_msgs;
	char buf[RTNL_BUF_SIZE];
};

static void rtnl_warn_bad(struct rtnl *r, const struct nlmsghdr *nlh, int err)
{
	/* A log line per bad message could flood: the first few only. */
	if (r->bad_msgs++ < 10)
		pr_warn("rtnl: skipping malformed message type %u: %s\n",
			nlh->nlmsg_type, strerror(-err));
}

static int rtnl_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl *r = arg;
	bool del = false;
	int err = 0;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		r->intr = true;
	switch (nlh->nlmsg_type) {
	case RTM_DELLINK:
		del = true;
		/* fallthrough */
	case RTM_NEWLINK: {
		struct nl_link l;

		err = nl_parse_link(nlh, nlh->nlmsg_len, &l);
		if (!err)
			derive_link(r->d, &l, del);
		break;
	}
	case RTM_DELADDR:
		del = true;
		/* fallthrough */
	case RTM_NEWADDR: {
		struct nl_addr a;

		err = nl_parse_addr(nlh, nlh->nlmsg_len, &a);
		if (!err)
			derive_addr(r->d, &a, del);
		break;
	}
	case RTM_DELROUTE:
		del = true;
		/* fallthrough */
	case RTM_NEWROUTE: {
		struct nl_route rt;

		err = nl_parse_route(nlh, nlh->nlmsg_len, &rt);
		if (!err)
			derive_route(r->d, &rt, del);
		break;
	}
	case RTM_DELNEXTHOP:
		del = true;
		/* fallthrough */
	case RTM_NEWNEXTHOP: {
		struct nl_nexthop nh;

		err = nl_parse_nexthop(nlh, nlh->nlmsg_len, &nh);
		if (!err)
			derive_nexthop(r->d, &nh, del);
		break;
	}
	case RTM_DELNEIGH:
		del = true;
		/* fallthrough */
	case RTM_NEWNEIGH: {
		struct nl_neigh n;

		err = nl_parse_neigh(nlh, nlh->nlmsg_len, &n);
		if (!err)
			derive_neigh(r->d, &n, del);
		break;
	}
	case RTM_NEWRULE:
	case RTM_DELRULE: {
		struct nl_rule ru;

		/* Events only say "recount": a dump gives the whole set. */
		if (!r->in_rule_dump) {
			r->rules_dirty = true;
			return MNL_CB_OK;
		}
		err = nl_parse_rule(nlh, nlh->nlmsg_len, &ru);
		if (!err && !derive_rule_is_default(&ru))
			(*(ru.family == AF_INET6 ? &r->custom_rules6
						 : &r->custom_rules))++;
		break;
	}
	case RTM_NEWNETCONF: {
		struct nl_netconf c;

		err = nl_parse_netconf(nlh, nlh->nlmsg_len, &c);
		if (!err)
			derive_netconf(r->d, &c);
		break;
	}
	default:
		return MNL_CB_OK;
	}
	if (err == -EBADMSG)
		rtnl_warn_bad(r, nlh, err);
	else if (!err)
		r->st.events++;
	return MNL_CB_OK;
}

/* One dump request of @type, every reply applied. 0 or -errno. */
static int rtnl_dump_one(struct rtnl *r, uint16_t type, size_t fam_len,
			 uint8_t family)
{
	unsigned int portid = mnl_socket_get_portid(r->dump);
	struct nlmsghdr *nlh;
	uint8_t *fam;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(r->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++r->seq;
	fam = mnl_nlmsg_put_extra_header(nlh, fam_len);
	fam[0] = family; /* every rtnetlink family header starts with it */
	if (mnl_socket_sendto(r->dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(r->dump, r->buf, sizeof(r->buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(r->buf, n, r->seq, portid, rtnl_msg, r);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static int rtnl_dump_all(struct rtnl *r)
{
	static const struct {
		size_t len;
		const char *what;
		uint16_t type;
		uint8_t family;
	} dumps[] = {
		/*
		 * Netconf before links, so that a link's first report
		 * carries its forwarding and rp_filter (unknown, rp_filter
		 * counts as strict); then links: the rest refers to them.
		 */
		{sizeof(struct netconfmsg), "netconf", RTM_GETNETCONF, AF_INET},
		{sizeof(struct netconfmsg), "IPv6 netconf", RTM_GETNETCONF,
		 AF_INET6},
		{sizeof(struct ifinfomsg), "links", RTM_GETLINK, AF_UNSPEC},
		{sizeof(struct ifaddrmsg), "addresses", RTM_GETADDR, AF_INET},
		{sizeof(struct ifaddrmsg), "IPv6 addresses", RTM_GETADDR,
		 AF_INET6},
		/* Nexthop objects before the routes that name them. */
		{sizeof(struct nhmsg), "nexthops", RTM_GETNEXTHOP, AF_UNSPEC},
		{sizeof(struct rtmsg), "routes", RTM_GETROUTE, AF_INET},
		{sizeof(struct rtmsg), "IPv6 routes", RTM_GETROUTE, AF_INET6},
		{sizeof(struct ndmsg), "neighbours", RTM_GETNEIGH, AF_INET},
		{sizeof(struct ndmsg), "IPv6 neighbours", RTM_GETNEIGH,
		 AF_INET6},
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		err = rtnl_dump_one(r, dumps[i].type, dumps[i].len,
				    dumps[i].family);
		/* A kernel before nexthop objects (5.3) has none to dump. */
		if (err && dumps[i].type == RTM_GETNEXTHOP &&
		    (err == -EOPNOTSUPP || err == -EINVAL))
			continue;
		if (err) {
			pr_err("rtnl: dumping %s: %s\n", dumps[i].what,
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Count the policy rules of each family that are not the default ones. */
static int rtnl_rules_sync(struct rtnl *r)
{
	int err;

	r->in_rule_dump = true;
	r->custom_rules = 0;
	r->custom_rules6 = 0;
	r->rules_dirty = false;
	err = rtnl_dump_one(r, RTM_GETRULE, sizeof(struct fib_rule_hdr),
			    AF_INET);
	if (!err)
		err = rtnl_dump_one(r, RTM_GETRULE, sizeof(struct fib_rule_hdr),
				    AF_INET6);
	r->in_rule_dump = false;
	if (err) {
		pr_err("rtnl: dumping rules: %s\n", strerror(-err));
		return err;
	}
	derive_rules(r->d, r->custom_rules);
	derive_rules6(r->d, r->custom_rules6);
	return 0;
}

/*
 * Forget everything and learn it again from dumps. A dump the kernel
 * marks inconsistent (NLM_F_DUMP_INTR: the table changed under it) is
 * redone; so is one that failed.
 */
static int rtnl_full_sync(struct rtnl *r)
{
	uint64_t t0 = loop_now_us();
	struct derive_stats ds;
	int tries, err = 0;

	for (tries = 1; tries <= RTNL_DUMP_TRIES; tries++) {
		derive_resync_begin(r->d);
		r->intr = false;
		err = rtnl_dump_all(r);
		if (!err)
			err = rtnl_rules_sync(r);
		if (!err && !r->intr)
			break;
		pr_info("rtnl: dump %s, dumping again\n",
			err ? "failed" : "interrupted by a change");
	}
	/* After the last try, a possibly inconsistent dump beats none:
	 * the events queued meanwhile correct it. */
	derive_resync_end(r->d);
	derive_stats(r->d, &ds);
	pr_info("rtnl: synced in %llu us: %llu links, %llu routes, %llu "
		"nexthops, %llu neighbours; IPv6: %llu neighbours, %llu "
		"candidates\n",
		(unsigned long long)(loop_now_us() - t0),
		(unsigned long long)ds.links, (unsigned long long)ds.routes,
		(unsigned long long)ds.nexthops, (unsigned long long)ds.neighs,
		(unsigned long long)ds.neighs6, (unsigned long long)ds.cands6);
	return err;
}

/*
 * After an overrun the kernel marks the socket congested and stays silent
 * about further drops until the receive queue has been emptied once. What
 * is queued is older than the dump about to start, so drop it: the dump
 * then begins with the flag clear, and any loss during it raises ENOBUFS
 * again instead of going unnoticed.
 */
static void rtnl_ev_drain(struct rtnl *r)
{
	while (mnl_socket_recvfrom(r->ev, r->buf, sizeof(r->buf)) >= 0 ||
	       errno == EINTR || errno == ENOBUFS)
		;
}

/* Read what the event socket holds (up to @max buffers). */
static void rtnl_ev_read(struct rtnl *r, int max, uint64_t budget_us)
{
	uint64_t t0 = loop_now_us();
	int i;

	for (i = 0; i < max && loop_now_us() - t0 < budget_us; i++) {
		ssize_t n = mnl_socket_recvfrom(r->ev, r->buf, sizeof(r->buf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				r->st.enobufs++;
				r->st.resyncs++;
				pr_warn("rtnl: event socket overrun (ENOBUFS), "
					"full resync\n");
				rtnl_ev_drain(r);
				rtnl_full_sync(r);
				continue;
			}
			pr_err("rtnl: reading events: %s\n", strerror(errno));
			return;
		}
		mnl_cb_run(r->buf, n, 0, 0, rtnl_msg, r);
		if (r->rules_dirty)
			rtnl_rules_sync(r);
		derive_flush(r->d);
	}
}

static void rtnl_ev_cb(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	rtnl_ev_read(arg, RTNL_EV_BATCH, RTNL_EV_BUDGET_US);
}

/* Replies to NTF_USE requests carry only errors (no NLM_F_ACK). */
static void rtnl_req_cb(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct rtnl *r = arg;
	char buf[1024];

	(void)loop;
	(void)fd;
	(void)events;
	while (mnl_socket_recvfrom(r->req, buf, sizeof(buf)) > 0)
		;
}

/* RTM_NEWNEIGH with NTF_USE for (@ifindex, @ip, @len bytes of @family). */
static void rtnl_use(struct rtnl *r, uint8_t family, uint32_t ifindex,
		     const void *ip, size_t len)
{
	char buf[128] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ndmsg *ndm;

	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++r->seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	/* NTF_USE: neigh_event_send() as if the kernel sent a packet. */
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, len, ip);
	if (mnl_socket_sendto(r->req, nlh, nlh->nlmsg_len) < 0)
		pr_debug("rtnl: NTF_USE: %s\n", strerror(errno));
	else
		r->st.refreshes++;
}

static void rtnl_send_use(void *arg, uint32_t ifindex, uint32_t ip)
{
	rtnl_use(arg, AF_INET, ifindex, &ip, 4);
}

static void rtnl_send_use6(void *arg, uint32_t ifindex, const uint8_t ip[16])
{
	rtnl_use(arg, AF_INET6, ifindex, ip, 16);
}

static void rtnl_refresh_cb(struct loop *loop, int fd, uint32_t events,
			    void *arg)
{
	struct rtnl *r = arg;

	(void)loop;
	(void)fd;
	(void)events;
	derive_refresh(r->d, rtnl_send_use, r, RTNL_REFRESH_MAX);
	derive_refresh6(r->d, rtnl_send_use6, r, RTNL_REFRESH_MAX);
	derive_demand_expire(r->d, loop_now_us() / 1000, RTNL_EXPIRE_MAX);
}

void rtnl_demand(struct rtnl *r, const struct ip_addr *dst)
{
	derive_demand(r->d, dst, loop_now_us() / 1000);
}

void rtnl_demand_stats(const struct rtnl *r, struct derive_demand_stats *out)
{
	derive_demand_stats(r->d, out);
}

static struct mnl_socket *rtnl_socket(void)
{
	struct mnl_socket *s;

	s = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!s)
		return NULL;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(s);
		errno = err;
		return NULL;
	}
	return s;
}

/* The dump socket blocks: a dump is read to its end in one go. */
static struct mnl_socket *rtnl_dump_socket(void)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

	if (!s)
		return NULL;
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(s);
		errno = err;
		return NULL;
	}
	return s;
}

static int rtnl_subscribe(struct rtnl *r, int rcvbuf)
{
	static const unsigned int groups[] = {
		RTNLGRP_LINK,	     RTNLGRP_IPV4_IFADDR,  RTNLGRP_IPV4_ROUTE,
		RTNLGRP_NEIGH,	     RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV4_RULE,
		RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_NETCONF, RTNLGRP_IPV6_ROUTE,
		RTNLGRP_IPV6_RULE,   RTNLGRP_NEXTHOP,
	};
	int fd = mnl_socket_get_fd(r->ev);
	size_t i;

	/* FORCE passes rmem_max (we are root); else take what we may. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		pr_warn("rtnl: cannot set receive buffer to %d: %s\n", rcvbuf,
			strerror(errno));
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (mnl_socket_setsockopt(r->ev, NETLINK_ADD_MEMBERSHIP,
					  (void *)&groups[i],
					  sizeof(groups[i])) < 0) {
			int err = -errno;

			if (groups[i] == RTNLGRP_NEXTHOP && err == -EINVAL)
				continue; /* before 5.3: no nexthop objects */
			pr_err("rtnl: joining group %u: %s\n", groups[i],
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

int rtnl_open(struct rtnl **out, struct loop *loop, const struct rtnl_opts *o,
	      const struct rtnl_hooks *hooks)
{
	const char *missing;
	struct rtnl *r;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->timer_fd = -1;
	r->d = derive_new(hooks, o->ifaces, o->n_ifaces, o->learn);
	if (!r->d) {
		err = -errno;
		goto err_free;
	}
	derive_demand_config(r->d, o->demand_max, o->demand_idle_ms);
	r->ev = rtnl_socket();
	if (!r->ev) {
		err = -errno;
		pr_err("rtnl: opening netlink socket: %s\n", strerror(-err));
		goto err_derive;
	}
	err = rtnl_subscribe(r,
			     o->rcvbuf > 0 ? o->rcvbuf : RTNL_RCVBUF_DEFAULT);
	if (err)
		goto err_ev;
	r->dump = rtnl_dump_socket();
	if (!r->dump) {
		err = -errno;
		pr_err("rtnl: opening netlink socket: %s\n", strerror(-err));
		goto err_ev;
	}
	err = rtnl_full_sync(r);
	if (err)
		goto err_dump;
	missing = derive_missing_iface(r->d);
	if (missing) {
		pr_err("rtnl: interface %s does not exist\n", missing);
		err = -ENODEV;
		goto err_dump;
	}
	/* What changed during the dump, before anyone else runs. */
	rtnl_ev_read(r, 1 << 20, UINT64_MAX);
	err = loop_add(loop, mnl_socket_get_fd(r->ev), EPOLLIN, rtnl_ev_cb, r);
	if (err)
		goto err_dump;
	if (o->learn) {
		unsigned int ms = o->refresh_ms ? o->refresh_ms
						: RTNL_REFRESH_MS_DEFAULT;

		r->req = rtnl_socket();
		if (!r->req) {
			err = -errno;
			goto err_loop_ev;
		}
		err = loop_add(loop, mnl_socket_get_fd(r->req), EPOLLIN,
			       rtnl_req_cb, r);
		if (err)
			goto err_req;
		r->timer_fd = loop_timer_add(loop, ms, ms, rtnl_refresh_cb, r);
		if (r->timer_fd < 0) {
			err = r->timer_fd;
			goto err_loop_req;
		}
	}
	*out = r;
	return 0;

err_loop_req:
	loop_del(loop, mnl_socket_get_fd(r->req));
err_req:
	mnl_socket_close(r->req);
err_loop_ev:
	loop_del(loop, mnl_socket_get_fd(r->ev));
err_dump:
	mnl_socket_close(r->dump);
err_ev:
	mnl_socket_close(r->ev);
err_derive:
	derive_free(r->d);
err_free:
	free(r);
	return err;
}

int rtnl_resync(struct rtnl *r)
{
	r->st.resyncs++;
	pr_info("rtnl: full resync requested\n");
	return rtnl_full_sync(r);
}

void rtnl_stats(const struct rtnl *r, struct rtnl_stats *out)
{
	*out = r->st;
}

void rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	if (r->timer_fd >= 0)
		loop_del(r->loop, r->timer_fd);
	if (r->req) {
		loop_del(r->loop, mnl_socket_get_fd(r->req));
		mnl_socket_close(r->req);
	}
	loop_del(r->loop, mnl_socket_get_fd(r->ev));
	mnl_socket_close(r->ev);
	mnl_socket_close(r->dump);
	derive_free(r->d);
	free(r);
}
