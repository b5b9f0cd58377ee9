/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_fake.h - an in-memory api_ops for the API's unit tests and fuzzer:
 * a small table of learned and override rows, three interfaces, error
 * injection, and a generation count that moves on every state change so a
 * test can tell that a rejected request changed nothing.
 */
#ifndef API_FAKE_H
#define API_FAKE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "api.h"

#define FAKE_ROWS 64

struct fake {
	struct api_row rows[FAKE_ROWS];	   /* kept sorted by address */
	struct api_row learned[FAKE_ROWS]; /* what an override shadows */
	int nrows, nlearned;
	unsigned long gen;	   /* bumped by every successful change */
	int flushes;		   /* ops->flush calls */
	unsigned long durable_gen; /* gen at the last successful flush */
	int fail_set;		   /* injected -errno for override_set */
	int fail_walk;		   /* ... for walk and lookup */
	int fail_stats;		   /* ... for stats */
	int fail_flush;		   /* ... for flush */
	unsigned int flush_us; /* flush takes this long, as an fsync would */
	char last_ifname[16];  /* the last override_set's: "" for by index */
	bool last_own_smac;    /* ... whether it had srcMac */
};

/* The lab's interfaces on node A: enp0s3 (2), enp0s8 (3), enp0s9 (4). */
static const struct {
	const char *name;
	uint32_t ifindex;
	uint8_t mac[6];
	int managed;
} fake_ifaces[] = {
	{"lo", 1, {0}, 0},
	{"enp0s3", 2, {0x08, 0x00, 0x27, 0xf0, 0x1e, 0x41}, 1},
	{"enp0s8", 3, {0x08, 0x00, 0x27, 0x4a, 0x9b, 0x01}, 1},
	{"enp0s9", 4, {0x08, 0x00, 0x27, 0x13, 0xdf, 0xb6}, 1},
};

static inline int fake_iface_resolve(void *arg, const char *iface,
				     uint32_t *ifindex, uint8_t mac[6])
{
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(fake_ifaces) / sizeof(fake_ifaces[0]); i++) {
		char num[16];

		snprintf(num, sizeof(num), "%u", fake_ifaces[i].ifindex);
		if (strcmp(iface, fake_ifaces[i].name) && strcmp(iface, num))
			continue;
		if (!fake_ifaces[i].managed)
			return -EPERM;
		*ifindex = fake_ifaces[i].ifindex;
		memcpy(mac, fake_ifaces[i].mac, 6);
		return 0;
	}
	return -ENODEV;
}

static inline int fake_find(struct api_row *rows, int n,
			    const struct ip_addr *ip)
{
	int i;

	for (i = 0; i < n; i++)
		if (!api_ip_cmp(&rows[i].ip, ip))
			return i;
	return -1;
}

static inline void fake_put(struct api_row *rows, int *n,
			    const struct api_row *row)
{
	int i = fake_find(rows, *n, &row->ip);

	if (i < 0) {
		for (i = *n; i > 0 && api_ip_cmp(&rows[i - 1].ip, &row->ip) > 0;
		     i--)
			rows[i] = rows[i - 1];
		(*n)++;
	}
	rows[i] = *row;
}

static inline void fake_remove(struct api_row *rows, int *n, int i)
{
	memmove(&rows[i], &rows[i + 1], (*n - i - 1) * sizeof(rows[0]));
	(*n)--;
}

static inline int fake_override_set(void *arg, const struct ip_addr *ip,
				    const struct fwd_entry *e,
				    const char *ifname, bool own_smac)
{
	struct fake *f = arg;

	snprintf(f->last_ifname, sizeof(f->last_ifname), "%s",
		 ifname ? ifname : "");
	f->last_own_smac = own_smac;
	struct api_row row = {.ip = *ip, .entry = *e, .override = true};

	if (f->fail_set)
		return f->fail_set;
	if (fake_find(f->rows, f->nrows, ip) < 0 && f->nrows == FAKE_ROWS)
		return -ENOSPC;
	fake_put(f->rows, &f->nrows, &row);
	f->gen++;
	return 0;
}

static inline int fake_override_del(void *arg, const struct ip_addr *ip)
{
	struct fake *f = arg;
	int i = fake_find(f->rows, f->nrows, ip), l;

	if (i < 0 || !f->rows[i].override)
		return -ENOENT;
	l = fake_find(f->learned, f->nlearned, ip);
	if (l >= 0)
		f->rows[i] = f->learned[l];
	else
		fake_remove(f->rows, &f->nrows, i);
	f->gen++;
	return 0;
}

/* A learned entry, as the netlink side would add it. */
static inline void fake_learn(struct fake *f, const char *ip, uint32_t ifindex,
			      const char *dmac)
{
	struct api_row row = {.entry.ifindex = ifindex};
	const char *why;
	int i;

	if (api_parse_ip(ip, &row.ip, &why))
		abort();
	for (i = 0; i < 6; i++) {
		unsigned int b;

		sscanf(dmac + 3 * i, "%2x", &b);
		row.entry.dmac[i] = b;
	}
	memcpy(row.entry.smac, fake_ifaces[ifindex - 1].mac, 6);
	fake_put(f->learned, &f->nlearned, &row);
	if (fake_find(f->rows, f->nrows, &row.ip) < 0)
		fake_put(f->rows, &f->nrows, &row);
}

static inline int fake_lookup(void *arg, const struct ip_addr *ip,
			      struct api_row *row)
{
	struct fake *f = arg;
	int i;

	if (f->fail_walk)
		return f->fail_walk;
	i = fake_find(f->rows, f->nrows, ip);
	if (i < 0)
		return -ENOENT;
	*row = f->rows[i];
	return 0;
}

static inline int
fake_walk(void *arg, int (*fn)(const struct api_row *row, void *ctx), void *ctx)
{
	struct fake *f = arg;
	int i, err;

	if (f->fail_walk)
		return f->fail_walk;
	for (i = 0; i < f->nrows; i++) {
		err = fn(&f->rows[i], ctx);
		if (err)
			return err;
	}
	return 0;
}

static inline int fake_stats(void *arg, struct api_stats *out)
{
	struct fake *f = arg;
	int i;

	if (f->fail_stats)
		return f->fail_stats;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < FWD_CNT_MAX; i++) {
		out->counters[i].packets = 10 * i + 1;
		out->counters[i].bytes = 1000 * i + 64;
	}
	for (i = 0; i < f->nrows; i++) {
		bool v6 = f->rows[i].ip.family == AF_INET6;

		if (f->rows[i].override)
			(*(v6 ? &out->overrides6 : &out->overrides))++;
		(*(v6 ? &out->hfwd6_entries : &out->hfwd_entries))++;
	}
	for (i = 0; i < f->nlearned; i++)
		(*(f->learned[i].ip.family == AF_INET6 ? &out->learned6
						       : &out->learned))++;
	out->max_entries = FAKE_ROWS;
	out->resyncs = 2;
	out->nl_events = 345;
	out->uptime_s = 67;
	return 0;
}

/*
 * Per-interface counters of the managed fake interfaces, and one whose
 * name needs escaping in a label (`"` and `\` are legal in a name): rx
 * packets 100 * ifindex + outcome, bytes 64 times that; tx packets
 * 1000 * ifindex, bytes 64 times that.
 */
static inline int fake_ifstats(void *arg, struct api_ifstat *out, int max)
{
	static const char *const names[] = {"enp0s3", "enp0s8", "enp0s9",
					    "a\"b\\c"};
	int n = 0, k;

	(void)arg;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < max;
	     i++, n++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ifindex = 2 + i;
		snprintf(out[n].name, sizeof(out[n].name), "%s", names[i]);
		for (k = 0; k < FWD_CNT_MAX; k++) {
			out[n].rx[k].packets = 100 * out[n].ifindex + k;
			out[n].rx[k].bytes = 64 * out[n].rx[k].packets;
		}
		out[n].tx.packets = 1000 * out[n].ifindex;
		out[n].tx.bytes = 64 * out[n].tx.packets;
	}
	return n;
}

static inline int fake_flush(void *arg)
{
	struct fake *f = arg;

	f->flushes++;
	if (f->flush_us)
		usleep(f->flush_us);
	if (f->fail_flush)
		return f->fail_flush;
	f->durable_gen = f->gen;
	return 0;
}

static inline struct api_ops fake_ops(struct fake *f)
{
	struct api_ops ops = {
		.arg = f,
		.iface_resolve = fake_iface_resolve,
		.override_set = fake_override_set,
		.override_del = fake_override_del,
		.lookup = fake_lookup,
		.walk = fake_walk,
		.stats = fake_stats,
		.ifstats = fake_ifstats,
		.flush = fake_flush,
	};
	return ops;
}

#endif /* API_FAKE_H */
