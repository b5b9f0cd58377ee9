/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - leveled logging to stderr, after xdp-tools' lib/util/logging.h.
 *
 * Under systemd (JOURNAL_STREAM set and matching stderr) each line starts
 * with its syslog priority, "<3>" for errors ... "<7>" for debug, as
 * sd-daemon(3) describes, so journald files it at the right level.
 * libbpf's own messages are routed through here as well.
 */
#ifndef LOG_H
#define LOG_H

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* Print messages at @level and more severe (default LOG_LEVEL_WARN). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Detect journald on stderr; route libbpf's messages through log_msg(). */
void log_init(void);

__attribute__((format(printf, 2, 3))) void log_msg(enum log_level level,
						   const char *fmt, ...);

#define pr_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* LOG_H */
