/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_util.h - small helpers the unit suites share (cmocka included
 * first by each suite).
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <arpa/inet.h>
#include <stdint.h>

#include "fwd.h"
#include "util.h"

/* A dotted quad in network order, or the test fails. */
static inline uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* An address of either family, as the API parses it, or the test fails. */
static inline struct ip_addr ip_of(const char *s)
{
	struct ip_addr a;
	const char *why;

	assert_int_equal(api_parse_ip(s, &a, &why), 0);
	return a;
}

/* The same, as a pointer for the table's and the store's calls. */
#define IPA(s) ((struct ip_addr[]){ip_of(s)})

/* An hfwd value out of @ifindex, its destination MAC ending in @tag. */
static inline struct fwd_entry ent(uint32_t ifindex, uint8_t tag)
{
	struct fwd_entry e = {.ifindex = ifindex,
			      .smac = {2, 0, 0, 0, 0, 1},
			      .dmac = {2, 0, 0, 0, 0xd, tag}};
	return e;
}

#endif /* TEST_UTIL_H */
