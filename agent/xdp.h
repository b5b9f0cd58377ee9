/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp.h - load the XDP object, pin its maps and program, attach it to the
 * managed interfaces, and adopt what a previous instance left behind.
 *
 * Every map is pinned under the bpffs directory by its own name (the list
 * is map_names[] in xdp.c; hfwd at <bpffs>/hfwd, the original's path), the
 * program at <bpffs>/fwd_prog, and it is attached through netlink, so all
 * outlive the process: after a crash or with --keep, the next instance
 * reuses the pinned maps, finds the attached program through its pin (no
 * CAP_SYS_ADMIN needed) and swaps its own in atomically
 * (XDP_FLAGS_REPLACE), with no moment without forwarding.
 */
#ifndef XDP_H
#define XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwd.h"

/* Where the object is looked for when --bpf-object is not given. */
#define XDP_OBJECT_NAME "fwd.bpf.o"
#define XDP_OBJECT_INSTALLED "/usr/local/fwd/xdp/fwd.bpf.o"
#define XDP_PROG_NAME "xdp_handle_fwd"

enum xdp_mode {
	XDP_MODE_AUTO,	  /* native, generic if the driver has no XDP */
	XDP_MODE_NATIVE,  /* driver mode only */
	XDP_MODE_GENERIC, /* skb mode */
};

struct xdp_opts {
	const char *bpf_object; /* NULL: search (see xdp_find_object()) */
	const char *bpffs;	/* pin directory, on a bpf filesystem */
	uint32_t max_entries;	/* hfwd, fwd_ovr, hfwd6, fwd_ovr6 size */
	enum xdp_mode mode;
	char **ifaces; /* interfaces to attach to, by name */
	int n_ifaces;
};

struct xdp;

/*
 * Check bpffs, resolve every interface, open and load the object (reusing
 * compatible pinned maps), pin, and attach to every interface, replacing
 * our own program where a previous instance left it. Every failure is
 * logged once with its reason; -ENODEV: an interface does not exist,
 * -ENOTDIR/-ENOENT: bpffs not mounted, -EPERM: no permission, -EOPNOTSUPP:
 * XDP mode not supported, -EBUSY: a program not ours is attached (ours:
 * pinned at <bpffs>/fwd_prog, or found by id, which needs CAP_SYS_ADMIN),
 * -ENOENT: no object file found.
 */
int xdp_open(struct xdp **out, const struct xdp_opts *o);
/*
 * @keep: leave the program attached, it and the maps pinned for the next
 * instance. Otherwise detach (only our program) and unpin.
 */
void xdp_close(struct xdp *x, bool keep);

/* True when the maps came from a previous instance's pins. */
bool xdp_adopted(const struct xdp *x);
/* The fd of map @name ("hfwd", "fwd_ovr6" ...), -ENOENT if none is. */
int xdp_map_fd(const struct xdp *x, const char *name);
uint32_t xdp_max_entries(const struct xdp *x);
/*
 * Room for one value of @size bytes per possible CPU, zeroed, as a
 * per-CPU map's lookup fills it; *@ncpu their number. NULL, and -errno
 * in *@ncpu, on failure.
 */
void *xdp_percpu_alloc(size_t size, int *ncpu);

/*
 * A managed interface appeared or changed: fill fwd_ifaces (MAC, flags |
 * FWD_IF_MANAGED, MTU and IPv6 MTU: the table path checks the egress
 * against them)
 * and fwd_ports (only while FWD_IF_UP: redirecting to a down device would
 * drop), attaching first if this ifindex is new (a managed interface
 * re-created). 0 or -errno; -ERANGE: ifindex >= FWD_MAX_IFINDEX (logged).
 */
int xdp_iface_set(struct xdp *x, uint32_t ifindex, const char *name,
		  const uint8_t mac[6], uint16_t flags, uint32_t mtu,
		  uint32_t mtu6);
/* A managed interface went away or was renamed: forget it (its fwd_ifaces
 * entry is zeroed: an array has no delete). */
void xdp_iface_del(struct xdp *x, uint32_t ifindex);

/*
 * fwd_local as a previous instance left it (see agent/localset.h): up to
 * FWD_LOCAL_BUCKETS buckets into @keys and @vals, in one batch; how many,
 * 0 if the map is new, or -errno.
 */
int xdp_local_adopt(const struct xdp *x, uint32_t *keys,
		    struct fwd_local *vals);
/* Write fwd_local bucket @idx. 0 or -errno. */
int xdp_local_write(struct xdp *x, uint32_t idx, const struct fwd_local *b);
/* Counters summed over CPUs. 0 or -errno. */
int xdp_stats(const struct xdp *x, struct fwd_count out[FWD_CNT_MAX]);

/* One managed interface's counters (fwd_ifstats), summed over CPUs. */
struct xdp_ifstat {
	uint32_t ifindex;
	char name[16];			  /* IF_NAMESIZE */
	struct fwd_count rx[FWD_CNT_MAX]; /* arrived here, by outcome */
	struct fwd_count tx;		  /* redirected out of here */
};
/*
 * Per-interface counters of up to @max managed interfaces, in the order
 * they were attached: how many were filled, or -errno. rx from each
 * interface's block, tx summed over every block less its baseline (see
 * struct fwd_ifstat). One map read per slot: for a scrape, not a loop.
 */
int xdp_ifstats(const struct xdp *x, struct xdp_ifstat *out, int max);

/* The object file to load: @given, else next to the executable, else the
 * installed path. Fills @path. -ENOENT if none exists (logged). */
int xdp_find_object(const char *given, char *path, size_t len);

/* "auto", "native", "generic" -> mode. -EINVAL for anything else. */
int xdp_parse_mode(const char *s, enum xdp_mode *mode);

#endif /* XDP_H */
