# SPDX-License-Identifier: GPL-2.0
# api/ build rules beyond the top Makefile's: the HTTP unit test is a
# libcurl client.
$(OUTPUT)/tests/unit/test_api_http: TEST_LDLIBS += $(CURL_LIBS)

# fwd_build_info's commit: build/build_id.h is rewritten only when the
# commit changes, so metrics.o is rebuilt exactly then.
$(OUTPUT)/build_id.h: FORCE | $(OUTPUT)
	$(Q)printf '#define FWD_COMMIT "%s"\n' \
		"$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)" \
		>$@.tmp && (cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@)
$(OBJ)/api/metrics.o: $(OUTPUT)/build_id.h
.PHONY: FORCE
FORCE:
