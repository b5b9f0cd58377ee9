/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - the daemon's config file (/etc/fwd/fwd.conf).
 *
 * One `key = value` per line, each key a long option of fwd(8) without the
 * dashes ("iface = enp0s3", "max-entries = 20000", "keep = true"); '#'
 * starts a comment at the start of a line or after a blank; double quotes
 * keep blanks and '#' in a value; blank lines are ignored. The file is turned into the
 * long options it stands for, which main() puts before the command line's
 * own, so that flags given on the command line override the file.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <getopt.h>
#include <stddef.h>

struct cfg_args {
	int argc;	     /* number of entries in argv */
	char **argv;	     /* "--key=value" or "--flag", each malloc'ed;
				argv[argc] is NULL */
	unsigned int *lines; /* lines[i]: the file's line argv[i] came from */
};

/*
 * Parse @path against @longopts (the daemon's getopt_long table). Unknown
 * keys, a value for a flag that takes none (other than true/false/yes/no/
 * 1/0), a missing value, or a malformed line fail with -EINVAL and @err set
 * to "PATH:LINE: reason". I/O errors return -errno with @err set. On
 * success @out owns its strings (cfg_free()).
 */
int cfg_load(const char *path, const struct option *longopts,
	     struct cfg_args *out, char *err, size_t errlen);
void cfg_free(struct cfg_args *args);

/*
 * The line of the file that argv[@i] came from (0 if @i is out of range),
 * so that main() can say "PATH:LINE: invalid value" for a value it rejects.
 */
unsigned int cfg_line(const struct cfg_args *args, int i);

#endif /* CONFIG_H */
