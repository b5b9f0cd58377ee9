// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - fwd(8): parse and validate the command line (and the config
 * file it may name), then hand over to daemon_run().
 *
 * Every value is checked here, before anything touches the system, so
 * that a typo costs an error message and exit status 2, never a half
 * started daemon. The errors go through pr_err() like every other, so
 * under journald they are filed as errors (a failed unit's last lines).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "util.h"
#include "daemon.h"
#include "log.h"
#include "options.h"

#define EXIT_USAGE 2

/* "PATH:LINE: " while applying an option from the config file, else "". */
static char where[4200];

__attribute__((format(printf, 1, 2))) static void bad(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s%s", where, msg);
}

/*
 * getopt_long() returned '?' for the option just before argv[optind]:
 * say why, as getopt would (it is told not to: its fprintf carries no
 * priority).
 */
static void bad_option(char **argv)
{
	const char *arg = argv[optind - 1];
	const struct option *o;

	if (!optopt) {
		bad("unrecognized or ambiguous option '%s'", arg);
		return;
	}
	if (strncmp(arg, "--", 2)) {
		if (optopt != ':' && strchr(opt_short, optopt))
			bad("option requires an argument -- '%c'", optopt);
		else
			bad("invalid option -- '%c'", optopt);
		return;
	}
	for (o = opt_long; o->name; o++)
		if (o->val == optopt)
			break;
	if (o->name && o->has_arg == no_argument)
		bad("option '%s' doesn't allow an argument", arg);
	else
		bad("option '%s' requires an argument", arg);
}

static void usage(FILE *f)
{
	fputs("usage: fwd --iface IF [--iface IF ...] [options]\n"
	      "\n"
	      "XDP fast-path IPv4 forwarder. Attaches to every --iface, keeps "
	      "the pinned\n"
	      "forwarding table <bpffs>/hfwd equal to what the kernel would "
	      "do (learned\n"
	      "from rtnetlink) plus manual overrides, and serves the HTTP JSON "
	      "API.\n"
	      "\n",
	      f);
	opt_print_help(f);
	fputs("\n"
	      "Signals: SIGTERM/SIGINT stop (detach and unpin unless --keep), "
	      "SIGHUP\n"
	      "resyncs with the kernel. Logs go to stderr.\n",
	      f);
}

/* A whole decimal number in [min, max]. */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

struct cli {
	struct daemon_opts o;
	int verbose;
	const char *config;
	bool cmdline_iface; /* the command line names interfaces */
	bool help, version;
};

static int add_iface(struct cli *c, const char *name)
{
	char **n;

	if (!*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') ||
	    strchr(name, ' ')) {
		bad("--iface '%s': not a valid interface name", name);
		return -EINVAL;
	}
	n = realloc(c->o.ifaces, (c->o.n_ifaces + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->o.ifaces = n;
	n[c->o.n_ifaces++] = (char *)name;
	return 0;
}

/* A number in the range the option table gives option @val. */
static int parse_range(int val, const char *arg, unsigned long *v)
{
	const struct fwd_opt *o = opt_find(val);

	if (!parse_uint(arg, o->min, o->max, v))
		return 0;
	bad("--%s '%s': expected a whole number from %lu to %lu", o->name, arg,
	    o->min, o->max);
	return -EINVAL;
}

/* --control-group: a group name, or a number. */
static int set_group(struct cli *c, const char *arg)
{
	const struct group *g = getgrnam(arg);
	unsigned long v;

	if (g) {
		c->o.control_gid = g->gr_gid;
		return 0;
	}
	if (!parse_uint(arg, 0, 0x7fffffff, &v)) {
		c->o.control_gid = (long)v;
		return 0;
	}
	bad("--control-group '%s': no such group", arg);
	return -EINVAL;
}

/*
 * Apply one option. @from_file: it came from the config file, where
 * --config and --help make no sense and --iface yields to the command
 * line's.
 */
static int apply(struct cli *c, int opt, const char *arg, bool from_file)
{
	struct sockaddr_storage ss;
	struct sockaddr_un sun;
	unsigned long v;
	const char *why;
	char *token;
	size_t len;
	socklen_t sl;
	int err;

	switch (opt) {
	case 'i':
		if (from_file && c->cmdline_iface)
			return 0;
		return add_iface(c, arg);
	case OPT_CONTROL:
		if (arg[0] != '/' || strlen(arg) >= sizeof(sun.sun_path)) {
			bad("--control '%s': expected an absolute path of at "
			    "most %zu bytes",
			    arg, sizeof(sun.sun_path) - 1);
			return -EINVAL;
		}
		c->o.control = arg;
		return 0;
	case OPT_CONTROL_GROUP:
		return set_group(c, arg);
	case 'l':
		if (api_parse_listen(arg, &ss, &sl)) {
			bad("--listen '%s': expected ADDR:PORT with a literal "
			    "address, e.g. 127.0.0.1:5555 or [::1]:5555",
			    arg);
			return -EINVAL;
		}
		c->o.listen = arg;
		return 0;
	case OPT_BPFFS:
		if (!*arg)
			goto err_empty;
		c->o.bpffs = arg;
		return 0;
	case OPT_STATE:
		if (!*arg)
			goto err_empty;
		c->o.state = arg;
		return 0;
	case OPT_XDP_MODE:
		if (xdp_parse_mode(arg, &c->o.mode)) {
			bad("--xdp-mode '%s': expected auto, native "
			    "or "
			    "generic",
			    arg);
			return -EINVAL;
		}
		return 0;
	case OPT_MAX_ENTRIES:
		if (parse_range(OPT_MAX_ENTRIES, arg, &v))
			return -EINVAL;
		c->o.max_entries = v;
		return 0;
	case OPT_NO_LEARN:
		c->o.learn = false;
		return 0;
	case OPT_DEMAND_MAX:
		if (parse_range(OPT_DEMAND_MAX, arg, &v))
			return -EINVAL;
		c->o.demand_max = v;
		return 0;
	case OPT_DEMAND_IDLE:
		if (parse_range(OPT_DEMAND_IDLE, arg, &v))
			return -EINVAL;
		c->o.demand_idle = v;
		return 0;
	case OPT_DEMAND_RATE:
		if (parse_range(OPT_DEMAND_RATE, arg, &v))
			return -EINVAL;
		c->o.demand_rate = v;
		return 0;
	case OPT_TOKEN_FILE:
		err = api_load_token(arg, true, &token, &len, &why);
		if (err) {
			bad("--token-file %s: %s", arg,
			    why ? why : strerror(-err));
			return -EINVAL;
		}
		free(token);
		c->o.token_file = arg;
		return 0;
	case OPT_INSECURE_LISTEN:
		c->o.insecure_listen = true;
		return 0;
	case OPT_BPF_OBJECT:
		if (access(arg, R_OK)) {
			bad("--bpf-object %s: %s", arg, strerror(errno));
			return -EINVAL;
		}
		c->o.bpf_object = arg;
		return 0;
	case OPT_KEEP:
		c->o.keep = true;
		return 0;
	case OPT_BYPASS_NETFILTER:
		c->o.bypass_netfilter = true;
		return 0;
	case 'v':
		c->verbose++;
		return 0;
	case OPT_RCVBUF:
		if (parse_range(OPT_RCVBUF, arg, &v))
			return -EINVAL;
		c->o.rcvbuf = v;
		return 0;
	case 'c':
	case 'h':
	case OPT_VERSION:
		if (from_file) {
			/* cfg_load() refuses these already; be sure */
			bad("this option is not allowed in a config file");
			return -EINVAL;
		}
		return 0; /* handled in the first pass */
	default:
		return -EINVAL; /* '?': parse_all() said why */
	}
err_empty:
	bad("empty value");
	return -EINVAL;
}

/*
 * First pass, command line only: what the second pass needs to know up
 * front (--config, --help, --version, whether --iface is given).
 */
static int scan_cmdline(struct cli *c, int argc, char **argv)
{
	int opt;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, opt_short, opt_long, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			c->config = optarg;
			break;
		case 'h':
			c->help = true;
			break;
		case OPT_VERSION:
			c->version = true;
			break;
		case 'i':
			c->cmdline_iface = true;
			break;
		case '?':
			bad_option(argv);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		bad("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/*
 * Second pass over "fwd <file's options> <command line's options>": later
 * options win, so the command line overrides the file.
 */
static int parse_all(struct cli *c, int argc, char **argv,
		     const struct cfg_args *file)
{
	bool from_file;
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, opt_short, opt_long, NULL)) !=
	       -1) {
		/* file options are single "--key=value" words, argv[1..n] */
		from_file = optind - 1 <= file->argc;
		where[0] = 0;
		if (from_file)
			snprintf(where, sizeof(where), "%s:%u: ", c->config,
				 cfg_line(file, optind - 2));
		if (opt == '?')
			bad_option(argv);
		err = apply(c, opt, optarg, from_file);
		if (err)
			return err;
	}
	where[0] = 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = {
		.o =
			{
				.control = OPT_DEFAULT_CONTROL,
				.control_gid = -1,
				.bpffs = OPT_DEFAULT_BPFFS,
				.state = OPT_DEFAULT_STATE,
				.mode = XDP_MODE_AUTO,
				.max_entries = FWD_DEFAULT_MAX_ENTRIES,
				.learn = true,
				.demand_max = -1,
				.demand_idle = OPT_DEFAULT_DEMAND_IDLE,
				.demand_rate = OPT_DEFAULT_DEMAND_RATE,
			},
	};
	struct cfg_args file = {};
	char **all = NULL, err_buf[512];
	int n_all, i, err;

	log_init();
	if (scan_cmdline(&c, argc, argv)) {
		fprintf(stderr, "try 'fwd --help'\n");
		return EXIT_USAGE;
	}
	if (c.help) {
		usage(stdout);
		return 0;
	}
	if (c.version) {
		printf("fwd %s\n", FWD_VERSION);
		return 0;
	}
	if (c.config) {
		err = cfg_load(c.config, opt_long, &file, err_buf,
			       sizeof(err_buf));
		if (err) {
			pr_err("%s", err_buf);
			return EXIT_USAGE;
		}
	}
	n_all = 1 + file.argc + (argc - 1);
	all = calloc(n_all + 1, sizeof(*all));
	if (!all) {
		pr_err("out of memory");
		return 1;
	}
	all[0] = argv[0];
	for (i = 0; i < file.argc; i++)
		all[1 + i] = file.argv[i];
	for (i = 1; i < argc; i++)
		all[file.argc + i] = argv[i];
	opterr = 0;
	err = parse_all(&c, n_all, all, &file);
	if (!err && !c.o.n_ifaces) {
		pr_err("at least one --iface is required");
		err = -EINVAL;
	}
	if (!err && c.o.listen && !c.o.token_file && !c.o.insecure_listen) {
		pr_err("--listen %s needs --token-file: any local user, and "
		       "anyone who can reach the address, could rewrite the "
		       "forwarding table (--insecure-listen forces it)",
		       c.o.listen);
		err = -EINVAL;
	}
	if (!err && c.o.demand_max > c.o.max_entries) {
		pr_err("--demand-max %lld is more than --max-entries %u: the "
		       "destinations learned on demand would crowd out the "
		       "others",
		       (long long)c.o.demand_max, c.o.max_entries);
		err = -EINVAL;
	}
	if (c.o.demand_max < 0)
		c.o.demand_max = c.o.max_entries / 2;
	if (err) {
		fprintf(stderr, "try 'fwd --help'\n");
		err = EXIT_USAGE;
		goto out_free;
	}
	log_set_level(c.verbose >= 2   ? LOG_LEVEL_DEBUG
		      : c.verbose == 1 ? LOG_LEVEL_INFO
				       : LOG_LEVEL_WARN);
	pr_info("fwd %s starting", FWD_VERSION);
	err = daemon_run(&c.o) ? 1 : 0;
out_free:
	free(c.o.ifaces);
	free(all);
	cfg_free(&file);
	return err;
}
