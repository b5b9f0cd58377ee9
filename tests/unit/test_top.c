// SPDX-License-Identifier: GPL-2.0
/*
 * test_top.c - `fwdctl top`'s arithmetic and layout, from QueryStats
 * replies written here: rates over the interval, the fast-path share,
 * the order by rate, counter resets, the width.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "top.h"

/*
 * A QueryStats reply: fwd_table @table packets (64 bytes each), pass_ttl
 * @ttl, and interfaces m1 (rx: all of it) and m2 (tx: the table's).
 */
static cJSON *reply(double table, double ttl, bool with_m2)
{
	char buf[2048];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"code\":200,\"Counters\":{"
		     "\"fwd_table\":{\"packets\":%.0f,\"bytes\":%.0f},"
		     "\"pass_ttl\":{\"packets\":%.0f,\"bytes\":%.0f}},"
		     "\"Interfaces\":[{\"Iface\":2,\"Name\":\"m1\",\"Rx\":{"
		     "\"fwd_table\":{\"packets\":%.0f,\"bytes\":%.0f},"
		     "\"pass_ttl\":{\"packets\":%.0f,\"bytes\":%.0f}},"
		     "\"Tx\":{\"packets\":0,\"bytes\":0}}",
		     table, 64 * table, ttl, 64 * ttl, table, 64 * table, ttl,
		     64 * ttl);
	if (with_m2)
		n += snprintf(buf + n, sizeof(buf) - n,
			      ",{\"Iface\":3,\"Name\":\"m2\",\"Rx\":{},"
			      "\"Tx\":{\"packets\":%.0f,\"bytes\":%.0f}}",
			      table, 64 * table);
	snprintf(buf + n, sizeof(buf) - n, "]}");
	return cJSON_Parse(buf);
}

static void sample_of(struct top_sample *s, double t, double table, double ttl,
		      bool with_m2)
{
	cJSON *r = reply(table, ttl, with_m2);

	assert_non_null(r);
	assert_int_equal(top_sample_parse(r, t, s), 0);
	cJSON_Delete(r);
}

struct fixture {
	struct top_sample a, b;
	struct top_view v;
};

static int setup(void **st)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->a.ifs = calloc(TOP_MAX_IFACES, sizeof(*f->a.ifs));
	f->b.ifs = calloc(TOP_MAX_IFACES, sizeof(*f->b.ifs));
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fixture *f = *st;

	free(f->a.ifs);
	free(f->b.ifs);
	free(f);
	return 0;
}

static void test_rates_are_deltas_over_the_interval(void **st)
{
	struct fixture *f = *st;

	sample_of(&f->a, 10.0, 1000, 10, true);
	sample_of(&f->b, 12.0, 5000, 30, true);
	top_view_make(&f->a, &f->b, &f->v);
	assert_int_equal(f->v.n_out, 2);
	/* sorted by rate: 2000 pkt/s of fwd_table, then 10 of pass_ttl */
	assert_string_equal(f->v.out[0].name, "fwd_table");
	assert_true(f->v.out[0].r.pps == 2000);
	assert_true(f->v.out[0].r.bps == 128000);
	assert_string_equal(f->v.out[1].name, "pass_ttl");
	assert_true(f->v.out[1].r.pps == 10);
	assert_true(f->v.all.pps == 2010);
	assert_true(f->v.fast > 0.99502 && f->v.fast < 0.99503);
	/* m1: 2010 rx, m2: 2000 tx; by rx + tx, m1 first */
	assert_int_equal(f->v.n_ifs, 2);
	assert_string_equal(f->v.ifs[0].name, "m1");
	assert_true(f->v.ifs[0].rx.pps == 2010);
	assert_string_equal(f->v.ifs[1].name, "m2");
	assert_true(f->v.ifs[1].tx.pps == 2000);
	assert_true(f->v.ifs[1].fast == -1); /* no rx: no share */
}

static void test_a_counter_that_went_down_counts_from_zero(void **st)
{
	struct fixture *f = *st;

	sample_of(&f->a, 1.0, 900000, 50, true);
	sample_of(&f->b, 2.0, 300, 0, true); /* the daemon restarted */
	top_view_make(&f->a, &f->b, &f->v);
	assert_true(f->v.out[0].r.pps == 300);
	assert_int_equal(f->v.n_out, 1);
}

static void test_a_new_interface_counts_from_zero(void **st)
{
	struct fixture *f = *st;

	sample_of(&f->a, 1.0, 100, 0, false);
	sample_of(&f->b, 3.0, 500, 0, true);
	top_view_make(&f->a, &f->b, &f->v);
	/* m2: 500 over 2 s, from zero; m1: (500 - 100) over 2 s */
	assert_string_equal(f->v.ifs[0].name, "m2");
	assert_true(f->v.ifs[0].tx.pps == 250);
	assert_string_equal(f->v.ifs[1].name, "m1");
	assert_true(f->v.ifs[1].rx.pps == 200);
}

static void test_no_traffic_has_no_share(void **st)
{
	struct fixture *f = *st;
	char *text = NULL;
	size_t len;
	FILE *m;

	sample_of(&f->a, 1.0, 100, 0, true);
	sample_of(&f->b, 2.0, 100, 0, true);
	top_view_make(&f->a, &f->b, &f->v);
	assert_int_equal(f->v.n_out, 0);
	assert_true(f->v.fast == -1);
	m = open_memstream(&text, &len);
	top_render(m, &f->v, 80, 0);
	fclose(m);
	assert_non_null(strstr(text, "fast path -"));
	assert_non_null(strstr(text, "(no packets)"));
	free(text);
}

/* Each line at most @width; the narrow layout drops the bit/s columns. */
static void test_render_fits_the_width_and_height(void **st)
{
	struct fixture *f = *st;
	int widths[] = {30, 50, 71, 72, 120}, lines;

	sample_of(&f->a, 0.0, 0, 0, true);
	sample_of(&f->b, 1.0, 1234567, 89, true);
	top_view_make(&f->a, &f->b, &f->v);
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		char *text = NULL, *p, *nl;
		size_t len;
		FILE *m = open_memstream(&text, &len);

		top_render(m, &f->v, widths[i], 0);
		fclose(m);
		for (p = text; (nl = strchr(p, '\n')); p = nl + 1)
			if (nl - p > widths[i])
				fail_msg("width %d: line '%.*s'", widths[i],
					 (int)(nl - p), p);
		assert_true((strstr(text, "BIT/S") != NULL) ==
			    (widths[i] >= 72));
		if (widths[i] >= 72)
			assert_non_null(strstr(text, "1.23M"));
		free(text);
	}
	/* 8 lines of room: the interfaces stay, outcomes give way */
	{
		char *text = NULL, *p;
		size_t len;
		FILE *m = open_memstream(&text, &len);

		top_render(m, &f->v, 80, 8);
		fclose(m);
		for (lines = 0, p = text; (p = strchr(p, '\n')); p++)
			lines++;
		assert_true(lines <= 8);
		assert_non_null(strstr(text, "\nm1 "));
		assert_non_null(strstr(text, "\nm2 "));
		free(text);
	}
}

static void test_json_line_has_the_same_figures(void **st)
{
	struct fixture *f = *st;
	char *text = NULL;
	size_t len;
	cJSON *j, *o;
	FILE *m;

	sample_of(&f->a, 10.0, 1000, 10, true);
	sample_of(&f->b, 12.0, 5000, 30, true);
	top_view_make(&f->a, &f->b, &f->v);
	m = open_memstream(&text, &len);
	top_json(m, &f->v, 1700000000.0);
	fclose(m);
	assert_int_equal(strchr(text, '\n') - text + 1, (long)len);
	j = cJSON_Parse(text);
	assert_non_null(j);
	assert_true(cJSON_GetObjectItem(j, "Pps")->valuedouble == 2010);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "outcomes"), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "outcome")->valuestring,
			    "fwd_table");
	assert_true(cJSON_GetObjectItem(o, "BytesPerSecond")->valuedouble ==
		    128000);
	o = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "interfaces"), 1);
	assert_string_equal(cJSON_GetObjectItem(o, "interface")->valuestring,
			    "m2");
	assert_true(cJSON_GetObjectItem(o, "txPps")->valuedouble == 2000);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "fastPathShare")));
	cJSON_Delete(j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_rates_are_deltas_over_the_interval, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_counter_that_went_down_counts_from_zero, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_new_interface_counts_from_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_traffic_has_no_share,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_render_fits_the_width_and_height, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_json_line_has_the_same_figures, setup, teardown),
	};

	return cmocka_run_group_tests_name("top", tests, NULL, NULL);
}
