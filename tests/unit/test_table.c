// SPDX-License-Identifier: GPL-2.0
/*
 * test_table.c - the table module against real BPF hash maps shaped like
 * hfwd and fwd_ovr: every test asserts what the maps hold, read back with
 * bpf syscalls, not what the table says about itself. Needs root (or
 * CAP_BPF); skips otherwise.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "loop.h"
#include "table.h"

struct fixture {
	int hfwd, ovr;
	char dir[64];
	char state[128];
	char journal[160];
	struct table *t;
};

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct fwd_entry ent(uint32_t ifindex, uint8_t tag)
{
	struct fwd_entry e = {.ifindex = ifindex,
			      .smac = {2, 0, 0, 0, 0, 1},
			      .dmac = {2, 0, 0, 0, 0xd, tag}};
	return e;
}

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
	return 0;
}

static int setup_n(void **state, uint32_t max_entries)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct table_opts o = {};

	strcpy(f->dir, "/tmp/fwd-test-table.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->state, sizeof(f->state), "%s/state.json", f->dir);
	snprintf(f->journal, sizeof(f->journal), "%s.journal", f->state);
	if (make_maps(f, max_entries)) {
		*state = f;
		return 0; /* tests skip on f->hfwd < 0 */
	}
	o.hfwd_fd = f->hfwd;
	o.ovr_fd = f->ovr;
	o.state_path = f->state;
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
	if (f->hfwd >= 0)
		close(f->hfwd);
	if (f->ovr >= 0)
		close(f->ovr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

#define NEED_BPF(f)                                                 \
	do {                                                        \
		if ((f)->hfwd < 0 || (f)->ovr < 0)                  \
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
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &a));
	assert_false(ovr_has(f, ip4("10.0.0.1")));
	/* lladdr change follows */
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &b), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.1"), &b));
	assert_int_equal(map_count(f->hfwd), 1);
}

static void test_learn_del_removes_the_key(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1);

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.2"), &a), 0);
	assert_int_equal(table_learn_del(f->t, ip4("10.0.0.1")), 0);
	assert_false(hfwd_has(f, ip4("10.0.0.1")));
	assert_true(hfwd_has(f, ip4("10.0.0.2")));
	assert_int_equal(table_learn_del(f->t, ip4("10.0.0.1")), -ENOENT);
	assert_int_equal(map_count(f->hfwd), 1);
}

static void test_address_zero_is_refused(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1);

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, 0, &a), -EINVAL);
	assert_int_equal(table_override_set(f->t, 0, &a), -EINVAL);
	assert_int_equal(map_count(f->hfwd), 0);
}

static void test_override_beats_learned_and_marks_fwd_ovr(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry l1 = ent(3, 1), l2 = ent(3, 2), o = ent(4, 9), got;
	uint32_t ip = ip4("10.0.0.5");
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, ip, &l1), 0);
	assert_int_equal(table_override_set(f->t, ip, &o), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_true(ovr_has(f, ip));
	/* a learned change under an override leaves hfwd alone */
	assert_int_equal(table_learn_set(f->t, ip, &l2), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_int_equal(table_learned(f->t, ip, &got), 0);
	assert_memory_equal(&got, &l2, sizeof(got));
	assert_int_equal(table_lookup(f->t, ip, &row), 0);
	assert_true(row.override);
	assert_memory_equal(&row.entry, &o, sizeof(o));
	/* and a learned delete too */
	assert_int_equal(table_learn_del(f->t, ip), 0);
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
	assert_int_equal(table_learn_set(f->t, ip, &l1), 0);
	assert_int_equal(table_override_set(f->t, ip, &o), 0);
	assert_int_equal(table_learn_set(f->t, ip, &l2), 0);
	assert_int_equal(table_override_del(f->t, ip), 0);
	assert_true(hfwd_is(f, ip, &l2));
	assert_false(ovr_has(f, ip));
	assert_int_equal(table_lookup(f->t, ip, &row), 0);
	assert_false(row.override);
	assert_int_equal(table_override_del(f->t, ip), -ENOENT);
}

static void test_deleting_override_without_learned_removes_key(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9);
	uint32_t ip = ip4("192.168.1.1");
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, ip, &o), 0);
	assert_true(hfwd_is(f, ip, &o));
	assert_int_equal(table_override_del(f->t, ip), 0);
	assert_false(hfwd_has(f, ip));
	assert_false(ovr_has(f, ip));
	assert_int_equal(table_lookup(f->t, ip, &row), -ENOENT);
	assert_int_equal(map_count(f->hfwd), 0);
	assert_int_equal(map_count(f->ovr), 0);
}

static void test_resync_defers_writes_and_sweeps_unconfirmed(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), a2 = ent(3, 7), b = ent(3, 2);
	struct table_stats st;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.2"), &b), 0);
	table_resync_begin(f->t);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a2), 0);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.3"), &b), 0);
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
	assert_int_equal(table_override_set(f->t, ip4("10.9.9.9"), &o), 0);
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
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a), 0);
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
	assert_int_equal(table_learn_set(f->t, ip_a, &a), 0);
	assert_int_equal(table_override_set(f->t, ip_o, &o), 0);
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

	while (rows[i].ip)
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
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.200"), &a), 0);
	assert_int_equal(table_learn_set(f->t, ip4("9.255.0.1"), &a), 0);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.3"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.3"), &o), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.20"), &o), 0);
	assert_int_equal(table_walk(f->t, collect, rows), 0);
	assert_int_equal(rows[0].ip, ip4("9.255.0.1"));
	assert_false(rows[0].override);
	assert_int_equal(rows[1].ip, ip4("10.0.0.3"));
	assert_true(rows[1].override);
	assert_memory_equal(&rows[1].entry, &o, sizeof(o));
	assert_int_equal(rows[2].ip, ip4("10.0.0.20"));
	assert_true(rows[2].override);
	assert_int_equal(rows[3].ip, ip4("10.0.0.200"));
	assert_false(rows[3].override);
	assert_int_equal(rows[4].ip, 0);
}

static cJSON *read_json(const char *path)
{
	char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	return cJSON_Parse(buf);
}

static void test_flush_persists_overrides_atomically(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o = ent(4, 9), a = ent(3, 1);
	char tmp[160];
	cJSON *root, *arr, *o0;
	struct stat st;

	NEED_BPF(f);
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.9"), &o), 0);
	assert_true(table_dirty(f->t));
	/* not durable before flush */
	assert_int_equal(stat(f->state, &st), -1);
	assert_int_equal(table_flush(f->t), 0);
	assert_false(table_dirty(f->t));
	/* a flush appends to the journal; the snapshot waits */
	assert_int_equal(stat(f->state, &st), -1);
	assert_int_equal(stat(f->journal, &st), 0);
	assert_int_equal(table_compact(f->t), 0);
	assert_int_equal(stat(f->journal, &st), -1); /* folded in */
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->state);
	assert_int_equal(stat(tmp, &st), -1); /* no temp left */
	root = read_json(f->state);
	assert_non_null(root);
	arr = cJSON_GetObjectItem(root, "overrides");
	assert_int_equal(cJSON_GetArraySize(arr), 1); /* learned not saved */
	o0 = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(o0, "ip")->valuestring,
			    "10.0.0.9");
	assert_int_equal(cJSON_GetObjectItem(o0, "ifindex")->valueint, 4);
	assert_string_equal(cJSON_GetObjectItem(o0, "dmac")->valuestring,
			    "02:00:00:00:0d:09");
	assert_string_equal(cJSON_GetObjectItem(o0, "smac")->valuestring,
			    "02:00:00:00:00:01");
	cJSON_Delete(root);
	/* a clean table does not write again */
	assert_int_equal(unlink(f->state), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(table_compact(f->t), 0);
	assert_int_equal(stat(f->state, &st), -1);
	assert_int_equal(stat(f->journal, &st), -1);
}

static void test_overrides_survive_a_restart(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry o1 = ent(4, 9), o2 = ent(5, 8);
	struct table_opts opts = {
		.hfwd_fd = f->hfwd, .ovr_fd = f->ovr, .state_path = f->state};
	struct table_row row;
	uint32_t k = ip4("10.0.0.9"), empty;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.9"), &o1), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.10"), &o2), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.11"), &o2), 0);
	assert_int_equal(table_override_del(f->t, ip4("10.0.0.11")), 0);
	assert_int_equal(table_flush(f->t), 0);
	table_free(f->t);
	f->t = NULL;
	/* the maps are lost too: a restart from scratch */
	for (k = 0; !bpf_map_get_next_key(f->hfwd, NULL, &k);)
		bpf_map_delete_elem(f->hfwd, &k);
	for (k = 0; !bpf_map_get_next_key(f->ovr, NULL, &k);)
		bpf_map_delete_elem(f->ovr, &k);
	assert_true(bpf_map_get_next_key(f->hfwd, NULL, &empty) < 0);

	assert_int_equal(table_new(&f->t, &opts), 0);
	assert_int_equal(table_load(f->t), 0);
	assert_false(table_dirty(f->t));
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.9"), &row), 0);
	assert_true(row.override);
	assert_memory_equal(&row.entry, &o1, sizeof(o1));
	assert_int_equal(table_reconcile(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.9"), &o1));
	assert_true(hfwd_is(f, ip4("10.0.0.10"), &o2));
	assert_false(hfwd_has(f, ip4("10.0.0.11")));
	assert_true(ovr_has(f, ip4("10.0.0.9")));
	assert_true(ovr_has(f, ip4("10.0.0.10")));
	assert_int_equal(map_count(f->hfwd), 2);
	assert_int_equal(map_count(f->ovr), 2);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_malformed_state_file_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct table_stats st;

	NEED_BPF(f);
	/* missing: fine, empty */
	assert_int_equal(table_load(f->t), 0);
	write_text(f->state, "{\"version\":1,\"overrides\":[");
	assert_int_equal(table_load(f->t), -EINVAL);
	write_text(f->state, "{\"version\":2,\"overrides\":[]}");
	assert_int_equal(table_load(f->t), -EINVAL);
	write_text(f->state, "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0."
			     "300\",\"ifindex\":1,\"smac\":\"02:00:00:00:00:"
			     "01\",\"dmac\":\"02:00:00:00:00:02\"}]}");
	assert_int_equal(table_load(f->t), -EINVAL);
	write_text(f->state, "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0."
			     "3\",\"ifindex\":1.5,\"smac\":\"02:00:00:00:00:"
			     "01\",\"dmac\":\"02:00:00:00:00:02\"}]}");
	assert_int_equal(table_load(f->t), -EINVAL);
	write_text(f->state, "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0."
			     "3\",\"ifindex\":1,\"smac\":\"02:00:00:00:00:"
			     "01\",\"dmac\":\"02:00:00:00:00\"}]}");
	assert_int_equal(table_load(f->t), -EINVAL);
	write_text(f->state, "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0."
			     "3\",\"ifindex\":1,\"smac\":\"02:00:00:00:00:"
			     "01\",\"dmac\":\"02:00:00:00:00:02\"}]}");
	assert_int_equal(table_load(f->t), 0);
	table_get_stats(f->t, &st);
	assert_int_equal(st.overrides, 1);
}

static void test_state_file_name_wins_over_stale_ifindex(void **state)
{
	struct fixture *f = *state;
	struct table_row row;

	NEED_BPF(f);
	/* "lo" is ifindex 1 in every namespace; 77 is what was saved */
	write_text(f->state, "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0."
			     "3\",\"ifindex\":77,\"iface\":\"lo\",\"smac\":"
			     "\"02:00:00:00:00:01\",\"dmac\":\"02:00:00:00:00:"
			     "02\"}]}");
	assert_int_equal(table_load(f->t), 0);
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.3"), &row), 0);
	assert_int_equal(row.entry.ifindex, 1);
}

static void test_full_map_refuses_and_keeps_table_honest(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(3, 1), o = ent(4, 9);
	struct table_stats st;
	struct table_row row;
	char ip[32];
	int i;

	NEED_BPF(f); /* max_entries 4 */
	for (i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		assert_int_equal(table_learn_set(f->t, ip4(ip), &a), 0);
	}
	assert_int_equal(table_learn_set(f->t, ip4("10.0.0.5"), &a), -E2BIG);
	table_get_stats(f->t, &st);
	assert_int_equal(st.map_full, 1);
	/* an override for a new key cannot fit: refused and rolled back */
	assert_int_not_equal(table_override_set(f->t, ip4("10.0.0.6"), &o), 0);
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.6"), &row), -ENOENT);
	assert_false(ovr_has(f, ip4("10.0.0.6")));
	/* an override of an installed key fits */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &o), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &o));
	/* room made: the next reconcile installs the refused learned entry */
	assert_int_equal(table_learn_del(f->t, ip4("10.0.0.1")), 0);
	assert_int_equal(table_reconcile(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.5"), &a));
	assert_int_equal(map_count(f->hfwd), 4);
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
			assert_int_equal(table_learn_set(f->t, ip, &e), 0);
			ref[k] = tag;
		} else {
			assert_int_equal(table_learn_del(f->t, ip),
					 ref[k] ? 0 : -ENOENT);
			ref[k] = 0;
		}
	}
	for (k = 0; k < N; k++) {
		uint32_t ip = htonl(0x0a000000 | (k + 1));

		if (ref[k]) {
			assert_int_equal(table_learned(f->t, ip, &got), 0);
			assert_int_equal(got.dmac[5], ref[k]);
		} else {
			assert_int_equal(table_learned(f->t, ip, &got),
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
		assert_int_equal(
			table_learn_set(f->t, htonl(0x0a000000 + i + 1), &e),
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

/* ---- the journal ------------------------------------------------------- */

/* Drop the table without a clean shutdown, as kill -9 does, and restart. */
static int crash_and_reload(struct fixture *f, uint64_t journal_max)
{
	struct table_opts o = {.hfwd_fd = f->hfwd,
			       .ovr_fd = f->ovr,
			       .state_path = f->state,
			       .journal_max = journal_max};

	table_free(f->t);
	f->t = NULL;
	assert_int_equal(table_new(&f->t, &o), 0);
	return table_load(f->t);
}

static bool ovr_is(struct fixture *f, const char *ip, const struct fwd_entry *e)
{
	struct table_row row;

	if (table_lookup(f->t, ip4(ip), &row) || !row.override)
		return false;
	return !memcmp(&row.entry, e, sizeof(*e));
}

static uint64_t overrides_of(struct fixture *f)
{
	struct table_stats st;

	table_get_stats(f->t, &st);
	return st.overrides;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void append_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "a");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int c, n = 0;

	if (!fp)
		return -1;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* Journal lines that are records, not commit markers. */
static int count_records(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		n += !!strstr(line, "{\"ip\":");
	fclose(fp);
	return n;
}

static void test_journal_replays_after_a_crash(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(4, 1), b = ent(5, 2), b2 = ent(5, 3);
	uint32_t k;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &b), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &b2), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.3"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	/* one record per change and a marker per flush, no snapshot yet */
	assert_int_equal(count_records(f->journal), 4);
	assert_int_equal(count_lines(f->journal), 6);
	assert_int_equal(file_size(f->state), -1);
	/* not flushed: never acknowledged, may be lost */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.4"), &a), 0);

	for (k = 0; !bpf_map_get_next_key(f->hfwd, NULL, &k);)
		bpf_map_delete_elem(f->hfwd, &k);
	for (k = 0; !bpf_map_get_next_key(f->ovr, NULL, &k);)
		bpf_map_delete_elem(f->ovr, &k);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_false(table_dirty(f->t));
	assert_int_equal(overrides_of(f), 3);
	assert_true(ovr_is(f, "10.0.0.1", &a));
	assert_true(ovr_is(f, "10.0.0.2", &b2));
	assert_true(ovr_is(f, "10.0.0.3", &a));
	assert_int_equal(table_reconcile(f->t), 0);
	assert_true(hfwd_is(f, ip4("10.0.0.2"), &b2));
	assert_true(ovr_has(f, ip4("10.0.0.3")));
	assert_int_equal(map_count(f->hfwd), 3);
	assert_int_equal(map_count(f->ovr), 3);
}

static void test_journal_delete_records_remove_overrides(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(4, 1);
	struct table_row row;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(table_override_del(f->t, ip4("10.0.0.1")), 0);
	assert_true(table_dirty(f->t));
	assert_int_equal(table_flush(f->t), 0);
	/* set, set, del; then a del of a key the snapshot holds */
	assert_int_equal(count_records(f->journal), 3);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 1);
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.1"), &row), -ENOENT);
	assert_int_equal(table_compact(f->t), 0);
	assert_int_equal(table_override_del(f->t, ip4("10.0.0.2")), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 0);
}

static void test_torn_last_record_is_ignored_and_cut(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(4, 1), b = ent(5, 2);
	off_t good;

	NEED_BPF(f);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	good = file_size(f->journal);
	/* a crash in the middle of a record: no newline */
	append_text(f->journal, "0badc0de {\"ip\":\"10.0.0.2\",\"ifin");
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 1);
	assert_true(ovr_is(f, "10.0.0.1", &a));
	/* the next append starts where the good records end */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &b), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(count_lines(f->journal), 4); /* 2 records, 2 marks */
	assert_true(file_size(f->journal) > good);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);
	assert_true(ovr_is(f, "10.0.0.2", &b));

	/* a whole last line whose checksum is wrong is torn too */
	append_text(f->journal, "00000000 {\"ip\":\"10.0.0.1\"}\n");
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);
	/* and so are zeros a crash left after the size grew */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.3"), &b), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(count_lines(f->journal), 6); /* bad line cut */
	{
		FILE *fp = fopen(f->journal, "a");

		assert_non_null(fp);
		assert_int_equal(fwrite("\0\0\0\0\0\0\0\0", 1, 8, fp), 8);
		fclose(fp);
	}
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 3);
}

/* The journal's bytes, NUL-terminated; *len its size. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, fp), (size_t)n);
	fclose(fp);
	buf[n] = 0;
	*len = n;
	return buf;
}

static void spit(const char *path, const char *buf, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

/* Offset of the start of line @k (0-based) of @buf. */
static size_t line_at(const char *buf, int k)
{
	const char *p = buf;

	while (k-- > 0) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	return p - buf;
}

/* Two batches: 10.0.0.1, then 10.0.0.2-4 in one flush. */
static void two_batches(struct fixture *f)
{
	struct fwd_entry a = ent(4, 1);

	assert_int_equal(table_override_set(f->t, ip4("10.0.0.1"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.2"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.3"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.4"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	/* record, marker, three records, marker */
	assert_int_equal(count_lines(f->journal), 6);
	assert_int_equal(count_records(f->journal), 4);
}

static void test_damage_before_a_later_commit_is_refused(void **state)
{
	struct fixture *f = *state;
	size_t len, at;
	char *buf, *bad;

	NEED_BPF(f);
	two_batches(f);
	buf = slurp(f->journal, &len);
	bad = malloc(len + 16);
	assert_non_null(bad);

	/* flip one byte of the first record's JSON: "10.0.0.1" -> "10.0.0.9" */
	memcpy(bad, buf, len);
	assert_int_equal(bad[23], '1');
	bad[23] = '9';
	spit(f->journal, bad, len);
	assert_int_equal(crash_and_reload(f, 0), -EINVAL);

	/* the first batch's marker damaged, the second batch whole */
	memcpy(bad, buf, len);
	at = line_at(buf, 1);
	bad[at + 20] ^= 1;
	spit(f->journal, bad, len);
	assert_int_equal(crash_and_reload(f, 0), -EINVAL);

	/* a line that is no record at all between two committed batches */
	at = line_at(buf, 2);
	memcpy(bad, buf, at);
	memcpy(bad + at, "garbage\n", 8);
	memcpy(bad + at + 8, buf + at, len - at);
	spit(f->journal, bad, len + 8);
	assert_int_equal(crash_and_reload(f, 0), -EINVAL);

	/* a record of the first batch lost (the marker's count and CRC) */
	at = line_at(buf, 1);
	memcpy(bad, buf + at, len - at);
	spit(f->journal, bad, len - at);
	assert_int_equal(crash_and_reload(f, 0), -EINVAL);

	/* undamaged, it loads */
	spit(f->journal, buf, len);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 4);
	free(bad);
	free(buf);
}

/*
 * A crash during a multi-page append may persist a later page of the last
 * batch (its marker, even) and not an earlier one. That batch was never
 * acknowledged: drop all of it, keep the batches before.
 */
static void test_torn_last_batch_is_dropped_whole_and_cut(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry b = ent(5, 2);
	size_t len, from, to;
	struct table_row row;
	char *buf, *bad;

	NEED_BPF(f);
	two_batches(f);
	buf = slurp(f->journal, &len);
	bad = malloc(len);
	assert_non_null(bad);

	/* the page holding 10.0.0.2 never written (zeros); marker survived */
	memcpy(bad, buf, len);
	from = line_at(buf, 2);
	to = line_at(buf, 3);
	memset(bad + from, 0, to - from);
	spit(f->journal, bad, len);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 1);
	/* 10.0.0.3 and .4 are sound records, but of an uncommitted batch */
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.3"), &row), -ENOENT);
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.4"), &row), -ENOENT);

	/* 10.0.0.2 garbled, later records whole, the marker not written */
	memcpy(bad, buf, len);
	bad[from + 3] ^= 1;
	to = line_at(buf, 5);
	spit(f->journal, bad, to);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 1);
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.4"), &row), -ENOENT);

	/* the marker torn, every record whole */
	memcpy(bad, buf, len);
	bad[len - 3] ^= 1;
	spit(f->journal, bad, len);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 1);

	/* the next flush cuts the torn batch off and appends after batch 1 */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.5"), &b), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(count_lines(f->journal), 4);
	assert_int_equal(count_records(f->journal), 2);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);
	assert_true(ovr_is(f, "10.0.0.5", &b));
	assert_int_equal(table_lookup(f->t, ip4("10.0.0.2"), &row), -ENOENT);
	free(bad);
	free(buf);
}

static void test_journal_past_its_bound_becomes_a_snapshot(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry e = ent(4, 1);
	char ip[16];
	int i, compactions = 0;
	off_t last = 0, now;

	NEED_BPF(f);
	assert_int_equal(crash_and_reload(f, 2048), 0);
	for (i = 1; i <= 200; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i % 8 + 1);
		e.dmac[5] = i;
		assert_int_equal(table_override_set(f->t, ip4(ip), &e), 0);
		assert_int_equal(table_flush(f->t), 0);
		now = file_size(f->journal);
		if (now < last || now < 0)
			compactions++;
		last = now < 0 ? 0 : now;
		/*
		 * bounded: past 2048 bytes (or twice the snapshot) a thread
		 * folds it; it may grow a little while that runs
		 */
		assert_true(now < 4 * file_size(f->state) + 4096 ||
			    now < 4 * 2048);
	}
	/* ~110 bytes a record: every ~19 flushes */
	assert_true(compactions >= 5);
	assert_true(file_size(f->state) > 0);
	assert_int_equal(crash_and_reload(f, 2048), 0);
	assert_int_equal(overrides_of(f), 8);
	e.dmac[5] = 200;
	assert_true(ovr_is(f, "10.0.0.1", &e));
	/* a clean shutdown leaves the snapshot alone */
	assert_int_equal(table_compact(f->t), 0);
	assert_int_equal(file_size(f->journal), -1);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 8);
}

static void test_snapshot_and_journal_combine(void **state)
{
	struct fixture *f = *state;
	struct fwd_entry a = ent(4, 1), b = ent(5, 2), c = ent(6, 3);
	char cmd[400];

	NEED_BPF(f);
	/* an existing state file of today's format, no journal */
	write_text(f->state,
		   "{\"version\":1,\"overrides\":[{\"ip\":\"10.0.0.1\","
		   "\"ifindex\":4,\"smac\":\"02:00:00:00:00:01\",\"dmac\":"
		   "\"02:00:00:00:0d:01\"},{\"ip\":\"10.0.0.2\",\"ifindex\":"
		   "5,\"smac\":\"02:00:00:00:00:01\",\"dmac\":\"02:00:00:00:"
		   "0d:02\"}]}");
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_true(ovr_is(f, "10.0.0.1", &a));
	assert_true(ovr_is(f, "10.0.0.2", &b));
	/* the journal changes one, deletes one, adds one */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.1"), &c), 0);
	assert_int_equal(table_override_del(f->t, ip4("10.0.0.2")), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.3"), &b), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);
	assert_true(ovr_is(f, "10.0.0.1", &c));
	assert_true(ovr_is(f, "10.0.0.3", &b));
	/*
	 * A crash after the new snapshot, before the journal was removed:
	 * the old journal replayed over it changes nothing.
	 */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.saved'", f->journal,
		 f->journal);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(table_compact(f->t), 0);
	assert_int_equal(file_size(f->journal), -1);
	snprintf(cmd, sizeof(cmd), "mv '%s.saved' '%s'", f->journal,
		 f->journal);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);
	assert_true(ovr_is(f, "10.0.0.1", &c));
	assert_true(ovr_is(f, "10.0.0.3", &b));
	/* the snapshot alone still reads as a state file of today's format */
	assert_int_equal(unlink(f->journal), 0);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 2);

	/*
	 * A crash while a journal was being folded (journal.old left, a new
	 * journal begun): the old one is replayed first, then the new.
	 */
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.4"), &a), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.5"), &a), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(crash_and_reload(f, 0), 0);
	snprintf(cmd, sizeof(cmd), "mv '%s' '%s.old'", f->journal, f->journal);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(table_override_set(f->t, ip4("10.0.0.4"), &c), 0);
	assert_int_equal(table_override_del(f->t, ip4("10.0.0.5")), 0);
	assert_int_equal(table_flush(f->t), 0);
	assert_int_equal(count_lines(f->journal), 3); /* 2 records, a mark */
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 3);
	assert_true(ovr_is(f, "10.0.0.4", &c));
	/* a clean shutdown folds both into the snapshot */
	assert_int_equal(table_compact(f->t), 0);
	snprintf(cmd, sizeof(cmd), "%s.old", f->journal);
	assert_int_equal(file_size(cmd), -1);
	assert_int_equal(file_size(f->journal), -1);
	assert_int_equal(crash_and_reload(f, 0), 0);
	assert_int_equal(overrides_of(f), 3);
	assert_true(ovr_is(f, "10.0.0.4", &c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
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
		T(test_flush_persists_overrides_atomically),
		T(test_overrides_survive_a_restart),
		T(test_malformed_state_file_is_an_error),
		T(test_state_file_name_wins_over_stale_ifindex),
		T(test_journal_replays_after_a_crash),
		T(test_journal_delete_records_remove_overrides),
		T(test_torn_last_record_is_ignored_and_cut),
		T(test_damage_before_a_later_commit_is_refused),
		T(test_torn_last_batch_is_dropped_whole_and_cut),
		T(test_journal_past_its_bound_becomes_a_snapshot),
		T(test_snapshot_and_journal_combine),
		cmocka_unit_test_setup_teardown(
			test_full_map_refuses_and_keeps_table_honest,
			setup_small, teardown),
		T(test_hash_matches_reference_through_churn),
		cmocka_unit_test_setup_teardown(
			test_cold_start_of_100k_entries_fills_hfwd, setup_big,
			teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
