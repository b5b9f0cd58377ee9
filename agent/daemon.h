/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h - the running daemon: wires the loop, the XDP object, the
 * table, rtnetlink and the HTTP API together, and owns signals.
 *
 * main() turns the command line into daemon_opts and calls daemon_run();
 * everything else happens inside the one event loop.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "xdp.h"

#define DAEMON_DEFAULT_CONTROL "/run/fwd/fwd.sock"
#define DAEMON_DEFAULT_BPFFS "/sys/fs/bpf"
#define DAEMON_DEFAULT_STATE "/var/lib/fwd/fwd.db"
#define DAEMON_DEFAULT_DEMAND_IDLE 60	/* seconds */
#define DAEMON_DEFAULT_DEMAND_RATE 4096 /* reports a second per CPU */

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

/*
 * Start everything, tell systemd READY=1 after the first full sync, run
 * until SIGTERM/SIGINT, tear down. 0 after a clean stop, -errno if the
 * start failed (the reason is logged where it was found).
 */
int daemon_run(const struct daemon_opts *o);

#endif /* DAEMON_H */
