# SPDX-License-Identifier: GPL-2.0
# api/ build rules beyond the top Makefile's: the HTTP unit test is a
# libcurl client.
$(OUTPUT)/tests/unit/test_api_http: TEST_LDLIBS += -lcurl
