/* SPDX-License-Identifier: GPL-2.0 */
/*
 * addr.h - the one address type of both families, as every module keys
 * destinations, next hops and prefixes: hfwd and hfwd6's key (4 or 16
 * bytes of it), the mirror's routes, neighbours and nexthop objects.
 * Network byte order throughout, as the kernel sends it. Pure and inline:
 * the learning core calls these per message and per lookup.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

struct ip_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	union {
		uint32_t v4;
		uint8_t v6[16];
	};
};

static inline struct ip_addr ip_addr4(uint32_t v4)
{
	return (struct ip_addr){.family = AF_INET, .v4 = v4};
}

static inline struct ip_addr ip_addr6(const uint8_t v6[16])
{
	struct ip_addr a = {.family = AF_INET6};

	memcpy(a.v6, v6, 16);
	return a;
}

/* The map key: 4 or 16 bytes at ip_addr_key(). */
static inline unsigned int ip_addr_len(const struct ip_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

static inline const void *ip_addr_key(const struct ip_addr *a)
{
	return a->family == AF_INET6 ? (const void *)a->v6
				     : (const void *)&a->v4;
}

/* Bits in an address of @family: 32 or 128. */
static inline unsigned int ip_addr_bits(uint8_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

static inline bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       !memcmp(ip_addr_key(a), ip_addr_key(b), ip_addr_len(a));
}

/* All zero: the default route's prefix, "no gateway". */
static inline bool ip_addr_zero(const struct ip_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(ip_addr_key(a), zero, ip_addr_len(a));
}

/* @a with every bit past the first @len cleared (a prefix's network). */
static inline struct ip_addr ip_addr_mask(const struct ip_addr *a,
					  unsigned int len)
{
	struct ip_addr m = {.family = a->family};
	const uint8_t *s = ip_addr_key(a);
	uint8_t *d = (uint8_t *)ip_addr_key(&m);
	unsigned int i;

	for (i = 0; i < len / 8; i++)
		d[i] = s[i];
	if (len % 8)
		d[i] = s[i] & (uint8_t)(0xff << (8 - len % 8));
	return m;
}

/* @a lies inside @p/@len (same family). */
static inline bool ip_addr_in(const struct ip_addr *a, const struct ip_addr *p,
			      unsigned int len)
{
	struct ip_addr m = ip_addr_mask(a, len);

	return a->family == p->family && ip_addr_eq(&m, p);
}

/* 64 bits of hash over @a and @salt, for chained hash tables. */
static inline uint64_t ip_addr_hash(const struct ip_addr *a, uint64_t salt)
{
	uint64_t hi = 0, lo;

	if (a->family == AF_INET6) {
		memcpy(&hi, a->v6, 8);
		memcpy(&lo, a->v6 + 8, 8);
	} else {
		lo = a->v4;
	}
	return (hi * 0x9e3779b97f4a7c15ULL) ^ lo ^ salt;
}

#endif /* ADDR_H */
