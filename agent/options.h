/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - fwd(8)'s options, in one table.
 *
 * Each row gives an option's long name (also its config file key), its
 * short form or OPT_* value, whether it takes an argument and how --help
 * names it, the numeric range it accepts, where it may be given, and its
 * help text. From it come the getopt_long table (opt_long), the config
 * file's keys (config.c refuses what is command-line only), the range
 * checks, and --help; test_options.c fails when fwd(8) or the shipped
 * fwd.conf disagree with it. What an option does is main.c's apply(),
 * which fills struct daemon_opts below, all that daemon_run() is told.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fwd.h"
#include "xdp.h"

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
	OPT_DEMAND_MAX,
	OPT_DEMAND_IDLE,
	OPT_DEMAND_RATE,
};

/* fwd_opt.where */
#define OPT_ANYWHERE 0
#define OPT_CMDLINE 1 /* not a config file key: --config, --help ... */
#define OPT_HIDDEN 2  /* for the tests, not in --help or the man page */

/* --max-entries' ceiling: 16M destinations, 256 MiB of hfwd. */
#define OPT_MAX_ENTRIES_LIMIT (1U << 24)

struct fwd_opt {
	const char *name; /* long name and config key */
	int val;	  /* short option letter, or OPT_* */
	const char *arg;  /* its argument as --help shows it; NULL: a switch */
	unsigned long min, max; /* numeric arguments: the range; else 0, 0 */
	int where;		/* OPT_ANYWHERE, OPT_CMDLINE, OPT_HIDDEN */
	const char *help; /* one sentence or two; "%s": the default below */
	const char *def;  /* the default, as text; NULL: none */
};

/* The defaults of the options that name a path. */
#define OPT_DEFAULT_CONTROL "/run/fwd/fwd.sock"
#define OPT_DEFAULT_BPFFS "/sys/fs/bpf"
#define OPT_DEFAULT_STATE "/var/lib/fwd/fwd.db"
#define OPT_DEFAULT_DEMAND_IDLE 60   /* seconds */
#define OPT_DEFAULT_DEMAND_RATE 4096 /* reports a second per CPU */

/* What the options say, as main() hands it to daemon_run() (daemon.h). */
struct daemon_opts {
	char **ifaces; /* --iface, at least one */
	int n_ifaces;
	const char *control;	/* --control PATH, the API's Unix socket */
	long control_gid;	/* --control-group, -1: the daemon's */
	const char *listen;	/* --listen ADDR:PORT, NULL: no TCP */
	const char *bpffs;	/* --bpffs DIR */
	const char *state;	/* --state FILE, the SQLite store */
	enum xdp_mode mode;	/* --xdp-mode */
	uint32_t max_entries;	/* --max-entries */
	bool learn;		/* false: --no-learn */
	int64_t demand_max;	/* --demand-max, -1: half of max_entries */
	uint32_t demand_idle;	/* --demand-idle, seconds */
	uint32_t demand_rate;	/* --demand-rate, a second per CPU */
	const char *token_file; /* --token-file, NULL: none */
	bool insecure_listen;	/* --insecure-listen */
	const char *bpf_object; /* --bpf-object, NULL: search */
	bool keep;		/* --keep: leave XDP and pins on exit */
	bool bypass_netfilter;	/* --bypass-netfilter */
	int rcvbuf;		/* hidden --rcvbuf, 0: rtnl's default */
};

/* Every option, ended by a row whose name is NULL. */
extern const struct fwd_opt fwd_opts[];
/* The row of getopt_long()'s @val. NULL if none. */
const struct fwd_opt *opt_find(int val);

/* getopt_long()'s tables, made from fwd_opts (NULL-terminated). */
extern const struct option opt_long[];
extern const char opt_short[];

/* --help's option lines, wrapped at 80 columns. */
void opt_print_help(FILE *f);

#endif /* OPTIONS_H */
