/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nft.h - watch the netfilter ruleset for chains that could see forwarded
 * IPv4 packets.
 *
 * A fast-pathed packet never reaches netfilter, so while a base chain that
 * could drop, reject or change a forwarded packet exists, the fast path
 * must hand every packet to the kernel (docs/design.md, "The rule"). Such a chain is a
 * base chain of family ip or inet on the prerouting, forward or postrouting
 * hook (filter, NAT, mangle alike), or of family netdev on ingress or
 * egress, that holds a rule or has a policy other than accept. An empty
 * chain with policy accept (Debian's stock nftables.conf) does not count.
 * ip6, arp and bridge chains never see a routed IPv4 packet.
 *
 * iptables-nft rules are nftables rules and are seen the same way; the
 * legacy xtables (ip_tables) are not visible here.
 */
#ifndef NFT_H
#define NFT_H

#include <stdbool.h>

struct loop;
struct nft;

/*
 * The answer changed: @hold is true while such a chain exists, @why names
 * the chains ("inet filter forward, ip nat postrouting") or the reason the
 * ruleset could not be read (then @hold is true too: fail closed).
 */
typedef void (*nft_hold_fn)(void *arg, bool hold, const char *why);

/*
 * Read the ruleset (calls @fn once before returning) and follow it in
 * @loop. 0 or -errno.
 */
int nft_open(struct nft **out, struct loop *loop, nft_hold_fn fn, void *arg);
void nft_close(struct nft *n);

#endif /* NFT_H */
