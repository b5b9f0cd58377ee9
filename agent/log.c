// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - see log.h. Lines are written with one write(2) each so that
 * concurrent writers (tests, journald) never see them interleaved.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_WARN;
static bool log_journal; /* prefix lines with "<N>" for journald */

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static const char *level_tag(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error: ";
	case LOG_LEVEL_WARN:
		return "warning: ";
	default:
		return "";
	}
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int n = 0, m;

	if (level > log_level)
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", level);
	n += snprintf(line + n, sizeof(line) - n, "fwd: %s", level_tag(level));
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = m < 0 ? n : n + m;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* one line per message, whether or not fmt ended with a newline */
	if (n == 0 || line[n - 1] != '\n')
		line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* libbpf prints the verifier log at WARN; keep its DEBUG for -v only. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level l = level == LIBBPF_WARN	  ? LOG_LEVEL_WARN
			   : level == LIBBPF_INFO ? LOG_LEVEL_INFO
						  : LOG_LEVEL_DEBUG;

	log_vmsg(l, fmt, ap);
	return 0;
}

/* JOURNAL_STREAM is "dev:ino" of the stream systemd connected to stderr. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(void)
{
	log_journal = stderr_is_journal();
	libbpf_set_print(libbpf_print);
}
