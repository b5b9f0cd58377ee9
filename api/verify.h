/* SPDX-License-Identifier: GPL-2.0 */
/*
 * verify.h - check learned entries against the kernel's own answers
 * (`fwdctl verify`), and against the pinned hfwd/hfwd6.
 *
 * The operator's check and every e2e test's, not a mechanism: it runs in
 * the client, in the daemon's network namespace, with a netlink socket of
 * its own; the daemon only answers one QueryForward.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct verify_result {
	unsigned int checked; /* learned entries asked about */
	unsigned int differ;  /* ... whose answer differs (one line each) */
	unsigned int unknown; /* ... the kernel could not be asked about */
	bool map_checked;     /* the pinned maps were read too */
};

/*
 * For every learned row of QueryForward's @tables: the pinned map under
 * @bpffs (if not NULL and readable) must hold the same value, and the
 * kernel must send the destination out of that interface, from its MAC,
 * to a usable neighbour with that MAC: its route unicast, without an MTU
 * metric, one next hop (a gateway, a single nexthop object, or on-link).
 * Each difference is a line on @out. 0, or -errno when the kernel could
 * not be asked at all or @tables is not QueryForward's.
 */
int verify_run(const cJSON *tables, const char *bpffs, FILE *out,
	       struct verify_result *res);

#endif /* VERIFY_H */
