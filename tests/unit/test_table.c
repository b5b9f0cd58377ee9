// SPDX-License-Identifier: GPL-2.0
/*
 * test_table.c - the table module against real BPF hash maps shaped like
 * hfwd and fwd_ovr (and hfwd6, fwd_ovr6): every test asserts what the maps hold, read back with
 * bpf syscalls, not what the table says about itself; what it makes
 * durable is read back through a store of its own. Needs root (or
 * CAP_BPF); skips otherwise. The store's own rules: test_store.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <net/if.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "loop.h"
#include "store.h"
#include "table.h"
#include "test_util.h"

/* An IPv4 destination as the table takes it. */
#define A4(x) (&(struct ip_addr){.family = AF_INET, .v4 = (x)})

struct fixture {
	int hfwd, ovr, hfwd6, ovr6;
	char dir[64];
	char state[128];
	struct store *store;
	struct table *t;
};

static int make_maps(struct fixture *f, uint32_t max_entries)
{
	f->hfwd = bpf_map_create(BPF_MAP_TYPE_HASH, "hfwd", 4,
				 sizeof(struct fwd_entry), max_entries, NULL);
	if (f->hfwd < 0)
		return -errno;
	f->ovr = bpf_map_create(BPF_MAP_TYPE_HASH, "fwd_ovr", 4,
				sizeof(struct fwd_ovr), max_entries, NULL);
	if (f->ovr < 0)
		return -errno;
	f->hfwd6 = bpf_map_create(BPF_MAP_TYPE_HASH, "hfwd6", 16,
				  sizeof(struct fwd_entry), max_entries, NULL);
	if (f->hfwd6 < 0)
		return -errno;
	f->ovr6 = bpf_map_create(BPF_MAP_TYPE_HASH, "fwd_ovr6", 16,
				 sizeof(struct fwd_ovr), max_entries, NULL);
	if (f->ovr6 < 0)
		return -errno;
	return 0;
}

static int setup_n(void **state, uint32_t max_entries)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct table_opts o = {};

	f->hfwd = f->ovr = f->hfwd6 = f->ovr6 = -1;
	strcpy(f->dir, "/tmp/fwd-test-table.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/fwd.db", f->dir);
	if (make_maps(f, max_entries)) {
		*state = f;
		return 0; /* tests skip on f->hfwd < 0 */
	}
	o.v4 = (struct table_maps){f->hfwd, f->ovr};
	o.v6 = (struct table_maps){f->hfwd6, f->ovr6};
	assert_int_equal(store_open(&f->store, f->state), 0);
	o.store = f->store;
	assert_int_equal(table_new(&f->t, &o), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 1024);
}

static int setup_small(void **state)
{
	return setup_n(state, 4);
}

static int setup_big(void **state)
{
	return setup_n(state, 110000);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	table_free(f->t);
	store_close(f->store);
	if (f->hfwd >= 0)
		close(f->hfwd);
	if (f->ovr >= 0)
		close(f->ovr);
	if (f->hfwd6 >= 0)
		close(f->hfwd6);
	if (f->ovr6 >= 0)
		close(f->ovr6);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

#define NEED_BPF(f)                                                 \
	do {                                                        \
		if ((f)->ovr6 < 0)                                  \
			skip(); /* no BPF: not root / no CAP_BPF */ \
	} while (0)

static uint32_t map_count(int fd)
{
	uint32_t key, next, *prev = NULL, n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static bool hfwd_is(struct fixture *f, uint32_t ip, const struct fwd_entry *e)
{
	struct fwd_entry v;

	if (bpf_map_lookup_elem(f->hfwd, &ip, &v))
		return false;
	return !memcmp(&v, e, sizeof(v));
}

static bool hfwd_has(struct fixture *f, uint32_t ip)
{
	struct fwd_entry v;

	return !bpf_map_lookup_elem(f->hfwd, &ip, &v);
}

static bool ovr_has(struct fixture *f, uint32_t ip)
{
	struct fwd_ovr v;

	if (bpf_map_lookup_elem(f->ovr, &ip, &v))
		return false;
	return v.set == 1;
}

static void test_learned_entry_is_written_to_hfwd_at_once(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), b = ent(3, 2);

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a));
	assert_false(ovr_has(f, ip4("10.0.0.1")));
	/* lladdr change follows */
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &b), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &b));
	assert_int_equal(map_count(f->hfwd), 1);
}

static void test_learn_del_removes_the_key(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1);

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.2")), &a), 0);
	assert_int_equal(table_learn_del(f->t, A4(ip4("10.0.0.1"))), 0);
	assert_false(hfwd_has(f, ip4("10.0.0.1")));
	assert_true(hfwd_has(f, ip4("10.0.0.2")));
	assert_int_equal(table_learn_del(f->t, A4(ip4("10.0.0.1"))), -ENOENT);
	assert_int_equal(map_count(f->hfwd), 1);
}

static void test_address_zero_is_refused(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1);

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(0), &a), -EINVAL);
	assert_int_equal(table_override_set(f->t, A4(0), &a), -EINVAL);
	assert_int_equal(map_count(f->hfwd), 0);
}

static void test_override_beats_learned_and_marks_fwd_ovr(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry l1 = ent(3, 1), l2 = ent(3, 2), o = ent(4, 9), got;
	uint32_t ip = ip4("10.0.0.5");
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip), &l1), 0);
	assert_int_equal(table_override_set(f->t, A4(ip), &o), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_true(ovr_has(f, ip));
	/* a learned change under an override leaves hfwd alone */
	assert_int_equal(table_learn_set(f->t, A4(ip), &l2), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_int_equal(table_learned(f->t, A4(ip), &got), 0);
	assert_memory_equal(&got, &l2, sizeof(got));
	assert_int_equal(table_lookup(f->t, A4(ip), &row), 0);
	assert_true(row.override);
	assert_memory_equal(&row.entry, &o, sizeof(o));
	/* and a learned delete too */
	assert_int_equal(table_learn_del(f->t, A4(ip)), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_true(ovr_has(f, ip));
}

static void test_deleting_override_restores_latest_learned(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry l1 = ent(3, 1), l2 = ent(3, 2), o = ent(4, 9);
	uint32_t ip = ip4("10.0.0.5");
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip), &l1), 0);
	assert_int_equal(table_override_set(f->t, A4(ip), &o), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip), &l2), 0);
	assert_int_equal(table_override_del(f->t, A4(ip)), 0);
	assert_true(hfwd_is(f, ip, &l2));
	assert_false(ovr_has(f, ip));
	assert_int_equal(table_lookup(f->t, A4(ip), &row), 0);
	assert_false(row.override);
	assert_int_equal(table_override_del(f->t, A4(ip)), -ENOENT);
}

static void test_deleting_override_without_learned_removes_key(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9);
	uint32_t ip = ip4("192.168.1.1");
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, A4(ip), &o), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_int_equal(table_override_del(f->t, A4(ip)), 0);
	assert_false(hfwd_has(f, ip));
	assert_false(ovr_has(f, ip));
	assert_int_equal(table_lookup(f->t, A4(ip), &row), -ENOENT);
	assert_int_equal(map_count(f->hfwd), 0);
	assert_int_equal(map_count(f->ovr), 0);
}

static void test_resync_defers_writes_and_sweeps_unconfirmed(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), a2 = ent(3, 7), b = ent(3, 2);
	struct table_stats st;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.2")), &b), 0);
	table_resync_begin(f->t);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a2), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.3")), &b), 0);
	/* nothing written while the resync is open: no half-synced map */
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a));
	assert_true(hfwd_has(f, ip4("10.0.0.2")));
	assert_false(hfwd_has(f, ip4("10.0.0.3")));
	assert_int_equal(table_resync_end(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a2));
	assert_false(hfwd_has(f, ip4("10.0.0.2")));
	assert_true(hfwd_is(f, ip4("10.0.0.3"), &b));
	assert_int_equal(map_count(f->hfwd), 2);
	table_get_stats(f->t, &st);
	assert_int_equal(st.learned, 2);
	assert_int_equal(st.reconciles, 1);
}

static void test_resync_never_sweeps_overrides(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9);

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.9.9.9")), &o), 0);
	table_resync_begin(f->t);
	assert_int_equal(table_resync_end(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.9.9.9"), &o));
	assert_true(ovr_has(f, ip4("10.9.9.9")));
}

static void test_nested_resync_reconciles_once_at_outer_end(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1);
	struct table_stats st;

	NEED_BPF(f);
	table_resync_begin(f->t);
	table_resync_begin(f->t);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_int_equal(table_resync_end(f->t), 0);
	assert_false(hfwd_has(f, ip4("10.0.0.1")));
	assert_int_equal(table_resync_end(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a));
	table_get_stats(f->t, &st);
	assert_int_equal(st.reconciles, 1);
	assert_int_equal(table_resync_end(f->t), -EINVAL);
}

static void test_reconcile_removes_stray_and_fixes_values(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), wrong = ent(5, 5), o = ent(4, 9);
	struct fwd_ovr mark = {.set = 1};
	uint32_t stray = ip4("172.16.0.1"), ip_a = ip4("10.0.0.1");
	uint32_t ip_o = ip4("10.0.0.9");

	NEED_BPF(f);
	/* what a previous instance might have left behind */
	assert_int_equal(bpf_map_update_elem(f->hfwd, &stray, &wrong, 0), 0);
	assert_int_equal(bpf_map_update_elem(f->ovr, &stray, &mark, 0), 0);
	assert_int_equal(bpf_map_update_elem(f->hfwd, &ip_a, &wrong, 0), 0);
	assert_int_equal(bpf_map_update_elem(f->ovr, &ip_a, &mark, 0), 0);
	table_resync_begin(f->t);
	assert_int_equal(table_learn_set(f->t, A4(ip_a), &a), 0);
	assert_int_equal(table_override_set(f->t, A4(ip_o), &o), 0);
	assert_int_equal(table_resync_end(f->t), 0);
	assert_false(hfwd_has(f, stray));
	assert_false(ovr_has(f, stray));
	assert_true(hfwd_is(f, ip_a, &a));
	assert_false(ovr_has(f, ip_a));
	assert_true(hfwd_is(f, ip_o, &o));
	assert_true(ovr_has(f, ip_o));
	assert_int_equal(map_count(f->hfwd), 2);
	assert_int_equal(map_count(f->ovr), 1);
}

static int collect(const struct table_row *row, void *ctx)
{
	struct table_row *rows = ctx;
	int i = 0;

	while (rows[i].ip.family)
		i++;
	rows[i] = *row;
	return 0;
}

static void test_walk_is_ordered_and_tells_the_source(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), o = ent(4, 9);
	struct table_row rows[8] = {};

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.200")), &a), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip4("9.255.0.1")), &a), 0);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.3")), &a), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.3")), &o), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.20")), &o), 0);
	assert_int_equal(table_walk(f->t, collect, rows), 0);
	assert_int_equal(rows[0].ip.v4, ip4("9.255.0.1"));
	assert_false(rows[0].override);
	assert_int_equal(rows[1].ip.v4, ip4("10.0.0.3"));
	assert_true(rows[1].override);
	assert_memory_equal(&rows[1].entry, &o, sizeof(o));
	assert_int_equal(rows[2].ip.v4, ip4("10.0.0.20"));
	assert_true(rows[2].override);
	assert_int_equal(rows[3].ip.v4, ip4("10.0.0.200"));
	assert_false(rows[3].override);
	assert_int_equal(rows[4].ip.family, 0);
}

/* The rows a fresh store on the fixture's database holds. */
struct rows {
	int n;
	struct ip_addr ip[8];
	struct fwd_entry e[8];
};

static int collect_row(void *arg, const struct ip_addr *ip,
		       const struct fwd_entry *e)
{
	struct rows *r = arg;

	if (r->n < 8) {
		r->ip[r->n] = *ip;
		r->e[r->n] = *e;
	}
	r->n++;
	return 0;
}

/*
 * What the database holds, read with SQLite itself: the table's store
 * owns the database (a second store would be refused), and what counts is
 * what a restart would find on disk.
 */
static struct rows on_disk(struct fixture *f)
{
	struct rows r = {};
	sqlite3_stmt *st;
	sqlite3 *db;

	assert_int_equal(
		sqlite3_open_v2(f->state, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT ip, ifindex, smac, dmac "
					    "FROM overrides ORDER BY ip",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct fwd_entry e = {};
		struct ip_addr ip;
		const char *why;

		assert_int_equal(
			api_parse_ip((const char *)sqlite3_column_text(st, 0),
				     &ip, &why),
			0);
		e.ifindex = sqlite3_column_int64(st, 1);
		assert_int_equal(
			api_parse_mac((const char *)sqlite3_column_text(st, 2),
				      e.smac),
			0);
		assert_int_equal(
			api_parse_mac((const char *)sqlite3_column_text(st, 3),
				      e.dmac),
			0);
		collect_row(&r, &ip, &e);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

static void test_flush_commits_the_overrides_only(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9), a = ent(3, 1);
	struct rows r;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.9")), &o), 0);
	assert_true(table_dirty(f->t));
	/* not durable before flush */
	assert_int_equal(on_disk(f).n, 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_false(table_dirty(f->t));
	r = on_disk(f);
	assert_int_equal(r.n, 1); /* learned not saved */
	assert_int_equal(r.ip[0].v4, ip4("10.0.0.9"));
	assert_memory_equal(&r.e[0], &o, sizeof(o));
	/* a delete is a change too; a clean table commits nothing */
	assert_int_equal(table_override_del(f->t, A4(ip4("10.0.0.9"))), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(on_disk(f).n, 0);
	assert_int_equal(table_flush(f->t), 0);
}

static void test_overrides_survive_a_restart(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o1 = ent(4, 9), o2 = ent(5, 8);
	struct table_opts opts = {.v4 = {f->hfwd, f->ovr},
				  .v6 = {f->hfwd6, f->ovr6}};
	struct table_row row;
	uint32_t k = ip4("10.0.0.9"), empty;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.9")), &o1), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.10")), &o2),
			 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.11")), &o2),
			 0);
	assert_int_equal(table_override_del(f->t, A4(ip4("10.0.0.11"))), 0);
	assert_int_equal(table_flush(f->t), 0);
	/* applied, never flushed: not acknowledged, not kept */
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.12")), &o2),
			 0);
	table_free(f->t);
	f->t = NULL;
	store_close(f->store);
	f->store = NULL;
	/* the maps are lost too: a restart from scratch */
	for (k = 0; !bpf_map_get_next_key(f->hfwd, NULL, &k);)
		bpf_map_delete_elem(f->hfwd, &k);
	for (k = 0; !bpf_map_get_next_key(f->ovr, NULL, &k);)
		bpf_map_delete_elem(f->ovr, &k);
	assert_true(bpf_map_get_next_key(f->hfwd, NULL, &empty) < 0);

	assert_int_equal(store_open(&f->store, f->state), 0);
	opts.store = f->store;
	assert_int_equal(table_new(&f->t, &opts), 0);
	assert_int_equal(table_load(f->t), 0);
	assert_false(table_dirty(f->t));
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.9")), &row), 0);
	assert_true(row.override);
	assert_memory_equal(&row.entry, &o1, sizeof(o1));
	assert_int_equal(table_reconcile(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.9"), &o1));
	assert_true(hfwd_is(f, ip4("10.0.0.10"), &o2));
	assert_false(hfwd_has(f, ip4("10.0.0.11")));
	assert_false(hfwd_has(f, ip4("10.0.0.12")));
	assert_true(ovr_has(f, ip4("10.0.0.9")));
	assert_true(ovr_has(f, ip4("10.0.0.10")));
	assert_int_equal(map_count(f->hfwd), 2);
	assert_int_equal(map_count(f->ovr), 2);
}

/* The iface column of @ip's row, read with SQLite ("" for NULL). */
static void iface_on_disk(struct fixture *f, const char *ip, char *out,
			  size_t size)
{
	sqlite3_stmt *st;
	sqlite3 *db;

	out[0] = '\0';
	assert_int_equal(
		sqlite3_open_v2(f->state, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT iface FROM overrides "
					    "WHERE ip = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (sqlite3_column_text(st, 0))
		snprintf(out, size, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * Issue 25 item 12: an interface deleted and created again under its name
 * gets a new ifindex. Overrides given by that name follow it, and their
 * source MAC too when it was the interface's; ones given by index keep
 * theirs. The database keeps the name only for the former.
 */
static void test_override_by_name_follows_its_interface(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry byname = ent(4, 1), byidx = ent(4, 2), own = ent(4, 3),
			 want;
	static const uint8_t mac9[6] = {2, 0, 0, 0, 9, 9};
	struct table_row row;
	char name[IF_NAMESIZE];

	NEED_BPF(f);
	assert_int_equal(table_override_set_named(f->t, A4(ip4("10.0.0.1")),
						  &byname, "m2", false),
			 0);
	assert_int_equal(table_override_set_named(f->t, A4(ip4("10.0.0.2")),
						  &byidx, NULL, false),
			 0);
	assert_int_equal(table_override_set_named(f->t, A4(ip4("10.0.0.3")),
						  &own, "m2", true),
			 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_string_equal(table_override_iface(f->t, A4(ip4("10.0.0.1"))),
			    "m2");
	assert_null(table_override_iface(f->t, A4(ip4("10.0.0.2"))));
	iface_on_disk(f, "10.0.0.1", name, sizeof(name));
	assert_string_equal(name, "m2");
	iface_on_disk(f, "10.0.0.2", name, sizeof(name));
	assert_string_equal(name, "");

	/* m2 again, ifindex 9, another MAC */
	assert_int_equal(table_iface_follow(f->t, "m2", 9, mac9), 0);
	want = byname;
	want.ifindex = 9;
	memcpy(want.smac, mac9, 6);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &want));
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.1")), &row), 0);
	assert_memory_equal(&row.entry, &want, sizeof(want));
	want = own; /* its own source MAC stays */
	want.ifindex = 9;
	assert_true(hfwd_is(f, ip4("10.0.0.3"), &want));
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &byidx));
	/* another name moves nothing */
	assert_int_equal(table_iface_follow(f->t, "m1", 11, mac9), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &byidx));

	/* set again by index: it no longer follows the name */
	assert_int_equal(table_override_set_named(f->t, A4(ip4("10.0.0.1")),
						  &byidx, NULL, true),
			 0);
	assert_null(table_override_iface(f->t, A4(ip4("10.0.0.1"))));
	assert_int_equal(table_flush(f->t), 0);
	iface_on_disk(f, "10.0.0.1", name, sizeof(name));
	assert_string_equal(name, "");
}

/* Fill the file system holding @dir: a file of zeros until ENOSPC. */
static void fill_disk(const char *dir)
{
	char path[160], buf[4096] = {};
	int fd;

	snprintf(path, sizeof(path), "%s/fill", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	while (write(fd, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

/*
 * Issue 25 item 2: a flush that fails (a full disk) is answered 1200, so
 * every change of its batch must be undone: a new override gone from the
 * table, hfwd and fwd_ovr; a changed one back to its old value; a learned
 * entry that an override shadowed back in hfwd, unmarked. Nothing of it
 * reaches the database once space returns.
 */
static void test_failed_flush_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), o1 = ent(4, 1), o2 = ent(4, 2),
			 o3 = ent(4, 3);
	struct table_opts opts = {.v4 = {f->hfwd, f->ovr},
				  .v6 = {f->hfwd6, f->ovr6}};
	struct table_row row;
	char small[96];
	struct rows r;
	int err;

	NEED_BPF(f);
	table_free(f->t);
	f->t = NULL;
	store_close(f->store);
	f->store = NULL;
	/* the database on a disk of its own, small enough to fill */
	snprintf(small, sizeof(small), "%s/small", f->dir);
	assert_int_equal(mkdir(small, 0700), 0);
	if (mount("tmpfs", small, "tmpfs", 0, "size=512k"))
		skip(); /* no mount namespace of our own */
	snprintf(f->state, sizeof(f->state), "%s/fwd.db", small);
	assert_int_equal(store_open(&f->store, f->state), 0);
	opts.store = f->store;
	assert_int_equal(table_new(&f->t, &opts), 0);

	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.1")), &a), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.2")), &o1), 0);
	assert_int_equal(table_flush(f->t), 0);

	fill_disk(small);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.1")), &o1), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.2")), &o2), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.3")), &o3), 0);
	assert_int_equal(table_override_del(f->t, A4(ip4("10.0.0.3"))), 0);
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.3")), &o3), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.3"), &o3));
	err = table_flush(f->t);
	assert_int_equal(err, -ENOSPC);
	assert_false(table_dirty(f->t));

	/* the learned entry is back, unmarked */
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a));
	assert_false(ovr_has(f, ip4("10.0.0.1")));
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.1")), &row), 0);
	assert_false(row.override);
	assert_memory_equal(&row.entry, &a, sizeof(a));
	/* the changed override has its old value */
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &o1));
	assert_true(ovr_has(f, ip4("10.0.0.2")));
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.2")), &row), 0);
	assert_true(row.override);
	assert_memory_equal(&row.entry, &o1, sizeof(o1));
	/* the new one is gone */
	assert_false(hfwd_has(f, ip4("10.0.0.3")));
	assert_false(ovr_has(f, ip4("10.0.0.3")));
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.3")), &row),
			 -ENOENT);
	assert_int_equal(map_count(f->hfwd), 2);
	assert_int_equal(map_count(f->ovr), 1);

	/* space back: nothing of the refused batch is written later */
	snprintf(small, sizeof(small), "%s/small/fill", f->dir);
	assert_int_equal(unlink(small), 0);
	assert_int_equal(table_flush(f->t), 0);
	table_free(f->t);
	f->t = NULL;
	store_close(f->store);
	f->store = NULL;
	r = on_disk(f);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ip[0].v4, ip4("10.0.0.2"));
	assert_memory_equal(&r.e[0], &o1, sizeof(o1));
	snprintf(small, sizeof(small), "%s/small", f->dir);
	umount2(small, MNT_DETACH);
}

/* The figures and the rows against what the map holds. */
static void assert_figures_are_the_map(struct fixture *f)
{
	struct table_stats st;
	struct table_row row;
	uint32_t key, next, *prev = NULL, in = 0, absent = 0;
	char ip[32];
	int i;

	table_get_stats(f->t, &st);
	assert_int_equal(st.entries, map_count(f->hfwd));
	/* every row that says it is installed is, and the others are not */
	for (i = 1; i <= 16; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		if (table_lookup(f->t, A4(ip4(ip)), &row))
			continue;
		if (row.installed) {
			assert_true(hfwd_is(f, ip4(ip), &row.entry));
			in++;
		} else {
			assert_false(hfwd_is(f, ip4(ip), &row.entry));
			absent++;
		}
	}
	assert_int_equal(in, map_count(f->hfwd));
	(void)absent;
	while (!bpf_map_get_next_key(f->hfwd, prev, &next)) {
		key = next;
		prev = &key;
	}
}

/*
 * Issue 25 item 11: a full map never refuses an override for learned
 * entries: one learned entry is evicted (it goes the fib path), counted
 * and logged; its row says it is not installed, and the figures count
 * what the map holds.
 */
static void test_full_map_evicts_learned_never_refuses_override(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), o = ent(4, 9);
	struct table_stats st;
	struct table_row row;
	char ip[32];
	int i, out = 0;

	NEED_BPF(f); /* max_entries 4 */
	for (i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(table_learn_set(f->t, A4(ip4(ip)), &a), 0);
	}
	assert_int_equal(table_learn_set(f->t, A4(ip4("10.0.0.5")), &a),
			 -E2BIG);
	table_get_stats(f->t, &st);
	assert_int_equal(st.map_full, 1);
	assert_int_equal(st.learned, 5);
	assert_int_equal(st.entries, 4); /* what the map holds, not 5 */
	assert_int_equal(table_lookup(f->t, A4(ip4("10.0.0.5")), &row), 0);
	assert_false(row.installed);
	/* an override for a new key: a learned entry makes room */
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.6")), &o), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.6"), &o));
	assert_true(ovr_has(f, ip4("10.0.0.6")));
	assert_int_equal(map_count(f->hfwd), 4);
	table_get_stats(f->t, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.entries, 4);
	for (i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(table_lookup(f->t, A4(ip4(ip)), &row), 0);
		if (!row.installed) {
			assert_false(hfwd_has(f, ip4(ip)));
			out++;
		}
	}
	assert_int_equal(out, 1);
	assert_figures_are_the_map(f);
	/* an override of an installed key fits */
	assert_int_equal(table_override_set(f->t, A4(ip4("10.0.0.2")), &o), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &o));
	assert_figures_are_the_map(f);
	/* room made: the next reconcile installs what was left out */
	assert_int_equal(table_learn_del(f->t, A4(ip4("10.0.0.1"))), 0);
	assert_int_equal(table_override_del(f->t, A4(ip4("10.0.0.6"))), 0);
	assert_int_equal(table_reconcile(f->t), 0);
	assert_int_equal(map_count(f->hfwd), 4);
	assert_figures_are_the_map(f);
}

/*
 * Issue 25 item 11: more stored overrides than --max-entries: the start
 * installs what fits; the figures count the map, not the table, and the
 * overrides left out say so in their rows.
 */
static void test_overrides_beyond_max_entries_say_they_are_out(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9);
	struct table_stats st;
	struct table_row row;
	char ip[32];
	int i, out = 0;

	NEED_BPF(f);		  /* max_entries 4 */
	table_resync_begin(f->t); /* as the start does: one reconcile */
	for (i = 1; i <= 6; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(table_override_set(f->t, A4(ip4(ip)), &o), 0);
	}
	assert_int_equal(table_resync_end(f->t), -E2BIG);
	table_get_stats(f->t, &st);
	assert_int_equal(st.overrides, 6);
	assert_int_equal(map_count(f->hfwd), 4);
	assert_int_equal(st.entries, 4);
	for (i = 1; i <= 6; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(table_lookup(f->t, A4(ip4(ip)), &row), 0);
		assert_true(row.override);
		assert_int_equal(row.installed, hfwd_has(f, ip4(ip)));
		assert_int_equal(row.installed, ovr_has(f, ip4(ip)));
		out += !row.installed;
	}
	assert_int_equal(out, 2);
	assert_figures_are_the_map(f);
}

/*
 * The open-addressing hash against a reference array, through many
 * inserts and deletes (backward-shift deletion is where such tables break).
 * Runs in a resync bracket, so no map is written.
 */
static void test_hash_matches_reference_through_churn(void **state)
{
	struct fixture *f = *state;
	enum { N = 20000 };
	static uint8_t ref[N]; /* 0: absent, else dmac tag */
	struct fwd_entry e, got;
	unsigned int seed = 1;
	int i, k;

	NEED_BPF(f);
	memset(ref, 0, sizeof(ref));
	table_resync_begin(f->t);
	for (i = 0; i < 400000; i++) {
		k = rand_r(&seed) % N;
		/* clustered keys: consecutive addresses in one /16 */
		uint32_t ip = htonl(0x0a000000 | (k + 1));

		if (rand_r(&seed) % 3) {
			uint8_t tag = 1 + rand_r(&seed) % 250;

			e = ent(3, tag);
			assert_int_equal(table_learn_set(f->t, A4(ip), &e), 0);
			ref[k] = tag;
		} else {
			assert_int_equal(table_learn_del(f->t, A4(ip)),
					 ref[k] ? 0 : -ENOENT);
			ref[k] = 0;
		}
	}
	for (k = 0; k < N; k++) {
		uint32_t ip = htonl(0x0a000000 | (k + 1));

		if (ref[k]) {
			assert_int_equal(table_learned(f->t, A4(ip), &got), 0);
			assert_int_equal(got.dmac[5], ref[k]);
		} else {
			assert_int_equal(table_learned(f->t, A4(ip), &got),
					 -ENOENT);
		}
	}
	/* the maps were not touched inside the bracket */
	assert_int_equal(map_count(f->hfwd), 0);
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (fp)
		fclose(fp);
	return kb;
}

/* A cold start: 100k learned entries in one resync, one batched write. */
static void test_cold_start_of_100k_entries_fills_hfwd(void **state)
{
	struct fixture *f = *state;
	struct table_stats st;
	struct fwd_entry e = ent(3, 1);
	uint64_t t0, t1;
	long rss0 = rss_kb(), rss1;
	uint32_t i;

	NEED_BPF(f);
	t0 = loop_now_us();
	table_resync_begin(f->t);
	for (i = 0; i < 100000; i++) {
		e.dmac[4] = i >> 8;
		e.dmac[5] = i;
		assert_int_equal(table_learn_set(f->t,
						 A4(htonl(0x0a000000 + i + 1)),
						 &e),
				 0);
	}
	assert_int_equal(table_resync_end(f->t), 0);
	t1 = loop_now_us();
	rss1 = rss_kb();
	assert_int_equal(map_count(f->hfwd), 100000);
	e.dmac[4] = 54321 >> 8;
	e.dmac[5] = 54321 & 0xff;
	assert_true(hfwd_is(f, htonl(0x0a000000 + 54321 + 1), &e));
	table_get_stats(f->t, &st);
	assert_int_equal(st.learned, 100000);
	printf("# 100k cold start: %llu us (reconcile %llu us), "
	       "table RSS growth %ld kB\n",
	       (unsigned long long)(t1 - t0),
	       (unsigned long long)st.last_reconcile_us, rss1 - rss0);
	/* the table itself: 131072 slots of 24 B */
	assert_true(rss1 - rss0 < 8 * 1024);
	/* a second reconcile (an adopted map) reads all, writes nothing */
	assert_int_equal(table_reconcile(f->t), 0);
	assert_int_equal(map_count(f->hfwd), 100000);
	table_get_stats(f->t, &st);
	printf("# 100k adopted, unchanged: reconcile %llu us\n",
	       (unsigned long long)st.last_reconcile_us);
	/* one stray and one wrong value among 100k are found and fixed */
	e.dmac[0] = 0xee;
	assert_int_equal(bpf_map_update_elem(f->hfwd,
					     &(uint32_t){htonl(0x0b000001)}, &e,
					     0),
			 0);
	assert_int_equal(
		bpf_map_update_elem(
			f->hfwd, &(uint32_t){htonl(0x0a000000 + 777)}, &e, 0),
		0);
	assert_int_equal(table_reconcile(f->t), 0);
	assert_int_equal(map_count(f->hfwd), 100000);
	assert_false(hfwd_has(f, htonl(0x0b000001)));
	e.dmac[0] = 2;
	e.dmac[4] = 776 >> 8;
	e.dmac[5] = 776 & 0xff;
	assert_true(hfwd_is(f, htonl(0x0a000000 + 777), &e));
}

/* ---- IPv6: hfwd6 and fwd_ovr6, by the same rules ---------------------- */

static bool hfwd6_is(struct fixture *f, const char *ip,
		     const struct fwd_entry *e)
{
	struct fwd_entry v;

	if (bpf_map_lookup_elem(f->hfwd6, IPA(ip)->v6, &v))
		return false;
	return !e || !memcmp(&v, e, sizeof(v));
}

static bool ovr6_has(struct fixture *f, const char *ip)
{
	struct fwd_ovr v;

	return !bpf_map_lookup_elem(f->ovr6, IPA(ip)->v6, &v) && v.set == 1;
}

static uint32_t map6_count(int fd)
{
	uint8_t key[16], next[16];
	const void *prev = NULL;
	uint32_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, 16);
		prev = key;
		n++;
	}
	return n;
}

static void test_ipv6_learned_and_override_go_to_hfwd6(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry l = ent(3, 1), o = ent(4, 9);
	struct table_row row;
	struct table_stats st;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, IPA("2001:db8::5"), &l), 0);
	assert_int_equal(table_learn_set(f->t, IPA("10.0.0.5"), &l), 0);
	assert_true(hfwd6_is(f, "2001:db8::5", &l));
	assert_false(ovr6_has(f, "2001:db8::5"));
	assert_int_equal(map_count(f->hfwd), 1);
	assert_int_equal(map6_count(f->hfwd6), 1);
	/* an override wins, marked in fwd_ovr6 only */
	assert_int_equal(table_override_set(f->t, IPA("2001:db8::5"), &o), 0);
	assert_true(hfwd6_is(f, "2001:db8::5", &o));
	assert_true(ovr6_has(f, "2001:db8::5"));
	assert_int_equal(map_count(f->ovr), 0);
	assert_int_equal(table_lookup(f->t, IPA("2001:db8::5"), &row), 0);
	assert_true(row.override);
	table_get_stats(f->t, &st);
	assert_int_equal(st.learned, 1);
	assert_int_equal(st.overrides, 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.learned6, 1);
	assert_int_equal(st.overrides6, 1);
	assert_int_equal(st.entries6, 1);
	/* removed, the learned one comes back; then it goes too */
	assert_int_equal(table_override_del(f->t, IPA("2001:db8::5")), 0);
	assert_true(hfwd6_is(f, "2001:db8::5", &l));
	assert_false(ovr6_has(f, "2001:db8::5"));
	assert_int_equal(table_learn_del(f->t, IPA("2001:db8::5")), 0);
	assert_false(hfwd6_is(f, "2001:db8::5", NULL));
	assert_int_equal(table_learn_set(f->t, IPA("::"), &l), -EINVAL);
	assert_int_equal(map6_count(f->hfwd6), 0);
}

static void test_ipv6_reconcile_and_walk(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), wrong = ent(5, 5), o = ent(4, 9);
	struct fwd_ovr mark = {.set = 1};
	struct table_row rows[8] = {};

	NEED_BPF(f);
	/* strays and a wrong value left in the maps by someone else */
	assert_int_equal(bpf_map_update_elem(f->hfwd6, IPA("2001:db8::99")->v6,
					     &a, BPF_ANY),
			 0);
	assert_int_equal(bpf_map_update_elem(f->ovr6, IPA("2001:db8::98")->v6,
					     &mark, BPF_ANY),
			 0);
	assert_int_equal(bpf_map_update_elem(f->hfwd6, IPA("2001:db8::1")->v6,
					     &wrong, BPF_ANY),
			 0);
	table_resync_begin(f->t);
	assert_int_equal(table_learn_set(f->t, IPA("2001:db8::1"), &a), 0);
	assert_int_equal(table_override_set(f->t, IPA("2001:db8::2"), &o), 0);
	assert_int_equal(table_learn_set(f->t, IPA("10.0.0.1"), &a), 0);
	assert_int_equal(table_resync_end(f->t), 0);
	assert_true(hfwd6_is(f, "2001:db8::1", &a));
	assert_true(hfwd6_is(f, "2001:db8::2", &o));
	assert_true(ovr6_has(f, "2001:db8::2"));
	assert_false(hfwd6_is(f, "2001:db8::99", NULL));
	assert_false(ovr6_has(f, "2001:db8::98"));
	assert_int_equal(map6_count(f->hfwd6), 2);
	assert_int_equal(map6_count(f->ovr6), 1);
	/* IPv4 first, then IPv6 by value */
	assert_int_equal(table_walk(f->t, collect, rows), 0);
	assert_int_equal(rows[0].ip.family, AF_INET);
	assert_int_equal(api_ip_cmp(&rows[1].ip, IPA("2001:db8::1")), 0);
	assert_false(rows[1].override);
	assert_int_equal(api_ip_cmp(&rows[2].ip, IPA("2001:db8::2")), 0);
	assert_true(rows[2].override);
	assert_int_equal(rows[3].ip.family, 0);
}

static void test_ipv6_override_is_durable(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9);
	struct rows r;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, IPA("2001:DB8:0::7"), &o), 0);
	assert_int_equal(table_override_set(f->t, IPA("10.0.0.7"), &o), 0);
	assert_int_equal(table_flush(f->t), 0);
	r = on_disk(f);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ip[0].family + r.ip[1].family, AF_INET + AF_INET6);
	assert_true(!api_ip_cmp(&r.ip[0], IPA("2001:db8::7")) ||
		    !api_ip_cmp(&r.ip[1], IPA("2001:db8::7")));
	assert_int_equal(table_override_del(f->t, IPA("2001:db8::7")), 0);
	assert_int_equal(table_flush(f->t), 0);
	r = on_disk(f);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ip[0].family, AF_INET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ipv6_learned_and_override_go_to_hfwd6),
		T(test_ipv6_reconcile_and_walk),
		T(test_ipv6_override_is_durable),
		T(test_learned_entry_is_written_to_hfwd_at_once),
		T(test_learn_del_removes_the_key),
		T(test_address_zero_is_refused),
		T(test_override_beats_learned_and_marks_fwd_ovr),
		T(test_deleting_override_restores_latest_learned),
		T(test_deleting_override_without_learned_removes_key),
		T(test_resync_defers_writes_and_sweeps_unconfirmed),
		T(test_resync_never_sweeps_overrides),
		T(test_nested_resync_reconciles_once_at_outer_end),
		T(test_reconcile_removes_stray_and_fixes_values),
		T(test_walk_is_ordered_and_tells_the_source),
		T(test_flush_commits_the_overrides_only),
		T(test_overrides_survive_a_restart),
		T(test_failed_flush_leaves_no_trace),
		T(test_override_by_name_follows_its_interface),
		cmocka_unit_test_setup_teardown(
			test_full_map_evicts_learned_never_refuses_override,
			setup_small, teardown),
		cmocka_unit_test_setup_teardown(
			test_overrides_beyond_max_entries_say_they_are_out,
			setup_small, teardown),
		T(test_hash_matches_reference_through_churn),
		cmocka_unit_test_setup_teardown(
			test_cold_start_of_100k_entries_fills_hfwd, setup_big,
			teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
