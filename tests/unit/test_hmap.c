// SPDX-License-Identifier: GPL-2.0
/*
 * test_hmap.c - the learning core's chained hash and node pool: several
 * nodes per key, deletion, growth, and the shrink after a mass deletion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "hmap.h"

struct obj {
	struct hmap_node h;
	int val;
};

static void test_several_nodes_per_key_and_deletion(void **state)
{
	struct obj a = {.h.key = 7, .val = 1}, b = {.h.key = 7, .val = 2};
	struct obj c = {.h.key = 8, .val = 3};
	struct hmap t;
	struct hmap_node *n;
	int sum = 0;

	(void)state;
	assert_int_equal(hmap_init(&t), 0);
	hmap_add(&t, &a.h);
	hmap_add(&t, &b.h);
	hmap_add(&t, &c.h);
	for (n = hmap_find(&t, 7); n; n = hmap_next_same(n))
		sum += container_of(n, struct obj, h)->val;
	assert_int_equal(sum, 3);
	hmap_del(&t, &a.h);
	assert_ptr_equal(hmap_find(&t, 7), &b.h);
	assert_null(hmap_next_same(&b.h));
	assert_int_equal(t.n, 2);
	hmap_del(&t, &a.h); /* not there: nothing */
	assert_int_equal(t.n, 2);
	hmap_free(&t);
}

/* Grown to 10k nodes, back to ten: the buckets shrink, nothing is lost. */
static void test_fit_after_mass_deletion(void **state)
{
	struct obj *o = calloc(10000, sizeof(*o));
	struct hmap t;
	uint32_t i, grown;

	(void)state;
	assert_non_null(o);
	assert_int_equal(hmap_init(&t), 0);
	for (i = 0; i < 10000; i++) {
		o[i].h.key = (uint64_t)i * 0x10001;
		hmap_add(&t, &o[i].h);
	}
	grown = t.mask;
	assert_true(grown >= 8191);
	hmap_fit(&t); /* full: no change */
	assert_int_equal(t.mask, grown);
	for (i = 10; i < 10000; i++)
		hmap_del(&t, &o[i].h);
	hmap_fit(&t);
	assert_int_equal(t.mask, 63);
	for (i = 0; i < 10; i++)
		assert_ptr_equal(hmap_find(&t, (uint64_t)i * 0x10001), &o[i].h);
	assert_null(hmap_find(&t, 10ULL * 0x10001));
	hmap_free(&t);
	free(o);
}

/*
 * Doubling moves the old buckets a few at a time: meanwhile every node is
 * found, nodes of one key stay together, a walk sees each node once.
 */
static void test_doubling_is_incremental(void **state)
{
	struct obj *o = calloc(3000, sizeof(*o));
	struct hmap t;
	struct hmap_node *n, *tmp;
	uint32_t i, walked = 0, same = 0;

	(void)state;
	assert_non_null(o);
	assert_int_equal(hmap_init(&t), 0);
	for (i = 0; i < 3000; i++) {
		o[i].h.key = i % 1500; /* two nodes a key */
		o[i].val = (int)i;
		hmap_add(&t, &o[i].h);
		if (i == 64) /* the first doubling has begun, not ended */
			assert_non_null(t.ob);
		for (n = hmap_find(&t, i % 1500), same = 0; n;
		     n = hmap_next_same(n))
			same++;
		assert_int_equal(same, i < 1500 ? 1 : 2);
	}
	hmap_for_each(&t, i, n, tmp) walked++;
	assert_int_equal(walked, 3000);
	for (i = 0; i < 3000; i += 2)
		hmap_del(&t, &o[i].h);
	assert_int_equal(t.n, 1500);
	walked = 0;
	hmap_for_each(&t, i, n, tmp) walked++;
	assert_int_equal(walked, 1500);
	hmap_free(&t);
	free(o);
}

static void test_pool_reuses_and_zeroes(void **state)
{
	struct hmap_pool p = {.size = sizeof(struct obj)};
	struct obj *a, *b;

	(void)state;
	a = hmap_pool_get(&p);
	assert_non_null(a);
	a->val = 42;
	hmap_pool_put(&p, a);
	b = hmap_pool_get(&p);
	assert_ptr_equal(a, b);
	assert_int_equal(b->val, 0);
	hmap_pool_destroy(&p);
	assert_null(p.chunks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_nodes_per_key_and_deletion),
		cmocka_unit_test(test_fit_after_mass_deletion),
		cmocka_unit_test(test_doubling_is_incremental),
		cmocka_unit_test(test_pool_reuses_and_zeroes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
