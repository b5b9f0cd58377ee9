# SPDX-License-Identifier: GPL-2.0
#
# agent.mk - build rules of the daemon core (loop, table, xdp, daemon).
#
# The HTTP API joins the daemon as soon as its module is in the tree; until
# then the daemon runs without it (and says so). daemon.o is rebuilt when
# api/api.c appears or goes, so a stale object never hides the switch.

ifneq ($(wildcard api/api.c),)
$(OBJ)/agent/daemon.o: CFLAGS += -DFWD_HAVE_API
endif
$(OBJ)/agent/daemon.o: $(wildcard api/api.c) agent/agent.mk
