// SPDX-License-Identifier: GPL-2.0
/*
 * nft.c - the netfilter ruleset watcher (contract in nft.h).
 *
 * One socket subscribed to NFNLGRP_NFTABLES tells that something changed;
 * what changed does not matter: a short timer later the chains and rules
 * are dumped again on a second socket and the answer recomputed. A burst
 * of changes (a whole ruleset loaded by `nft -f`) costs one dump, and an
 * overrun of the event socket loses nothing, since every dump starts from
 * scratch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "nft.h"
#include "nlsock.h"

/* After an event, wait this long for the rest of its transaction. */
#define NFT_SETTLE_MS 20
#define NFT_DUMP_TRIES 5
#define NFT_WHY_LEN 512

/* A base chain that could see forwarded IPv4 packets. */
struct nft_chain {
	uint8_t family;
	uint8_t hook;
	bool accept; /* policy accept */
	unsigned int rules;
	char table[NFT_TABLE_MAXNAMELEN];
	char name[NFT_CHAIN_MAXNAMELEN];
};

struct nft {
	struct loop *loop;
	struct mnl_socket *ev, *dump;
	int timer_fd;
	uint32_t seq;
	nft_hold_fn fn;
	void *arg;
	bool intr; /* a dump message had NLM_F_DUMP_INTR */
	struct nft_chain *c;
	size_t n, cap;
	bool known;	   /* @hold and @why were reported */
	unsigned int hold; /* NFT_HOLD_* */
	char why[NFT_WHY_LEN];
	char buf[65536];
};

static const char *family_name(uint8_t f)
{
	switch (f) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_IPV6:
		return "ip6";
	case NFPROTO_NETDEV:
		return "netdev";
	}
	return "?";
}

static const char *hook_name(uint8_t family, uint8_t hook)
{
	if (family == NFPROTO_NETDEV)
		return hook == NF_NETDEV_INGRESS ? "ingress" : "egress";
	switch (hook) {
	case NF_INET_PRE_ROUTING:
		return "prerouting";
	case NF_INET_FORWARD:
		return "forward";
	case NF_INET_POST_ROUTING:
		return "postrouting";
	}
	return "?";
}

/* Hooks a routed packet passes, by family (see nft.h). */
static bool sees_forwarded(uint8_t family, uint32_t hook)
{
	switch (family) {
	case NFPROTO_INET:
	case NFPROTO_IPV4:
	case NFPROTO_IPV6:
		return hook == NF_INET_PRE_ROUTING || hook == NF_INET_FORWARD ||
		       hook == NF_INET_POST_ROUTING;
	case NFPROTO_NETDEV:
		return hook == NF_NETDEV_INGRESS || hook == NF_NETDEV_EGRESS;
	}
	return false;
}

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attrs *as = data;
	unsigned int t = mnl_attr_get_type(a);

	if (t <= as->max)
		as->tb[t] = a;
	return MNL_CB_OK;
}

static int parse(const struct nlmsghdr *nlh, size_t off,
		 const struct nlattr **tb, unsigned int max)
{
	struct attrs as = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse(nlh, off, attr_cb, &as) < 0 ? -EBADMSG : 0;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int max)
{
	struct attrs as = {tb, max};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, attr_cb, &as) < 0 ? -EBADMSG : 0;
}

static bool str_ok(const struct nlattr *a, size_t max)
{
	return a && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING) &&
	       mnl_attr_get_payload_len(a) <= max;
}

static bool u32_ok(const struct nlattr *a)
{
	return a && !mnl_attr_validate(a, MNL_TYPE_U32);
}

static int chain_msg(struct nft *n, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NFTA_CHAIN_MAX + 1], *hk[NFTA_HOOK_MAX + 1];
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct nft_chain *c;
	uint32_t hook;

	if (parse(nlh, sizeof(*g), tb, NFTA_CHAIN_MAX))
		return -EBADMSG;
	/* Not a base chain: reached only by jumps from one. */
	if (!tb[NFTA_CHAIN_HOOK])
		return 0;
	if (parse_nested(tb[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX) ||
	    !u32_ok(hk[NFTA_HOOK_HOOKNUM]) ||
	    !str_ok(tb[NFTA_CHAIN_TABLE], NFT_TABLE_MAXNAMELEN) ||
	    !str_ok(tb[NFTA_CHAIN_NAME], NFT_CHAIN_MAXNAMELEN))
		return -EBADMSG;
	hook = ntohl(mnl_attr_get_u32(hk[NFTA_HOOK_HOOKNUM]));
	if (!sees_forwarded(g->nfgen_family, hook))
		return 0;
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 16;
		struct nft_chain *v = realloc(n->c, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		n->c = v;
		n->cap = cap;
	}
	c = &n->c[n->n++];
	memset(c, 0, sizeof(*c));
	c->family = g->nfgen_family;
	c->hook = (uint8_t)hook;
	/* A base chain without a policy attribute accepts (netdev, nat). */
	c->accept = !u32_ok(tb[NFTA_CHAIN_POLICY]) ||
		    ntohl(mnl_attr_get_u32(tb[NFTA_CHAIN_POLICY])) == NF_ACCEPT;
	snprintf(c->table, sizeof(c->table), "%s",
		 mnl_attr_get_str(tb[NFTA_CHAIN_TABLE]));
	snprintf(c->name, sizeof(c->name), "%s",
		 mnl_attr_get_str(tb[NFTA_CHAIN_NAME]));
	return 0;
}

static int rule_msg(struct nft *n, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1];
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const char *table, *chain;
	size_t i;

	if (parse(nlh, sizeof(*g), tb, NFTA_RULE_MAX) ||
	    !str_ok(tb[NFTA_RULE_TABLE], NFT_TABLE_MAXNAMELEN) ||
	    !str_ok(tb[NFTA_RULE_CHAIN], NFT_CHAIN_MAXNAMELEN))
		return -EBADMSG;
	table = mnl_attr_get_str(tb[NFTA_RULE_TABLE]);
	chain = mnl_attr_get_str(tb[NFTA_RULE_CHAIN]);
	for (i = 0; i < n->n; i++)
		if (n->c[i].family == g->nfgen_family &&
		    !strcmp(n->c[i].table, table) &&
		    !strcmp(n->c[i].name, chain))
			n->c[i].rules++;
	return 0;
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nft *n = arg;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		n->intr = true;
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWCHAIN:
		return chain_msg(n, nlh) == -ENOMEM ? MNL_CB_ERROR : MNL_CB_OK;
	case NFT_MSG_NEWRULE:
		rule_msg(n, nlh);
		return MNL_CB_OK;
	}
	return MNL_CB_OK;
}

/* One dump of @type (NFT_MSG_GETCHAIN, _GETRULE), all families. */
static int dump(struct nft *n, uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(n->buf);
	unsigned int portid = mnl_socket_get_portid(n->dump);
	struct nfgenmsg *g;
	uint32_t seq = ++n->seq;
	ssize_t len;
	int ret;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_UNSPEC;
	g->version = NFNETLINK_V0;
	if (mnl_socket_sendto(n->dump, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(n->dump, n->buf, sizeof(n->buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(n->buf, len, seq, portid, dump_cb, n);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* The families a chain of @family holds. */
static unsigned int holds(uint8_t family)
{
	switch (family) {
	case NFPROTO_IPV4:
		return NFT_HOLD_IPV4;
	case NFPROTO_IPV6:
		return NFT_HOLD_IPV6;
	default: /* inet, netdev */
		return NFT_HOLD_IPV4 | NFT_HOLD_IPV6;
	}
}

/* The chains that hold the fast path, into @why; the families held. */
static unsigned int holders(const struct nft *n, char *why, size_t len)
{
	unsigned int any = 0;
	size_t i, off = 0;

	why[0] = '\0';
	for (i = 0; i < n->n; i++) {
		const struct nft_chain *c = &n->c[i];
		int w;

		if (!c->rules && c->accept)
			continue;
		any |= holds(c->family);
		if (off >= len)
			continue;
		w = snprintf(why + off, len - off,
			     "%s%s %s %s (hook %s, %u rule%s%s)",
			     off ? ", " : "", family_name(c->family), c->table,
			     c->name, hook_name(c->family, c->hook), c->rules,
			     c->rules == 1 ? "" : "s",
			     c->accept ? "" : ", policy drop");
		off += w > 0 ? (size_t)w : 0;
	}
	return any;
}

static void report(struct nft *n, unsigned int hold, const char *why)
{
	if (n->known && n->hold == hold && !strcmp(n->why, why))
		return;
	n->known = true;
	n->hold = hold;
	snprintf(n->why, sizeof(n->why), "%s", why);
	n->fn(n->arg, hold, n->why);
}

static void nft_sync(struct nft *n)
{
	char why[NFT_WHY_LEN];
	int tries, err = 0;

	for (tries = 0; tries < NFT_DUMP_TRIES; tries++) {
		n->n = 0;
		n->intr = false;
		err = dump(n, NFT_MSG_GETCHAIN);
		if (!err)
			err = dump(n, NFT_MSG_GETRULE);
		if (!err && !n->intr)
			break;
	}
	/*
	 * No nf_tables in this kernel: nothing can hold a chain. Any other
	 * failure leaves us blind: fail closed.
	 */
	if (err == -EOPNOTSUPP || err == -EPROTONOSUPPORT) {
		report(n, 0, "");
		return;
	}
	if (err) {
		snprintf(why, sizeof(why), "the ruleset cannot be read (%s)",
			 strerror(-err));
		report(n, NFT_HOLD_IPV4 | NFT_HOLD_IPV6, why);
		return;
	}
	report(n, holders(n, why, sizeof(why)), why);
}

static void nft_timer_cb(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	nft_sync(arg);
}

static void nft_ev_cb(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct nft *n = arg;

	(void)loop;
	(void)events;
	nlsock_drain(fd);
	loop_timer_set(n->timer_fd, NFT_SETTLE_MS, 0);
}

int nft_open(struct nft **out, struct loop *loop, nft_hold_fn fn, void *arg)
{
	unsigned int group = NFNLGRP_NFTABLES;
	struct nft *n = calloc(1, sizeof(*n));
	int err;

	if (!n)
		return -ENOMEM;
	n->loop = loop;
	n->fn = fn;
	n->arg = arg;
	n->timer_fd = -1;
	n->ev = nlsock_open(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	n->dump = nlsock_open(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!n->ev || !n->dump) {
		err = -errno;
		pr_err("netfilter: opening netlink socket: %s", strerror(-err));
		goto err;
	}
	/* Subscribed before the first dump: no change slips between. */
	if (mnl_socket_setsockopt(n->ev, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		err = -errno;
		pr_err("netfilter: joining the nftables group: %s",
		       strerror(-err));
		goto err;
	}
	err = loop_add(loop, mnl_socket_get_fd(n->ev), EPOLLIN, nft_ev_cb, n);
	if (err)
		goto err;
	n->timer_fd = loop_timer_add(loop, 0, 0, nft_timer_cb, n);
	if (n->timer_fd < 0) {
		err = n->timer_fd;
		n->timer_fd = -1;
		loop_del(loop, mnl_socket_get_fd(n->ev));
		goto err;
	}
	nft_sync(n);
	*out = n;
	return 0;
err:
	if (n->ev)
		mnl_socket_close(n->ev);
	if (n->dump)
		mnl_socket_close(n->dump);
	free(n);
	return err;
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	loop_del(n->loop, n->timer_fd);
	loop_del(n->loop, mnl_socket_get_fd(n->ev));
	mnl_socket_close(n->ev);
	mnl_socket_close(n->dump);
	free(n->c);
	free(n);
}
