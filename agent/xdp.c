// SPDX-License-Identifier: GPL-2.0
/*
 * xdp.c - load, pin, attach and adopt the XDP program. See xdp.h.
 *
 * Adoption is what makes restarts safe for traffic: a previous instance's
 * program stays attached after a crash or --keep and keeps forwarding from
 * the pinned maps. The new instance makes libbpf reuse those pinned maps
 * (same hfwd, same entries), loads its program against them and swaps it
 * in with XDP_FLAGS_REPLACE, which the kernel performs as one pointer
 * exchange: no packet ever meets an interface without the program, and
 * the entries stay as they were until the table's first reconcile.
 *
 * The swap needs an fd of the program being replaced. Opening it by the id
 * the interface reports (BPF_PROG_GET_FD_BY_ID) takes CAP_SYS_ADMIN, which
 * the service should not need; so the program is pinned as well, at
 * <bpffs>/fwd_prog, and the next instance opens that pin and checks its id
 * against the attached one. While a new instance swaps its program in,
 * the one it replaces stays pinned as fwd_prog_old_<id> until no managed
 * interface runs it any more: a crash in the middle of the swap leaves
 * every program still attached findable through a pin.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "xdp.h"

enum xdp_map_id {
	MAP_HFWD,
	MAP_OVR,
	MAP_PORTS,
	MAP_IFACES,
	MAP_STATS,
	MAP_LOCAL,
	MAP_HFWD6,
	MAP_OVR6,
	MAP_IFSTATS,
	MAP_DEMAND,
	MAP_REPORT,
	N_MAPS
};

/* Map names are contracts: they are also the pin file names. */
static const char *const map_names[N_MAPS] = {
	[MAP_HFWD] = "hfwd",	       [MAP_OVR] = "fwd_ovr",
	[MAP_PORTS] = "fwd_ports",     [MAP_IFACES] = "fwd_ifaces",
	[MAP_STATS] = "fwd_stats",     [MAP_LOCAL] = "fwd_local",
	[MAP_HFWD6] = "hfwd6",	       [MAP_OVR6] = "fwd_ovr6",
	[MAP_IFSTATS] = "fwd_ifstats", [MAP_DEMAND] = "fwd_demand",
	[MAP_REPORT] = "fwd_report",
};

/*
 * The value sizes this build reads and writes (kern/fwd.h): an object of
 * another build (--bpf-object) whose layout differs is refused, never
 * read past its values' ends.
 */
static const uint32_t map_values[N_MAPS] = {
	[MAP_HFWD] = sizeof(struct fwd_entry),
	[MAP_OVR] = sizeof(struct fwd_ovr),
	[MAP_PORTS] = sizeof(__u32),
	[MAP_IFACES] = sizeof(struct fwd_iface),
	[MAP_STATS] = sizeof(struct fwd_count),
	[MAP_LOCAL] = sizeof(struct fwd_local),
	[MAP_HFWD6] = sizeof(struct fwd_entry),
	[MAP_OVR6] = sizeof(struct fwd_ovr),
	[MAP_IFSTATS] = sizeof(struct fwd_ifstat),
	[MAP_DEMAND] = sizeof(struct fwd_demand),
	[MAP_REPORT] = 0, /* a ring buffer has none */
};

#define PROG_PIN "fwd_prog"
/* not ".old.": bpffs refuses names with a dot */
#define PROG_PIN_OLD PROG_PIN "_old_"
/* Previous programs held during adoption: fwd_prog plus leftovers of
 * interrupted swaps, each at most one per crash; more is not expected. */
#define XDP_MAX_KNOWN 8

/* A previous instance's program, found through its pin. */
struct xdp_known {
	int fd;
	uint32_t id;
	char pin[NAME_MAX + 1]; /* file name in bpffs, renamed to _old_<id> */
};

struct xdp_att {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
	uint32_t slot;	/* in fwd_ifstats; x->n_slots: none free, not counted */
	uint32_t flags; /* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	bool replaced;	/* swapped in over a previous instance's program */
};

struct xdp {
	struct bpf_object *obj;
	int prog_fd;
	uint32_t prog_id;
	int map_fd[N_MAPS];
	bool reused[N_MAPS]; /* map came from a previous instance's pin */
	bool pinned[N_MAPS]; /* we created the pin */
	bool adopted;	     /* hfwd reused */
	uint32_t hfwd_id;    /* kernel id of our hfwd */
	int lock_fd;	     /* bpffs directory, flock()ed while we run */
	bool prog_pinned;    /* <bpffs>/fwd_prog is our program */
	struct xdp_known known[XDP_MAX_KNOWN];
	int n_known;
	char bpffs[PATH_MAX - 32]; /* room for "/<map name>" */
	enum xdp_mode mode;
	uint32_t max_entries;
	struct xdp_att att[FWD_MAX_IFACES];
	int n_att;
	/*
	 * fwd_ifstats slots: one per interface named at start, so the map's
	 * size is fixed by the configuration; an interface takes a free one
	 * when it is attached and gives it back when it goes.
	 */
	uint32_t n_slots;
	bool slot_used[FWD_MAX_IFACES];
};

int xdp_parse_mode(const char *s, enum xdp_mode *mode)
{
	if (!strcmp(s, "auto"))
		*mode = XDP_MODE_AUTO;
	else if (!strcmp(s, "native"))
		*mode = XDP_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = XDP_MODE_GENERIC;
	else
		return -EINVAL;
	return 0;
}

static const char *mode_name(uint32_t flags)
{
	return flags & XDP_FLAGS_DRV_MODE ? "native" : "generic";
}

int xdp_find_object(const char *given, char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (given) {
		if (access(given, R_OK)) {
			int err = -errno;

			pr_err("BPF object %s: %s", given, strerror(-err));
			return err;
		}
		snprintf(path, len, "%s", given);
		return 0;
	}
	/* Running from the tree: build/fwd next to build/fwd.bpf.o. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		snprintf(path, len, "%s/%s", dirname(exe), XDP_OBJECT_NAME);
		if (!access(path, R_OK))
			return 0;
	}
	snprintf(path, len, "%s", XDP_OBJECT_INSTALLED);
	if (!access(path, R_OK))
		return 0;
	pr_err("cannot find the XDP object %s: not next to the executable, "
	       "not at %s; use --bpf-object FILE",
	       XDP_OBJECT_NAME, XDP_OBJECT_INSTALLED);
	return -ENOENT;
}

/* A subdirectory of a bpffs mount is created; anything else is refused. */
static int check_bpffs(const char *dir)
{
	char parent[PATH_MAX];
	struct statfs sf;

	if (statfs(dir, &sf) && errno == ENOENT) {
		snprintf(parent, sizeof(parent), "%s", dir);
		dirname(parent);
		if (!statfs(parent, &sf) && sf.f_type == BPF_FS_MAGIC &&
		    mkdir(dir, 0700) && errno != EEXIST) {
			pr_err("cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
	}
	if (statfs(dir, &sf)) {
		int err = -errno;

		pr_err("bpffs directory %s: %s (mount it with: mount -t bpf "
		       "bpf %s)",
		       dir, strerror(-err), dir);
		return err;
	}
	if (sf.f_type != BPF_FS_MAGIC) {
		pr_err("%s is not a bpf filesystem: bpffs is not mounted there "
		       "(mount -t bpf bpf %s, or use --bpffs DIR)",
		       dir, dir);
		return -ENOTDIR;
	}
	return 0;
}

static void pin_path(const struct xdp *x, int id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", x->bpffs, map_names[id]);
}

/*
 * If a compatible map is pinned, make libbpf use it instead of creating
 * one. An incompatible one (e.g. another --max-entries) is replaced: its
 * entries are relearned, and the fib fallback forwards meanwhile.
 */
static int reuse_pin(struct xdp *x, int id, struct bpf_map *map)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	int fd, err = 0;

	pin_path(x, id, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		pr_err("cannot open pinned map %s: %s", path, strerror(-err));
		return err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		pr_err("pinned %s: cannot read map info: %s", path,
		       strerror(-err));
		goto out_close;
	}
	/* the kernel makes every devmap read-only to programs by itself */
	if (info.type == BPF_MAP_TYPE_DEVMAP_HASH)
		info.map_flags &= ~BPF_F_RDONLY_PROG;
	if (info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map)) {
		pr_warn("pinned %s does not match (type %u, value %u B, "
			"max_entries %u, flags %#x; want %u, %u B, %u, %#x): "
			"replacing it",
			path, info.type, info.value_size, info.max_entries,
			info.map_flags, bpf_map__type(map),
			bpf_map__value_size(map), bpf_map__max_entries(map),
			bpf_map__map_flags(map));
		if (unlink(path))
			err = -errno;
		goto out_close;
	}
	err = bpf_map__reuse_fd(map, fd);
	if (err) {
		pr_err("cannot reuse pinned %s: %s", path, strerror(-err));
		goto out_close;
	}
	x->reused[id] = true;
out_close:
	close(fd);
	return err;
}

static int load_object(struct xdp *x, const char *path)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	struct bpf_map_info minfo = {};
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int i, err;

	x->obj = bpf_object__open_file(path, NULL);
	if (!x->obj) {
		err = -errno;
		pr_err("cannot open BPF object %s: %s", path, strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(x->obj, XDP_PROG_NAME);
	if (!prog) {
		pr_err("BPF object %s has no program %s", path, XDP_PROG_NAME);
		return -ENOENT;
	}
	for (i = 0; i < N_MAPS; i++) {
		map = bpf_object__find_map_by_name(x->obj, map_names[i]);
		if (!map) {
			pr_err("BPF object %s has no map %s", path,
			       map_names[i]);
			return -ENOENT;
		}
		if (bpf_map__value_size(map) != map_values[i] ||
		    (i == MAP_STATS &&
		     bpf_map__max_entries(map) != FWD_CNT_MAX)) {
			pr_err("BPF object %s is of another build: its map %s "
			       "has %u-byte values and %u entries, this fwd "
			       "wants %u bytes%s",
			       path, map_names[i], bpf_map__value_size(map),
			       bpf_map__max_entries(map), map_values[i],
			       i == MAP_STATS ? " and one entry per counter"
					      : "");
			return -EINVAL;
		}
		if (i == MAP_HFWD || i == MAP_OVR || i == MAP_HFWD6 ||
		    i == MAP_OVR6) {
			err = bpf_map__set_max_entries(map, x->max_entries);
			if (err)
				return err;
		}
		if (i == MAP_IFSTATS) {
			err = bpf_map__set_max_entries(
				map, FWD_IFSTAT_BASE(x->n_slots) + 1);
			if (err)
				return err;
		}
		err = reuse_pin(x, i, map);
		if (err)
			return err;
	}
	err = bpf_object__load(x->obj);
	if (err) {
		if (err == -EPERM || err == -EACCES)
			pr_err("no permission to load BPF programs: run as "
			       "root "
			       "or with CAP_BPF, CAP_NET_ADMIN and "
			       "CAP_PERFMON");
		else
			pr_err("cannot load BPF object %s: %s", path,
			       strerror(-err));
		return err;
	}
	for (i = 0; i < N_MAPS; i++)
		x->map_fd[i] =
			bpf_object__find_map_fd_by_name(x->obj, map_names[i]);
	x->prog_fd = bpf_program__fd(prog);
	if (!bpf_obj_get_info_by_fd(x->prog_fd, &info, &len))
		x->prog_id = info.id;
	x->adopted = x->reused[MAP_HFWD];
	len = sizeof(minfo);
	if (!bpf_obj_get_info_by_fd(x->map_fd[MAP_HFWD], &minfo, &len))
		x->hfwd_id = minfo.id;
	return 0;
}

static int pin_maps(struct xdp *x)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < N_MAPS; i++) {
		if (x->reused[i])
			continue;
		pin_path(x, i, path, sizeof(path));
		if (bpf_obj_pin(x->map_fd[i], path)) {
			int err = -errno;

			pr_err("cannot pin %s: %s", path, strerror(-err));
			return err;
		}
		x->pinned[i] = true;
	}
	return 0;
}

static void unpin_maps(struct xdp *x, bool all)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < N_MAPS; i++) {
		if (!all && !x->pinned[i])
			continue;
		pin_path(x, i, path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			pr_warn("cannot unpin %s: %s", path, strerror(errno));
		x->pinned[i] = false;
	}
}

/* @name is a pin of ours for a program: "fwd_prog" or "fwd_prog_old_*". */
static bool is_prog_pin(const char *name)
{
	return !strcmp(name, PROG_PIN) ||
	       !strncmp(name, PROG_PIN_OLD, strlen(PROG_PIN_OLD));
}

/*
 * Open the programs previous instances pinned, before ours replaces the
 * fwd_prog pin. An fd obtained from a pin is all the XDP_FLAGS_REPLACE
 * swap needs, and reading its id takes no CAP_SYS_ADMIN either.
 */
static int open_known(struct xdp *x)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(x->bpffs);
	if (!d) {
		int err = -errno;

		pr_err("cannot read %s: %s", x->bpffs, strerror(-err));
		return err;
	}
	while ((de = readdir(d)) && x->n_known < XDP_MAX_KNOWN) {
		struct xdp_known *k = &x->known[x->n_known];
		struct bpf_prog_info info = {};
		uint32_t len = sizeof(info);
		int fd;

		if (!is_prog_pin(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", x->bpffs,
			     de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			pr_warn("cannot open pinned program %s: %s", path,
				strerror(errno));
			continue;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    info.type != BPF_PROG_TYPE_XDP ||
		    strcmp(info.name, XDP_PROG_NAME)) {
			pr_warn("%s is not an %s program: ignoring it", path,
				XDP_PROG_NAME);
			close(fd);
			continue;
		}
		k->fd = fd;
		k->id = info.id;
		snprintf(k->pin, sizeof(k->pin), "%s", de->d_name);
		x->n_known++;
		pr_debug("previous program id %u pinned at %s", k->id, path);
	}
	closedir(d);
	return 0;
}

static struct xdp_known *known_find(struct xdp *x, uint32_t id)
{
	int i;

	for (i = 0; i < x->n_known; i++)
		if (x->known[i].id == id)
			return &x->known[i];
	return NULL;
}

/*
 * Pin our program at fwd_prog, first moving the previous one aside to
 * fwd_prog_old_<id> (rename is atomic: at every moment each program still
 * attached has a pin).
 */
static int pin_prog(struct xdp *x)
{
	char path[PATH_MAX], old[PATH_MAX];
	int i, err;

	snprintf(path, sizeof(path), "%s/%s", x->bpffs, PROG_PIN);
	for (i = 0; i < x->n_known; i++) {
		struct xdp_known *k = &x->known[i];

		if (strcmp(k->pin, PROG_PIN))
			continue;
		snprintf(k->pin, sizeof(k->pin), PROG_PIN_OLD "%u", k->id);
		snprintf(old, sizeof(old), "%s/%s", x->bpffs, k->pin);
		if (rename(path, old)) {
			err = -errno;
			pr_err("cannot move %s aside to %s: %s", path, old,
			       strerror(-err));
			snprintf(k->pin, sizeof(k->pin), PROG_PIN);
			return err;
		}
	}
	/* a stray file (not a program of ours) would block the pin */
	if (unlink(path) && errno != ENOENT)
		pr_warn("cannot remove %s: %s", path, strerror(errno));
	if (bpf_obj_pin(x->prog_fd, path)) {
		err = -errno;
		pr_err("cannot pin %s: %s", path, strerror(-err));
		return err;
	}
	x->prog_pinned = true;
	return 0;
}

static void unpin_prog(struct xdp *x)
{
	char path[PATH_MAX];

	if (!x->prog_pinned)
		return;
	snprintf(path, sizeof(path), "%s/%s", x->bpffs, PROG_PIN);
	if (unlink(path) && errno != ENOENT)
		pr_warn("cannot unpin %s: %s", path, strerror(errno));
	x->prog_pinned = false;
}

enum known_end {
	KNOWN_UNPIN,   /* nothing runs them any more: remove their pins */
	KNOWN_RESTORE, /* we replaced nothing: the previous one is fwd_prog */
	KNOWN_KEEP,    /* some interfaces still run them: keep the pins */
};

/* Close the previous programs' fds, and deal with their pins. */
static void drop_known(struct xdp *x, enum known_end how)
{
	char path[PATH_MAX], cur[PATH_MAX];
	int i;

	snprintf(cur, sizeof(cur), "%s/%s", x->bpffs, PROG_PIN);
	for (i = 0; i < x->n_known; i++) {
		struct xdp_known *k = &x->known[i];

		snprintf(path, sizeof(path), "%s/%s", x->bpffs, k->pin);
		if (how == KNOWN_RESTORE && strcmp(k->pin, PROG_PIN) &&
		    access(cur, F_OK) && rename(path, cur))
			pr_warn("cannot move %s back to %s: %s", path, cur,
				strerror(errno));
		else if (how == KNOWN_UNPIN && strcmp(k->pin, PROG_PIN) &&
			 unlink(path) && errno != ENOENT)
			pr_warn("cannot unpin %s: %s", path, strerror(errno));
		close(k->fd);
	}
	x->n_known = 0;
}

/*
 * The name of program @id, and an fd to it (caller closes). Needs
 * CAP_SYS_ADMIN: only for programs no pin of ours names.
 */
static int prog_by_id(uint32_t id, char *name, size_t len,
		      struct bpf_prog_info *info_out)
{
	struct bpf_prog_info info = {};
	uint32_t ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen)) {
		int err = -errno;

		close(fd);
		return err;
	}
	snprintf(name, len, "%s", info.name);
	if (info_out)
		*info_out = info;
	return fd;
}

static bool prog_uses_map(int prog_fd, uint32_t map_id)
{
	struct bpf_prog_info info = {};
	uint32_t ids[16] = {}, len = sizeof(info), i;

	info.nr_map_ids = 16;
	info.map_ids = (uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	for (i = 0; i < info.nr_map_ids && i < 16; i++)
		if (ids[i] == map_id)
			return true;
	return false;
}

static int attach_err(const struct xdp_att *a, uint32_t flags, int err)
{
	if (err == -EPERM || err == -EACCES)
		pr_err("%s: no permission to attach XDP (needs CAP_NET_ADMIN "
		       "and CAP_BPF)",
		       a->name);
	else if (err == -EOPNOTSUPP)
		pr_err("%s: XDP %s mode is not supported by this interface "
		       "(try --xdp-mode %s)",
		       a->name, mode_name(flags),
		       flags & XDP_FLAGS_DRV_MODE ? "generic" : "native");
	else
		pr_err("%s: cannot attach XDP in %s mode: %s", a->name,
		       mode_name(flags), strerror(-err));
	return err;
}

static int attach_fresh(struct xdp *x, struct xdp_att *a)
{
	uint32_t flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	int err;

	if (x->mode == XDP_MODE_GENERIC) {
		flags |= XDP_FLAGS_SKB_MODE;
	} else {
		flags |= XDP_FLAGS_DRV_MODE;
		err = bpf_xdp_attach(a->ifindex, x->prog_fd, flags, NULL);
		if (!err)
			goto out_ok;
		/*
		 * auto: whatever the driver refuses (no XDP, an MTU or a
		 * channel count it cannot run XDP with: EOPNOTSUPP, EINVAL,
		 * ERANGE, ENOMEM...; libbpf logs the kernel's own message
		 * above) generic mode may take. Not a missing permission or
		 * a program already there: generic would fail alike.
		 */
		if (x->mode == XDP_MODE_NATIVE || err == -EPERM ||
		    err == -EACCES || err == -EEXIST || err == -EBUSY)
			return attach_err(a, flags, err);
		pr_warn("%s: native XDP refused by the driver (%s), using "
			"generic mode",
			a->name, strerror(-err));
		flags = XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE;
	}
	err = bpf_xdp_attach(a->ifindex, x->prog_fd, flags, NULL);
	if (err)
		return attach_err(a, flags, err);
out_ok:
	a->flags = flags & (XDP_FLAGS_DRV_MODE | XDP_FLAGS_SKB_MODE);
	pr_info("%s: XDP attached in %s mode (program id %u)", a->name,
		mode_name(a->flags), x->prog_id);
	return 0;
}

/*
 * An fd of program @id attached to @a, if it is ours: our own, one a
 * previous instance pinned, or (with CAP_SYS_ADMIN, found by id) an
 * xdp_handle_fwd nobody pinned, as a version before the program pin left
 * it. *@owned: the caller closes the fd. -EBUSY for anybody else's.
 */
static int ours_fd(struct xdp *x, const struct xdp_att *a, uint32_t id,
		   bool *owned)
{
	struct xdp_known *k = known_find(x, id);
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	*owned = false;
	if (id == x->prog_id)
		return x->prog_fd;
	if (k)
		return k->fd;
	fd = prog_by_id(id, name, sizeof(name), NULL);
	if (fd == -EPERM) {
		pr_err("%s: another XDP program (id %u) is attached, not the "
		       "one pinned at %s/%s; detach it first (ip link set dev "
		       "%s xdp off)",
		       a->name, id, x->bpffs, PROG_PIN, a->name);
		return -EBUSY;
	}
	if (fd < 0) {
		pr_err("%s: cannot inspect attached XDP program id %u: %s",
		       a->name, id, strerror(-fd));
		return fd;
	}
	if (strcmp(name, XDP_PROG_NAME)) {
		pr_err("%s: another XDP program (%s, id %u) is attached; "
		       "detach it first (ip link set dev %s xdp off)",
		       a->name, name, id, a->name);
		close(fd);
		return -EBUSY;
	}
	*owned = true;
	return fd;
}

/*
 * Attach to one interface. A program of ours already there is replaced in
 * place, in the mode it runs in; anybody else's is left alone (-EBUSY).
 */
static int attach_one(struct xdp *x, struct xdp_att *a)
{
	struct bpf_xdp_query_opts q = {.sz = sizeof(q)};
	struct bpf_xdp_attach_opts ao = {.sz = sizeof(ao)};
	uint32_t cur_id, cur_flags, want;
	bool owned;
	int old_fd, err;

	err = bpf_xdp_query(a->ifindex, 0, &q);
	if (err) {
		pr_err("%s: cannot query XDP state: %s", a->name,
		       strerror(-err));
		return err;
	}
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return attach_fresh(x, a);
	if (q.hw_prog_id) {
		pr_err("%s: an offloaded XDP program is attached; detach it "
		       "first",
		       a->name);
		return -EBUSY;
	}
	cur_id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	cur_flags = q.drv_prog_id ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	old_fd = ours_fd(x, a, cur_id, &owned);
	if (old_fd < 0)
		return old_fd;
	if (!prog_uses_map(old_fd, x->hfwd_id))
		pr_warn("%s: replacing an %s (id %u) that does not use "
			"%s/hfwd: its table is lost, entries are relearned",
			a->name, XDP_PROG_NAME, cur_id, x->bpffs);
	want = x->mode == XDP_MODE_NATIVE    ? XDP_FLAGS_DRV_MODE
	       : x->mode == XDP_MODE_GENERIC ? XDP_FLAGS_SKB_MODE
					     : cur_flags;
	ao.old_prog_fd = old_fd;
	if (want != cur_flags) {
		/* the kernel refuses native and generic at once: a gap */
		pr_warn("%s: previous program runs in %s mode, --xdp-mode "
			"wants %s: re-attaching (a brief gap: the kernel "
			"forwards meanwhile)",
			a->name, mode_name(cur_flags), mode_name(want));
		err = bpf_xdp_detach(a->ifindex, cur_flags | XDP_FLAGS_REPLACE,
				     &ao);
		if (!err)
			err = attach_fresh(x, a);
		goto out_close;
	}
	err = bpf_xdp_attach(a->ifindex, x->prog_fd,
			     cur_flags | XDP_FLAGS_REPLACE, &ao);
	if (err) {
		attach_err(a, cur_flags, err);
		goto out_close;
	}
	a->flags = cur_flags;
	a->replaced = true;
	pr_info("%s: adopted: program id %u replaced by id %u in %s mode, "
		"never detached",
		a->name, cur_id, x->prog_id, mode_name(cur_flags));
out_close:
	if (owned)
		close(old_fd);
	return err;
}

/* Detach only if the program there is still ours. */
static void detach_one(struct xdp *x, struct xdp_att *a)
{
	struct bpf_xdp_attach_opts ao = {.sz = sizeof(ao),
					 .old_prog_fd = x->prog_fd};
	int err;

	err = bpf_xdp_detach(a->ifindex, a->flags | XDP_FLAGS_REPLACE, &ao);
	if (err && err != -ENODEV)
		pr_warn("%s: cannot detach XDP: %s", a->name, strerror(-err));
	else if (!err)
		pr_info("%s: XDP detached", a->name);
}

static struct xdp_att *att_find(struct xdp *x, uint32_t ifindex)
{
	int i;

	for (i = 0; i < x->n_att; i++)
		if (x->att[i].ifindex == ifindex)
			return &x->att[i];
	return NULL;
}

/*
 * Adopting: a previous instance may have managed interfaces this one is
 * not told to. Its program there uses our hfwd; detach it, or it would
 * keep forwarding from a table nobody maintains for it.
 */
static void detach_strays(struct xdp *x)
{
	struct if_nameindex *ifs = if_nameindex(), *p;

	if (!ifs)
		return;
	for (p = ifs; p->if_index; p++) {
		struct bpf_xdp_query_opts q = {.sz = sizeof(q)};
		struct bpf_xdp_attach_opts ao = {.sz = sizeof(ao)};
		char name[BPF_OBJ_NAME_LEN];
		struct xdp_known *k;
		uint32_t id, flags;
		bool ours;
		int fd;

		if (att_find(x, p->if_index) ||
		    bpf_xdp_query(p->if_index, 0, &q))
			continue;
		id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
		if (!id)
			continue;
		/* a pinned one was ours; one found by id, if it uses hfwd */
		k = known_find(x, id);
		if (k) {
			fd = k->fd;
			ours = true;
		} else {
			fd = prog_by_id(id, name, sizeof(name), NULL);
			if (fd < 0)
				continue;
			ours = !strcmp(name, XDP_PROG_NAME) &&
			       prog_uses_map(fd, x->hfwd_id);
		}
		flags = q.drv_prog_id ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		ao.old_prog_fd = fd;
		if (ours && !bpf_xdp_detach(p->if_index,
					    flags | XDP_FLAGS_REPLACE, &ao))
			pr_warn("%s: no longer managed: previous instance's "
				"XDP program detached",
				p->if_name);
		if (!k)
			close(fd);
	}
	if_freenameindex(ifs);
}

/*
 * fwd_ifstats[@idx] on every CPU into @v (ncpu of them), or written from
 * it. 0 or -errno.
 */
static int block_get(const struct xdp *x, uint32_t idx, struct fwd_ifstat *v)
{
	return bpf_map_lookup_elem(x->map_fd[MAP_IFSTATS], &idx, v) ? -errno
								    : 0;
}

static int block_put(struct xdp *x, uint32_t idx, const struct fwd_ifstat *v)
{
	return bpf_map_update_elem(x->map_fd[MAP_IFSTATS], &idx, v, BPF_ANY)
		       ? -errno
		       : 0;
}

void *xdp_percpu_alloc(size_t size, int *ncpu)
{
	int n = libbpf_num_possible_cpus();
	void *v;

	if (n < 1) {
		*ncpu = n ? n : -EINVAL;
		return NULL;
	}
	v = calloc(n, size);
	*ncpu = v ? n : -ENOMEM;
	return v;
}

/*
 * Make slot @slot count from zero for a new interface: its own block
 * zeroed (no packet arrives on an interface not yet in fwd_ifaces, so
 * nothing races), and, as what left by @slot is counted in every other
 * block, whose other cells the data path is writing, the sum it has there
 * now becomes its baseline. 0 or -errno.
 */
static int slot_zero(struct xdp *x, uint32_t slot)
{
	uint32_t b, base = FWD_IFSTAT_BASE(x->n_slots);
	struct fwd_count sum = {};
	struct fwd_ifstat *v;
	int ncpu, c, err;

	v = xdp_percpu_alloc(sizeof(*v), &ncpu);
	if (!v)
		return ncpu;
	err = block_put(x, slot, v);
	for (b = 0; !err && b < x->n_slots; b++) {
		err = block_get(x, b, v);
		for (c = 0; !err && c < ncpu; c++) {
			sum.packets += v[c].tx[slot].packets;
			sum.bytes += v[c].tx[slot].bytes;
		}
	}
	if (!err)
		err = block_get(x, base, v);
	if (!err) {
		for (c = 1; c < ncpu; c++)
			v[c].tx[slot] = (struct fwd_count){};
		v[0].tx[slot] = sum;
		err = block_put(x, base, v);
	}
	free(v);
	return err;
}

/*
 * Give @a a slot in fwd_ifstats: the one its fwd_ifaces entry already
 * names if a previous instance left it managed (its counters go on), else
 * a free one, zeroed (a former interface's counts must not show up under
 * this one's name). None free (more interfaces than were named at start,
 * for a moment): x->n_slots, which the program does not count.
 */
static void slot_take(struct xdp *x, struct xdp_att *a)
{
	struct fwd_iface v;
	uint32_t s;
	int err;

	if (x->reused[MAP_IFACES] && x->reused[MAP_IFSTATS] &&
	    !bpf_map_lookup_elem(x->map_fd[MAP_IFACES], &a->ifindex, &v) &&
	    (v.flags & FWD_IF_MANAGED) && v.slot < x->n_slots &&
	    !x->slot_used[v.slot]) {
		a->slot = v.slot;
		x->slot_used[v.slot] = true;
		return;
	}
	for (s = 0; s < x->n_slots && x->slot_used[s]; s++)
		;
	a->slot = s;
	if (s == x->n_slots) {
		pr_warn("%s: no free slot for per-interface counters", a->name);
		return;
	}
	x->slot_used[s] = true;
	err = slot_zero(x, s);
	if (err)
		pr_warn("%s: cannot zero its counters: %s", a->name,
			strerror(-err));
}

static void slot_give(struct xdp *x, struct xdp_att *a)
{
	if (a->slot < x->n_slots)
		x->slot_used[a->slot] = false;
	a->slot = x->n_slots;
}

/*
 * Adopted fwd_ifaces/fwd_ports may name interfaces no longer managed.
 * fwd_ports is a hash: delete its stale keys. fwd_ifaces is an array:
 * every index exists, so zero each managed-looking entry of an interface
 * we do not manage (one pass over the array, only when adopting).
 */
static void prune_ifaces(struct xdp *x)
{
	uint32_t key, next, *prev = NULL, stale[FWD_MAX_IFACES];
	struct fwd_iface v, zero = {};
	int n = 0, i;

	while (!bpf_map_get_next_key(x->map_fd[MAP_PORTS], prev, &next) &&
	       n < FWD_MAX_IFACES) {
		key = next;
		prev = &key;
		if (!att_find(x, key))
			stale[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(x->map_fd[MAP_PORTS], &stale[i]);

	for (key = 0; key < FWD_MAX_IFINDEX; key++) {
		if (bpf_map_lookup_elem(x->map_fd[MAP_IFACES], &key, &v) ||
		    !memcmp(&v, &zero, sizeof(v)) || att_find(x, key))
			continue;
		if (bpf_map_update_elem(x->map_fd[MAP_IFACES], &key, &zero,
					BPF_ANY))
			pr_warn("cannot clear fwd_ifaces[%u]: %s", key,
				strerror(errno));
	}
}

/* fwd_ifaces is indexed by ifindex: a larger one has no entry. */
static int check_ifindex(uint32_t ifindex, const char *name)
{
	if (ifindex < FWD_MAX_IFINDEX)
		return 0;
	pr_err("%s: ifindex %u is too large to be managed (fwd_ifaces holds "
	       "ifindex < %u)",
	       name, ifindex, FWD_MAX_IFINDEX);
	return -ERANGE;
}

/*
 * Two daemons on one bpffs directory would adopt each other's maps and
 * both write hfwd. The lock dies with the process, so a crash never
 * leaves it behind.
 */
static int lock_bpffs(struct xdp *x)
{
	x->lock_fd = open(x->bpffs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->lock_fd < 0)
		return -errno;
	if (!flock(x->lock_fd, LOCK_EX | LOCK_NB))
		return 0;
	if (errno == EWOULDBLOCK)
		pr_err("another fwd is running with --bpffs %s", x->bpffs);
	close(x->lock_fd);
	x->lock_fd = -1;
	return -EBUSY;
}

int xdp_open(struct xdp **out, const struct xdp_opts *o)
{
	char path[PATH_MAX];
	bool keep_pins = false;
	struct xdp *x;
	int i, err;

	if (o->n_ifaces < 1 || o->n_ifaces > FWD_MAX_IFACES)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->mode = o->mode;
	x->max_entries = o->max_entries;
	if (strlen(o->bpffs) >= sizeof(x->bpffs)) {
		err = -ENAMETOOLONG;
		goto err_free;
	}
	snprintf(x->bpffs, sizeof(x->bpffs), "%s", o->bpffs);
	for (i = 0; i < N_MAPS; i++)
		x->map_fd[i] = -1;

	for (i = 0; i < o->n_ifaces; i++) {
		struct xdp_att *a = &x->att[x->n_att];

		a->ifindex = if_nametoindex(o->ifaces[i]);
		if (!a->ifindex) {
			pr_err("interface %s does not exist", o->ifaces[i]);
			err = -ENODEV;
			goto err_free;
		}
		if (att_find(x, a->ifindex))
			continue; /* named twice */
		err = check_ifindex(a->ifindex, o->ifaces[i]);
		if (err)
			goto err_free;
		snprintf(a->name, sizeof(a->name), "%s", o->ifaces[i]);
		x->n_att++;
	}
	x->n_slots = x->n_att;
	err = check_bpffs(x->bpffs);
	if (err)
		goto err_free;
	err = lock_bpffs(x);
	if (err)
		goto err_free;
	err = xdp_find_object(o->bpf_object, path, sizeof(path));
	if (err)
		goto err_unlock;
	err = open_known(x);
	if (err)
		goto err_unlock;
	pr_info("loading %s", path);
	err = load_object(x, path);
	if (err)
		goto err_close;
	for (i = 0; i < x->n_att; i++)
		slot_take(x, &x->att[i]);
	err = pin_maps(x);
	if (err)
		goto err_unpin;
	err = pin_prog(x);
	if (err)
		goto err_unpin;
	for (i = 0; i < x->n_att; i++) {
		err = attach_one(x, &x->att[i]);
		if (err)
			goto err_detach;
	}
	if (x->adopted) {
		prune_ifaces(x);
		pr_info("adopted the pinned maps in %s", x->bpffs);
	}
	if (x->adopted || x->n_known)
		detach_strays(x);
	drop_known(x, KNOWN_UNPIN);
	*out = x;
	return 0;

err_detach:
	/*
	 * Replaced attachments stay: they forward from the same maps, and
	 * with them our pin and the previous programs' (the interfaces we
	 * did not reach still run those).
	 */
	while (i--) {
		if (x->att[i].replaced)
			keep_pins = true;
		else
			detach_one(x, &x->att[i]);
	}
err_unpin:
	if (!keep_pins)
		unpin_prog(x);
	unpin_maps(x, false);
err_close:
	bpf_object__close(x->obj);
	drop_known(x, keep_pins ? KNOWN_KEEP : KNOWN_RESTORE);
err_unlock:
	close(x->lock_fd);
err_free:
	free(x);
	return err;
}

void xdp_close(struct xdp *x, bool keep)
{
	int i;

	if (!x)
		return;
	if (keep) {
		pr_info("--keep: XDP stays attached, program and maps stay "
			"pinned in %s",
			x->bpffs);
	} else {
		for (i = 0; i < x->n_att; i++)
			detach_one(x, &x->att[i]);
		unpin_prog(x);
		unpin_maps(x, true);
	}
	bpf_object__close(x->obj);
	close(x->lock_fd);
	free(x);
}

bool xdp_adopted(const struct xdp *x)
{
	return x->adopted;
}

int xdp_map_fd(const struct xdp *x, const char *name)
{
	int i;

	for (i = 0; i < N_MAPS; i++)
		if (!strcmp(map_names[i], name))
			return x->map_fd[i];
	return -ENOENT;
}

uint32_t xdp_max_entries(const struct xdp *x)
{
	return x->max_entries;
}

int xdp_iface_set(struct xdp *x, uint32_t ifindex, const char *name,
		  const uint8_t mac[6], uint16_t flags, uint32_t mtu,
		  uint32_t mtu6)
{
	struct fwd_iface v = {
		.flags = flags | FWD_IF_MANAGED, .mtu = mtu, .mtu6 = mtu6};
	struct xdp_att *a = att_find(x, ifindex);
	int err;

	err = check_ifindex(ifindex, name);
	if (err)
		return err;
	if (!a) {
		/* a managed interface re-created under a new ifindex */
		if (x->n_att == FWD_MAX_IFACES)
			return -ENOSPC;
		a = &x->att[x->n_att];
		memset(a, 0, sizeof(*a));
		a->ifindex = ifindex;
		snprintf(a->name, sizeof(a->name), "%s", name);
		err = attach_one(x, a);
		if (err)
			return err;
		slot_take(x, a);
		x->n_att++;
	}
	v.slot = a->slot;
	/*
	 * Generic XDP redirects the skb itself: a checksum left for offload
	 * travels with its CHECKSUM_PARTIAL and is completed at the egress.
	 */
	if (!(a->flags & XDP_FLAGS_DRV_MODE))
		v.flags &= ~FWD_IF_PARTIAL_CSUM;
	memcpy(v.mac, mac, 6);
	if (bpf_map_update_elem(x->map_fd[MAP_IFACES], &ifindex, &v, BPF_ANY))
		return -errno;
	if (flags & FWD_IF_UP) {
		if (bpf_map_update_elem(x->map_fd[MAP_PORTS], &ifindex,
					&ifindex, BPF_ANY))
			return -errno;
	} else if (bpf_map_delete_elem(x->map_fd[MAP_PORTS], &ifindex) &&
		   errno != ENOENT) {
		return -errno;
	}
	return 0;
}

void xdp_iface_del(struct xdp *x, uint32_t ifindex)
{
	struct xdp_att *a = att_find(x, ifindex);
	struct fwd_iface zero = {};

	bpf_map_delete_elem(x->map_fd[MAP_PORTS], &ifindex);
	/* an array has no delete: a zeroed entry is an unmanaged one */
	if (ifindex < FWD_MAX_IFINDEX)
		bpf_map_update_elem(x->map_fd[MAP_IFACES], &ifindex, &zero,
				    BPF_ANY);
	if (!a)
		return;
	/* renamed away, the device still runs our program: take it off */
	detach_one(x, a);
	slot_give(x, a);
	*a = x->att[--x->n_att];
}

int xdp_local_adopt(const struct xdp *x, uint32_t *keys, struct fwd_local *vals)
{
	__u32 count = FWD_LOCAL_BUCKETS, out;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	/* a map of our own making is all zero: nothing to adopt */
	if (!x->reused[MAP_LOCAL])
		return 0;
	if (bpf_map_lookup_batch(x->map_fd[MAP_LOCAL], NULL, &out, keys, vals,
				 &count, &o) &&
	    errno != ENOENT)
		return -errno;
	return (int)count;
}

int xdp_local_write(struct xdp *x, uint32_t idx, const struct fwd_local *b)
{
	if (bpf_map_update_elem(x->map_fd[MAP_LOCAL], &idx, b, BPF_ANY))
		return -errno;
	return 0;
}

int xdp_stats(const struct xdp *x, struct fwd_count out[FWD_CNT_MAX])
{
	struct fwd_count *v;
	int ncpu, c, err = 0;
	uint32_t i;

	v = xdp_percpu_alloc(sizeof(*v), &ncpu);
	if (!v)
		return ncpu;
	memset(out, 0, FWD_CNT_MAX * sizeof(*out));
	for (i = 0; i < FWD_CNT_MAX; i++) {
		if (bpf_map_lookup_elem(x->map_fd[MAP_STATS], &i, v)) {
			err = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++) {
			out[i].packets += v[c].packets;
			out[i].bytes += v[c].bytes;
		}
	}
	free(v);
	return err;
}

int xdp_ifstats(const struct xdp *x, struct xdp_ifstat *out, int max)
{
	int ncpu, c, i, k, n = 0, err = 0;
	struct fwd_count *tx = NULL;
	struct fwd_ifstat *v;
	uint32_t b, s;

	v = xdp_percpu_alloc(sizeof(*v), &ncpu);
	if (!v)
		return ncpu;
	tx = calloc(FWD_MAX_IFACES, sizeof(*tx));
	if (!tx) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < x->n_att && n < max; i++) {
		const struct xdp_att *a = &x->att[i];

		if (a->slot >= x->n_slots)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].ifindex = a->ifindex;
		snprintf(out[n].name, sizeof(out[n].name), "%s", a->name);
		err = block_get(x, a->slot, v);
		if (err)
			goto out;
		for (c = 0; c < ncpu; c++)
			for (k = 0; k < FWD_CNT_MAX; k++) {
				out[n].rx[k].packets += v[c].rx[k].packets;
				out[n].rx[k].bytes += v[c].rx[k].bytes;
			}
		n++;
	}
	/* tx: every block's cells of the slot, less its baseline */
	for (b = 0; b <= FWD_IFSTAT_BASE(x->n_slots); b++) {
		bool base = b == FWD_IFSTAT_BASE(x->n_slots);

		err = block_get(x, b, v);
		if (err)
			goto out;
		for (c = 0; c < ncpu; c++)
			for (s = 0; s < x->n_slots; s++) {
				tx[s].packets += base ? -v[c].tx[s].packets
						      : v[c].tx[s].packets;
				tx[s].bytes += base ? -v[c].tx[s].bytes
						    : v[c].tx[s].bytes;
			}
	}
	for (i = 0, k = 0; i < x->n_att && k < n; i++)
		if (x->att[i].slot < x->n_slots)
			out[k++].tx = tx[x->att[i].slot];
out:
	free(v);
	free(tx);
	return err ? err : n;
}
