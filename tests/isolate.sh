#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# isolate.sh - run a command in a fresh network and mount namespace with a
# private bpffs at /sys/fs/bpf and a private /run (a tmpfs: /run/netns,
# fwd's control socket /run/fwd/fwd.sock), so that nothing it creates
# (interfaces, routes, pinned maps, named netns, sockets) is visible to or
# left on the host. Without root it runs the command as it is; tests that
# need root skip themselves.
#
# usage: tests/isolate.sh CMD [ARG...]
set -u
if [ "$(id -u)" -ne 0 ] || ! unshare --net --mount true 2>/dev/null; then
	exec "$@"
fi
exec unshare --net --mount --propagation private -- sh -c '
	mount -t bpf bpf /sys/fs/bpf || exit 99
	mount -t tmpfs -o mode=0755 tmpfs /run || exit 99
	mkdir /run/netns && mount -t tmpfs tmpfs /run/netns || exit 99
	ip link set lo up
	exec "$@"' sh "$@"
