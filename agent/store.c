// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - overrides in SQLite. See store.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "htab.h"
#include "legacy.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* PRAGMA application_id: "fwd1", so that file(1) and fwd know the file. */
#define STORE_APP_ID 0x66776431
#define STORE_VERSION 1 /* PRAGMA user_version: the schema below */
/*
 * Page cache, KiB: the database is read once, at start, and written a few
 * pages per commit. Small, as the daemon's whole RSS has a budget.
 */
#define STORE_CACHE_KIB 64

static const char schema[] = "CREATE TABLE IF NOT EXISTS overrides ("
			     " ip TEXT PRIMARY KEY NOT NULL,"
			     " ifindex INTEGER NOT NULL,"
			     " iface TEXT,"
			     " smac TEXT NOT NULL,"
			     " dmac TEXT NOT NULL) WITHOUT ROWID;"
			     "CREATE TABLE IF NOT EXISTS meta ("
			     " key TEXT PRIMARY KEY NOT NULL,"
			     " value TEXT) WITHOUT ROWID;";

/* The name of an ifindex, kept: overrides nearly all share a few. */
struct name_cache {
	uint32_t ifindex; /* 0: nothing cached */
	bool found;
	char name[IF_NAMESIZE];
};

struct store {
	sqlite3 *db;
	char *path;
	int lock_fd; /* <path>.lock, locked for the store's life; -1: none */
	sqlite3_stmt *put, *del;
	bool in_txn;
	struct name_cache nc;
};

static const char *cached_name(struct name_cache *c, uint32_t ifindex)
{
	if (c->ifindex != ifindex) {
		c->ifindex = ifindex;
		c->found = if_indextoname(ifindex, c->name);
	}
	return c->found ? c->name : NULL;
}

/* An SQLite result code as -errno. */
static int sq_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EINVAL;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

static int fail(struct store *s, int rc, const char *what)
{
	pr_err("state %s: %s: %s", s->path, what,
	       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return sq_errno(rc);
}

static int exec(struct store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(s, rc, what);
}

/* The one value a "PRAGMA x" or "SELECT" gives, as text into @buf. */
static int query_text(struct store *s, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, sql);
	buf[0] = '\0';
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		snprintf(buf, size, "%s", t ? (const char *)t : "");
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(s, rc, sql);
}

static int begin(struct store *s)
{
	int err;

	if (s->in_txn)
		return 0;
	err = exec(s, "BEGIN IMMEDIATE", "begin");
	s->in_txn = !err;
	return err;
}

/* After an error: SQLite may have rolled back by itself (SQLITE_FULL). */
static void abort_txn(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
}

int store_put(struct store *s, const struct ip_addr *ip,
	      const struct fwd_entry *e)
{
	return store_put_iface(s, ip, e, cached_name(&s->nc, e->ifindex));
}

int store_put_iface(struct store *s, const struct ip_addr *ip,
		    const struct fwd_entry *e, const char *name)
{
	char ipb[API_IP_STRLEN], sm[API_MAC_STRLEN], dm[API_MAC_STRLEN];
	int err, rc;

	err = begin(s);
	if (err)
		return err;
	api_format_ip(ip, ipb);
	api_format_mac(e->smac, sm);
	api_format_mac(e->dmac, dm);
	sqlite3_bind_text(s->put, 1, ipb, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->put, 2, e->ifindex);
	if (name)
		sqlite3_bind_text(s->put, 3, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->put, 3);
	sqlite3_bind_text(s->put, 4, sm, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 5, dm, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	sqlite3_clear_bindings(s->put);
	if (rc == SQLITE_DONE)
		return 0;
	err = fail(s, rc, "write");
	abort_txn(s);
	return err;
}

int store_del(struct store *s, const struct ip_addr *ip)
{
	char ipb[API_IP_STRLEN];
	int err, rc;

	err = begin(s);
	if (err)
		return err;
	api_format_ip(ip, ipb);
	sqlite3_bind_text(s->del, 1, ipb, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->del);
	sqlite3_reset(s->del);
	sqlite3_clear_bindings(s->del);
	if (rc == SQLITE_DONE)
		return 0;
	err = fail(s, rc, "delete");
	abort_txn(s);
	return err;
}

int store_commit(struct store *s)
{
	int rc;

	if (!s->in_txn)
		return 0;
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		s->in_txn = false;
		return 0;
	}
	rc = fail(s, rc, "commit");
	abort_txn(s);
	return rc;
}

void store_abort(struct store *s)
{
	if (s->in_txn)
		abort_txn(s);
}

/*
 * A MAC column as the API takes one: six pairs, unicast, not zero. 0, 1
 * (not a MAC) or 2 (not unicast).
 */
static int check_mac(const char *text, uint8_t mac[6])
{
	static const uint8_t zero[6];

	if (!text || api_parse_mac(text, mac))
		return 1;
	return (mac[0] & 1) || !memcmp(mac, zero, 6) ? 2 : 0;
}

/*
 * One row, checked as strictly as the API checks a request (a row it
 * would refuse is refused here, whoever wrote it); the address as fwd
 * writes it (RFC 5952 for IPv6), or two rows could name one. NULL, or
 * the field and why, for the log.
 */
static const char *parse_row(sqlite3_stmt *st, struct ip_addr *ip,
			     struct fwd_entry *e)
{
	char canon[API_IP_STRLEN];
	const char *why;
	const char *tip = (const char *)sqlite3_column_text(st, 0);
	sqlite3_int64 idx = sqlite3_column_int64(st, 1);
	const char *name = (const char *)sqlite3_column_text(st, 2);
	const char *sm = (const char *)sqlite3_column_text(st, 3);
	const char *dm = (const char *)sqlite3_column_text(st, 4);

	memset(e, 0, sizeof(*e));
	if (!tip || api_parse_ip(tip, ip, &why))
		return "ip: not an IPv4 or IPv6 address";
	why = api_ip_not_unicast(ip);
	if (why)
		return "ip: not a destination the kernel forwards as unicast";
	api_format_ip(ip, canon);
	if (strcmp(canon, tip))
		return "ip: not written as fwd writes it (RFC 5952)";
	if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || idx < 1 ||
	    idx > UINT32_MAX)
		return "ifindex: not an interface index (1..4294967295)";
	if (name && (!*name || strlen(name) >= IF_NAMESIZE))
		return "iface: not an interface name";
	e->ifindex = idx;
	if (name) {
		unsigned int now = if_nametoindex(name);

		if (now)
			e->ifindex = now;
	}
	switch (check_mac(sm, e->smac)) {
	case 1:
		return "smac: not a MAC address";
	case 2:
		return "smac: not a unicast MAC address";
	}
	switch (check_mac(dm, e->dmac)) {
	case 1:
		return "dmac: not a MAC address";
	case 2:
		return "dmac: not a unicast MAC address";
	}
	return NULL;
}

int store_load(struct store *s,
	       int (*fn)(void *arg, const struct ip_addr *ip,
			 const struct fwd_entry *e, const char *iface),
	       void *arg)
{
	sqlite3_stmt *st;
	int rc, n = 0, ret = 0;

	rc = sqlite3_prepare_v2(s->db,
				"SELECT ip, ifindex, iface, smac, dmac "
				"FROM overrides ORDER BY ip",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, "read");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct fwd_entry e;
		struct ip_addr ip;
		const char *why;

		why = parse_row(st, &ip, &e);
		if (why) {
			pr_err("state %s: table overrides, row ip = '%.64s': "
			       "%s (fix or delete the row with sqlite3 to "
			       "start)",
			       s->path, sqlite3_column_text(st, 0), why);
			ret = -EINVAL;
			break;
		}
		ret = fn(arg, &ip, &e,
			 (const char *)sqlite3_column_text(st, 2));
		if (ret)
			break;
		n++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = fail(s, rc, "read");
	sqlite3_finalize(st);
	if (!ret)
		pr_info("state %s: %d override(s) loaded", s->path, n);
	return ret;
}

/* @path + @suffix into @buf. */
static int path_of(char *buf, size_t size, const char *path, const char *suffix)
{
	int n = snprintf(buf, size, "%s%s", path, suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The older files, renamed aside: never imported twice, never lost. */
static void legacy_aside(const char *legacy)
{
	static const char *const files[] = {"", ".journal", ".journal.old"};
	char from[PATH_MAX], to[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (path_of(from, sizeof(from), legacy, files[i]) ||
		    snprintf(to, sizeof(to), "%s.imported", from) >=
			    (int)sizeof(to))
			continue;
		if (!access(from, F_OK) && rename(from, to))
			pr_warn("cannot rename %s aside: %s", from,
				strerror(errno));
	}
}

/*
 * fwd 0.1's <dir>/state.json (and journals) into the database, once: the
 * rows and the record of the import in one transaction, the files renamed
 * aside after it (a crash in between renames them at the next start).
 */
static int import_legacy(struct store *s)
{
	char dir[PATH_MAX], legacy[PATH_MAX], done[PATH_MAX + 64] = "";
	struct htab ovr;
	bool found = false;
	struct slot *sl;
	char *slash;
	uint32_t i;
	int err, n = 0;

	htab_init(&ovr, 4);

	snprintf(dir, sizeof(dir), "%s", s->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (path_of(legacy, sizeof(legacy), slash ? dir : ".", "/state.json"))
		return 0;
	err = query_text(s, "SELECT value FROM meta WHERE key = 'imported'",
			 done, sizeof(done));
	if (err)
		return err;
	if (*done) {
		legacy_aside(legacy); /* after a crash, or put back */
		return 0;
	}
	err = legacy_load(legacy, &ovr, &found);
	if (err) {
		pr_err("state %s: cannot import %s (fix it, or move it away to "
		       "start without its overrides)",
		       s->path, legacy);
		goto out;
	}
	if (!found)
		goto out;
	err = begin(s);
	htab_for_each(&ovr, i, sl)
	{
		struct ip_addr ip = {.family = AF_INET};

		if (err)
			break;
		memcpy(&ip.v4, sl->key, 4);
		err = store_put(s, &ip, &sl->e);
		n++;
	}
	if (!err) {
		sqlite3_stmt *st;
		int rc = sqlite3_prepare_v2(
			s->db,
			"INSERT OR REPLACE INTO meta VALUES ('imported', ?)",
			-1, &st, NULL);

		snprintf(done, sizeof(done), "%s at %ld", legacy,
			 (long)time(NULL));
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, done, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_finalize(st);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_OK)
			err = fail(s, rc, "import");
	}
	if (!err)
		err = store_commit(s);
	if (err) {
		store_abort(s);
		goto out;
	}
	legacy_aside(legacy);
	pr_info("state %s: %d override(s) imported from %s (renamed to "
		"%s.imported)",
		s->path, n, legacy, legacy);
out:
	htab_free(&ovr);
	return err;
}

/*
 * The database's directory, 0700, if it is missing and its parent is not
 * (/var/lib/fwd outside the unit, whose StateDirectory= makes it). Any
 * failure shows when SQLite opens the file, with the reason.
 */
static void make_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (!mkdir(dir, 0700))
		pr_info("state: created %s", dir);
}

/* The file exists and is fwd 0.1's JSON, not a database. */
static bool is_json(const char *path)
{
	char c = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (fread(&c, 1, 1, f) == 1 && (c == ' ' || c == '\n' || c == '\t'))
		;
	fclose(f);
	return c == '{';
}

/* PRAGMA quick_check's first lines, "; "-separated: "ok" if sound. */
static int quick_check(struct store *s, char *buf, size_t size)
{
	sqlite3_stmt *st;
	size_t len = 0;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(4)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, "quick_check");
	buf[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && len < size) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		len += snprintf(buf + len, size - len, "%s%s", n++ ? "; " : "",
				t ? (const char *)t : "");
	}
	sqlite3_finalize(st);
	for (char *c = buf; *c; c++) /* one log line */
		if (*c == '\n')
			*c = ' ';
	return rc == SQLITE_DONE || rc == SQLITE_ROW
		       ? 0
		       : fail(s, rc, "quick_check");
}

/* application_id and user_version, written only if they differ. */
static int ensure_header(struct store *s)
{
	char buf[32], sql[128];
	int err;

	err = query_text(s, "PRAGMA application_id", buf, sizeof(buf));
	if (!err && strtol(buf, NULL, 10) != STORE_APP_ID) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d;",
			 STORE_APP_ID);
		err = exec(s, sql, "set up");
	}
	if (!err)
		err = query_text(s, "PRAGMA user_version", buf, sizeof(buf));
	if (!err && strtol(buf, NULL, 10) != STORE_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;",
			 STORE_VERSION);
		err = exec(s, sql, "set up");
	}
	return err;
}

/* Not a stranger's database, not damaged, not from a newer fwd. */
static int check(struct store *s)
{
	char buf[256];
	long id, ver;
	int err;

	err = query_text(s, "PRAGMA application_id", buf, sizeof(buf));
	if (err)
		return err;
	id = strtol(buf, NULL, 10);
	err = query_text(s, "PRAGMA user_version", buf, sizeof(buf));
	if (err)
		return err;
	ver = strtol(buf, NULL, 10);
	if (id != STORE_APP_ID) {
		err = query_text(s, "SELECT count(*) FROM sqlite_master", buf,
				 sizeof(buf));
		if (err)
			return err;
		if (id || strcmp(buf, "0")) {
			pr_err("state %s: an SQLite database, but not fwd's "
			       "(application_id %ld)",
			       s->path, id);
			return -EINVAL;
		}
	}
	if (ver > STORE_VERSION) {
		pr_err("state %s: schema version %ld, from a newer fwd (this "
		       "one knows %d)",
		       s->path, ver, STORE_VERSION);
		return -EINVAL;
	}
	err = quick_check(s, buf, sizeof(buf));
	if (err)
		return err;
	if (strcmp(buf, "ok")) {
		pr_err("state %s: damaged: %s (restore a backup, or move it "
		       "away to start without its overrides)",
		       s->path, buf);
		return -EINVAL;
	}
	return 0;
}

/*
 * One database, one daemon: two daemons on one file would each acknowledge
 * updates the other never sees, and each restart would load the other's.
 * An open file description lock (F_OFD_SETLK) on <path>.lock, held for the
 * store's life, excludes a second store even in the same process, and the
 * kernel drops it when the owner dies (kill -9 included). The file holds
 * the owner's pid, for the refusal's message. A lock file of its own,
 * because SQLite's POSIX locks on the database would be lost with it.
 */
static int take_lock(struct store *s, mode_t mode)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	char lock[PATH_MAX], buf[32];
	ssize_t n;
	int fd, err;

	err = path_of(lock, sizeof(lock), s->path, ".lock");
	if (err)
		return err;
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		err = -errno;
		pr_err("state %s: lock file %s: %s", s->path, lock,
		       strerror(-err));
		return err;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl)) {
		err = -errno;
		if (err == -EAGAIN || err == -EACCES) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			pr_err("state %s: another fwd is running on it (pid "
			       "%s): a database has one daemon; give this "
			       "one a --state of its own",
			       s->path, *buf ? buf : "unknown");
			err = -EBUSY;
		} else {
			pr_err("state %s: cannot lock %s: %s", s->path, lock,
			       strerror(-err));
		}
		close(fd);
		return err;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n)
		pr_warn("state %s: cannot write the pid to %s: %s", s->path,
			lock, strerror(errno));
	s->lock_fd = fd;
	return 0;
}

/*
 * The database file itself, before SQLite opens it: created @mode (0600,
 * 0640 with a group) whatever the umask, or refused if another user, or
 * any group or other, can write it (a stranger could then plant
 * overrides). One that others can read is narrowed to @mode. SQLite
 * creates -wal and -shm with the database's mode, so they follow; ones
 * left wider by an older fwd are narrowed here too.
 */
static int check_file(const char *path, mode_t mode, long gid, bool main_db)
{
	struct stat st;
	int fd, err = 0;

	fd = open(path,
		  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
			  (main_db ? O_CREAT : 0),
		  mode);
	if (fd < 0)
		return errno == ENOENT && !main_db ? 0 : -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("state %s: not a regular file", path);
		err = -EINVAL;
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		pr_err("state %s: owned by uid %u, not by fwd's (%u): whoever "
		       "owns it can write overrides",
		       path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		err = -EPERM;
		goto out;
	}
	if (st.st_mode & 022) {
		pr_err("state %s: mode %04o: group or others can write it "
		       "(chmod %o it)",
		       path, (unsigned int)(st.st_mode & 07777),
		       (unsigned int)mode);
		err = -EPERM;
		goto out;
	}
	if (gid != -1 && st.st_gid != (gid_t)gid && fchown(fd, -1, gid))
		pr_warn("state %s: chgrp %ld: %s", path, gid, strerror(errno));
	if ((st.st_mode & 07777) != mode) {
		if (fchmod(fd, mode)) {
			err = -errno;
			pr_err("state %s: chmod %o: %s", path,
			       (unsigned int)mode, strerror(-err));
			goto out;
		}
		if (st.st_size)
			pr_info("state %s: mode %04o narrowed to %04o", path,
				(unsigned int)(st.st_mode & 07777),
				(unsigned int)mode);
	}
out:
	close(fd);
	return err;
}

/* The database and the files SQLite keeps beside it. */
static int check_files(const char *path, mode_t mode, long gid)
{
	static const char *const extra[] = {"-wal", "-shm", "-journal"};
	char p[PATH_MAX];
	int err;

	err = check_file(path, mode, gid, true);
	if (err) {
		if (err != -EPERM && err != -EINVAL)
			pr_err("state %s: %s", path, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		err = path_of(p, sizeof(p), path, extra[i]);
		if (!err)
			err = check_file(p, mode, gid, false);
		if (err)
			return err;
	}
	return 0;
}

int store_open(struct store **out, const char *path)
{
	return store_open_group(out, path, -1);
}

int store_open_group(struct store **out, const char *path, long gid)
{
	mode_t mode = gid == -1 ? 0600 : 0640;
	char buf[64], sql[128];
	struct store *s;
	int rc, err;

	if (is_json(path)) {
		pr_err("state %s: a JSON state file of fwd 0.1; give --state a "
		       "new file in its directory (default "
		       "/var/lib/fwd/fwd.db) and fwd imports the directory's "
		       "state.json",
		       path);
		return -EINVAL;
	}
	make_dir(path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->path = strdup(path);
	if (!s->path) {
		free(s);
		return -ENOMEM;
	}
	err = take_lock(s, mode);
	if (!err)
		err = check_files(path, mode, gid);
	if (err)
		goto err;
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		err = fail(s, rc, "open");
		goto err;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* no lookaside arena (~120 KiB): one connection, few statements */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 0, 0);
	err = check(s);
	if (err)
		goto err;
	err = query_text(s, "PRAGMA journal_mode = WAL", buf, sizeof(buf));
	if (!err && strcmp(buf, "wal")) {
		pr_err("state %s: cannot use WAL mode (journal mode %s)", path,
		       buf);
		err = -EINVAL;
	}
	if (err)
		goto err;
	snprintf(sql, sizeof(sql),
		 "PRAGMA synchronous = FULL; PRAGMA cache_size = -%d;",
		 STORE_CACHE_KIB);
	err = exec(s, sql, "set up");
	if (err)
		goto err;
	/*
	 * Only a new database is written to here: opening an existing,
	 * healthy one must need no free space (after a full disk and a
	 * crash, fwd starts, forwards what is stored, and refuses updates
	 * with 1200 until space returns). The header's ids and the schema
	 * are written once; CREATE ... IF NOT EXISTS of existing tables
	 * writes nothing.
	 */
	err = ensure_header(s);
	if (!err)
		err = exec(s, schema, "create the tables");
	if (err)
		goto err;
	rc = sqlite3_prepare_v3(s->db,
				"INSERT OR REPLACE INTO overrides "
				"(ip, ifindex, iface, smac, dmac) "
				"VALUES (?, ?, ?, ?, ?)",
				-1, SQLITE_PREPARE_PERSISTENT, &s->put, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(
			s->db, "DELETE FROM overrides WHERE ip = ?", -1,
			SQLITE_PREPARE_PERSISTENT, &s->del, NULL);
	if (rc != SQLITE_OK) {
		err = fail(s, rc, "prepare");
		goto err;
	}
	err = import_legacy(s);
	if (err)
		goto err;
	*out = s;
	return 0;
err:
	store_close(s);
	return err;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	store_abort(s);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	/* the last connection checkpoints the WAL into the database */
	sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* last: the files are closed */
	free(s->path);
	free(s);
}
