// SPDX-License-Identifier: GPL-2.0
/*
 * test_config.c - the config file turns into the long options it names,
 * in order, and every malformed line is refused with its line number.
 *
 * The parser is checked against fwd(8)'s own option table (options.h)
 * the way main() uses it, by running getopt_long over the
 * file's options followed by the command line's.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "options.h"

/*
 * Only for the optional-value test: fwd(8) has no option whose value may
 * be left out, but getopt allows one and the parser must keep up.
 */
static const struct option color_opts[] = {
	{"color", optional_argument, NULL, 1},
	{NULL, 0, NULL, 0},
};

struct fixture {
	char path[64];
	char err[256];
	struct cfg_args args;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	strcpy(f->path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cfg_free(&f->args);
	unlink(f->path);
	free(f);
	return 0;
}

static void write_file(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static int load(struct fixture *f, const char *text)
{
	write_file(f, text);
	return cfg_load(f->path, opt_long, &f->args, f->err, sizeof(f->err));
}

/* "PATH:LINE: ..." with @reason somewhere after it. */
static void assert_error(struct fixture *f, unsigned int line,
			 const char *reason)
{
	char prefix[96];

	snprintf(prefix, sizeof(prefix), "%s:%u: ", f->path, line);
	if (strncmp(f->err, prefix, strlen(prefix)) || !strstr(f->err, reason))
		fail_msg("error \"%s\": want prefix \"%s\" and \"%s\"", f->err,
			 prefix, reason);
	/* a failed load leaves nothing behind to free or to use */
	assert_int_equal(f->args.argc, 0);
	assert_null(f->args.argv);
}

static void assert_args(struct fixture *f, const char *const *want, int n)
{
	assert_int_equal(f->args.argc, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(f->args.argv[i], want[i]);
	assert_null(f->args.argv[n]);
}

static void test_every_key_becomes_its_long_option_in_file_order(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {
		"--iface=enp0s3",
		"--iface=enp0s8",
		"--listen=127.0.0.1:5555",
		"--bpffs=/sys/fs/bpf",
		"--state=/var/lib/fwd/state.json",
		"--xdp-mode=native",
		"--max-entries=20000",
		"--no-learn",
		"--token-file=/etc/fwd/token",
		"--insecure-listen",
		"--bpf-object=/usr/local/fwd/xdp/fwd.bpf.o",
		"--keep",
		"--verbose",
	};

	assert_int_equal(load(f, "iface = enp0s3\n"
				 "iface=enp0s8\n"
				 "listen = 127.0.0.1:5555\n"
				 "bpffs = /sys/fs/bpf\n"
				 "state = /var/lib/fwd/state.json\n"
				 "xdp-mode = native\n"
				 "max-entries = 20000\n"
				 "no-learn = true\n"
				 "token-file = /etc/fwd/token\n"
				 "insecure-listen = yes\n"
				 "bpf-object = /usr/local/fwd/xdp/fwd.bpf.o\n"
				 "keep = 1\n"
				 "verbose = on\n"),
			 0);
	assert_args(f, want, 13);
	assert_int_equal(f->err[0], '\0');
}

static void test_lines_map_each_option_to_its_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "# fwd.conf\n"
				 "\n"
				 "iface = a\n"
				 "   # indented comment\n"
				 "keep = false\n"
				 "max-entries = x\n"),
			 0);
	assert_int_equal(f->args.argc, 2);
	assert_int_equal(cfg_line(&f->args, 0), 3);
	assert_int_equal(cfg_line(&f->args, 1), 6);
	assert_int_equal(cfg_line(&f->args, 2), 0);
	assert_int_equal(cfg_line(&f->args, -1), 0);
}

static void test_comments_blanks_and_crlf_are_ignored(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {
		"--iface=eth0",
		"--state=/tmp/a#b",
		"--bpf-object=/tmp/x #y",
	};

	assert_int_equal(load(f, "# a comment\r\n"
				 "\r\n"
				 "\t \n"
				 "  iface   =   eth0   # trailing comment\r\n"
				 "state = /tmp/a#b\n"
				 "bpf-object = \"/tmp/x #y\"   # quoted\n"
				 "# last line without newline"),
			 0);
	assert_args(f, want, 3);
}

static void test_switch_false_leaves_the_default(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {"--keep", "--keep"};

	assert_int_equal(load(f, "no-learn = false\n"
				 "insecure-listen = NO\n"
				 "verbose = off\n"
				 "keep = TRUE\n"
				 "keep = 0\n"
				 "keep = Yes\n"),
			 0);
	/* "keep = 0" adds nothing: a switch is off unless given */
	assert_args(f, want, 2);
}

static void test_optional_value_may_be_empty(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {"--color", "--color=always"};

	write_file(f, "color =\ncolor = always\n");
	assert_int_equal(
		cfg_load(f->path, color_opts, &f->args, f->err, sizeof(f->err)),
		0);
	assert_args(f, want, 2);
}

static void test_empty_file_gives_no_options(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->args.argc, 0);
	assert_int_equal(load(f, "# only comments\n\n"), 0);
	assert_int_equal(f->args.argc, 0);
}

static void test_unknown_key_is_refused_with_its_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "iface = a\n\n# c\ninterface = b\n"), -EINVAL);
	assert_error(f, 4, "unknown key 'interface'");
}

static void test_abbreviated_key_is_refused(void **state)
{
	struct fixture *f = *state;

	/* getopt_long would take --max for --max-entries; the file must not */
	assert_int_equal(load(f, "max = 10\n"), -EINVAL);
	assert_error(f, 1, "unknown key 'max'");
}

static void test_key_spelled_with_dashes_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "--iface = a\n"), -EINVAL);
	assert_error(f, 1, "unknown key '--iface'");
}

static void test_line_without_equals_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "iface = a\nkeep\n"), -EINVAL);
	assert_error(f, 2, "expected 'key = value', got 'keep'");
}

static void test_missing_key_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, " = a\n"), -EINVAL);
	assert_error(f, 1, "expected 'key = value'");
}

static void test_key_with_blank_inside_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "max entries = 3\n"), -EINVAL);
	assert_error(f, 1, "expected 'key = value'");
}

static void test_missing_value_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "iface = a\nlisten =   # later\n"), -EINVAL);
	assert_error(f, 2, "missing value for 'listen'");
	assert_int_equal(load(f, "state = \"\"\n"), -EINVAL);
	assert_error(f, 1, "missing value for 'state'");
}

static void test_switch_with_non_boolean_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "keep = maybe\n"), -EINVAL);
	assert_error(f, 1, "'keep' is a switch");
	assert_int_equal(load(f, "no-learn =\n"), -EINVAL);
	assert_error(f, 1, "'no-learn' is a switch");
}

static void test_unbalanced_quote_is_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "state = \"/tmp/x\n"), -EINVAL);
	assert_error(f, 1, "unbalanced quote");
}

static void test_config_help_version_are_refused_in_the_file(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = {"config", "help", "version"};
	char text[64], want[64];

	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "iface = a\n%s = x\n", keys[i]);
		assert_int_equal(load(f, text), -EINVAL);
		snprintf(want, sizeof(want), "'%s' is not allowed", keys[i]);
		assert_error(f, 2, want);
	}
}

static void test_nul_byte_is_refused(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fwrite("iface = a\nkeep\0 = 1\n", 1, 20, fp);
	fclose(fp);
	assert_int_equal(
		cfg_load(f->path, opt_long, &f->args, f->err, sizeof(f->err)),
		-EINVAL);
	assert_error(f, 2, "NUL byte");
}

static void test_missing_file_is_enoent_with_path(void **state)
{
	struct fixture *f = *state;
	char want[96];

	unlink(f->path);
	assert_int_equal(
		cfg_load(f->path, opt_long, &f->args, f->err, sizeof(f->err)),
		-ENOENT);
	snprintf(want, sizeof(want), "%s: %s", f->path, strerror(ENOENT));
	assert_string_equal(f->err, want);
	assert_int_equal(f->args.argc, 0);
}

static void test_error_is_truncated_not_overflowed(void **state)
{
	struct fixture *f = *state;
	char small[8];

	memset(small, 'X', sizeof(small));
	write_file(f, "bogus = 1\n");
	assert_int_equal(cfg_load(f->path, opt_long, &f->args, small, 6),
			 -EINVAL);
	assert_int_equal(strlen(small), 5);
	assert_int_equal(small[6], 'X');
}

static void test_long_line_is_read_whole(void **state)
{
	struct fixture *f = *state;
	size_t n = 10000;
	char *text = malloc(n + 32), *want = malloc(n + 32);

	assert_non_null(text);
	assert_non_null(want);
	strcpy(text, "state = ");
	memset(text + 8, 'a', n);
	strcpy(text + 8 + n, "\n");
	snprintf(want, n + 32, "--state=%s", text + 8);
	want[strlen(want) - 1] = '\0';
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->args.argc, 1);
	assert_string_equal(f->args.argv[0], want);
	free(text);
	free(want);
}

/*
 * main() puts the file's options before the command line's: getopt_long
 * then sees a flag given on the command line last, so it wins.
 */
static void test_command_line_after_file_overrides_it(void **state)
{
	struct fixture *f = *state;
	char *cmdline[] = {"--listen=127.0.0.1:6000", "--max-entries", "7"};
	char *argv[16];
	const char *listen = NULL, *max = NULL;
	int argc = 0, c, ifaces = 0;
	unsigned int listen_lines[2] = {99, 99};
	int listens = 0;

	assert_int_equal(load(f, "iface = a\n"
				 "listen = 0.0.0.0:5555\n"
				 "max-entries = 100\n"),
			 0);
	argv[argc++] = "fwd";
	for (int i = 0; i < f->args.argc; i++)
		argv[argc++] = f->args.argv[i];
	for (size_t i = 0; i < 3; i++)
		argv[argc++] = cmdline[i];
	argv[argc] = NULL;

	optind = 0;
	while ((c = getopt_long(argc, argv, opt_short, opt_long, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifaces++;
			break;
		case 'l':
			listen = optarg;
			/*
			 * How main() finds where a value came from: argv[0]
			 * is the program, then the file's options, each one
			 * word, so argv[optind - 1] is file option
			 * optind - 2.
			 */
			assert_true(listens < 2);
			listen_lines[listens++] =
				cfg_line(&f->args, optind - 2);
			break;
		case OPT_MAX_ENTRIES:
			max = optarg;
			break;
		default:
			fail_msg("unexpected option %d", c);
		}
	}
	assert_int_equal(ifaces, 1);
	assert_string_equal(listen, "127.0.0.1:6000");
	assert_string_equal(max, "7");
	assert_int_equal(listens, 2);
	assert_int_equal(listen_lines[0], 2);
	assert_int_equal(listen_lines[1], 0); /* from the command line */
}

static void test_free_is_safe_twice_and_on_empty(void **state)
{
	struct fixture *f = *state;
	struct cfg_args empty = {0};

	cfg_free(&empty);
	assert_int_equal(load(f, "iface = a\n"), 0);
	cfg_free(&f->args);
	cfg_free(&f->args);
	assert_int_equal(f->args.argc, 0);
	assert_null(f->args.argv);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_key_becomes_its_long_option_in_file_order),
		T(test_lines_map_each_option_to_its_line),
		T(test_comments_blanks_and_crlf_are_ignored),
		T(test_switch_false_leaves_the_default),
		T(test_optional_value_may_be_empty),
		T(test_empty_file_gives_no_options),
		T(test_unknown_key_is_refused_with_its_line),
		T(test_abbreviated_key_is_refused),
		T(test_key_spelled_with_dashes_is_refused),
		T(test_line_without_equals_is_refused),
		T(test_missing_key_is_refused),
		T(test_key_with_blank_inside_is_refused),
		T(test_missing_value_is_refused),
		T(test_switch_with_non_boolean_is_refused),
		T(test_unbalanced_quote_is_refused),
		T(test_config_help_version_are_refused_in_the_file),
		T(test_nul_byte_is_refused),
		T(test_missing_file_is_enoent_with_path),
		T(test_error_is_truncated_not_overflowed),
		T(test_long_line_is_read_whole),
		T(test_command_line_after_file_overrides_it),
		T(test_free_is_safe_twice_and_on_empty),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
