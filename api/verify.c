// SPDX-License-Identifier: GPL-2.0
/*
 * verify.c - `fwdctl verify`: every learned entry against the kernel's
 * own answer (contract in verify.h).
 *
 * The daemon derives entries from its mirror of the kernel's tables; this
 * asks the kernel directly, one destination at a time, what the mirror
 * stands for: the FIB entry that matches (RTM_GETROUTE with
 * RTM_F_FIB_MATCH: its type, metrics, gateway or nexthop object), the
 * nexthop object (RTM_GETNEXTHOP), the egress link (RTM_GETLINK) and the
 * next hop's neighbour (RTM_GETNEIGH). The answer is then judged by what
 * the kernel would do with a packet to the destination, not by the
 * daemon's learning rule: a prefix through a gateway is fine if the entry
 * sends to that gateway. It runs in fwdctl, so the daemon's event loop
 * never waits on it; one request is outstanding at a time, which paces it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fwd.h"
#include "nl.h"
#include "util.h"
#include "verify.h"

#define VERIFY_NUD_USABLE \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

struct vq {
	struct mnl_socket *nl;
	uint32_t seq;
	char req[512] __attribute__((aligned(4)));
	char buf[16384] __attribute__((aligned(4)));
};

/* Send the request in q->req, the answer in q->buf: 0, or -errno. */
static int vq_ask(struct vq *q, const struct nlmsghdr **out)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)q->req;
	const struct nlmsghdr *r;
	ssize_t n;

	nlh->nlmsg_seq = ++q->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf));
		if (n < 0)
			return -errno;
		r = (const struct nlmsghdr *)q->buf;
		if (!mnl_nlmsg_ok(r, (int)n))
			return -EBADMSG;
		if (r->nlmsg_seq != q->seq)
			continue; /* a late answer to an earlier question */
		if (r->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(r);

			if (r->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -ENODATA;
		}
		*out = r;
		return 0;
	}
}

static struct nlmsghdr *vq_put(struct vq *q, uint16_t type, size_t fam_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(q->req);

	nlh->nlmsg_type = type;
	mnl_nlmsg_put_extra_header(nlh, fam_len);
	return nlh;
}

static int ask_route(struct vq *q, const struct ip_addr *dst,
		     struct nl_route *out)
{
	struct nlmsghdr *nlh = vq_put(q, RTM_GETROUTE, sizeof(struct rtmsg));
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlmsghdr *r = NULL;
	int err;

	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = ip_addr_bits(dst->family);
	rtm->rtm_flags = RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, ip_addr_len(dst), ip_addr_key(dst));
	err = vq_ask(q, &r);
	if (err || !r)
		return err ? err : -EBADMSG;
	return nl_parse_route(r, r->nlmsg_len, out);
}

static int ask_nexthop(struct vq *q, uint32_t id, struct nl_nexthop *out)
{
	struct nlmsghdr *nlh = vq_put(q, RTM_GETNEXTHOP, sizeof(struct nhmsg));
	const struct nlmsghdr *r = NULL;
	int err;

	mnl_attr_put_u32(nlh, NHA_ID, id);
	err = vq_ask(q, &r);
	if (err || !r)
		return err ? err : -EBADMSG;
	return nl_parse_nexthop(r, r->nlmsg_len, out);
}

static int ask_link(struct vq *q, uint32_t ifindex, struct nl_link *out)
{
	struct nlmsghdr *nlh = vq_put(q, RTM_GETLINK, sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlmsghdr *r = NULL;
	int err;

	ifi->ifi_index = (int)ifindex;
	err = vq_ask(q, &r);
	if (err || !r)
		return err ? err : -EBADMSG;
	return nl_parse_link(r, r->nlmsg_len, out);
}

static int ask_neigh(struct vq *q, uint32_t ifindex, const struct ip_addr *ip,
		     struct nl_neigh *out)
{
	struct nlmsghdr *nlh = vq_put(q, RTM_GETNEIGH, sizeof(struct ndmsg));
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlmsghdr *r = NULL;
	int err;

	ndm->ndm_family = ip->family;
	ndm->ndm_ifindex = (int)ifindex;
	mnl_attr_put(nlh, NDA_DST, ip_addr_len(ip), ip_addr_key(ip));
	err = vq_ask(q, &r);
	if (err || !r)
		return err ? err : -EBADMSG;
	return nl_parse_neigh(r, r->nlmsg_len, out);
}

static const char *rtn_name(uint8_t type)
{
	static const char *const names[] = {
		[RTN_LOCAL] = "local",
		[RTN_BROADCAST] = "broadcast",
		[RTN_ANYCAST] = "anycast",
		[RTN_MULTICAST] = "multicast",
		[RTN_BLACKHOLE] = "blackhole",
		[RTN_UNREACHABLE] = "unreachable",
		[RTN_PROHIBIT] = "prohibit",
		[RTN_THROW] = "throw",
		[RTN_NAT] = "nat",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type]
		       ? names[type]
		       : "not unicast";
}

/*
 * What the kernel does with a packet to @dst: 0 and @want (the entry it
 * stands for), or 1 and @why (it would not send it out to one known
 * neighbour), or -errno (it could not be asked).
 */
static int kernel_entry(struct vq *q, const struct ip_addr *dst,
			struct fwd_entry *want, char *why, size_t whylen)
{
	struct ip_addr nh = *dst;
	struct nl_nexthop obj;
	struct nl_route rt;
	struct nl_neigh n;
	struct nl_link l;
	uint32_t oif;
	int err;

	err = ask_route(q, dst, &rt);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH) {
		snprintf(why, whylen, "no route");
		return 1;
	}
	if (err == -EINVAL || err == -EACCES) {
		/* what ip route get answers for blackhole and prohibit */
		snprintf(why, whylen, "route drops it (%s)", strerror(-err));
		return 1;
	}
	if (err)
		return err;
	if (rt.type != RTN_UNICAST) {
		snprintf(why, whylen, "%s route", rtn_name(rt.type));
		return 1;
	}
	if (rt.mtu) {
		snprintf(why, whylen, "route mtu %u: the kernel checks it",
			 rt.mtu);
		return 1;
	}
	oif = rt.oif;
	if (rt.nhid) {
		err = ask_nexthop(q, rt.nhid, &obj);
		if (err)
			return err;
		if (obj.group || obj.blackhole || obj.complex) {
			snprintf(why, whylen, "nexthop %u is %s", rt.nhid,
				 obj.group ? "a group (ECMP)" : "no neighbour");
			return 1;
		}
		oif = obj.oif;
		if (obj.has_gw) {
			if (obj.family != dst->family) {
				snprintf(why, whylen,
					 "gateway of another "
					 "family");
				return 1;
			}
			memcpy((void *)ip_addr_key(&nh), obj.gw,
			       ip_addr_len(&nh));
		}
	} else if (rt.n_paths != 1 || rt.complex) {
		snprintf(why, whylen, "%s",
			 rt.complex ? "tunnel route" : "multipath (ECMP)");
		return 1;
	} else if (rt.paths[0].has_gw) {
		memcpy((void *)ip_addr_key(&nh), rt.paths[0].gw,
		       ip_addr_len(&nh));
	}
	err = ask_link(q, oif, &l);
	if (err)
		return err;
	if (l.type != ARPHRD_ETHER || l.addr_len != 6 ||
	    (l.flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING)) {
		snprintf(why, whylen, "link %s not up or not Ethernet", l.name);
		return 1;
	}
	err = ask_neigh(q, oif, &nh, &n);
	if (err == -ENOENT) {
		snprintf(why, whylen, "no neighbour on %s", l.name);
		return 1;
	}
	if (err)
		return err;
	if (!(n.state & VERIFY_NUD_USABLE) || n.lladdr_len != 6) {
		snprintf(why, whylen, "neighbour on %s not usable (state 0x%x)",
			 l.name, n.state);
		return 1;
	}
	want->ifindex = oif;
	memcpy(want->smac, l.addr, 6);
	memcpy(want->dmac, n.lladdr, 6);
	return 0;
}

static void entry_str(const struct fwd_entry *e, char *out, size_t len)
{
	char s[API_MAC_STRLEN], d[API_MAC_STRLEN];

	api_format_mac(e->smac, s);
	api_format_mac(e->dmac, d);
	snprintf(out, len, "%u %s %s", e->ifindex, s, d);
}

/* A row of QueryForward's Tables as an entry; false if it is not one. */
static bool row_entry(const cJSON *row, struct ip_addr *ip, struct fwd_entry *e,
		      const char **src)
{
	const cJSON *v[5];
	const char *why;

	v[0] = cJSON_GetObjectItemCaseSensitive(row, "Ip");
	v[1] = cJSON_GetObjectItemCaseSensitive(row, "Iface");
	v[2] = cJSON_GetObjectItemCaseSensitive(row, "SrcMac");
	v[3] = cJSON_GetObjectItemCaseSensitive(row, "DstMac");
	v[4] = cJSON_GetObjectItemCaseSensitive(row, "Source");
	if (!cJSON_IsString(v[0]) || !cJSON_IsNumber(v[1]) ||
	    !cJSON_IsString(v[2]) || !cJSON_IsString(v[3]) ||
	    !cJSON_IsString(v[4]) ||
	    api_parse_ip(v[0]->valuestring, ip, &why) ||
	    api_parse_mac(v[2]->valuestring, e->smac) ||
	    api_parse_mac(v[3]->valuestring, e->dmac))
		return false;
	e->ifindex = (uint32_t)v[1]->valuedouble;
	*src = v[4]->valuestring;
	return true;
}

/* The pinned map's value for @ip: 0, -ENOENT, or -errno. */
static int map_entry(int fd4, int fd6, const struct ip_addr *ip,
		     struct fwd_entry *e)
{
	int fd = ip->family == AF_INET6 ? fd6 : fd4;

	if (fd < 0)
		return -EBADF;
	return bpf_map_lookup_elem(fd, ip_addr_key(ip), e) ? -errno : 0;
}

int verify_run(const cJSON *tables, const char *bpffs, FILE *out,
	       struct verify_result *res)
{
	char path[4096], ips[API_IP_STRLEN], have[64], want_s[64], why[128];
	int fd4 = -1, fd6 = -1, err = 0;
	const cJSON *row;
	struct vq *q;

	memset(res, 0, sizeof(*res));
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	if (bpffs) {
		snprintf(path, sizeof(path), "%s/hfwd", bpffs);
		fd4 = bpf_obj_get(path);
		snprintf(path, sizeof(path), "%s/hfwd6", bpffs);
		fd6 = bpf_obj_get(path);
		res->map_checked = fd4 >= 0 && fd6 >= 0;
	}
	cJSON_ArrayForEach(row, tables)
	{
		struct fwd_entry e = {0}, want = {0}, inmap = {0};
		struct ip_addr ip;
		const char *src;
		int r;

		if (!row_entry(row, &ip, &e, &src)) {
			err = -EPROTO;
			goto out;
		}
		if (strcmp(src, "learned"))
			continue; /* overrides are the operator's word */
		res->checked++;
		api_format_ip(&ip, ips);
		entry_str(&e, have, sizeof(have));
		if (res->map_checked) {
			r = map_entry(fd4, fd6, &ip, &inmap);
			if (r || memcmp(&inmap, &e, sizeof(e))) {
				if (!r)
					entry_str(&inmap, want_s,
						  sizeof(want_s));
				fprintf(out, "%s  fwd %s  map %s\n", ips, have,
					r ? strerror(-r) : want_s);
				res->differ++;
				continue;
			}
		}
		r = kernel_entry(q, &ip, &want, why, sizeof(why));
		if (r < 0) {
			fprintf(out, "%s  fwd %s  kernel: cannot ask: %s\n",
				ips, have, strerror(-r));
			res->unknown++;
			continue;
		}
		if (r > 0) {
			fprintf(out, "%s  fwd %s  kernel: %s\n", ips, have,
				why);
			res->differ++;
			continue;
		}
		if (memcmp(&want, &e, sizeof(e))) {
			entry_str(&want, want_s, sizeof(want_s));
			fprintf(out, "%s  fwd %s  kernel %s\n", ips, have,
				want_s);
			res->differ++;
		}
	}
out:
	if (fd4 >= 0)
		close(fd4);
	if (fd6 >= 0)
		close(fd6);
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q);
	return err;
}
