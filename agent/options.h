/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - fwd(8)'s getopt_long table, in one place.
 *
 * The long names are the contract of DESIGN §4 and also the config file's
 * keys (config.h), so main() and the config tests must read the same
 * table: a second copy would drift the day an option is added.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <getopt.h>

/* getopt_long() values of the options that have no short form. */
enum {
	OPT_BPFFS = 256,
	OPT_STATE,
	OPT_XDP_MODE,
	OPT_MAX_ENTRIES,
	OPT_NO_LEARN,
	OPT_TOKEN_FILE,
	OPT_INSECURE_LISTEN,
	OPT_BPF_OBJECT,
	OPT_KEEP,
	OPT_BYPASS_NETFILTER,
	OPT_VERSION,
	OPT_RCVBUF,
	OPT_CONTROL,
	OPT_CONTROL_GROUP,
};

/* NULL-terminated table for getopt_long() and cfg_load(). */
extern const struct option opt_long[];
/* The short options matching opt_long's 'i', 'l', 'v', 'c' and 'h'. */
extern const char opt_short[];

#endif /* OPTIONS_H */
