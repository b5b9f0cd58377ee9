// SPDX-License-Identifier: GPL-2.0
/*
 * iface.c - a managed interface's state and its fwd_ifaces value (see
 * iface.h).
 */
#include <stdio.h>

#include "fwd.h"
#include "iface.h"
#include "log.h"

/* net.@fam.conf.@name.@key; 0 if it cannot be read (an older kernel). */
static int read_conf(const char *fam, const char *name, const char *key)
{
	char path[64 + IF_NAMESIZE];
	FILE *f;
	int v = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", fam, name,
		 key);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

struct iface_conf iface_read_conf(const char *name)
{
	int mtu6 = read_conf("ipv6", name, "mtu");

	return (struct iface_conf){
		.accept_local = read_conf("ipv4", name, "accept_local") != 0,
		.force_forwarding =
			read_conf("ipv6", name, "force_forwarding") != 0,
		.mtu6 = mtu6 > 0 ? (uint32_t)mtu6 : 0,
	};
}

bool iface_read_accept_all(void)
{
	return read_conf("ipv4", "all", "accept_local") != 0;
}

bool iface_poll(struct iface *i)
{
	struct iface_conf v = iface_read_conf(i->name);

	/* fields, not bytes: the struct has padding */
	if (v.accept_local == i->conf.accept_local &&
	    v.force_forwarding == i->conf.force_forwarding &&
	    v.mtu6 == i->conf.mtu6)
		return false;
	if (v.accept_local != i->conf.accept_local)
		pr_info("%s: accept_local %s", i->name,
			v.accept_local ? "on" : "off");
	if (v.mtu6 != i->conf.mtu6)
		pr_info("%s: IPv6 MTU %u", i->name, v.mtu6);
	if (v.force_forwarding != i->conf.force_forwarding)
		pr_info("%s: IPv6 force_forwarding %s", i->name,
			v.force_forwarding ? "on" : "off");
	i->conf = v;
	return true;
}

void iface_value(const struct iface *i, const struct iface_host *h,
		 uint16_t *flags, uint32_t *mtu, uint32_t *mtu6)
{
	*flags = i->flags;
	*mtu = i->mtu;
	*mtu6 = i->mtu6;
	if (i->conf.accept_local || h->accept_all)
		*flags |= FWD_IF_ACCEPT_LOCAL;
	/* ip6_forward() reads all.forwarding or this, not conf.<if> */
	if (i->conf.force_forwarding)
		*flags |= FWD_IF_FORWARDING6;
	if (i->conf.mtu6 && i->conf.mtu6 < *mtu6)
		*mtu6 = i->conf.mtu6;
	if (h->nf_hold && !h->bypass_netfilter)
		*flags |= FWD_IF_NF_HOLD;
	if (h->nf_hold6 && !h->bypass_netfilter)
		*flags |= FWD_IF_NF_HOLD6;
	if (h->xfrm_hold)
		*flags |= FWD_IF_XFRM_HOLD;
	/* A source of ours could be taken for another's. */
	if (h->local_unknown)
		*flags |= FWD_IF_LOCAL_UNKNOWN;
}
