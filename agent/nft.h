/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nft.h - watch the netfilter ruleset for chains that could see forwarded
 * packets, IPv4 and IPv6 apart.
 *
 * A fast-pathed packet never reaches netfilter, so while a base chain that
 * could drop, reject or change a forwarded packet exists, the fast path
 * must hand every packet of that family to the kernel (docs/design.md,
 * "The rule"). Such a chain is a base chain on the prerouting, forward or
 * postrouting hook (filter, NAT, mangle alike), or of family netdev on
 * ingress or egress, that holds a rule or has a policy other than accept:
 * of family ip for IPv4, ip6 for IPv6, inet and netdev for both. An empty
 * chain with policy accept (Debian's stock nftables.conf) does not count.
 * arp and bridge chains never see a routed packet.
 *
 * iptables-nft rules are nftables rules and are seen the same way; the
 * legacy xtables (ip_tables) are not visible here.
 */
#ifndef NFT_H
#define NFT_H

#include <stdbool.h>

struct loop;
struct nft;

/* nft_hold_fn's @hold: the families such a chain holds. */
#define NFT_HOLD_IPV4 1U
#define NFT_HOLD_IPV6 2U

/*
 * The answer changed: @hold has NFT_HOLD_* set while such chains exist,
 * @why names them ("inet filter forward, ip nat postrouting") or the
 * reason the ruleset could not be read (then both are held: fail closed).
 */
typedef void (*nft_hold_fn)(void *arg, unsigned int hold, const char *why);

/*
 * Read the ruleset (calls @fn once before returning) and follow it in
 * @loop. 0 or -errno.
 */
int nft_open(struct nft **out, struct loop *loop, nft_hold_fn fn, void *arg);
void nft_close(struct nft *n);

#endif /* NFT_H */
