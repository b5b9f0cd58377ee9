// SPDX-License-Identifier: GPL-2.0
/*
 * test_api_actions.c - the POST / actions against a fake table: the
 * original's exact requests and reply bytes, every error code, every class
 * of malformed body, and that nothing changes after a rejected request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "actions.h"
#include "api_fake.h"

static struct fake fk;
static struct api_ops ops;

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	ops = fake_ops(&fk);
	fake_learn(&fk, "10.10.3.10", 4, "08:00:27:f2:cb:f9");
	fake_learn(&fk, "10.10.2.7", 2, "08:00:27:aa:bb:01");
	return 0;
}

static void req(const char *body, size_t len, struct api_reply *r)
{
	assert_int_equal(api_action(&ops, body, len, r), 0);
	assert_non_null(r->body);
	assert_int_equal(strlen(r->body), r->len);
}

#define REQ(body, r) req(body, strlen(body), r)

static const struct api_row *row_of(const char *ip)
{
	struct ip_addr a;
	const char *why;
	int i;

	assert_int_equal(api_parse_ip(ip, &a, &why), 0);
	i = fake_find(fk.rows, fk.nrows, &a);
	return i < 0 ? NULL : &fk.rows[i];
}

static void test_seed_query_forward_gives_the_original_reply_bytes(void **s)
{
	static const char body[] =
		"{\n  \"action\": \"QueryForward\",\n"
		"  \"traceId\": \"e3e98256-5a75-4bdc-80a5-e26fef7ffcca\"\n}";
	struct api_reply r;

	(void)s;
	REQ(body, &r);
	assert_int_equal(r.status, 200);
	assert_false(r.flush);
	assert_string_equal(
		r.body,
		"{\"code\":200,"
		"\"traceId\":\"e3e98256-5a75-4bdc-80a5-e26fef7ffcca\","
		"\"Tables\":["
		"{\"Ip\":\"10.10.2.7\",\"Iface\":2,"
		"\"SrcMac\":\"08:00:27:f0:1e:41\","
		"\"DstMac\":\"08:00:27:aa:bb:01\",\"Source\":\"learned\"},"
		"{\"Ip\":\"10.10.3.10\",\"Iface\":4,"
		"\"SrcMac\":\"08:00:27:13:df:b6\","
		"\"DstMac\":\"08:00:27:f2:cb:f9\",\"Source\":\"learned\"}]}");
	api_reply_free(&r);
}

static void test_seed_update_forward_numeric_iface_sets_override(void **s)
{
	static const char body[] =
		"{\n  \"action\": \"UpdateForward\",\n"
		"  \"traceId\": \"ad231a4f-49ca-43a1-9194-2671d02874e4\",\n"
		"  \"ip\": \"10.10.3.10\",\n  \"iface\": 4,\n"
		"  \"srcMac\": \"08:00:27:13:df:b6\",\n"
		"  \"dstMac\": \"08:00:27:f2:cb:f9\"\n}";
	static const uint8_t dmac[6] = {0x08, 0x00, 0x27, 0xf2, 0xcb, 0xf9};
	static const uint8_t smac[6] = {0x08, 0x00, 0x27, 0x13, 0xdf, 0xb6};
	const struct api_row *row;
	struct api_reply r;

	(void)s;
	REQ(body, &r);
	assert_string_equal(
		r.body,
		"{\"code\":200,"
		"\"traceId\":\"ad231a4f-49ca-43a1-9194-2671d02874e4\"}");
	assert_int_equal(r.status, 200);
	assert_true(r.flush);
	row = row_of("10.10.3.10");
	assert_non_null(row);
	assert_true(row->override);
	assert_int_equal(row->entry.ifindex, 4);
	assert_memory_equal(row->entry.dmac, dmac, 6);
	assert_memory_equal(row->entry.smac, smac, 6);
	api_reply_free(&r);
}

static void test_seed_lab_update_with_string_iface_sets_override(void **s)
{
	static const char body[] =
		"{\n  \"action\": \"UpdateForward\",\n"
		"  \"traceId\": \"1fabb3c6-bd56-48a7-ac41-132c8228f421\",\n"
		"  \"ip\": \"10.10.3.5\",\n  \"iface\": \"4\",\n"
		"  \"srcMac\": \"08:00:27:13:df:b6\",\n"
		"  \"dstMac\": \"08:00:27:f2:cb:f9\"\n}";
	const struct api_row *row;
	struct api_reply r;

	(void)s;
	REQ(body, &r);
	assert_string_equal(
		r.body,
		"{\"code\":200,"
		"\"traceId\":\"1fabb3c6-bd56-48a7-ac41-132c8228f421\"}");
	assert_true(r.flush);
	row = row_of("10.10.3.5");
	assert_non_null(row);
	assert_true(row->override);
	assert_int_equal(row->entry.ifindex, 4);
	api_reply_free(&r);
	assert_int_equal(fk.gen, 1);
}

static void test_update_by_name_defaults_src_mac_and_lowers_case(void **s)
{
	static const uint8_t ifmac[6] = {0x08, 0x00, 0x27, 0x4a, 0x9b, 0x01};
	struct api_reply r;

	(void)s;
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"192.168.56.103\","
	    "\"iface\":\"enp0s8\",\"dstMac\":\"0A:00:27:AB:CD:EF\"}",
	    &r);
	assert_int_equal(r.code, 200);
	api_reply_free(&r);
	assert_memory_equal(row_of("192.168.56.103")->entry.smac, ifmac, 6);
	assert_int_equal(row_of("192.168.56.103")->entry.ifindex, 3);

	REQ("{\"action\":\"QueryForward\",\"traceId\":\"t\","
	    "\"ip\":\"192.168.56.103\"}",
	    &r);
	assert_string_equal(r.body,
			    "{\"code\":200,\"traceId\":\"t\",\"Tables\":["
			    "{\"Ip\":\"192.168.56.103\",\"Iface\":3,"
			    "\"SrcMac\":\"08:00:27:4a:9b:01\","
			    "\"DstMac\":\"0a:00:27:ab:cd:ef\","
			    "\"Source\":\"override\"}]}");
	api_reply_free(&r);
}

static void test_query_with_unknown_ip_gives_empty_tables(void **s)
{
	struct api_reply r;

	(void)s;
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"x\","
	    "\"ip\":\"10.9.9.9\"}",
	    &r);
	assert_string_equal(r.body,
			    "{\"code\":200,\"traceId\":\"x\",\"Tables\":[]}");
	api_reply_free(&r);
}

static void test_delete_brings_back_learned_entry(void **s)
{
	struct api_reply r;

	(void)s;
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"10.10.3.10\","
	    "\"iface\":2,\"dstMac\":\"02:00:00:00:00:01\"}",
	    &r);
	api_reply_free(&r);
	assert_true(row_of("10.10.3.10")->override);
	REQ("{\"action\":\"DeleteForward\",\"traceId\":\"d\","
	    "\"ip\":\"10.10.3.10\"}",
	    &r);
	assert_string_equal(r.body, "{\"code\":200,\"traceId\":\"d\"}");
	assert_true(r.flush);
	api_reply_free(&r);
	assert_false(row_of("10.10.3.10")->override);
	assert_int_equal(row_of("10.10.3.10")->entry.ifindex, 4);
}

static void test_delete_of_missing_override_is_1202_404(void **s)
{
	struct api_reply r;

	(void)s;
	/* a learned entry is not an override either */
	REQ("{\"action\":\"DeleteForward\",\"traceId\":\"d\","
	    "\"ip\":\"10.10.3.10\"}",
	    &r);
	assert_string_equal(r.body,
			    "{\"code\":1202,\"traceId\":\"d\",\"message\":"
			    "\"override not found: 10.10.3.10\"}");
	assert_int_equal(r.status, 404);
	assert_false(r.flush);
	assert_int_equal(fk.gen, 0);
	api_reply_free(&r);
}

static void test_stats_sums_every_counter_by_name(void **s)
{
	struct api_reply r;
	cJSON *root, *c, *ag;
	int i;

	(void)s;
	REQ("{\"action\":\"QueryStats\",\"traceId\":\"s\"}", &r);
	assert_int_equal(r.status, 200);
	root = cJSON_Parse(r.body);
	assert_non_null(root);
	c = cJSON_GetObjectItemCaseSensitive(root, "Counters");
	assert_int_equal(cJSON_GetArraySize(c), FWD_CNT_MAX);
	for (i = 0; i < FWD_CNT_MAX; i++) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(
			c, fwd_counter_names[i]);

		assert_non_null(o);
		assert_int_equal(cJSON_GetObjectItem(o, "packets")->valuedouble,
				 10 * i + 1);
		assert_int_equal(cJSON_GetObjectItem(o, "bytes")->valuedouble,
				 1000 * i + 64);
	}
	ag = cJSON_GetObjectItemCaseSensitive(root, "Agent");
	assert_int_equal(cJSON_GetObjectItem(ag, "learned")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(ag, "hfwdEntries")->valuedouble,
			 2);
	assert_int_equal(cJSON_GetObjectItem(ag, "resyncs")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(ag, "netlinkEvents")->valuedouble,
			 345);
	assert_int_equal(cJSON_GetObjectItem(ag, "uptimeSeconds")->valuedouble,
			 67);
	cJSON_Delete(root);
	api_reply_free(&r);
}

static void test_stats_lists_each_interface_rx_by_outcome_and_tx(void **s)
{
	struct api_reply r;
	cJSON *root, *arr, *o, *rx, *c;
	int i, k;

	(void)s;
	REQ("{\"action\":\"QueryStats\",\"traceId\":\"s\"}", &r);
	assert_int_equal(r.status, 200);
	root = cJSON_Parse(r.body);
	assert_non_null(root);
	arr = cJSON_GetObjectItemCaseSensitive(root, "Interfaces");
	assert_true(cJSON_IsArray(arr));
	assert_int_equal(cJSON_GetArraySize(arr), 4);
	for (i = 0; i < 4; i++) {
		o = cJSON_GetArrayItem(arr, i);
		assert_int_equal(cJSON_GetObjectItem(o, "Iface")->valuedouble,
				 2 + i);
		rx = cJSON_GetObjectItemCaseSensitive(o, "Rx");
		assert_int_equal(cJSON_GetArraySize(rx), FWD_CNT_MAX);
		for (k = 0; k < FWD_CNT_MAX; k++) {
			c = cJSON_GetObjectItemCaseSensitive(
				rx, fwd_counter_names[k]);
			assert_non_null(c);
			assert_int_equal(
				cJSON_GetObjectItem(c, "packets")->valuedouble,
				100 * (2 + i) + k);
			assert_int_equal(
				cJSON_GetObjectItem(c, "bytes")->valuedouble,
				64 * (100 * (2 + i) + k));
		}
		c = cJSON_GetObjectItemCaseSensitive(o, "Tx");
		assert_int_equal(cJSON_GetObjectItem(c, "packets")->valuedouble,
				 1000 * (2 + i));
	}
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "Name")
			->valuestring,
		"enp0s3");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 3), "Name")
			->valuestring,
		"a\"b\\c");
	cJSON_Delete(root);
	api_reply_free(&r);
}

static void test_missing_trace_id_gets_a_uuid4(void **s)
{
	struct api_reply r;
	const char *t;
	cJSON *root;
	int i;

	(void)s;
	REQ("{\"action\":\"QueryStats\"}", &r);
	root = cJSON_Parse(r.body);
	t = cJSON_GetObjectItem(root, "traceId")->valuestring;
	assert_int_equal(strlen(t), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(t[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", t[i]));
	}
	assert_int_equal(t[14], '4');
	assert_non_null(strchr("89ab", t[19]));
	assert_string_equal(t, r.trace_id);
	cJSON_Delete(root);
	api_reply_free(&r);
}

/* A rejected request: code, status, a word of the message, no change. */
struct bad {
	const char *body;
	size_t len; /* 0: strlen(body) */
	int code;
	const char *why;
};

#define UPD "{\"action\":\"UpdateForward\",\"traceId\":\"b\","
#define DST ",\"dstMac\":\"08:00:27:f2:cb:f9\""

static const struct bad bad[] = {
	{"", 0, 1000, "empty body"},
	{"null", 0, 1100, "not null"},
	{"[]", 0, 1100, "not an array"},
	{"[{\"action\":\"QueryForward\"}]", 0, 1100, "not an array"},
	{"\"QueryForward\"", 0, 1100, "not a string"},
	{"42", 0, 1100, "not a number"},
	{"true", 0, 1100, "not a boolean"},
	{"{", 0, 1100, "invalid JSON"},
	{"{\"action\":\"QueryForward\"} x", 0, 1100, "invalid JSON"},
	{"{\"action\":\"QueryForward\"}{}", 0, 1100, "invalid JSON"},
	{"{\"action\":\"QueryForward\"}\0{\"a\":1}", 35, 1100, "NUL byte"},
	{"{\"action\":\"Query\\u0000Forward\"}", 0, 1100, "\\u0000"},
	{"{\"ac\\u0000x\":1,\"action\":\"QueryForward\"}", 0, 1100, "\\u0000"},
	{"{\"action\":\"QueryForward\",\"traceId\":\"\xff\"}", 0, 1100,
	 "UTF-8"},
	{"{\"action\":\"QueryForward\",\"traceId\":\"\xc0\xaf\"}", 0, 1100,
	 "UTF-8"},
	{"{\"action\":\"QueryForward\",\"traceId\":\"\xed\xa0\x80\"}", 0, 1100,
	 "UTF-8"},
	{"{\"action\":\"QueryForward\",\"traceId\":\"\xf4\x90\x80\x80\"}", 0,
	 1100, "UTF-8"},
	{"{\"action\":\"QueryForward\",\"traceId\":\"\\ud800\"}", 0, 1100,
	 "invalid JSON"},
	{"{\"action\":\"QueryForward\",\"action\":\"DeleteForward\"}", 0, 1100,
	 "duplicate field \\\"action\\\""},
	{"{\"Action\":\"QueryForward\"}", 0, 1100, "action: missing"},
	{"{\"action\":null}", 0, 1100, "action: must be a string, not null"},
	{"{\"action\":7}", 0, 1100, "action: must be a string, not a number"},
	{"{\"action\":[\"QueryForward\"]}", 0, 1100, "not an array"},
	{"{\"action\":\"queryforward\"}", 0, 1101, "not support action"},
	{"{\"action\":\"Nope\"}", 0, 1101, "not support action"},
	{"{\"action\":\"\"}", 0, 1101, "not support action"},
	{"{\"action\":\"QueryForward\",\"traceId\":5}", 0, 1100,
	 "traceId: must be a string"},
	{"{\"action\":\"QueryForward\",\"traceId\":null}", 0, 1100,
	 "traceId: must be a string, not null"},
	{"{\"action\":\"QueryForward\",\"ip\":\"10.10.3\"}", 0, 1100,
	 "ip: \\\"10.10.3\\\""},
	{"{\"action\":\"QueryForward\",\"ip\":17}", 0, 1100,
	 "ip: must be a string"},
	{UPD "\"iface\":4" DST "}", 0, 1100, "ip: missing"},
	{UPD "\"ip\":\"10.10.3\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"256.1.1.1\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"::1\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\" 10.10.3.5\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"10.10.3.5 \",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"010.10.3.5\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"10.10.3.5.1\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"10.10.3.\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"0x0a.10.3.5\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":\"\",\"iface\":4" DST "}", 0, 1100, "ip: "},
	{UPD "\"ip\":167379717,\"iface\":4" DST "}", 0, 1100,
	 "ip: must be a string"},
	{UPD "\"ip\":\"224.0.0.1\",\"iface\":4" DST "}", 0, 1100,
	 "not a unicast address"},
	{UPD "\"ip\":\"0.0.0.0\",\"iface\":4" DST "}", 0, 1100, "unicast"},
	{UPD "\"ip\":\"127.0.0.1\",\"iface\":4" DST "}", 0, 1100, "unicast"},
	{UPD "\"ip\":\"255.255.255.255\",\"iface\":4" DST "}", 0, 1100,
	 "unicast"},
	/* IPv6: each refusal names the field and why (docs/api.md) */
	{UPD "\"ip\":\"fe80::1%eth0\",\"iface\":4" DST "}", 0, 1100,
	 "ip: \\\"fe80::1%eth0\\\": a zone index"},
	{"{\"action\":\"QueryForward\",\"ip\":\"fe80::1%4\"}", 0, 1100,
	 "a zone index"},
	{UPD "\"ip\":\"::ffff:1.2.3.4\",\"iface\":4" DST "}", 0, 1100,
	 "IPv4-mapped IPv6 address: write the IPv4 address"},
	{"{\"action\":\"DeleteForward\",\"ip\":\"::ffff:1.2.3.4\"}", 0, 1100,
	 "IPv4-mapped"},
	{UPD "\"ip\":\"1::2::3\",\"iface\":4" DST "}", 0, 1100,
	 "ip: \\\"1::2::3\\\": not an IPv4 (dotted quad) or IPv6 address"},
	{UPD "\"ip\":\"2001:db8::g\",\"iface\":4" DST "}", 0, 1100,
	 "not an IPv4 (dotted quad) or IPv6"},
	{UPD "\"ip\":\"2001:db8:0:0:0:0:0:0:1\",\"iface\":4" DST "}", 0, 1100,
	 "not an IPv4 (dotted quad) or IPv6"},
	{UPD "\"ip\":\"[2001:db8::1]\",\"iface\":4" DST "}", 0, 1100,
	 "not an IPv4 (dotted quad) or IPv6"},
	{UPD "\"ip\":\"ff02::1\",\"iface\":4" DST "}", 0, 1100,
	 "ip: ff02::1: a multicast address"},
	{UPD "\"ip\":\"FE80::1\",\"iface\":4" DST "}", 0, 1100,
	 "ip: fe80::1: link-local: the kernel never forwards it off its link"},
	{UPD "\"ip\":\"::\",\"iface\":4" DST "}", 0, 1100,
	 "ip: ::: not a unicast address"},
	{UPD "\"ip\":\"::1\",\"iface\":4" DST "}", 0, 1100,
	 "ip: ::1: not a unicast address"},
	{UPD "\"ip\":\"::10.1.2.3\",\"iface\":4" DST "}", 0, 1100,
	 "IPv4-compatible"},
	{UPD "\"ip\":\"10.10.3.5\"" DST "}", 0, 1100, "iface: missing"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4.7" DST "}", 0, 1100,
	 "iface: 4.7 is not"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":1e20" DST "}", 0, 1100,
	 "iface: 1e+20 is not"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":-4" DST "}", 0, 1100,
	 "iface: -4 is not"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":0" DST "}", 0, 1100, "iface: 0"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4294967300" DST "}", 0, 1100,
	 "iface: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":true" DST "}", 0, 1100,
	 "iface: must be a number or a string, not a boolean"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":null" DST "}", 0, 1100,
	 "not null"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":[4]" DST "}", 0, 1100,
	 "not an array"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":{}" DST "}", 0, 1100,
	 "not an object"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":\"\"" DST "}", 0, 1100, "iface: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":\"enp0s99\"" DST "}", 0, 1100,
	 "no such interface \\\"enp0s99\\\""},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":99" DST "}", 0, 1100,
	 "no such interface \\\"99\\\""},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":\"lo\"" DST "}", 0, 1100,
	 "not managed"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":\"a-very-long-interface\"" DST "}",
	 0, 1100, "iface: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4}", 0, 1100, "dstMac: missing"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstmac\":"
	     "\"08:00:27:f2:cb:f9\"}",
	 0, 1100, "dstMac: missing"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"08:00:27:f2:cb\"}",
	 0, 1100, "dstMac: \\\"08:00:27:f2:cb\\\" is not a MAC"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"08:00:27:f2:cb:f9:00\"}",
	 0, 1100, "dstMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"08:00:27:f2:cb:fg\"}",
	 0, 1100, "dstMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"0800.27f2.cbf9\"}",
	 0, 1100, "dstMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"8:0:27:f2:cb:f9\"}",
	 0, 1100, "dstMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"08-00:27:f2:cb:f9\"}",
	 0, 1100, "dstMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"01:00:5e:00:00:01\"}",
	 0, 1100, "not a unicast MAC"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":"
	     "\"00:00:00:00:00:00\"}",
	 0, 1100, "not a unicast MAC"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4,\"dstMac\":8}", 0, 1100,
	 "dstMac: must be a string"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4" DST ",\"srcMac\":null}", 0,
	 1100, "srcMac: must be a string, not null"},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4" DST ",\"srcMac\":\"x\"}", 0,
	 1100, "srcMac: "},
	{UPD "\"ip\":\"10.10.3.5\",\"iface\":4" DST ",\"ip\":\"10.1.1.1\"}", 0,
	 1100, "duplicate field \\\"ip\\\""},
	{"{\"action\":\"DeleteForward\",\"traceId\":\"b\"}", 0, 1100,
	 "ip: missing"},
	{"{\"action\":\"DeleteForward\",\"traceId\":\"b\",\"ip\":\"x\"}", 0,
	 1100, "ip: "},
	{"{\"action\":\"DeleteForward\",\"traceId\":\"b\","
	 "\"ip\":\"10.10.3.5\"}",
	 0, 1202, "override not found"},
};

static void test_bad_requests_get_their_code_and_change_nothing(void **s)
{
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct bad *b = &bad[i];
		unsigned long gen = fk.gen;
		int nrows = fk.nrows;
		struct api_reply r;
		char code[32];

		req(b->body, b->len ? b->len : strlen(b->body), &r);
		snprintf(code, sizeof(code), "{\"code\":%d,", b->code);
		if (strncmp(r.body, code, strlen(code)) ||
		    !strstr(r.body, b->why) || !strstr(r.body, "\"message\"")) {
			print_error("bad[%zu] %s\n  got %s\n  want %s ... %s\n",
				    i, b->body, r.body, code, b->why);
			fail();
		}
		assert_int_equal(r.code, b->code);
		assert_int_equal(r.status, api_code_status(b->code));
		assert_true(r.status == 400 || r.status == 404);
		assert_false(r.flush);
		assert_int_equal(fk.gen, gen);
		assert_int_equal(fk.nrows, nrows);
		/* the traceId is echoed once it was read */
		if (strstr(b->body, "\"traceId\":\"b\""))
			assert_string_equal(r.trace_id, "b");
		api_reply_free(&r);
	}
}

static void test_failing_ops_give_1200_and_1201(void **s)
{
	struct api_reply r;

	(void)s;
	fk.fail_set = -EIO;
	REQ(UPD "\"ip\":\"10.10.3.5\",\"iface\":4" DST "}", &r);
	assert_int_equal(r.code, 1200);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "update error: 10.10.3.5"));
	assert_false(r.flush);
	api_reply_free(&r);
	fk.fail_set = -ENOSPC;
	REQ(UPD "\"ip\":\"10.10.3.5\",\"iface\":4" DST "}", &r);
	assert_non_null(strstr(r.body, "table is full"));
	api_reply_free(&r);

	fk.fail_walk = -EIO;
	REQ("{\"action\":\"QueryForward\"}", &r);
	assert_int_equal(r.code, 1201);
	assert_int_equal(r.status, 500);
	api_reply_free(&r);
	REQ("{\"action\":\"QueryForward\",\"ip\":\"10.10.3.10\"}", &r);
	assert_int_equal(r.code, 1201);
	api_reply_free(&r);

	fk.fail_stats = -EPERM;
	REQ("{\"action\":\"QueryStats\"}", &r);
	assert_int_equal(r.code, 1201);
	assert_non_null(strstr(r.body, "query error: stats"));
	api_reply_free(&r);
	assert_int_equal(fk.gen, 0);
}

static void test_error_reply_maps_every_added_code_to_its_status(void **s)
{
	static const struct {
		int code;
		unsigned int status;
	} map[] = {
		{200, 200},  {1000, 400}, {1001, 413}, {1002, 401},
		{1003, 404}, {1004, 405}, {1005, 400}, {1100, 400},
		{1101, 400}, {1200, 500}, {1201, 500}, {1202, 404},
	};
	struct api_reply r = {};
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_int_equal(api_code_status(map[i].code), map[i].status);
	assert_int_equal(api_error_reply(&r, API_ERR_TOO_LARGE, "q",
					 "request body too large: %d", 65537),
			 0);
	assert_string_equal(r.body,
			    "{\"code\":1001,\"traceId\":\"q\",\"message\":"
			    "\"request body too large: 65537\"}");
	assert_int_equal(r.status, 413);
	api_reply_free(&r);
}

static void test_unknown_fields_are_ignored(void **s)
{
	struct api_reply r;

	(void)s;
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"u\","
	    "\"extra\":{\"a\":[1,2,{\"b\":null}]}}",
	    &r);
	assert_int_equal(r.code, 200);
	api_reply_free(&r);
}

/* IPv6: any RFC 4291 text in, RFC 5952 text out, in the same list. */
static void test_ipv6_update_query_delete(void **s)
{
	static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					 0,    0,    0,	   0,	 0, 0, 0, 5};
	const struct api_row *row;
	struct api_reply r;

	(void)s;
	REQ("{\"action\":\"UpdateForward\",\"traceId\":\"t\","
	    "\"ip\":\"2001:DB8:0:0:0:0:0:0005\",\"iface\":\"enp0s9\","
	    "\"dstMac\":\"08:00:27:f2:cb:f9\"}",
	    &r);
	assert_string_equal(r.body, "{\"code\":200,\"traceId\":\"t\"}");
	assert_true(r.flush);
	api_reply_free(&r);
	row = row_of("2001:db8::5");
	assert_non_null(row);
	assert_int_equal(row->ip.family, AF_INET6);
	assert_memory_equal(row->ip.v6, want, 16);
	assert_true(row->override);
	assert_int_equal(row->entry.ifindex, 4);
	/* the whole list: IPv4 first, then IPv6, canonical text */
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"q\"}", &r);
	assert_string_equal(
		r.body,
		"{\"code\":200,\"traceId\":\"q\",\"Tables\":["
		"{\"Ip\":\"10.10.2.7\",\"Iface\":2,"
		"\"SrcMac\":\"08:00:27:f0:1e:41\","
		"\"DstMac\":\"08:00:27:aa:bb:01\",\"Source\":\"learned\"},"
		"{\"Ip\":\"10.10.3.10\",\"Iface\":4,"
		"\"SrcMac\":\"08:00:27:13:df:b6\","
		"\"DstMac\":\"08:00:27:f2:cb:f9\",\"Source\":\"learned\"},"
		"{\"Ip\":\"2001:db8::5\",\"Iface\":4,"
		"\"SrcMac\":\"08:00:27:13:df:b6\","
		"\"DstMac\":\"08:00:27:f2:cb:f9\",\"Source\":\"override\"}]}");
	api_reply_free(&r);
	/* one address, in another spelling */
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"q\","
	    "\"ip\":\"2001:0db8::0:5\"}",
	    &r);
	assert_non_null(strstr(r.body, "\"Tables\":[{\"Ip\":\"2001:db8::5\""));
	api_reply_free(&r);
	REQ("{\"action\":\"DeleteForward\",\"ip\":\"2001:db8::5\"}", &r);
	assert_int_equal(r.code, 200);
	api_reply_free(&r);
	assert_null(row_of("2001:db8::5"));
}

/*
 * Issue 25 item 11: a row the map does not hold (it was full) says so;
 * the others keep the original's five fields, byte for byte.
 */
static void test_a_row_not_in_the_map_says_so(void **s)
{
	struct api_reply r;
	struct api_row *row;

	(void)s;
	row = (struct api_row *)row_of("10.10.3.10");
	assert_non_null(row);
	row->absent = true;
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"t\"}", &r);
	assert_string_equal(
		r.body,
		"{\"code\":200,\"traceId\":\"t\",\"Tables\":["
		"{\"Ip\":\"10.10.2.7\",\"Iface\":2,"
		"\"SrcMac\":\"08:00:27:f0:1e:41\","
		"\"DstMac\":\"08:00:27:aa:bb:01\",\"Source\":\"learned\"},"
		"{\"Ip\":\"10.10.3.10\",\"Iface\":4,"
		"\"SrcMac\":\"08:00:27:13:df:b6\","
		"\"DstMac\":\"08:00:27:f2:cb:f9\",\"Source\":\"learned\","
		"\"Status\":\"not installed: the map is full (raise "
		"--max-entries)\"}]}");
	api_reply_free(&r);
}

/*
 * Issue 25 item 10: one rule for numbers written as text: ip's parts and
 * a numeric iface alike are refused with leading zeros ("04" was taken
 * as 4 while "010.1.1.1" was refused); the table is left as it was.
 */
static void test_leading_zeros_are_refused_in_iface_as_in_ip(void **s)
{
	static const char *const bad[] = {
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.1\","
		"\"iface\":\"04\",\"dstMac\":\"02:00:00:00:00:01\"}",
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.1\","
		"\"iface\":\"004\",\"dstMac\":\"02:00:00:00:00:01\"}",
		"{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.1\","
		"\"iface\":\"00\",\"dstMac\":\"02:00:00:00:00:01\"}",
		"{\"action\":\"UpdateForward\",\"ip\":\"010.1.1.1\","
		"\"iface\":\"4\",\"dstMac\":\"02:00:00:00:00:01\"}",
	};
	unsigned long gen = fk.gen;
	struct api_reply r;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REQ(bad[i], &r);
		assert_int_equal(r.status, 400);
		assert_non_null(strstr(r.body, "\"code\":1100"));
		if (i < 3)
			assert_non_null(strstr(r.body, "leading zeros"));
		api_reply_free(&r);
	}
	assert_int_equal(fk.gen, gen);
	assert_null(row_of("10.1.1.1"));
	/* "4" and 4 are the same interface */
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.1\","
	    "\"iface\":\"4\",\"dstMac\":\"02:00:00:00:00:01\"}",
	    &r);
	assert_int_equal(r.status, 200);
	api_reply_free(&r);
	assert_int_equal(row_of("10.1.1.1")->entry.ifindex, 4);
}

/*
 * Issue 25 item 12: the table is told whether iface came as a name (which
 * the override then follows) or as an index, and whether srcMac was
 * given; an override whose interface is gone says so in its row.
 */
static void test_iface_by_name_or_index_and_gone(void **s)
{
	struct api_reply r;
	struct api_row *row;

	(void)s;
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.1\","
	    "\"iface\":\"enp0s9\",\"dstMac\":\"02:00:00:00:00:01\"}",
	    &r);
	assert_int_equal(r.status, 200);
	api_reply_free(&r);
	assert_string_equal(fk.last_ifname, "enp0s9");
	assert_false(fk.last_own_smac);
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.2\","
	    "\"iface\":\"4\",\"dstMac\":\"02:00:00:00:00:01\","
	    "\"srcMac\":\"02:00:00:00:00:02\"}",
	    &r);
	assert_int_equal(r.status, 200);
	api_reply_free(&r);
	assert_string_equal(fk.last_ifname, "");
	assert_true(fk.last_own_smac);
	REQ("{\"action\":\"UpdateForward\",\"ip\":\"10.1.1.3\","
	    "\"iface\":4,\"dstMac\":\"02:00:00:00:00:01\"}",
	    &r);
	api_reply_free(&r);
	assert_string_equal(fk.last_ifname, "");

	row = (struct api_row *)row_of("10.1.1.2");
	row->iface_gone = true;
	REQ("{\"action\":\"QueryForward\",\"ip\":\"10.1.1.2\",\"traceId\":"
	    "\"t\"}",
	    &r);
	assert_string_equal(
		r.body,
		"{\"code\":200,\"traceId\":\"t\",\"Tables\":["
		"{\"Ip\":\"10.1.1.2\",\"Iface\":4,"
		"\"SrcMac\":\"02:00:00:00:00:02\","
		"\"DstMac\":\"02:00:00:00:00:01\",\"Source\":\"override\","
		"\"Status\":\"interface gone: no interface fwd manages has "
		"this index now\"}]}");
	api_reply_free(&r);
}

/* ---- QueryForward of a large table: streamed ------------------------- */

/* @big_n rows 10.0.x.y, one in 7 an override, one in 11 absent */
static int big_n;

static void big_row(int i, struct api_row *r)
{
	memset(r, 0, sizeof(*r));
	r->ip.family = AF_INET;
	r->ip.v4 = htonl(0x0a000000U | (uint32_t)i);
	r->entry.ifindex = 2 + i % 3;
	memcpy(r->entry.smac, "\x08\x00\x27\x00\x00\x01", 6);
	memcpy(r->entry.dmac, "\x02\x00\x00\x00\x00\x00", 6);
	r->entry.dmac[4] = (uint8_t)(i >> 8);
	r->entry.dmac[5] = (uint8_t)i;
	r->override = i % 7 == 0;
	r->absent = i % 11 == 0;
}

static int big_walk(void *arg, int (*fn)(const struct api_row *row, void *ctx),
		    void *ctx)
{
	struct api_row r;
	int i, err;

	(void)arg;
	for (i = 0; i < big_n; i++) {
		big_row(i, &r);
		err = fn(&r, ctx);
		if (err)
			return err;
	}
	return 0;
}

/* The reply as the whole-at-once builder wrote it, by cJSON's own hand. */
static char *big_expected(const char *trace)
{
	cJSON *o = cJSON_CreateObject(), *t;
	char ip[API_IP_STRLEN], smac[API_MAC_STRLEN], dmac[API_MAC_STRLEN];
	struct api_row r;
	char *text;

	cJSON_AddNumberToObject(o, "code", 200);
	cJSON_AddStringToObject(o, "traceId", trace);
	t = cJSON_AddArrayToObject(o, "Tables");
	for (int i = 0; i < big_n; i++) {
		cJSON *row = cJSON_CreateObject();

		big_row(i, &r);
		api_format_ip(&r.ip, ip);
		api_format_mac(r.entry.smac, smac);
		api_format_mac(r.entry.dmac, dmac);
		cJSON_AddStringToObject(row, "Ip", ip);
		cJSON_AddNumberToObject(row, "Iface", r.entry.ifindex);
		cJSON_AddStringToObject(row, "SrcMac", smac);
		cJSON_AddStringToObject(row, "DstMac", dmac);
		cJSON_AddStringToObject(row, "Source",
					r.override ? "override" : "learned");
		if (r.absent)
			cJSON_AddStringToObject(row, "Status",
						"not installed: the map is "
						"full (raise --max-entries)");
		cJSON_AddItemToArray(t, row);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_non_null(text);
	return text;
}

/* Drain @r's stream @step bytes at a time. */
static char *drain(struct api_reply *r, size_t step)
{
	size_t len = 0, cap = 1 << 16;
	char *all = malloc(cap);
	long got;

	assert_non_null(all);
	do {
		if (cap - len < step + 1) {
			char *grown = realloc(all, cap *= 2);

			assert_non_null(grown);
			all = grown;
		}
		got = api_stream_read(r->stream, all + len, step);
		assert_true(got >= 0 && (size_t)got <= step);
		len += (size_t)got;
	} while (got);
	all[len] = '\0';
	/* the end stays the end */
	assert_int_equal(api_stream_read(r->stream, all + len, step), 0);
	return all;
}

static void test_query_of_many_rows_is_streamed_with_the_same_bytes(void **s)
{
	static const size_t steps[] = {1, 7, 100, 16384};
	char *want, *got;
	struct api_reply r;

	(void)s;
	ops.walk = big_walk;
	big_n = 3 * API_QUERY_INLINE + 5;
	want = big_expected("big");
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		assert_int_equal(
			api_action(&ops,
				   "{\"action\":\"QueryForward\","
				   "\"traceId\":\"big\"}",
				   strlen("{\"action\":\"QueryForward\","
					  "\"traceId\":\"big\"}"),
				   &r),
			0);
		assert_int_equal(r.status, 200);
		assert_null(r.body);
		assert_non_null(r.stream);
		got = drain(&r, steps[k]);
		assert_string_equal(got, want);
		free(got);
		api_reply_free(&r);
		assert_null(r.stream);
	}
	free(want);
}

/* Up to API_QUERY_INLINE rows: one body, built at once, as ever. */
static void test_query_up_to_the_inline_bound_is_one_body(void **s)
{
	char *want;
	struct api_reply r;

	(void)s;
	ops.walk = big_walk;
	big_n = API_QUERY_INLINE;
	want = big_expected("t");
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"t\"}", &r);
	assert_null(r.stream);
	assert_string_equal(r.body, want);
	api_reply_free(&r);
	free(want);
	big_n = API_QUERY_INLINE + 1;
	assert_int_equal(api_action(&ops, "{\"action\":\"QueryForward\"}",
				    strlen("{\"action\":\"QueryForward\"}"),
				    &r),
			 0);
	assert_non_null(r.stream);
	api_reply_free(&r);
	/* none at all: an empty Tables, one body */
	big_n = 0;
	REQ("{\"action\":\"QueryForward\",\"traceId\":\"t\"}", &r);
	assert_string_equal(r.body,
			    "{\"code\":200,\"traceId\":\"t\",\"Tables\":[]}");
	api_reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_seed_query_forward_gives_the_original_reply_bytes,
			setup),
		cmocka_unit_test_setup(
			test_seed_update_forward_numeric_iface_sets_override,
			setup),
		cmocka_unit_test_setup(
			test_seed_lab_update_with_string_iface_sets_override,
			setup),
		cmocka_unit_test_setup(
			test_update_by_name_defaults_src_mac_and_lowers_case,
			setup),
		cmocka_unit_test_setup(
			test_query_with_unknown_ip_gives_empty_tables, setup),
		cmocka_unit_test_setup(test_delete_brings_back_learned_entry,
				       setup),
		cmocka_unit_test_setup(
			test_delete_of_missing_override_is_1202_404, setup),
		cmocka_unit_test_setup(
			test_stats_lists_each_interface_rx_by_outcome_and_tx,
			setup),
		cmocka_unit_test_setup(test_stats_sums_every_counter_by_name,
				       setup),
		cmocka_unit_test_setup(test_missing_trace_id_gets_a_uuid4,
				       setup),
		cmocka_unit_test_setup(
			test_bad_requests_get_their_code_and_change_nothing,
			setup),
		cmocka_unit_test_setup(test_failing_ops_give_1200_and_1201,
				       setup),
		cmocka_unit_test_setup(
			test_error_reply_maps_every_added_code_to_its_status,
			setup),
		cmocka_unit_test_setup(test_unknown_fields_are_ignored, setup),
		cmocka_unit_test_setup(test_ipv6_update_query_delete, setup),
		cmocka_unit_test_setup(test_a_row_not_in_the_map_says_so,
				       setup),
		cmocka_unit_test_setup(
			test_leading_zeros_are_refused_in_iface_as_in_ip,
			setup),
		cmocka_unit_test_setup(
			test_query_of_many_rows_is_streamed_with_the_same_bytes,
			setup),
		cmocka_unit_test_setup(
			test_query_up_to_the_inline_bound_is_one_body, setup),
		cmocka_unit_test_setup(test_iface_by_name_or_index_and_gone,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
