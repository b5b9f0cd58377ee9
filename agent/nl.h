/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nl.h - pure rtnetlink parsers: one message in, one plain struct out.
 *
 * Kept apart from socket I/O (rtnl.c) so that every parser can be tested
 * with recorded kernel messages and with malformed ones. Each parser checks
 * nlmsg_len against the buffer before it reads the header, validates the
 * size of every attribute it uses and skips attributes it does not know,
 * so a newer kernel adding attributes never breaks us.
 *
 * Parsers return 0, -EAFNOSUPPORT for a message of another family (not an
 * error: the caller ignores it) or -EBADMSG for a malformed message.
 * Addresses are kept in network byte order, as the kernel sends them.
 */
#ifndef NL_H
#define NL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NL_LLADDR_MAX 32 /* MAX_ADDR_LEN */

/* RTM_NEWLINK / RTM_DELLINK */
struct nl_link {
	uint32_t ifindex;
	uint16_t type;		     /* ARPHRD_* */
	uint32_t flags;		     /* IFF_* */
	char name[IF_NAMESIZE];	     /* "" if absent */
	uint8_t addr[NL_LLADDR_MAX]; /* IFLA_ADDRESS */
	uint8_t addr_len;	     /* 0 if absent */
	uint32_t mtu;		     /* 0 if absent */
	char kind[16];		     /* IFLA_INFO_KIND; "" if absent */
};

/* RTM_NEWADDR / RTM_DELADDR (AF_INET, AF_INET6) */
struct nl_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint32_t ifindex;
	uint8_t prefixlen;
	uint32_t local;	    /* IFA_LOCAL, else IFA_ADDRESS: our address */
	uint32_t address;   /* IFA_ADDRESS: peer on point-to-point links */
	uint8_t local6[16]; /* AF_INET6: IFA_LOCAL, else IFA_ADDRESS */
};

/* Next hops of a route kept in struct nl_route; more are only counted. */
#define NL_ROUTE_PATHS 8

/* One next hop of a route: RTA_OIF/RTA_GATEWAY or one of RTA_MULTIPATH. */
struct nl_path {
	uint32_t oif;
	bool has_gw;
	uint8_t gw[16]; /* 4 (AF_INET) or 16 bytes */
};

/* RTM_NEWROUTE / RTM_DELROUTE (AF_INET, AF_INET6) */
struct nl_route {
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t src_len;  /* a source prefix (IPv6 subtrees): not one answer */
	bool has_gw;	  /* RTA_GATEWAY given */
	uint8_t dst6[16]; /* AF_INET6: RTA_DST, :: if absent */
	uint8_t gw6[16];  /* AF_INET6: RTA_GATEWAY */
	uint32_t table;	  /* RTA_TABLE, else rtm_table */
	uint8_t type;	  /* RTN_* */
	uint8_t scope;	  /* RT_SCOPE_* */
	uint8_t protocol; /* RTPROT_* */
	uint8_t tos;
	uint8_t dst_len;
	uint32_t rtm_flags;   /* RTM_F_*, RTNH_F_* */
	uint16_t nlmsg_flags; /* NLM_F_REPLACE/APPEND/MULTI: alias order */
	uint32_t dst;	      /* AF_INET: 0 if absent (default route) */
	uint32_t gw;	      /* AF_INET: RTA_GATEWAY, 0 if absent */
	uint32_t oif;	      /* RTA_OIF, 0 if absent */
	uint32_t priority;    /* RTA_PRIORITY (metric) */
	uint32_t nhid;	      /* RTA_NH_ID: a nexthop object's; 0 if none */
	uint32_t mtu;	      /* RTA_METRICS' RTAX_MTU, 0 if not set */
	/*
	 * Its next hops: the one of RTA_OIF/RTA_GATEWAY (n_paths 1), or
	 * RTA_MULTIPATH's, of which the first NL_ROUTE_PATHS are kept;
	 * 0 for none (a blackhole, a nexthop object's route).
	 */
	uint8_t n_paths;
	struct nl_path paths[NL_ROUTE_PATHS];
	/*
	 * A next hop is not a (gateway, oif) pair we can copy into hfwd:
	 * RTA_VIA, a lightweight tunnel (RTA_ENCAP), at the top or in one
	 * path. Such a route still shadows shorter prefixes, it just yields
	 * no entry; so does multipath (n_paths > 1). Never set with @nhid:
	 * the object says what the next hop is.
	 */
	bool complex;
};

/* RTM_NEWNEXTHOP / RTM_DELNEXTHOP */
struct nl_nexthop {
	uint32_t id;	  /* NHA_ID */
	uint8_t family;	  /* AF_INET, AF_INET6; AF_UNSPEC: group, blackhole */
	uint32_t flags;	  /* RTNH_F_* (DEAD, LINKDOWN, ONLINK) */
	uint32_t oif;	  /* NHA_OIF, 0 if absent */
	bool has_gw;	  /* NHA_GATEWAY given */
	uint8_t gw[16];	  /* its 4 (AF_INET) or 16 bytes */
	bool blackhole;	  /* NHA_BLACKHOLE */
	bool group;	  /* NHA_GROUP: several next hops, the kernel hashes */
	uint16_t n_group; /* members in NHA_GROUP */
	/*
	 * Not one (gateway, oif) pair we could copy into hfwd: a lightweight
	 * tunnel (NHA_ENCAP), a bridge FDB next hop (NHA_FDB).
	 */
	bool complex;
};

/* RTM_NEWNEIGH / RTM_DELNEIGH (AF_INET, AF_INET6) */
struct nl_neigh {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint32_t ifindex;
	uint32_t ip;	    /* AF_INET */
	uint8_t ip6[16];    /* AF_INET6 */
	uint16_t state;	    /* NUD_* */
	uint8_t flags;	    /* NTF_* */
	uint32_t ext_flags; /* NDA_FLAGS_EXT: NTF_EXT_* */
	uint8_t lladdr[NL_LLADDR_MAX];
	uint8_t lladdr_len; /* 0 if absent */
};

/*
 * RTM_NEWNETCONF (AF_INET, AF_INET6). An AF_INET6 one may carry nothing
 * but the index: the kernel announces a change of force_forwarding so,
 * whose value only /proc/sys tells.
 */
struct nl_netconf {
	uint8_t family;	    /* AF_INET or AF_INET6 */
	int32_t ifindex;    /* or NETCONFA_IFINDEX_ALL/_DEFAULT */
	int32_t forwarding; /* -1 if absent */
	int32_t rp_filter;  /* 0, 1, 2; -1 if absent */
};

/* RTM_NEWRULE / RTM_DELRULE (AF_INET, AF_INET6) */
struct nl_rule {
	uint8_t family;	   /* AF_INET or AF_INET6 */
	uint32_t table;	   /* FRA_TABLE, else frh table */
	uint32_t priority; /* FRA_PRIORITY */
	uint8_t action;	   /* FR_ACT_* */
	/*
	 * Matches every packet: no address, TOS, mark, interface or other
	 * selector, no inversion. Unknown attributes count as selectors.
	 */
	bool match_all;
};

int nl_parse_rule(const void *buf, size_t len, struct nl_rule *out);
int nl_parse_link(const void *buf, size_t len, struct nl_link *out);
int nl_parse_addr(const void *buf, size_t len, struct nl_addr *out);
int nl_parse_route(const void *buf, size_t len, struct nl_route *out);
int nl_parse_neigh(const void *buf, size_t len, struct nl_neigh *out);
int nl_parse_netconf(const void *buf, size_t len, struct nl_netconf *out);
int nl_parse_nexthop(const void *buf, size_t len, struct nl_nexthop *out);

/* Format a network-order IPv4 address into @buf (16 bytes) for logs. */
const char *nl_ip_str(uint32_t ip, char *buf);

#endif /* NL_H */
