// SPDX-License-Identifier: GPL-2.0
/*
 * test_localset.c - the daemon's copy of fwd_local: slots, the spill list
 * of addresses whose bucket is full, generations and sweeping, adoption
 * of a previous map, and which buckets get written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "localset.h"

/* What the "map" got: the last bucket written at each index. */
struct sink {
	struct fwd_local map[FWD_LOCAL_BUCKETS];
	int writes;
	int fail; /* return this from write (0: succeed) */
};

static int sink_write(void *arg, uint32_t idx, const struct fwd_local *b)
{
	struct sink *k = arg;

	if (k->fail)
		return k->fail;
	k->map[idx] = *b;
	k->writes++;
	return 0;
}

/* The XDP program's lookup, on what was written. */
static int map_has(const struct sink *k, uint32_t addr)
{
	const struct fwd_local *b = &k->map[fwd_local_hash(addr)];

	for (int i = 0; i < FWD_LOCAL_WAYS; i++)
		if (b->addr[i] == addr)
			return 1;
	return 0;
}

/* @n addresses (network order) that share one bucket, 10.x.y.z. */
static void colliding(uint32_t *out, int n)
{
	uint32_t a = 0x0a000001, idx = fwd_local_hash(htonl(a));
	int k = 0;

	out[k++] = htonl(a);
	while (k < n)
		if (fwd_local_hash(htonl(++a)) == idx)
			out[k++] = htonl(a);
}

static struct localset *set_new(void)
{
	struct localset *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void set_free(struct localset *s)
{
	localset_free(s);
	free(s);
}

static void test_add_del_write_only_what_changed(void **state)
{
	struct localset *s = set_new();
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t a = htonl(0x0a000001), b = htonl(0xc0a83801);
	int buckets = fwd_local_hash(a) == fwd_local_hash(b) ? 1 : 2;

	(void)state;
	assert_int_equal(localset_add(s, a, 1), 0);
	assert_int_equal(localset_add(s, b, 1), 0);
	assert_int_equal(localset_add(s, a, 1), 0); /* again: no change */
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_int_equal(k->writes, buckets);
	assert_true(map_has(k, a) && map_has(k, b));
	assert_true(localset_has(s, a));
	/* Nothing dirty: nothing written. */
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_int_equal(k->writes, buckets);
	localset_del(s, a);
	localset_del(s, htonl(0x01020304)); /* not ours: nothing */
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_false(map_has(k, a));
	assert_true(map_has(k, b));
	assert_false(localset_has(s, a));
	assert_false(localset_incomplete(s));
	assert_int_equal(localset_add(s, 0, 1), -EINVAL);
	free(k);
	set_free(s);
}

static void test_full_bucket_spills_and_refills(void **state)
{
	struct localset *s = set_new();
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t a[FWD_LOCAL_WAYS + 2];
	int i;

	(void)state;
	colliding(a, FWD_LOCAL_WAYS + 2);
	for (i = 0; i < FWD_LOCAL_WAYS; i++)
		assert_int_equal(localset_add(s, a[i], 1), 0);
	assert_false(localset_incomplete(s));
	/* Two more for the full bucket: kept aside, the set says so. */
	assert_int_equal(localset_add(s, a[FWD_LOCAL_WAYS], 1), 0);
	assert_int_equal(localset_add(s, a[FWD_LOCAL_WAYS + 1], 1), 0);
	assert_true(localset_incomplete(s));
	assert_int_equal(s->n_spill, 2);
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_false(map_has(k, a[FWD_LOCAL_WAYS]));
	/* One slot frees: a spilled address takes it. */
	localset_del(s, a[0]);
	assert_int_equal(s->n_spill, 1);
	assert_true(localset_incomplete(s));
	/* The other spilled one goes away: complete again. */
	localset_del(s, s->spill[0].addr);
	assert_false(localset_incomplete(s));
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_false(map_has(k, a[0]));
	for (i = 1; i < FWD_LOCAL_WAYS; i++)
		assert_true(map_has(k, a[i]));
	assert_true(map_has(k, a[FWD_LOCAL_WAYS]) ||
		    map_has(k, a[FWD_LOCAL_WAYS + 1]));
	free(k);
	set_free(s);
}

static void test_sweep_removes_the_unseen(void **state)
{
	struct localset *s = set_new();
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t a[FWD_LOCAL_WAYS + 1];
	int i;

	(void)state;
	colliding(a, FWD_LOCAL_WAYS + 1);
	for (i = 0; i <= FWD_LOCAL_WAYS; i++)
		assert_int_equal(localset_add(s, a[i], 1), 0);
	assert_true(localset_incomplete(s));
	/* Generation 2 sees a[1] and the spilled one only. */
	assert_int_equal(localset_add(s, a[1], 2), 0);
	assert_int_equal(localset_add(s, a[FWD_LOCAL_WAYS], 2), 0);
	assert_int_equal(localset_sweep(s, 2), FWD_LOCAL_WAYS - 1);
	assert_false(localset_incomplete(s));
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_true(map_has(k, a[1]));
	assert_true(map_has(k, a[FWD_LOCAL_WAYS]));
	assert_false(map_has(k, a[0]));
	assert_false(map_has(k, a[2]));
	free(k);
	set_free(s);
}

static void test_load_keeps_generation_zero(void **state)
{
	struct localset *s = set_new();
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t a = htonl(0x0a000001), wrong = htonl(0x0a000002);
	uint32_t idx = fwd_local_hash(a);
	struct fwd_local b = {{a, 0, 0, 0}};

	(void)state;
	while (fwd_local_hash(wrong) == idx)
		wrong = htonl(ntohl(wrong) + 1);
	b.addr[2] = wrong; /* not this bucket's: dropped, bucket rewritten */
	k->map[idx] = b;
	localset_load(s, idx, &b);
	assert_true(localset_has(s, a));
	assert_false(localset_has(s, wrong));
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_int_equal(k->writes, 1);
	assert_true(map_has(k, a));
	assert_int_not_equal(k->map[idx].addr[2], wrong);
	/* Seen again by the first sync: kept; else swept. */
	assert_int_equal(localset_sweep(s, 1), 1);
	assert_false(localset_has(s, a));
	free(k);
	set_free(s);
}

static void test_failed_write_stays_dirty(void **state)
{
	struct localset *s = set_new();
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t a = htonl(0x0a000001);

	(void)state;
	assert_int_equal(localset_add(s, a, 1), 0);
	k->fail = -E2BIG;
	assert_int_equal(localset_flush(s, sink_write, k), -E2BIG);
	k->fail = 0;
	assert_int_equal(localset_flush(s, sink_write, k), 0);
	assert_int_equal(k->writes, 1);
	assert_true(map_has(k, a));
	free(k);
	set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_del_write_only_what_changed),
		cmocka_unit_test(test_full_bucket_spills_and_refills),
		cmocka_unit_test(test_sweep_removes_the_unseen),
		cmocka_unit_test(test_load_keeps_generation_zero),
		cmocka_unit_test(test_failed_write_stays_dirty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
