// SPDX-License-Identifier: GPL-2.0
/*
 * test_store.c - overrides in SQLite, and the one-time import of fwd 0.1's
 * state file and journals. No root needed: a database in a temporary
 * directory, read back through the store and through SQLite directly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "test_util.h"

struct fix {
	char dir[64];
	char db[128];
	char json[128]; /* <dir>/state.json */
	char journal[160];
};

struct rows {
	int n;
	struct ip_addr ip[16];
	struct fwd_entry e[16];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/fwd-test-store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/fwd.db", f->dir);
	snprintf(f->json, sizeof(f->json), "%s/state.json", f->dir);
	snprintf(f->journal, sizeof(f->journal), "%s.journal", f->json);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int collect(void *arg, const struct ip_addr *ip,
		   const struct fwd_entry *e, const char *iface)
{
	struct rows *r = arg;

	(void)iface;
	if (r->n < 16) {
		r->ip[r->n] = *ip;
		r->e[r->n] = *e;
	}
	r->n++;
	return 0;
}

/* Open, load everything, close: what a restart would find. */
static int reopen(struct fix *f, struct rows *r)
{
	struct store *s;
	int err;

	memset(r, 0, sizeof(*r));
	err = store_open(&s, f->db);
	if (err)
		return err;
	err = store_load(s, collect, r);
	store_close(s);
	return err;
}

static bool has(const struct rows *r, const char *ip, const struct fwd_entry *e)
{
	for (int i = 0; i < r->n && i < 16; i++)
		if (!api_ip_cmp(&r->ip[i], IPA(ip)))
			return !e || !memcmp(&r->e[i], e, sizeof(*e));
	return false;
}

static void sql(const char *db, const char *stmt)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static void write_text(const char *path, const char *mode, const char *text)
{
	FILE *fp = fopen(path, mode);

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* The database and its WAL files, as an operator would remove it. */
static void rm_db(const struct fix *f)
{
	char p[160];

	unlink(f->db);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
}

static bool exists(const char *path)
{
	return !access(path, F_OK);
}

static void test_commit_is_what_a_restart_finds(void **state)
{
	struct fix *f = *state;
	struct fwd_entry a = ent(1, 1), b = ent(1, 2);
	struct store *s;
	struct rows r;

	(void)state;
	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_put(s, IPA("10.0.0.1"), &a), 0);
	assert_int_equal(store_put(s, IPA("10.0.0.2"), &b), 0);
	assert_int_equal(store_commit(s), 0);
	/* a second transaction: change one, delete one, never committed */
	assert_int_equal(store_put(s, IPA("10.0.0.1"), &b), 0);
	assert_int_equal(store_del(s, IPA("10.0.0.2")), 0);
	store_abort(s);
	assert_int_equal(store_commit(s), 0); /* nothing open: fine */
	/* a third, committed */
	assert_int_equal(store_put(s, IPA("10.0.0.3"), &a), 0);
	assert_int_equal(store_del(s, IPA("10.0.0.2")), 0);
	assert_int_equal(store_commit(s), 0);
	/* open, not committed at close: gone, as after kill -9 */
	assert_int_equal(store_put(s, IPA("10.0.0.4"), &a), 0);
	store_close(s);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(has(&r, "10.0.0.1", &a));
	assert_true(has(&r, "10.0.0.3", &a));
	assert_false(has(&r, "10.0.0.2", NULL));
	assert_false(has(&r, "10.0.0.4", NULL));
}

static void test_a_missing_directory_is_made(void **state)
{
	struct fix *f = *state;
	char db[160];
	struct rows r;

	/* /var/lib/fwd outside the unit: made 0700; deeper, not */
	snprintf(f->db, sizeof(f->db), "%s/lib/fwd.db", f->dir);
	assert_int_equal(reopen(f, &r), 0);
	snprintf(db, sizeof(db), "%s/lib", f->dir);
	{
		struct stat st;

		assert_int_equal(stat(db, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0700);
	}
	snprintf(f->db, sizeof(f->db), "%s/no/such/fwd.db", f->dir);
	assert_int_not_equal(reopen(f, &r), 0);
}

static void test_rows_read_as_the_api_writes_them(void **state)
{
	struct fix *f = *state;
	struct fwd_entry e = ent(1, 2);
	struct store *s;
	struct rows r;

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_put(s, IPA("10.0.0.7"), &e), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	/* text an operator reads with sqlite3: the interface by name too */
	{
		sqlite3 *h;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
		assert_int_equal(
			sqlite3_prepare_v2(h,
					   "SELECT ip, ifindex, iface,"
					   " smac, dmac FROM overrides",
					   -1, &st, NULL),
			SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal(sqlite3_column_text(st, 0), "10.0.0.7");
		assert_int_equal(sqlite3_column_int(st, 1), 1);
		assert_string_equal(sqlite3_column_text(st, 2), "lo");
		assert_string_equal(sqlite3_column_text(st, 3),
				    "02:00:00:00:00:01");
		assert_string_equal(sqlite3_column_text(st, 4),
				    "02:00:00:00:0d:02");
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* the saved name wins over a stale index: "lo" is 1 everywhere */
	sql(f->db, "UPDATE overrides SET ifindex = 77");
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.e[0].ifindex, 1);
	/* a name gone: the saved index */
	sql(f->db, "UPDATE overrides SET iface = 'gone0'");
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.e[0].ifindex, 77);
}

static void test_ipv6_rows_are_rfc5952_text(void **state)
{
	struct fix *f = *state;
	struct fwd_entry e = ent(1, 2);
	struct store *s;
	struct rows r;

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_put(s, IPA("2001:DB8:0:0::7"), &e), 0);
	assert_int_equal(store_put(s, IPA("10.0.0.7"), &e), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(has(&r, "2001:db8::7", &e));
	assert_true(has(&r, "10.0.0.7", &e));
	/* the text an operator finds, and deletes by */
	sql(f->db, "DELETE FROM overrides WHERE ip = '2001:db8::7'");
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(store_put(s, IPA("2001:db8::8"), &e), 0);
	assert_int_equal(store_del(s, IPA("2001:0db8::8")), 0);
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 1);
}

static void test_a_bad_row_stops_the_start(void **state)
{
	static const char *const bad[] = {
		"UPDATE overrides SET ip = '10.0.0.300'",
		"UPDATE overrides SET ifindex = 0",
		"UPDATE overrides SET ifindex = '4x'",
		"UPDATE overrides SET dmac = '02:00:00:00:00'",
		"UPDATE overrides SET smac = 'zz:00:00:00:00:01'",
		/* IPv6: not as fwd writes it (two rows could name one) */
		"UPDATE overrides SET ip = '2001:DB8::7'",
		"UPDATE overrides SET ip = '2001:db8:0::7'",
		"UPDATE overrides SET ip = 'fe80::7'",
		"UPDATE overrides SET ip = '::ffff:10.0.0.7'",
		"UPDATE overrides SET ip = '224.0.0.7'",
		/* issue 25 item 5: what the API refuses, a row may not say */
		"UPDATE overrides SET dmac = '01:00:5e:00:00:01'",
		"UPDATE overrides SET dmac = '00:00:00:00:00:00'",
		"UPDATE overrides SET smac = 'ff:ff:ff:ff:ff:ff'",
		"UPDATE overrides SET smac = '33:33:00:00:00:01'",
		"UPDATE overrides SET iface = ''",
		"UPDATE overrides SET iface = 'a-name-too-long-for-linux'",
	};
	struct fix *f = *state;
	struct fwd_entry e = ent(1, 2);
	struct store *s;
	struct rows r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rm_db(f);
		assert_int_equal(store_open(&s, f->db), 0);
		assert_int_equal(store_put(s, IPA("10.0.0.7"), &e), 0);
		assert_int_equal(store_commit(s), 0);
		store_close(s);
		sql(f->db, bad[i]);
		assert_int_equal(reopen(f, &r), -EINVAL);
	}
}

static void test_strangers_and_damage_are_refused(void **state)
{
	struct fix *f = *state;
	struct fwd_entry e = ent(1, 2);
	struct store *s;
	struct rows r;
	FILE *fp;

	/* another program's database */
	sql(f->db, "CREATE TABLE t (x); INSERT INTO t VALUES (1)");
	assert_int_equal(store_open(&s, f->db), -EINVAL);
	rm_db(f);
	/* a newer fwd's */
	assert_int_equal(reopen(f, &r), 0);
	sql(f->db, "PRAGMA user_version = 2");
	assert_int_equal(store_open(&s, f->db), -EINVAL);
	rm_db(f);
	/* fwd 0.1's JSON given as --state */
	write_text(f->db, "w", "{\"version\":1,\"overrides\":[]}");
	assert_int_equal(store_open(&s, f->db), -EINVAL);
	rm_db(f);
	/* not a database at all */
	write_text(f->db, "w", "this is not SQLite, just 16 bytes+ of text\n");
	assert_int_not_equal(store_open(&s, f->db), 0);
	rm_db(f);
	/* a database whose pages were overwritten */
	assert_int_equal(store_open(&s, f->db), 0);
	for (int i = 0; i < 200; i++) {
		char ip[16];

		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, 1 + i % 250);
		assert_int_equal(store_put(s, IPA(ip), &e), 0);
	}
	assert_int_equal(store_commit(s), 0);
	store_close(s);
	fp = fopen(f->db, "r+");
	assert_non_null(fp);
	/* every page but the first (the header): b-tree pages of rows */
	assert_int_equal(fseek(fp, 4096, SEEK_SET), 0);
	for (int i = 0; i < 8192; i++)
		fputc(0xab, fp);
	fclose(fp);
	assert_int_not_equal(reopen(f, &r), 0);
}

/* ---- fwd 0.1's files ----------------------------------------------------- */

#define OVR(ip, tag)                                                          \
	"{\"ip\":\"" ip "\",\"ifindex\":1,\"iface\":\"lo\",\"smac\":\"02:00:" \
	"00:00:00:01\",\"dmac\":\"02:00:00:00:0d:" tag "\"}"

/* One journal batch as fwd 0.1 wrote it: records, then a commit marker. */
static void batch(const char *path, const char *const *rec, int n)
{
	char buf[4096], line[600];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		unsigned long c =
			crc32(0, (const Bytef *)rec[i], strlen(rec[i]));

		len += snprintf(buf + len, sizeof(buf) - len, "%08lx %s\n", c,
				rec[i]);
	}
	snprintf(line, sizeof(line),
		 "{\"commit\":%d,\"bytes\":%zu,\"crc\":\"%08lx\"}", n, len,
		 crc32(0, (const Bytef *)buf, len));
	snprintf(buf + len, sizeof(buf) - len, "%08lx %s\n",
		 crc32(0, (const Bytef *)line, strlen(line)), line);
	write_text(path, "a", buf);
}

static void test_state_json_and_journals_are_imported_once(void **state)
{
	static const char *const b1[] = {OVR("10.0.0.2", "22"),
					 "{\"ip\":\"10.0.0.3\"}"};
	static const char *const b2[] = {OVR("10.0.0.4", "04")};
	static const char *const old[] = {OVR("10.0.0.5", "05")};
	struct fix *f = *state;
	struct fwd_entry two = ent(1, 0x22), four = ent(1, 4), one = ent(1, 1);
	char path[256];
	struct rows r;

	write_text(
		f->json, "w",
		"{\"version\":1,\"overrides\":[" OVR("10.0.0.1", "01") "," OVR(
			"10.0.0.2", "02") "," OVR("10.0.0.3", "03") "]}");
	/* the interrupted fold (replayed first), then the journal */
	snprintf(path, sizeof(path), "%s.old", f->journal);
	batch(path, old, 1);
	batch(f->journal, b1, 2);
	batch(f->journal, b2, 1);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 4);
	assert_true(has(&r, "10.0.0.1", &one));
	assert_true(has(&r, "10.0.0.2", &two));	 /* changed */
	assert_false(has(&r, "10.0.0.3", NULL)); /* deleted */
	assert_true(has(&r, "10.0.0.4", &four)); /* added */
	assert_true(has(&r, "10.0.0.5", NULL));
	/* renamed aside, all three */
	assert_false(exists(f->json));
	assert_false(exists(f->journal));
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s.imported", f->json);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s.imported", f->journal);
	assert_true(exists(path));
	/* once: a state.json put back later is not imported again */
	write_text(f->json, "w",
		   "{\"version\":1,\"overrides\":[" OVR("10.0.0.9", "09") "]}");
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 4);
	assert_false(has(&r, "10.0.0.9", NULL));
	assert_false(exists(f->json));
}

static void test_a_crash_after_the_import_commit_renames_only(void **state)
{
	struct fix *f = *state;
	struct rows r;

	/* the import committed, the rename did not happen */
	assert_int_equal(reopen(f, &r), 0);
	sql(f->db, "INSERT INTO meta VALUES ('imported', 'x')");
	write_text(f->json, "w",
		   "{\"version\":1,\"overrides\":[" OVR("10.0.0.9", "09") "]}");
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 0);
	assert_false(exists(f->json));
}

static void test_a_torn_last_batch_is_not_imported(void **state)
{
	static const char *const b1[] = {OVR("10.0.0.2", "02")};
	static const char *const b2[] = {OVR("10.0.0.3", "03"),
					 OVR("10.0.0.4", "04")};
	struct fix *f = *state;
	struct rows r;
	char *buf;
	long len;
	FILE *fp;

	batch(f->journal, b1, 1);
	batch(f->journal, b2, 2);
	/* the second batch's marker never reached the disk */
	fp = fopen(f->journal, "r");
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	buf = calloc(1, len + 1);
	rewind(fp);
	assert_int_equal(fread(buf, 1, len, fp), (size_t)len);
	fclose(fp);
	assert_int_equal(truncate(f->journal, len - 20), 0);
	free(buf);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 1);
	assert_true(has(&r, "10.0.0.2", NULL));
	assert_false(has(&r, "10.0.0.3", NULL));
}

static void test_damage_before_a_commit_stops_the_import(void **state)
{
	static const char *const b1[] = {OVR("10.0.0.2", "02")};
	struct fix *f = *state;
	struct store *s;
	struct rows r;

	batch(f->journal, b1, 1);
	write_text(f->journal, "a", "0badc0de {\"ip\":\"10.0.0.7\"}\n");
	batch(f->journal, b1, 1); /* a later commit: not a torn write */
	assert_int_equal(store_open(&s, f->db), -EINVAL);
	/* nothing imported, nothing renamed: fix it and start again */
	assert_true(exists(f->journal));
	unlink(f->journal);
	batch(f->journal, b1, 1);
	assert_int_equal(reopen(f, &r), 0);
	assert_int_equal(r.n, 1);
}

static void test_a_malformed_state_json_stops_the_import(void **state)
{
	static const char *const bad[] = {
		"{\"version\":1,\"overrides\":[",
		"{\"version\":2,\"overrides\":[]}",
		"{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0.300\","
		"\"ifindex\":1,\"smac\":\"02:00:00:00:00:01\","
		"\"dmac\":\"02:00:00:00:00:02\"}]}",
		"{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0.3\","
		"\"ifindex\":1.5,\"smac\":\"02:00:00:00:00:01\","
		"\"dmac\":\"02:00:00:00:00:02\"}]}",
		"{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0.3\","
		"\"ifindex\":1,\"smac\":\"02:00:00:00:00:01\","
		"\"dmac\":\"02:00:00:00:00\"}]}",
	};
	struct fix *f = *state;
	struct store *s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(f->json, "w", bad[i]);
		assert_int_equal(store_open(&s, f->db), -EINVAL);
		assert_true(exists(f->json));
	}
}

/* The permission bits of @path, or -1 if it is missing. */
static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/*
 * Issue 25 item 1: a second store on one database is refused (-EBUSY)
 * while the first is open, whoever opens it, and the lock file names the
 * owner's pid; once the owner is closed, the database opens again.
 */
static void test_a_database_has_one_owner(void **state)
{
	struct fix *f = *state;
	struct store *a, *b = NULL;
	char lock[160], pid[32], want[32];
	FILE *fp;

	assert_int_equal(store_open(&a, f->db), 0);
	assert_int_equal(store_open(&b, f->db), -EBUSY);
	assert_null(b);
	snprintf(lock, sizeof(lock), "%s.lock", f->db);
	fp = fopen(lock, "re");
	assert_non_null(fp);
	assert_non_null(fgets(pid, sizeof(pid), fp));
	fclose(fp);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(pid, want);
	store_close(a);
	assert_int_equal(store_open(&b, f->db), 0);
	store_close(b);
}

/*
 * Issue 25 item 4: whatever the umask, the database and its -wal and -shm
 * are created 0600 (0640 with a group), the lock file too.
 */
static void test_files_are_private_whatever_the_umask(void **state)
{
	struct fix *f = *state;
	char p[160];
	struct store *s;
	struct stat st;
	mode_t old = umask(0);

	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(
		store_put(s, IPA("10.0.0.1"),
			  &(struct fwd_entry){.ifindex = 1,
					      .smac = {2, 0, 0, 0, 0, 1},
					      .dmac = {2, 0, 0, 0, 0, 2}}),
		0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(mode_of(f->db), 0600);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s.lock", f->db);
	assert_int_equal(mode_of(p), 0600);
	store_close(s);
	rm_db(f);
	unlink(p);

	/* --control-group: the group reads, nobody else */
	assert_int_equal(store_open_group(&s, f->db, 65534), 0);
	assert_int_equal(
		store_put(s, IPA("10.0.0.1"),
			  &(struct fwd_entry){.ifindex = 1,
					      .smac = {2, 0, 0, 0, 0, 1},
					      .dmac = {2, 0, 0, 0, 0, 2}}),
		0);
	assert_int_equal(store_commit(s), 0);
	assert_int_equal(mode_of(f->db), 0640);
	assert_int_equal(stat(f->db, &st), 0);
	if (geteuid() == 0)
		assert_int_equal(st.st_gid, 65534);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	assert_int_equal(mode_of(p), 0640);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	assert_int_equal(mode_of(p), 0640);
	store_close(s);
	umask(old);
}

/*
 * Issue 25 item 4: a database that group or others can write is refused
 * (they could plant overrides); one others can only read is narrowed.
 */
static void test_a_database_others_can_write_is_refused(void **state)
{
	struct fix *f = *state;
	struct store *s;

	assert_int_equal(store_open(&s, f->db), 0);
	store_close(s);
	assert_int_equal(chmod(f->db, 0666), 0);
	assert_int_equal(store_open(&s, f->db), -EPERM);
	assert_int_equal(mode_of(f->db), 0666);
	assert_int_equal(chmod(f->db, 0620), 0);
	assert_int_equal(store_open(&s, f->db), -EPERM);
	assert_int_equal(chmod(f->db, 0644), 0);
	assert_int_equal(store_open(&s, f->db), 0);
	assert_int_equal(mode_of(f->db), 0600);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_commit_is_what_a_restart_finds),
		T(test_a_missing_directory_is_made),
		T(test_rows_read_as_the_api_writes_them),
		T(test_ipv6_rows_are_rfc5952_text),
		T(test_a_bad_row_stops_the_start),
		T(test_strangers_and_damage_are_refused),
		T(test_state_json_and_journals_are_imported_once),
		T(test_a_crash_after_the_import_commit_renames_only),
		T(test_a_torn_last_batch_is_not_imported),
		T(test_damage_before_a_commit_stops_the_import),
		T(test_a_malformed_state_json_stops_the_import),
		T(test_a_database_has_one_owner),
		T(test_files_are_private_whatever_the_umask),
		T(test_a_database_others_can_write_is_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
