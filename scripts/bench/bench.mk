# SPDX-License-Identifier: GPL-2.0
#
# bench.mk - build rules for `make bench`: the generator, sink and bare
# redirect XDP programs, their skeletons and the driver, all in build/bench/.

BENCH_OUT := $(OUTPUT)/bench
BENCH_PROGS := gen sink bare
BENCH_SKELS := $(BENCH_PROGS:%=$(BENCH_OUT)/%.skel.h)
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_CSRCS := $(filter-out %.bpf.c,$(BENCH_SRCS))

$(BENCH_OUT):
	$(Q)mkdir -p $@

$(BENCH_OUT)/%.bpf.o: scripts/bench/%.bpf.c scripts/bench/bench.h | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Iscripts/bench -c $< -o $@

$(BENCH_OUT)/%.skel.h: $(BENCH_OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BENCH_OUT)/bench: $(BENCH_CSRCS) $(wildcard scripts/bench/*.h) \
		$(BENCH_SKELS) kern/fwd.h
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BENCH_OUT) -Iscripts/bench $(BENCH_CSRCS) \
		$(BENCH_LIBS) -o $@

run-bench: $(BENCH_OUT)/bench

# Keep the objects next to their skeletons, for `bpftool prog dump` and
# `llvm-objdump -d` when a figure needs explaining.
.SECONDARY: $(BENCH_PROGS:%=$(BENCH_OUT)/%.bpf.o)
