# SPDX-License-Identifier: GPL-2.0
#
# fwd - XDP fast-path IPv4 and IPv6 forwarder. Everything is built in build/.
# `make V=1` shows the full commands. Modules add their own rules in
# <dir>/*.mk fragments (included before the rules); this file holds what all
# share: flags, the BPF object and skeleton, libfwd.a, fwd, fwdctl, tests.

OUTPUT := build
OBJ := $(OUTPUT)/obj
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
VERSION := $(shell cat VERSION)

ARCH_INC := -I/usr/include/$(shell $(CC) -dumpmachine)
BPF_CFLAGS := -O2 -g -target bpf -Wall -Wextra -Werror $(ARCH_INC) -Ikern

# The libraries, as pkg-config modules (the names Debian's -dev packages
# ship .pc files under), each with the flag to link it by when its .pc is
# missing. The flags come from here only: fragments use these variables.
# scripts/deps.sh --check reads LIBBPF_MIN from this line. libbpf 1.0:
# fwd takes bpf_object__open_file()'s failure as NULL and errno, which 0.x
# only does in strict mode; the newest calls it makes are 0.8's
# (bpf_map__lookup_elem() and its kin).
LIBBPF_MIN := 1.0.0
FWD_PKGS := libbpf:-lbpf zlib:-lz libmnl:-lmnl libcjson:-lcjson \
	    libmicrohttpd:-lmicrohttpd libsystemd:-lsystemd sqlite3:-lsqlite3
# $(call pkg_flags,--cflags|--libs,MODULE:FALLBACK ...): one pkg-config
# call for all; if it fails, module by module, FALLBACK for a missing one.
pkg_flags = $(or $(shell pkg-config $(1) $(foreach d,$(2),$(firstword \
	$(subst :, ,$(d)))) 2>/dev/null),$(foreach d,$(2),$(or $(shell \
	pkg-config $(1) $(firstword $(subst :, ,$(d))) 2>/dev/null),$(if \
	$(filter --libs,$(1)),$(word 2,$(subst :, ,$(d)))))))
LDLIBS := $(call pkg_flags,--libs,$(FWD_PKGS))
CURL_LIBS := $(call pkg_flags,--libs,libcurl:-lcurl)
TEST_LDLIBS := $(LDLIBS) $(call pkg_flags,--libs,cmocka:-lcmocka)
CJSON_LIBS := $(call pkg_flags,--libs,libcjson:-lcjson)
ZLIB_LIBS := $(call pkg_flags,--libs,zlib:-lz)
BENCH_LIBS := $(call pkg_flags,--libs,libbpf:-lbpf libmnl:-lmnl libcjson:-lcjson) -lm
PKG_CFLAGS := $(call pkg_flags,--cflags,$(FWD_PKGS) libcurl:)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	  -DFWD_VERSION='"$(VERSION)"' -I$(OUTPUT) -Ikern -Iagent -Iapi $(PKG_CFLAGS)

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps test clean format lint demo bench check docs

# `make`/`make all` only builds, and first says which pkg-config module or
# tool is missing. `make deps` installs (as root); test, demo, bench and
# lint install their groups when something is missing, then build in a
# sub-make, so nothing is compiled before the packages are there.
DEPS_GROUPS_test := build test pkg
DEPS_GROUPS_demo := build test
DEPS_GROUPS_bench := build test bench
DEPS_GROUPS_lint := build lint
ifeq ($(filter deps clean format test demo bench lint docs,$(MAKECMDGOALS)),)
DEPS_MISSING := $(shell scripts/deps.sh --check 2>&1)
$(if $(DEPS_MISSING),$(error $(DEPS_MISSING)))
endif

# The daemon's library: every agent/ and api/ source but the two mains.
LIB_SRCS := $(filter-out agent/main.c api/fwdctl.c,$(wildcard agent/*.c api/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/%.o)
UNIT_TESTS := $(patsubst %.c,$(OUTPUT)/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS := $(patsubst %.c,$(OUTPUT)/%,$(wildcard tests/bpf/test_*.c))
# Fragments append to these: programs a test needs built, and suites.
TEST_DEPS :=
TEST_SUITES = $(UNIT_TESTS) $(BPF_TESTS) $(sort $(wildcard tests/*/test_*.sh))

PROGS := $(OUTPUT)/fwd $(OUTPUT)/fwdctl

# Fragments come before any rule reads TEST_DEPS; their targets must not
# become the default goal.
.DEFAULT_GOAL := all
include $(sort $(wildcard kern/*.mk agent/*.mk api/*.mk scripts/*.mk scripts/*/*.mk tests/*/*.mk))

all: $(OUTPUT)/fwd.bpf.o $(OUTPUT)/fwd.skel.h $(PROGS)

# After installing the build group, the check: a distribution's libbpf
# may be older than LIBBPF_MIN, which apt-get cannot mend.
DEPS_GROUPS := $(or $(GROUPS),build test bench lint pkg)
deps:
	$(Q)scripts/deps.sh $(DEPS_GROUPS)
	$(if $(filter build,$(DEPS_GROUPS)),$(Q)scripts/deps.sh --check)

$(OUTPUT) $(OBJ) $(OUTPUT)/tests/unit $(OUTPUT)/tests/bpf:
	$(Q)mkdir -p $@

$(OUTPUT)/fwd.bpf.o: kern/fwd.bpf.c kern/fwd.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/fwd.skel.h: $(OUTPUT)/fwd.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name fwd_bpf > $@

$(OBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/libfwd.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/fwd: $(OBJ)/agent/main.o $(OUTPUT)/libfwd.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/fwdctl: $(OBJ)/api/fwdctl.o $(OUTPUT)/libfwd.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) $(CURL_LIBS) -o $@

$(OUTPUT)/tests/%: tests/%.c $(OUTPUT)/libfwd.a
	$(call msg,TEST-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests $< $(OUTPUT)/libfwd.a $(TEST_LDLIBS) -o $@

# Only the golden-packet tests include the skeleton.
$(BPF_TESTS): $(OUTPUT)/fwd.skel.h

test demo bench lint:
	$(Q)scripts/deps.sh $(DEPS_GROUPS_$@)
	$(Q)$(MAKE) --no-print-directory run-$@

.PHONY: run-test run-demo run-bench run-lint
run-test: all $(UNIT_TESTS) $(BPF_TESTS) $(TEST_DEPS)
	$(Q)tests/run.sh $(abspath $(TEST_SUITES))

run-demo: all
	$(Q)scripts/demo.sh

run-bench: all
	$(Q)scripts/bench.sh $(BENCH_ARGS)

# nl_fixtures.h is generated (tests/unit/gen_nl_fixtures.py): bytes, not code.
C_SRCS = $(filter-out tests/unit/nl_fixtures.h,$(wildcard kern/*.[ch] agent/*.[ch] api/*.[ch] tests/*/*.[ch] scripts/*/*.[ch]))
SH_SRCS = $(wildcard scripts/*.sh scripts/*/*.sh tests/*.sh tests/*/*.sh .ci/run)

format:
	$(Q)clang-format -i $(C_SRCS)

run-lint: $(OUTPUT)/fwd.skel.h
	$(Q)clang-format --dry-run --Werror $(C_SRCS)
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -I kern -I agent -I api \
		$(filter-out %.bpf.c,$(filter %.c,$(C_SRCS)))
	$(Q)clang-tidy -quiet $(filter agent/%.c api/%.c,$(C_SRCS)) -- $(CFLAGS)
	$(Q)shellcheck -x $(SH_SRCS)

# The picture in docs/design.md. The SVG is checked in, so only an author
# who changed docs/house.dot needs graphviz; the generator's version line
# is left out so that another graphviz changes only what it draws, and the
# source's hash put in, which tests/docs/test_docs.sh compares.
docs:
	$(Q)command -v dot >/dev/null || \
		{ echo "make docs: needs dot (Debian: graphviz)" >&2; exit 1; }
	$(call msg,DOT,docs/house.svg)
	$(Q){ dot -Tsvg docs/house.dot | \
		sed '/^<!-- Generated by graphviz/,/-->/d' && \
		printf '<!-- from docs/house.dot, sha256 %s -->\n' \
		"$$(sha256sum <docs/house.dot | cut -d' ' -f1)"; } \
		>docs/house.svg.tmp && mv docs/house.svg.tmp docs/house.svg

clean:
	$(Q)rm -rf $(OUTPUT)


-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
