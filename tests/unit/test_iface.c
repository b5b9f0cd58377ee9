// SPDX-License-Identifier: GPL-2.0
/*
 * test_iface.c - the fwd_ifaces value of a managed interface: what
 * rtnetlink said, what /proc/sys says, what holds on every interface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fwd.h"
#include "iface.h"

static const struct iface base = {
	.ifindex = 2,
	.name = "eth0",
	.flags = FWD_IF_UP | FWD_IF_FORWARDING | FWD_IF_IPV6,
	.mtu = 1500,
	.mtu6 = 1400, /* a route MTU below the device's */
};

static uint16_t flags_of(const struct iface *i, const struct iface_host *h,
			 uint32_t *mtu, uint32_t *mtu6)
{
	uint16_t f;

	iface_value(i, h, &f, mtu, mtu6);
	return f;
}

static void test_rtnetlink_alone(void **state)
{
	struct iface_host h = {0};
	uint32_t mtu, mtu6;

	(void)state;
	assert_int_equal(flags_of(&base, &h, &mtu, &mtu6), base.flags);
	assert_int_equal(mtu, 1500);
	assert_int_equal(mtu6, 1400);
}

/* accept_local from the interface or from "all"; force_forwarding. */
static void test_proc_settings(void **state)
{
	struct iface i = base;
	struct iface_host h = {0};
	uint32_t mtu, mtu6;

	(void)state;
	i.conf.accept_local = true;
	assert_true(flags_of(&i, &h, &mtu, &mtu6) & FWD_IF_ACCEPT_LOCAL);
	i.conf.accept_local = false;
	h.accept_all = true;
	assert_true(flags_of(&i, &h, &mtu, &mtu6) & FWD_IF_ACCEPT_LOCAL);
	h.accept_all = false;
	assert_false(flags_of(&i, &h, &mtu, &mtu6) & FWD_IF_FORWARDING6);
	i.conf.force_forwarding = true;
	assert_true(flags_of(&i, &h, &mtu, &mtu6) & FWD_IF_FORWARDING6);
}

/* conf.<if>.mtu bounds IPv6 only when it is the smaller. */
static void test_ipv6_mtu_is_the_smallest(void **state)
{
	struct iface i = base;
	struct iface_host h = {0};
	uint32_t mtu, mtu6;

	(void)state;
	i.conf.mtu6 = 1280;
	flags_of(&i, &h, &mtu, &mtu6);
	assert_int_equal(mtu6, 1280);
	assert_int_equal(mtu, 1500);
	i.conf.mtu6 = 9000;
	flags_of(&i, &h, &mtu, &mtu6);
	assert_int_equal(mtu6, 1400);
	i.conf.mtu6 = 0; /* unreadable */
	flags_of(&i, &h, &mtu, &mtu6);
	assert_int_equal(mtu6, 1400);
}

/* Netfilter holds per family unless bypassed; an unknown own address. */
static void test_host_wide_holds(void **state)
{
	struct iface_host h = {.nf_hold6 = true};
	uint32_t mtu, mtu6;
	uint16_t f;

	(void)state;
	f = flags_of(&base, &h, &mtu, &mtu6);
	assert_true(f & FWD_IF_NF_HOLD6);
	assert_false(f & FWD_IF_NF_HOLD);
	h.nf_hold = true;
	assert_true(flags_of(&base, &h, &mtu, &mtu6) & FWD_IF_NF_HOLD);
	h.bypass_netfilter = true;
	f = flags_of(&base, &h, &mtu, &mtu6);
	assert_false(f & (FWD_IF_NF_HOLD | FWD_IF_NF_HOLD6));
	h.local_unknown = true;
	assert_true(flags_of(&base, &h, &mtu, &mtu6) & FWD_IF_LOCAL_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtnetlink_alone),
		cmocka_unit_test(test_proc_settings),
		cmocka_unit_test(test_ipv6_mtu_is_the_smallest),
		cmocka_unit_test(test_host_wide_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
