// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - fwd(8)'s option table. See options.h.
 */
#include <stddef.h>
#include <string.h>

#include "options.h"
#include "xdp.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The one list. X(name, val, has_arg, arg, min, max, where, help, def):
 * opt_long and fwd_opts are both made from it, so they cannot disagree.
 */
#define FWD_OPTIONS(X)                                                         \
	X("iface", 'i', required_argument, "IF", 0, 0, OPT_ANYWHERE,           \
	  "manage interface IF (repeatable; at least one); an --iface on "     \
	  "the command line replaces the config file's",                       \
	  NULL)                                                                \
	X("control", OPT_CONTROL, required_argument, "PATH", 0, 0,             \
	  OPT_ANYWHERE,                                                        \
	  "serve the API on this Unix socket, mode 0660 in a 0750 directory "  \
	  "(default %s)",                                                      \
	  OPT_DEFAULT_CONTROL)                                                 \
	X("control-group", OPT_CONTROL_GROUP, required_argument, "GROUP", 0,   \
	  0, OPT_ANYWHERE,                                                     \
	  "the control socket's group, a name or a number (default: fwd's)",   \
	  NULL)                                                                \
	X("listen", 'l', required_argument, "ADDR:PORT", 0, 0, OPT_ANYWHERE,   \
	  "also serve the API on TCP, e.g. 127.0.0.1:5555 or [::1]:5555; "     \
	  "needs --token-file",                                                \
	  NULL)                                                                \
	X("token-file", OPT_TOKEN_FILE, required_argument, "FILE", 0, 0,       \
	  OPT_ANYWHERE,                                                        \
	  "TCP requests need 'Authorization: Bearer <token>' with the token "  \
	  "in FILE",                                                           \
	  NULL)                                                                \
	X("insecure-listen", OPT_INSECURE_LISTEN, no_argument, NULL, 0, 0,     \
	  OPT_ANYWHERE, "allow --listen without --token-file", NULL)           \
	X("bpffs", OPT_BPFFS, required_argument, "DIR", 0, 0, OPT_ANYWHERE,    \
	  "where the maps are pinned (default %s)", OPT_DEFAULT_BPFFS)         \
	X("state", OPT_STATE, required_argument, "FILE", 0, 0, OPT_ANYWHERE,   \
	  "the SQLite database of overrides (default %s)", OPT_DEFAULT_STATE)  \
	X("xdp-mode", OPT_XDP_MODE, required_argument, "MODE", 0, 0,           \
	  OPT_ANYWHERE,                                                        \
	  "auto (native, falling back to generic), native (driver mode only) " \
	  "or generic (skb mode) (default %s)",                                \
	  "auto")                                                              \
	X("max-entries", OPT_MAX_ENTRIES, required_argument, "N", 1,           \
	  OPT_MAX_ENTRIES_LIMIT, OPT_ANYWHERE,                                 \
	  "size of hfwd and of hfwd6, the destinations each holds (default "   \
	  "%s)",                                                               \
	  STR(FWD_DEFAULT_MAX_ENTRIES))                                        \
	X("no-learn", OPT_NO_LEARN, no_argument, NULL, 0, 0, OPT_ANYWHERE,     \
	  "learn nothing from the kernel: overrides and the fib fallback "     \
	  "only",                                                              \
	  NULL)                                                                \
	X("demand-max", OPT_DEMAND_MAX, required_argument, "N", 0,            \
	  OPT_MAX_ENTRIES_LIMIT, OPT_ANYWHERE,                                 \
	  "destinations learned on demand (the fib path forwarded them, "      \
	  "their route is a prefix via a gateway) at most, both families; "  \
	  "0: none (default: half of --max-entries)",                          \
	  NULL)                                                                \
	X("demand-idle", OPT_DEMAND_IDLE, required_argument, "SECONDS", 1,     \
	  86400, OPT_ANYWHERE,                                                 \
	  "a destination learned on demand is evicted this long after its "    \
	  "last report; busy ones are learned again (default %s)",             \
	  STR(OPT_DEFAULT_DEMAND_IDLE))                                     \
	X("demand-rate", OPT_DEMAND_RATE, required_argument, "N", 0, 1000000,  \
	  OPT_ANYWHERE,                                                        \
	  "reports of new destinations a second per CPU at most; 0: none "     \
	  "(default %s)",                                                      \
	  STR(OPT_DEFAULT_DEMAND_RATE))                                     \
	X("bpf-object", OPT_BPF_OBJECT, required_argument, "FILE", 0, 0,       \
	  OPT_ANYWHERE,                                                        \
	  "the XDP object to load (default: " XDP_OBJECT_NAME " next to the "  \
	  "executable, then %s)",                                              \
	  XDP_OBJECT_INSTALLED)                                                \
	X("keep", OPT_KEEP, no_argument, NULL, 0, 0, OPT_ANYWHERE,             \
	  "on exit leave XDP attached and the maps pinned; the next start "    \
	  "adopts them without a forwarding gap",                              \
	  NULL)                                                                \
	X("bypass-netfilter", OPT_BYPASS_NETFILTER, no_argument, NULL, 0, 0,   \
	  OPT_ANYWHERE,                                                        \
	  "fast-path even while a netfilter chain could see forwarded "        \
	  "packets (its rules are then skipped)",                              \
	  NULL)                                                                \
	X("verbose", 'v', no_argument, NULL, 0, 0, OPT_ANYWHERE,               \
	  "log each change (twice: debug)", NULL)                              \
	X("config", 'c', required_argument, "FILE", 0, 0, OPT_CMDLINE,         \
	  "read options from FILE ('key = value' lines, the keys are the "     \
	  "long options); the command line wins",                              \
	  NULL)                                                                \
	X("version", OPT_VERSION, no_argument, NULL, 0, 0, OPT_CMDLINE,        \
	  "print the version and exit", NULL)                                  \
	X("help", 'h', no_argument, NULL, 0, 0, OPT_CMDLINE,                   \
	  "print this help and exit", NULL)                                    \
	X("rcvbuf", OPT_RCVBUF, required_argument, "BYTES", 1024, 1UL << 30,   \
	  OPT_HIDDEN, "tiny netlink buffers, for the overrun (ENOBUFS) tests", \
	  NULL)

#define AS_LONG(n, v, h, a, lo, hi, w, help, d) {n, h, NULL, v},
#define AS_OPT(n, v, h, a, lo, hi, w, help, d) {n, v, a, lo, hi, w, help, d},

const struct option opt_long[] = {FWD_OPTIONS(AS_LONG){NULL, 0, NULL, 0}};
const struct fwd_opt fwd_opts[] = {FWD_OPTIONS(AS_OPT){0}};
/* The short options of the rows above whose val is a letter. */
const char opt_short[] = "i:l:vc:h";

const struct fwd_opt *opt_find(int val)
{
	for (const struct fwd_opt *o = fwd_opts; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* @text from column 26 on, wrapped before column 80. */
static void print_wrapped(FILE *f, const char *text, int col)
{
	const char *p = text;

	while (*p) {
		int room = 79 - 26, n = (int)strlen(p);

		if (n > room) {
			n = room;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = room;
		}
		fprintf(f, "%*s%.*s\n", col < 26 ? 26 - col : 0, "", n, p);
		col = 0;
		p += n;
		while (*p == ' ')
			p++;
	}
}

void opt_print_help(FILE *f)
{
	for (const struct fwd_opt *o = fwd_opts; o->name; o++) {
		char head[64], text[512];
		int col;

		if (o->where == OPT_HIDDEN)
			continue;
		if (o->val < 256)
			col = snprintf(head, sizeof(head), "  -%c, --%s",
				       o->val, o->name);
		else
			col = snprintf(head, sizeof(head), "      --%s",
				       o->name);
		if (o->arg)
			col += snprintf(head + col, sizeof(head) - col, " %s",
					o->arg);
		fputs(head, f);
		if (col >= 25) {
			fputc('\n', f);
			col = 0;
		} else {
			fputc(' ', f);
			col++;
		}
		/* NOLINTNEXTLINE(clang-diagnostic-format-nonliteral) */
		snprintf(text, sizeof(text), o->help, o->def ? o->def : "");
		print_wrapped(f, text, col);
	}
}
