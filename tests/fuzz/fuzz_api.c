// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_api.c - libFuzzer harness over api_action(), the request -> reply
 * function of POST /, with the fake table of the unit tests.
 *
 * Beyond "no crash, no leak, no UB" it checks the contract on every
 * input: the reply is one JSON object whose code matches the reply and
 * whose status mirrors it; a rejected request leaves the table exactly as
 * it was; an accepted update changes it once and asks for a flush. The
 * same bytes also go through the address parsers, which must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "actions.h"
#include "api_fake.h"
#include "util.h"

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_api: contract broken: %s\n", what);
		abort();
	}
}

static void check_parsers(const uint8_t *data, size_t size)
{
	char s[64], out[API_MAC_STRLEN], back[INET_ADDRSTRLEN];
	char text[API_IP_STRLEN], text2[API_IP_STRLEN];
	struct ip_addr a, a2;
	uint8_t mac[6], mac2[6];
	const char *why;
	uint32_t ip;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (api_parse_ipv4(s, &ip) == 0) {
		/* only the one canonical spelling is accepted */
		inet_ntop(AF_INET, &ip, back, sizeof(back));
		check(!strcmp(back, s), "ipv4 not canonical");
	}
	if (api_parse_ip(s, &a, &why) == 0) {
		/* RFC 5952 text: parses back to the same, formats the same */
		api_format_ip(&a, text);
		check(api_parse_ip(text, &a2, &why) == 0 &&
			      !api_ip_cmp(&a, &a2),
		      "ip round trip");
		api_format_ip(&a2, text2);
		check(!strcmp(text, text2), "ip text not canonical");
		check(a.family != AF_INET || !strcmp(text, s),
		      "ipv4 accepted in another spelling");
		check(a.family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(a.v6),
		      "v4-mapped accepted");
	}
	if (api_parse_mac(s, mac) == 0) {
		api_format_mac(mac, out);
		check(api_parse_mac(out, mac2) == 0 && !memcmp(mac, mac2, 6),
		      "mac round trip");
		check(!strcasecmp(out, s) || strchr(s, '-'), "mac spelling");
	}
	api_utf8_valid(s, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake fk, before;
	struct api_ops ops;
	struct api_reply r;
	const cJSON *code, *trace;
	cJSON *root;

	check_parsers(data, size);

	memset(&fk, 0, sizeof(fk));
	fake_learn(&fk, "10.10.3.10", 4, "08:00:27:f2:cb:f9");
	fake_learn(&fk, "10.10.2.7", 2, "08:00:27:aa:bb:01");
	fake_learn(&fk, "2001:db8::7", 2, "08:00:27:aa:bb:02");
	ops = fake_ops(&fk);
	fake_override_set(
		&fk,
		&(struct ip_addr){.family = AF_INET, .v4 = htonl(0x0a0a0305)},
		&(struct fwd_entry){.ifindex = 4, .dmac = {2, 0, 0, 0, 0, 1}},
		NULL, true);
	fk.gen = 0;
	before = fk;

	if (api_action(&ops, (const char *)data, size, &r))
		return 0; /* -ENOMEM only */
	check(r.body && strlen(r.body) == r.len, "body length");
	check(r.status == api_code_status(r.code), "status mirrors code");
	root = cJSON_Parse(r.body);
	check(cJSON_IsObject(root), "reply is a JSON object");
	code = cJSON_GetObjectItemCaseSensitive(root, "code");
	trace = cJSON_GetObjectItemCaseSensitive(root, "traceId");
	check(cJSON_IsNumber(code) && code->valuedouble == r.code, "code");
	check(cJSON_IsString(trace) && !strcmp(trace->valuestring, r.trace_id),
	      "traceId");
	if (r.code != API_OK) {
		check(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
			      root, "message")),
		      "error message");
		check(!r.flush, "error asks for a flush");
		check(!memcmp(&fk, &before, sizeof(fk)),
		      "rejected request changed the table");
	} else if (r.flush) {
		check(fk.gen == 1, "an update is one change");
	} else {
		check(!memcmp(&fk, &before, sizeof(fk)), "query changed state");
	}
	cJSON_Delete(root);
	api_reply_free(&r);
	return 0;
}
