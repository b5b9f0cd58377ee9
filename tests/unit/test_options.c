// SPDX-License-Identifier: GPL-2.0
/*
 * test_options.c - fwd(8)'s option table against what is made from it
 * (the getopt_long tables) and what is written about it: the OPTIONS
 * section of fwd(8) and the keys of the shipped fwd.conf. A new option
 * missing from either, or one they still describe after it went, fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

/* A file of the source tree (FWD_TOP, else the working directory). */
static char *slurp(const char *rel)
{
	const char *top = getenv("FWD_TOP");
	char path[512];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void test_getopt_tables_are_the_option_table(void **state)
{
	const struct fwd_opt *o;
	int i = 0;

	(void)state;
	for (o = fwd_opts; o->name; o++, i++) {
		const char *s = o->val < 256 ? strchr(opt_short, o->val) : NULL;

		assert_string_equal(opt_long[i].name, o->name);
		assert_int_equal(opt_long[i].val, o->val);
		assert_int_equal(opt_long[i].has_arg,
				 o->arg ? required_argument : no_argument);
		assert_ptr_equal(opt_find(o->val), o);
		if (o->val < 256) {
			assert_non_null(s);
			assert_int_equal(s[1] == ':', o->arg != NULL);
		}
		assert_true(o->where == OPT_HIDDEN || (o->help && *o->help));
		/* a number's range (max > 0; 0 may be its least), or none */
		assert_true(o->max ? o->min <= o->max : !o->min);
	}
	assert_null(opt_long[i].name);
	/* no letter without its row */
	for (const char *c = opt_short; *c; c++)
		if (*c != ':')
			assert_non_null(opt_find(*c));
}

/* The item lines ("*-x*, *--name* _ARG_") of fwd(8)'s OPTIONS section. */
static char *options_section(char *man)
{
	char *start = strstr(man, "\n# OPTIONS\n"), *end;

	assert_non_null(start);
	start += strlen("\n# OPTIONS\n");
	end = strstr(start, "\n# ");
	if (end)
		*end = '\0';
	return start;
}

static void test_man_page_describes_exactly_the_options(void **state)
{
	char *man = slurp("scripts/pkg/fwd.8.scd"), *sec = options_section(man);
	char *line, *save = NULL;
	int items = 0, shown = 0;

	(void)state;
	for (const struct fwd_opt *o = fwd_opts; o->name; o++) {
		char head[80], *at;

		if (o->where == OPT_HIDDEN)
			continue;
		shown++;
		snprintf(head, sizeof(head), "\n*--%s*", o->name);
		if (o->val < 256)
			snprintf(head, sizeof(head), "\n*-%c*, *--%s*", o->val,
				 o->name);
		at = strstr(sec - 1, head);
		if (!at)
			fail_msg("fwd(8) lacks an item for --%s", o->name);
		at += strlen(head);
		/* an argument after the name exactly when it takes one */
		if ((*at == ' ') != (o->arg != NULL))
			fail_msg("fwd(8): --%s %s", o->name,
				 o->arg ? "lacks its argument"
					: "shows an argument");
	}
	/* and nothing else: every item line names an option of the table */
	for (line = strtok_r(sec, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		const char *p = strstr(line, "*--");
		const struct fwd_opt *o;

		if (line[0] != '*' || !p)
			continue;
		items++;
		if (sscanf(p + 3, "%63[a-z-]", name) != 1)
			fail_msg("fwd(8): odd item line %s", line);
		for (o = fwd_opts; o->name && strcmp(o->name, name); o++)
			;
		if (!o->name || o->where == OPT_HIDDEN)
			fail_msg("fwd(8) describes --%s, not an option", name);
	}
	assert_int_equal(items, shown);
	free(man);
}

static void test_shipped_fwd_conf_shows_every_key(void **state)
{
	char *conf = slurp("scripts/pkg/fwd.conf"), *line, *save = NULL;
	int keys = 0, want = 0;

	(void)state;
	for (const struct fwd_opt *o = fwd_opts; o->name; o++) {
		char key[80];

		if (o->where != OPT_ANYWHERE)
			continue;
		want++;
		snprintf(key, sizeof(key), "\n#%s = ", o->name);
		if (!strstr(conf, key))
			fail_msg("fwd.conf lacks '#%s = ...'", o->name);
	}
	for (line = strtok_r(conf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		const struct fwd_opt *o;

		if (sscanf(line, "#%63[a-z-] =", name) != 1 ||
		    !strstr(line, " = "))
			continue;
		for (o = fwd_opts; o->name && strcmp(o->name, name); o++)
			;
		if (!o->name || o->where != OPT_ANYWHERE)
			fail_msg("fwd.conf shows '%s', not a key", name);
		keys++;
	}
	/* iface is shown twice, as two interfaces */
	assert_true(keys >= want);
	free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getopt_tables_are_the_option_table),
		cmocka_unit_test(test_man_page_describes_exactly_the_options),
		cmocka_unit_test(test_shipped_fwd_conf_shows_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
