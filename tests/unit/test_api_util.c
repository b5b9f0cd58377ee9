// SPDX-License-Identifier: GPL-2.0
/*
 * test_api_util.c - the API's strict parsers: IPv4 and IPv6, MAC, UTF-8, tokens,
 * the constant-time compare and UUIDs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

static void test_ipv4_accepts_only_canonical_dotted_quads(void **st)
{
	static const char *const bad[] = {
		"10.10.3",    "256.1.1.1", "::1",      " 10.10.3.5",
		"10.10.3.5 ", "010.1.1.1", "1.2.3.04", "1.2.3.4.5",
		"1..2.3",     "",	   "1.2.3.",   "0x1.2.3.4",
		"1.2.3.-4",   "1.2.3.4\n", "+1.2.3.4", "1000.1.1.1"};
	uint32_t ip;
	size_t i;

	(void)st;
	assert_int_equal(api_parse_ipv4("10.10.3.5", &ip), 0);
	assert_memory_equal(&ip, "\x0a\x0a\x03\x05", 4);
	assert_int_equal(api_parse_ipv4("0.0.0.0", &ip), 0);
	assert_int_equal(api_parse_ipv4("255.255.255.255", &ip), 0);
	assert_memory_equal(&ip, "\xff\xff\xff\xff", 4);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (api_parse_ipv4(bad[i], &ip) != -EINVAL) {
			print_error("accepted \"%s\"\n", bad[i]);
			fail();
		}
	}
}

static void test_mac_accepts_either_case_and_prints_lower_colon(void **st)
{
	static const uint8_t want[6] = {0x08, 0x00, 0x27, 0x13, 0xdf, 0xb6};
	static const char *const bad[] = {"08:00:27:13:df",
					  "08:00:27:13:df:b6:00",
					  "08:00:27:13:df:b",
					  "8:0:27:13:df:b6",
					  "08:00:27:13:df:bg",
					  "08-00:27:13:df:b6",
					  "08002713dfb6",
					  "0800.2713.dfb6",
					  "08:00:27:13:df:b6 ",
					  " 08:00:27:13:df:b6",
					  ""};
	char out[API_MAC_STRLEN];
	uint8_t mac[6];
	size_t i;

	(void)st;
	assert_int_equal(api_parse_mac("08:00:27:13:df:b6", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(api_parse_mac("08:00:27:13:DF:B6", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(api_parse_mac("08-00-27-13-Df-b6", mac), 0);
	assert_memory_equal(mac, want, 6);
	api_format_mac(mac, out);
	assert_string_equal(out, "08:00:27:13:df:b6");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (api_parse_mac(bad[i], mac) != -EINVAL) {
			print_error("accepted \"%s\"\n", bad[i]);
			fail();
		}
	}
}

static void test_utf8_rejects_overlong_surrogate_and_truncated(void **st)
{
	static const char *const good[] = {
		"plain", "\xc3\xa9", "\xe8\xbd\xac\xe5\x8f\x91",
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf" /* U+10FFFF */
	};
	static const char *const bad[] = {"\xff",
					  "\xc0\xaf",
					  "\xe0\x80\xaf",
					  "\xed\xa0\x80",
					  "\xf4\x90\x80\x80",
					  "\xc3",
					  "\xe8\xbd",
					  "\x80",
					  "\xf8\x88\x80\x80\x80",
					  "\xc3\x28"};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(api_utf8_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(api_utf8_valid(bad[i], strlen(bad[i])));
}

static void test_secret_compare_needs_equal_length_and_bytes(void **st)
{
	(void)st;
	assert_true(api_secret_equal("s3cret", 6, "s3cret", 6));
	assert_false(api_secret_equal("s3cret", 6, "s3cre", 5));
	assert_false(api_secret_equal("s3cret", 6, "s3crett", 7));
	assert_false(api_secret_equal("s3cret", 6, "s3creT", 6));
	assert_false(api_secret_equal("s3cret", 6, "", 0));
	assert_false(api_secret_equal("", 0, "", 0));
}

static void test_uuid4_has_version_variant_and_differs(void **st)
{
	char a[API_UUID_STRLEN], b[API_UUID_STRLEN];

	(void)st;
	assert_int_equal(api_uuid4(a), 0);
	assert_int_equal(api_uuid4(b), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
}

static int token_of(const char *content, char **tok, size_t *len)
{
	char path[] = "/tmp/fwd-test-token-XXXXXX";
	int fd = mkstemp(path), err;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	err = api_read_token(path, tok, len);
	unlink(path);
	return err;
}

static void test_token_file_trims_one_line_and_rejects_junk(void **st)
{
	char *tok;
	size_t len;

	(void)st;
	assert_int_equal(token_of("abc-123\n", &tok, &len), 0);
	assert_string_equal(tok, "abc-123");
	assert_int_equal(len, 7);
	free(tok);
	assert_int_equal(token_of("abc-123\r\n", &tok, &len), 0);
	free(tok);
	assert_int_equal(token_of("", &tok, &len), -EINVAL);
	assert_int_equal(token_of("\n", &tok, &len), -EINVAL);
	assert_int_equal(token_of("two words\n", &tok, &len), -EINVAL);
	assert_int_equal(token_of("a\nb\n", &tok, &len), -EINVAL);
	assert_int_equal(api_read_token("/nonexistent/token", &tok, &len),
			 -ENOENT);
}

static void test_ip_takes_any_rfc4291_text_and_prints_rfc5952(void **st)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"10.10.3.5", "10.10.3.5"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, /* first run */
		{"2001:db8:0:1:1:1:1:1",
		 "2001:db8:0:1:1:1:1:1"},		 /* no :: for one */
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"}, /* longest run */
		{"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"}, /* one 0 field: no :: */
		{"fe80::1", "fe80::1"},
		{"::", "::"},
		{"::1.2.3.4", "::1.2.3.4"},
		{"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"fe80::1%eth0", "zone index"},
		{"fe80::1%4", "zone index"},
		{"::ffff:1.2.3.4", "IPv4-mapped"},
		{"::FFFF:102:304", "IPv4-mapped"},
		{"1::2::3", "not an IPv4"},
		{"2001:db8::12345", "not an IPv4"},
		{"2001:db8:::1", "not an IPv4"},
		{"[2001:db8::1]", "not an IPv4"},
		{" 2001:db8::1", "not an IPv4"},
		{"2001:db8::1 ", "not an IPv4"},
		{"::01.2.3.4", "not an IPv4"},
		{"10.10.3", "not an IPv4"},
		{"", "not an IPv4"},
	};
	char out[API_IP_STRLEN];
	struct ip_addr a;
	const char *why;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (api_parse_ip(ok[i].in, &a, &why)) {
			print_error("refused \"%s\": %s\n", ok[i].in, why);
			fail();
		}
		assert_int_equal(a.family,
				 strchr(ok[i].in, ':') ? AF_INET6 : AF_INET);
		api_format_ip(&a, out);
		assert_string_equal(out, ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (api_parse_ip(bad[i].in, &a, &why) != -EINVAL || !why ||
		    !strstr(why, bad[i].why)) {
			print_error("\"%s\": %s\n", bad[i].in,
				    why ? why : "ok");
			fail();
		}
	}
}

static void test_ip_not_unicast_names_each_kind(void **st)
{
	static const struct {
		const char *in, *why; /* NULL: an override may name it */
	} c[] = {
		{"10.10.3.5", NULL},
		{"2001:db8::1", NULL},
		{"fc00::1", NULL},
		{"fec0::1",
		 NULL}, /* deprecated site-local: the kernel forwards */
		{"0.1.2.3", "unicast"},
		{"127.0.0.1", "unicast"},
		{"224.0.0.1", "unicast"},
		{"255.255.255.255", "unicast"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
		{"fe80::1", "link-local"},
		{"febf::1", "link-local"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::1.2.3.4", "IPv4-compatible"},
	};
	struct ip_addr a;
	const char *why;
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(api_parse_ip(c[i].in, &a, &why), 0);
		why = api_ip_not_unicast(&a);
		if (!c[i].why) {
			assert_null(why);
			continue;
		}
		if (!why || !strstr(why, c[i].why)) {
			print_error("%s: %s\n", c[i].in, why ? why : "unicast");
			fail();
		}
	}
}

static void test_ip_order_is_ipv4_then_ipv6_numeric(void **st)
{
	struct ip_addr a, b;
	const char *why;

	(void)st;
	assert_int_equal(api_parse_ip("9.255.0.1", &a, &why), 0);
	assert_int_equal(api_parse_ip("10.0.0.1", &b, &why), 0);
	assert_true(api_ip_cmp(&a, &b) < 0);
	assert_int_equal(api_parse_ip("2001:db8::1", &b, &why), 0);
	assert_true(api_ip_cmp(&a, &b) < 0 && api_ip_cmp(&b, &a) > 0);
	assert_int_equal(api_parse_ip("2001:db8::2", &a, &why), 0);
	assert_true(api_ip_cmp(&b, &a) < 0);
	assert_int_equal(api_ip_cmp(&a, &a), 0);
}

/*
 * Issue 25 item 7: the daemon's token file must be a regular file only
 * its owner can read (0600, 0400); a FIFO is refused at once, never
 * waited on. fwdctl's (not strict) may be shared with a group.
 */
static void test_token_file_must_be_private_and_regular(void **st)
{
	char path[] = "/tmp/fwd-test-token-XXXXXX",
	     dir[] = "/tmp/fwd-fifo-XXXXXX";
	char fifo[64];
	const char *why;
	char *tok;
	size_t len;
	int fd;

	(void)st;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc-123\n", 8), 8);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(api_load_token(path, true, &tok, &len, &why), -EINVAL);
	assert_non_null(strstr(why, "chmod 600"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(api_load_token(path, true, &tok, &len, &why), -EINVAL);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(api_load_token(path, true, &tok, &len, &why), -EINVAL);
	/* fwdctl's copy may be a group's */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(api_load_token(path, false, &tok, &len, &why), 0);
	free(tok);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(api_load_token(path, true, &tok, &len, &why), 0);
	assert_string_equal(tok, "abc-123");
	free(tok);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(api_load_token(path, true, &tok, &len, &why), 0);
	free(tok);
	unlink(path);

	/* a FIFO nobody writes: refused at once, also for fwdctl */
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5); /* a hang is a failure, not a stuck suite */
	assert_int_equal(api_load_token(fifo, true, &tok, &len, &why), -EINVAL);
	assert_string_equal(why, "not a regular file");
	assert_int_equal(api_load_token(fifo, false, &tok, &len, &why),
			 -EINVAL);
	alarm(0);
	unlink(fifo);
	/* a directory */
	assert_int_equal(api_load_token(dir, true, &tok, &len, &why), -EINVAL);
	assert_string_equal(why, "not a regular file");
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_accepts_only_canonical_dotted_quads),
		cmocka_unit_test(
			test_ip_takes_any_rfc4291_text_and_prints_rfc5952),
		cmocka_unit_test(test_ip_not_unicast_names_each_kind),
		cmocka_unit_test(test_ip_order_is_ipv4_then_ipv6_numeric),
		cmocka_unit_test(
			test_mac_accepts_either_case_and_prints_lower_colon),
		cmocka_unit_test(
			test_utf8_rejects_overlong_surrogate_and_truncated),
		cmocka_unit_test(
			test_secret_compare_needs_equal_length_and_bytes),
		cmocka_unit_test(test_uuid4_has_version_variant_and_differs),
		cmocka_unit_test(
			test_token_file_trims_one_line_and_rejects_junk),
		cmocka_unit_test(test_token_file_must_be_private_and_regular),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
