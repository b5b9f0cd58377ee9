// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - fwd(8)'s getopt_long table (see options.h for why it lives
 * apart from main.c).
 */
#include <stddef.h>

#include "options.h"

/* The long names are the contract of DESIGN §4 and the config file keys. */
const struct option opt_long[] = {
	{"iface", required_argument, NULL, 'i'},
	{"control", required_argument, NULL, OPT_CONTROL},
	{"control-group", required_argument, NULL, OPT_CONTROL_GROUP},
	{"listen", required_argument, NULL, 'l'},
	{"bpffs", required_argument, NULL, OPT_BPFFS},
	{"state", required_argument, NULL, OPT_STATE},
	{"xdp-mode", required_argument, NULL, OPT_XDP_MODE},
	{"max-entries", required_argument, NULL, OPT_MAX_ENTRIES},
	{"no-learn", no_argument, NULL, OPT_NO_LEARN},
	{"token-file", required_argument, NULL, OPT_TOKEN_FILE},
	{"insecure-listen", no_argument, NULL, OPT_INSECURE_LISTEN},
	{"bpf-object", required_argument, NULL, OPT_BPF_OBJECT},
	{"keep", no_argument, NULL, OPT_KEEP},
	{"bypass-netfilter", no_argument, NULL, OPT_BYPASS_NETFILTER},
	{"verbose", no_argument, NULL, 'v'},
	{"config", required_argument, NULL, 'c'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"help", no_argument, NULL, 'h'},
	/* hidden: tiny netlink buffers for the overrun (ENOBUFS) tests */
	{"rcvbuf", required_argument, NULL, OPT_RCVBUF},
	{NULL, 0, NULL, 0},
};

const char opt_short[] = "i:l:vc:h";
