/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xfrm.h - watch the IPsec policy database for policies that could apply
 * to forwarded packets.
 *
 * A fast-pathed packet never meets xfrm: the kernel looks a forwarded
 * packet up in the policies of direction fwd (__xfrm_policy_check()) and
 * out (xfrm_route_forward(): what a gateway encrypts), and a default
 * policy of block drops whatever no policy allows. So while any fwd or
 * out policy exists, or the fwd or out default is block, the fast path
 * must hand every packet to the kernel (docs/design.md, "The rule"), both
 * families alike: the counts the kernel keeps are not per family. Socket
 * policies and direction in (what is delivered here) do not count.
 */
#ifndef XFRM_H
#define XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct xfrm;

/* The policy database as the kernel counts it (XFRM_MSG_GETSPDINFO, GETDEFAULT). */
struct xfrm_spd {
	uint32_t out, fwd;	   /* policies of direction out, fwd */
	bool block_out, block_fwd; /* the default policy of that direction */
};

/*
 * Whether @s holds forwarded packets; if so, @why (of @len bytes) says
 * which policies ("1 fwd policy, default out block").
 */
bool xfrm_holds(const struct xfrm_spd *s, char *why, size_t len);

/*
 * The answer changed: @hold while such policies exist; @why names them or
 * the reason the database could not be read (then held: fail closed).
 */
typedef void (*xfrm_hold_fn)(void *arg, bool hold, const char *why);

/*
 * Read the policy database (calls @fn once before returning) and follow it
 * in @loop. A kernel without xfrm's netlink interface has no policies to
 * apply: @fn is told there is none. 0 or -errno.
 */
int xfrm_open(struct xfrm **out, struct loop *loop, xfrm_hold_fn fn, void *arg);
void xfrm_close(struct xfrm *x);

#endif /* XFRM_H */
