// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - the daemon's config file, turned into long options (config.h).
 *
 * The file is not a second way to configure the daemon but a spelling of
 * its command line: every key is a long option, checked against the very
 * getopt_long table main() uses, so a new option is a new key at once and
 * the two can never disagree. Only the syntax is checked here; values are
 * checked where the command line's are, in main(), which can name the line
 * a bad value came from through cfg_line().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "options.h"

__attribute__((format(printf, 5, 6))) static int
cfg_fail(char *err, size_t errlen, const char *path, unsigned int line,
	 const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (!err || !errlen)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%u: ", path, line);
	if (n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/*
 * '#' starts a comment at the start of a line or after a blank, and never
 * inside double quotes, so that a value such as a path may still hold a
 * '#' of its own: state = a#b, or state = "a #b".
 */
static void strip_comment(char *s)
{
	bool quoted = false;

	for (char *p = s; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted &&
			 (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* 1 for true, 0 for false, -1 for anything else. */
static int parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* Exact match only: getopt_long's abbreviations would make keys fragile. */
static const struct option *find_option(const struct option *longopts,
					const char *key)
{
	for (const struct option *o = longopts; o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

/* Keys that mean nothing in a file the daemon reads on every start
 * (--config, --help, --version): the option table says which. */
static bool key_refused(const char *key)
{
	for (const struct fwd_opt *o = fwd_opts; o->name; o++)
		if (!strcmp(key, o->name))
			return o->where == OPT_CMDLINE;
	return false;
}

static bool key_valid(const char *key)
{
	if (!*key)
		return false;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

/* Append "--@key" or "--@key=@value" (@value NULL for a bare flag). */
static int cfg_push(struct cfg_args *out, size_t *cap, const char *key,
		    const char *value, unsigned int line)
{
	char *arg;
	int n;

	if ((size_t)out->argc + 1 >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **argv = realloc(out->argv, ncap * sizeof(*argv));
		unsigned int *lines;

		if (!argv)
			return -ENOMEM;
		out->argv = argv;
		lines = realloc(out->lines, ncap * sizeof(*lines));
		if (!lines)
			return -ENOMEM;
		out->lines = lines;
		*cap = ncap;
	}
	n = value ? asprintf(&arg, "--%s=%s", key, value)
		  : asprintf(&arg, "--%s", key);
	if (n < 0)
		return -ENOMEM;
	out->lines[out->argc] = line;
	out->argv[out->argc++] = arg;
	out->argv[out->argc] = NULL; /* usable as an argv as it stands */
	return 0;
}

/*
 * One line, already free of its comment and trimmed. 0, -EINVAL with @err
 * set, or -ENOMEM.
 */
static int cfg_line_parse(char *s, const char *path, unsigned int line,
			  const struct option *longopts, struct cfg_args *out,
			  size_t *cap, char *err, size_t errlen)
{
	const struct option *opt;
	char *eq, *key, *value;
	size_t vlen;
	int b;

	eq = strchr(s, '=');
	if (!eq)
		return cfg_fail(err, errlen, path, line,
				"expected 'key = value', got '%s'", s);
	*eq = '\0';
	key = trim(s);
	value = trim(eq + 1);
	if (!key_valid(key))
		return cfg_fail(err, errlen, path, line,
				"expected 'key = value', got no valid key");
	/* Quotes keep blanks and '#' that trimming would eat: "a b". */
	vlen = strlen(value);
	if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
		value[vlen - 1] = '\0';
		value++;
	} else if (value[0] == '"' || (vlen && value[vlen - 1] == '"')) {
		return cfg_fail(err, errlen, path, line,
				"unbalanced quote in the value of '%s'", key);
	}

	opt = key_refused(key) ? NULL : find_option(longopts, key);
	if (!opt)
		return cfg_fail(err, errlen, path, line,
				key_refused(key)
					? "'%s' is not allowed in a config file"
					: "unknown key '%s'",
				key);

	switch (opt->has_arg) {
	case no_argument:
		b = parse_bool(value);
		if (b < 0)
			return cfg_fail(err, errlen, path, line,
					"'%s' is a switch: its value must be "
					"true or false, not '%s'",
					key, value);
		/* false leaves the default, which for a switch is off */
		return b ? cfg_push(out, cap, key, NULL, line) : 0;
	case optional_argument:
		return cfg_push(out, cap, key, *value ? value : NULL, line);
	default:
		if (!*value)
			return cfg_fail(err, errlen, path, line,
					"missing value for '%s'", key);
		return cfg_push(out, cap, key, value, line);
	}
}

int cfg_load(const char *path, const struct option *longopts,
	     struct cfg_args *out, char *err, size_t errlen)
{
	unsigned int line = 0;
	size_t cap = 0, len = 0;
	char *buf = NULL;
	int err_ = 0;
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		err_ = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-err_));
		return err_;
	}
	for (;;) {
		ssize_t n;
		char *s;

		errno = 0;
		n = getline(&buf, &len, f);
		if (n < 0) {
			if (errno) {
				err_ = -errno;
				if (err && errlen)
					snprintf(err, errlen, "%s: %s", path,
						 strerror(-err_));
			}
			break;
		}
		line++;
		if (memchr(buf, '\0', n)) {
			err_ = cfg_fail(err, errlen, path, line,
					"NUL byte in line: not a text file");
			break;
		}
		strip_comment(buf);
		s = trim(buf);
		if (!*s)
			continue;
		err_ = cfg_line_parse(s, path, line, longopts, out, &cap, err,
				      errlen);
		if (err_ == -ENOMEM && err && errlen)
			snprintf(err, errlen, "%s:%u: out of memory", path,
				 line);
		if (err_)
			break;
	}
	free(buf);
	fclose(f);
	if (err_)
		cfg_free(out);
	return err_;
}

unsigned int cfg_line(const struct cfg_args *args, int i)
{
	if (!args->lines || i < 0 || i >= args->argc)
		return 0;
	return args->lines[i];
}

void cfg_free(struct cfg_args *args)
{
	for (int i = 0; i < args->argc; i++)
		free(args->argv[i]);
	free(args->argv);
	free(args->lines);
	memset(args, 0, sizeof(*args));
}
