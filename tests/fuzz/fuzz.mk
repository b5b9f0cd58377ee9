# SPDX-License-Identifier: GPL-2.0
# The libFuzzer harness over the POST / action function. It is built from
# the sources (not libfwd.a) so that clang instruments them.
# `make fuzz FUZZ_SECONDS=600` fuzzes for that long; new inputs go to
# build/fuzz/corpus, crashes to build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_BIN := $(OUTPUT)/tests/fuzz/fuzz_api
FUZZ_SRCS := tests/fuzz/fuzz_api.c api/actions.c api/util.c
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-Ikern -Iagent -Iapi -Itests/unit

# ... and over legacy_load(), fwd 0.1's state file and journals.
FUZZ_LEGACY_BIN := $(OUTPUT)/tests/fuzz/fuzz_legacy
FUZZ_LEGACY_SRCS := tests/fuzz/fuzz_legacy.c agent/legacy.c agent/htab.c \
	api/util.c

TEST_DEPS += $(FUZZ_BIN) $(FUZZ_LEGACY_BIN)

$(FUZZ_LEGACY_BIN): $(FUZZ_LEGACY_SRCS) agent/legacy.h agent/htab.h \
		    agent/log.h api/util.h kern/fwd.h
	$(call msg,FUZZ-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_LEGACY_SRCS) $(CJSON_LIBS) $(ZLIB_LIBS) -o $@

$(FUZZ_BIN): $(FUZZ_SRCS) api/actions.h api/util.h api/api.h kern/fwd.h \
	     tests/unit/api_fake.h
	$(call msg,FUZZ-CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SRCS) $(CJSON_LIBS) -o $@

.PHONY: fuzz
fuzz: $(FUZZ_BIN)
	@mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=70000 \
		-dict=tests/fuzz/api.dict -artifact_prefix=$(OUTPUT)/fuzz/ \
		$(OUTPUT)/fuzz/corpus tests/fuzz/corpus
