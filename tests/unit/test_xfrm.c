// SPDX-License-Identifier: GPL-2.0
/*
 * test_xfrm.c - which IPsec policy databases hold the fast path, and how
 * the log names them (the netlink side is test_policy.sh's, on a real
 * kernel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "xfrm.h"

static void expect(struct xfrm_spd s, bool hold, const char *why)
{
	char got[256];

	assert_int_equal(xfrm_holds(&s, got, sizeof(got)), hold);
	assert_string_equal(got, why);
}

static void test_none_holds_nothing(void **state)
{
	(void)state;
	expect((struct xfrm_spd){0}, false, "");
}

/* fwd and out policies, and blocking defaults, each hold */
static void test_fwd_out_and_blocking_defaults_hold(void **state)
{
	(void)state;
	expect((struct xfrm_spd){.fwd = 1}, true, "1 fwd policy");
	expect((struct xfrm_spd){.out = 3}, true, "3 out policies");
	expect((struct xfrm_spd){.block_fwd = true}, true, "default fwd block");
	expect((struct xfrm_spd){.block_out = true}, true, "default out block");
	expect((struct xfrm_spd){.fwd = 2,
				 .out = 1,
				 .block_fwd = true,
				 .block_out = true},
	       true,
	       "2 fwd policies, 1 out policy, default fwd block, default out "
	       "block");
}

/* a short buffer cuts the words, never the answer */
static void test_short_buffer_keeps_the_answer(void **state)
{
	struct xfrm_spd s = {.fwd = 12345, .out = 678, .block_out = true};
	char why[8];

	(void)state;
	assert_true(xfrm_holds(&s, why, sizeof(why)));
	assert_string_equal(why, "12345 f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_holds_nothing),
		cmocka_unit_test(test_fwd_out_and_blocking_defaults_hold),
		cmocka_unit_test(test_short_buffer_keeps_the_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
