/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daemon.h - the running daemon: wires the loop, the XDP object, the
 * table and its store, rtnetlink, the netfilter watcher and the HTTP API
 * together, and owns signals.
 *
 * main() turns the command line into daemon_opts (options.h) and calls
 * daemon_run(); everything else happens inside the one event loop.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include "options.h"

/*
 * Start everything, tell systemd READY=1 after the first full sync, run
 * until SIGTERM/SIGINT, tear down. 0 after a clean stop, -errno if the
 * start failed (the reason is logged where it was found).
 */
int daemon_run(const struct daemon_opts *o);

#endif /* DAEMON_H */
