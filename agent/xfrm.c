// SPDX-License-Identifier: GPL-2.0
/*
 * xfrm.c - the IPsec policy watcher (contract in xfrm.h).
 *
 * One socket subscribed to XFRMNLGRP_POLICY tells that a policy or a
 * default changed; what changed does not matter: the counts the kernel
 * keeps (XFRM_MSG_GETSPDINFO) and the defaults (XFRM_MSG_GETDEFAULT) are
 * asked again on a second socket and the answer recomputed. An overrun of
 * the event socket loses nothing, since every question starts afresh.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "log.h"
#include "loop.h"
#include "nlsock.h"
#include "xfrm.h"

#define XFRM_WHY_LEN 256

struct xfrm {
	struct loop *loop;
	struct mnl_socket *ev, *q;
	uint32_t seq;
	xfrm_hold_fn fn;
	void *arg;
	bool known; /* @hold and @why were reported */
	bool hold;
	char why[XFRM_WHY_LEN];
};

bool xfrm_holds(const struct xfrm_spd *s, char *why, size_t len)
{
	size_t n = 0;

	why[0] = '\0';
	if (s->fwd)
		n += (size_t)snprintf(why + n, len - n, "%s%u fwd polic%s",
				      n ? ", " : "", s->fwd,
				      s->fwd == 1 ? "y" : "ies");
	if (s->out && n < len)
		n += (size_t)snprintf(why + n, len - n, "%s%u out polic%s",
				      n ? ", " : "", s->out,
				      s->out == 1 ? "y" : "ies");
	if (s->block_fwd && n < len)
		n += (size_t)snprintf(why + n, len - n, "%sdefault fwd block",
				      n ? ", " : "");
	if (s->block_out && n < len)
		snprintf(why + n, len - n, "%sdefault out block",
			 n ? ", " : "");
	return s->fwd || s->out || s->block_fwd || s->block_out;
}

static int spdinfo_attr(const struct nlattr *a, void *data)
{
	struct xfrm_spd *s = data;
	const struct xfrmu_spdinfo *si;

	if (mnl_attr_get_type(a) != XFRMA_SPD_INFO)
		return MNL_CB_OK;
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, sizeof(*si)) < 0)
		return MNL_CB_ERROR;
	si = mnl_attr_get_payload(a);
	s->out = si->outcnt;
	s->fwd = si->fwdcnt;
	return MNL_CB_OK;
}

static int spdinfo_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type != XFRM_MSG_NEWSPDINFO ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(uint32_t))
		return MNL_CB_ERROR;
	return mnl_attr_parse(nlh, sizeof(uint32_t), spdinfo_attr, data);
}

static int default_cb(const struct nlmsghdr *nlh, void *data)
{
	struct xfrm_spd *s = data;
	const struct xfrm_userpolicy_default *d;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*d))
		return MNL_CB_ERROR;
	d = mnl_nlmsg_get_payload(nlh);
	s->block_fwd = d->fwd == XFRM_USERPOLICY_BLOCK;
	s->block_out = d->out == XFRM_USERPOLICY_BLOCK;
	return MNL_CB_OK;
}

/* Ask @type with @plen bytes of zeroed payload; the answer to @cb. */
static int ask(struct xfrm *x, uint16_t type, size_t plen, mnl_cb_t cb,
	       struct xfrm_spd *s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	ssize_t len;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++x->seq;
	memset(mnl_nlmsg_put_extra_header(nlh, plen), 0, plen);
	if (mnl_socket_sendto(x->q, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	len = mnl_socket_recvfrom(x->q, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)len, x->seq, mnl_socket_get_portid(x->q),
		       cb, s) < 0)
		return errno ? -errno : -EBADMSG;
	return 0;
}

static void report(struct xfrm *x, bool hold, const char *why)
{
	if (x->known && hold == x->hold && !strcmp(why, x->why))
		return;
	x->known = true;
	x->hold = hold;
	snprintf(x->why, sizeof(x->why), "%s", why);
	x->fn(x->arg, hold, x->why);
}

static void xfrm_sync(struct xfrm *x)
{
	struct xfrm_spd s = {0};
	char why[XFRM_WHY_LEN];
	int err;

	err = ask(x, XFRM_MSG_GETSPDINFO, sizeof(uint32_t), spdinfo_cb, &s);
	if (!err) {
		err = ask(x, XFRM_MSG_GETDEFAULT,
			  sizeof(struct xfrm_userpolicy_default), default_cb,
			  &s);
		/* before 5.16 there are no defaults: every one is accept */
		if (err == -EINVAL || err == -EOPNOTSUPP)
			err = 0;
	}
	if (err) {
		snprintf(why, sizeof(why),
			 "the policy database cannot be read (%s)",
			 strerror(-err));
		report(x, true, why);
		return;
	}
	report(x, xfrm_holds(&s, why, sizeof(why)), why);
}

static void xfrm_ev_cb(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	nlsock_drain(fd);
	xfrm_sync(arg);
}

int xfrm_open(struct xfrm **out, struct loop *loop, xfrm_hold_fn fn, void *arg)
{
	struct timeval tv = {.tv_sec = 1};
	unsigned int group = XFRMNLGRP_POLICY;
	struct xfrm *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return -ENOMEM;
	x->loop = loop;
	x->fn = fn;
	x->arg = arg;
	x->ev = nlsock_open(NETLINK_XFRM, SOCK_CLOEXEC | SOCK_NONBLOCK);
	x->q = x->ev ? nlsock_open(NETLINK_XFRM, SOCK_CLOEXEC) : NULL;
	if (!x->ev || !x->q) {
		err = -errno;
		if (x->ev)
			mnl_socket_close(x->ev);
		x->ev = NULL;
		/* no xfrm_user in this kernel: no policy to apply */
		if (err == -EPROTONOSUPPORT) {
			report(x, false, "");
			*out = x;
			return 0;
		}
		pr_err("ipsec: opening the xfrm netlink socket: %s",
		       strerror(-err));
		free(x);
		return err;
	}
	/* a question the kernel does not answer must not stop the loop */
	setsockopt(mnl_socket_get_fd(x->q), SOL_SOCKET, SO_RCVTIMEO, &tv,
		   sizeof(tv));
	/* Subscribed before the first question: no change slips between. */
	if (mnl_socket_setsockopt(x->ev, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		err = -errno;
		pr_err("ipsec: joining the xfrm policy group: %s",
		       strerror(-err));
		goto err;
	}
	err = loop_add(loop, mnl_socket_get_fd(x->ev), EPOLLIN, xfrm_ev_cb, x);
	if (err)
		goto err;
	xfrm_sync(x);
	*out = x;
	return 0;
err:
	mnl_socket_close(x->ev);
	mnl_socket_close(x->q);
	free(x);
	return err;
}

void xfrm_close(struct xfrm *x)
{
	if (!x)
		return;
	if (x->ev) {
		loop_del(x->loop, mnl_socket_get_fd(x->ev));
		mnl_socket_close(x->ev);
		mnl_socket_close(x->q);
	}
	free(x);
}
