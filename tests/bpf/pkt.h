/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pkt.h - build golden Ethernet/IPv4 and IPv6 frames for the XDP tests.
 *
 * The tests state every frame they feed the program and every frame they
 * expect back, so the builders here stay dumb: they lay bytes out in wire
 * order and compute the IPv4 header checksum from scratch with a full
 * one's-complement sum (RFC 1071). The program updates the checksum
 * incrementally (RFC 1624); computing it independently here is what makes
 * an expected frame a check on the program rather than a copy of it.
 */
#ifndef PKT_H
#define PKT_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

/*
 * Large enough for the MTU cases and jumbo frames: a 9000-byte packet
 * spans more than two pages, so BPF_PROG_TEST_RUN hands it to an xdp.frags
 * program as a multi-buffer frame.
 */
#define PKT_MAX 9216

struct pkt {
	uint8_t b[PKT_MAX]; /* the frame, Ethernet header first */
	size_t len;	    /* bytes of b in use */
};

static inline struct ethhdr *pkt_eth(struct pkt *p)
{
	return (struct ethhdr *)p->b;
}

static inline struct iphdr *pkt_ip(struct pkt *p)
{
	return (struct iphdr *)(p->b + ETH_HLEN);
}

/* ~ of the folded one's-complement sum of @len bytes (even @len). */
static inline uint16_t pkt_csum(const void *data, size_t len)
{
	const uint8_t *d = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)d[i] << 8 | d[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Recompute the IPv4 header checksum over the whole header (IHL words). */
static inline void pkt_ip_csum(struct pkt *p)
{
	struct iphdr *iph = pkt_ip(p);

	iph->check = 0;
	iph->check = pkt_csum(iph, iph->ihl * 4);
}

/*
 * An Ethernet/IPv4/UDP frame: @payload bytes after a 20-byte IPv4 header
 * (UDP header plus a counting pattern), DF set, valid checksum. Addresses
 * are host order for readability at the call sites.
 */
static inline void pkt_ipv4(struct pkt *p, const uint8_t dst[ETH_ALEN],
			    const uint8_t src[ETH_ALEN], uint32_t saddr,
			    uint32_t daddr, uint8_t ttl, size_t payload)
{
	struct ethhdr *eth = pkt_eth(p);
	struct iphdr *iph = pkt_ip(p);
	uint8_t *l4 = (uint8_t *)(iph + 1);

	memset(p, 0, sizeof(*p));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = 0x10;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + payload));
	iph->id = htons(0x1234);
	iph->frag_off = htons(0x4000);
	iph->ttl = ttl;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = htonl(saddr);
	iph->daddr = htonl(daddr);
	for (size_t i = 0; i < payload; i++)
		l4[i] = (uint8_t)i;
	if (payload >= 8) { /* UDP 4242 -> 5353, no UDP checksum */
		l4[0] = 0x10, l4[1] = 0x92, l4[2] = 0x14, l4[3] = 0xe9;
		l4[4] = (uint8_t)(payload >> 8), l4[5] = (uint8_t)payload;
		l4[6] = 0, l4[7] = 0;
	}
	pkt_ip_csum(p);
	p->len = ETH_HLEN + sizeof(*iph) + payload;
}

/*
 * Pick the IP ID so that the header checksum comes out as @check (host order,
 * as a number). 0xffff is reached as the other one's-complement zero: the sender
 * may put 0xffff where RFC 1071 arithmetic gives 0x0000, and both verify.
 */
static inline int pkt_ip_force_csum(struct pkt *p, uint16_t check)
{
	struct iphdr *iph = pkt_ip(p);
	uint16_t want = check == 0xffff ? 0 : check;

	for (uint32_t id = 0; id <= 0xffff; id++) {
		iph->id = htons((uint16_t)id);
		pkt_ip_csum(p);
		if (ntohs(iph->check) == want) {
			iph->check = htons(check);
			return 0;
		}
	}
	return -1;
}

/*
 * Turn @p's first payload bytes into IPv4 options: @len bytes (a multiple
 * of 4) inserted after the fixed header, IHL and total length grown to
 * match, checksum recomputed. The frame stays valid; only its IHL changes.
 */
static inline void pkt_ip_add_options(struct pkt *p, const void *opts,
				      size_t len)
{
	struct iphdr *iph = pkt_ip(p);
	uint8_t *o = (uint8_t *)(iph + 1);
	size_t l4_len = p->len - ETH_HLEN - sizeof(*iph);

	memmove(o + len, o, l4_len);
	memcpy(o, opts, len);
	iph->ihl += len / 4;
	iph->tot_len = htons(ntohs(iph->tot_len) + len);
	p->len += len;
	pkt_ip_csum(p);
}

/*
 * What the kernel puts on the wire when it forwards @in: new MACs, TTL one
 * less, checksum valid, and nothing after the IPv4 total length (ip_rcv()
 * trims Ethernet padding).
 */
static inline void pkt_forwarded(struct pkt *out, const struct pkt *in,
				 const uint8_t dst[ETH_ALEN],
				 const uint8_t src[ETH_ALEN])
{
	*out = *in;
	memcpy(pkt_eth(out)->h_dest, dst, ETH_ALEN);
	memcpy(pkt_eth(out)->h_source, src, ETH_ALEN);
	pkt_ip(out)->ttl--;
	pkt_ip_csum(out);
	out->len = ETH_HLEN + ntohs(pkt_ip(out)->tot_len);
}

static inline struct ipv6hdr *pkt_ip6(struct pkt *p)
{
	return (struct ipv6hdr *)(p->b + ETH_HLEN);
}

/*
 * An Ethernet/IPv6/UDP frame: @payload bytes after the 40-byte header
 * (UDP 4242 -> 5353, then a counting pattern), traffic class 0x10, flow
 * label 0x12345. Addresses as text, for readability at the call sites.
 */
static inline void pkt_ipv6(struct pkt *p, const uint8_t dst[ETH_ALEN],
			    const uint8_t src[ETH_ALEN], const char *saddr,
			    const char *daddr, uint8_t hop_limit,
			    size_t payload)
{
	struct ethhdr *eth = pkt_eth(p);
	struct ipv6hdr *ip6 = pkt_ip6(p);
	uint8_t *l4 = (uint8_t *)(ip6 + 1);

	memset(p, 0, sizeof(*p));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	*(uint32_t *)ip6 = htonl(6U << 28 | 0x10U << 20 | 0x12345);
	ip6->payload_len = htons((uint16_t)payload);
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = hop_limit;
	inet_pton(AF_INET6, saddr, &ip6->saddr);
	inet_pton(AF_INET6, daddr, &ip6->daddr);
	for (size_t i = 0; i < payload; i++)
		l4[i] = (uint8_t)i;
	if (payload >= 8) {
		l4[0] = 0x10, l4[1] = 0x92, l4[2] = 0x14, l4[3] = 0xe9;
		l4[4] = (uint8_t)(payload >> 8), l4[5] = (uint8_t)payload;
	}
	p->len = ETH_HLEN + sizeof(*ip6) + payload;
}

/*
 * What a router sends for @in: new MACs, hop limit one less, and nothing
 * after the IPv6 payload length (ipv6_rcv() trims Ethernet padding).
 */
static inline void pkt_forwarded6(struct pkt *out, const struct pkt *in,
				  const uint8_t dmac[ETH_ALEN],
				  const uint8_t smac[ETH_ALEN])
{
	*out = *in;
	memcpy(out->b, dmac, ETH_ALEN);
	memcpy(out->b + ETH_ALEN, smac, ETH_ALEN);
	pkt_ip6(out)->hop_limit--;
	out->len = ETH_HLEN + sizeof(struct ipv6hdr) +
		   ntohs(pkt_ip6(out)->payload_len);
}

#endif /* PKT_H */
