# SPDX-License-Identifier: GPL-2.0
#
# pkg.mk - install, deb, rpm and the man pages.
#
# `make install` honours DESTDIR and PREFIX (default /usr/local). Two paths
# do not follow PREFIX because the daemon and the unit name them: the XDP
# object lives at /usr/local/fwd/xdp/fwd.bpf.o (the original's path, which
# fwd(8) searches by default) and the config at /etc/fwd/fwd.conf (the
# unit's ExecStart). The packages are built by installing into a staging
# root with PREFIX=/usr and wrapping that root, so the three ways of
# installing cannot ship different trees.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
# alert rules (and their promtool tests) and the Grafana dashboard
DATADIR ?= $(PREFIX)/share/fwd
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
FWD_OBJDIR := /usr/local/fwd/xdp
RELEASE ?= 1
INSTALL ?= install

PKG_DIR := $(OUTPUT)/pkg
MAN_PAGES := $(PKG_DIR)/fwd.8 $(PKG_DIR)/fwdctl.8
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
RPM_ARCH := $(shell uname -m)
DEB := $(OUTPUT)/fwd_$(VERSION)-$(RELEASE)_$(DEB_ARCH).deb
RPM := $(OUTPUT)/fwd-$(VERSION)-$(RELEASE).$(RPM_ARCH).rpm
PKG_SRCS := $(wildcard scripts/pkg/*)

.PHONY: install man deb rpm pkg

man: $(MAN_PAGES)
pkg: deb rpm

$(PKG_DIR):
	$(Q)mkdir -p $@

# scdoc has no variables: the version is put into the title line here.
$(PKG_DIR)/%.8: scripts/pkg/%.8.scd VERSION | $(PKG_DIR)
	$(call msg,SCDOC,$@)
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $< | \
		SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
		scdoc > $@

# A user's edited fwd.conf is never overwritten by `make install`; the
# packages mark it a conffile / %config(noreplace) instead.
#
# The unit names fwd's path, so it is written per install, straight into
# DESTDIR: deb and rpm, built in parallel, never share an intermediate file.
MONITORING := scripts/pkg/prometheus/fwd.rules.yml \
	scripts/pkg/prometheus/fwd.rules.test.yml scripts/pkg/grafana/fwd.json

install: $(OUTPUT)/fwd $(OUTPUT)/fwdctl $(OUTPUT)/fwd.bpf.o $(MAN_PAGES) \
	 scripts/pkg/fwd.service $(MONITORING)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(FWD_OBJDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/fwd $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(DATADIR)/grafana
	$(Q)$(INSTALL) -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/fwd
	$(Q)$(INSTALL) -m 0755 $(OUTPUT)/fwd $(DESTDIR)$(SBINDIR)/fwd
	$(Q)$(INSTALL) -m 0755 $(OUTPUT)/fwdctl $(DESTDIR)$(BINDIR)/fwdctl
	$(Q)$(INSTALL) -m 0644 $(OUTPUT)/fwd.bpf.o $(DESTDIR)$(FWD_OBJDIR)/fwd.bpf.o
	$(Q)$(INSTALL) -m 0644 scripts/pkg/prometheus/fwd.rules.yml \
		scripts/pkg/prometheus/fwd.rules.test.yml \
		$(DESTDIR)$(DATADIR)/prometheus/
	$(Q)$(INSTALL) -m 0644 scripts/pkg/grafana/fwd.json \
		$(DESTDIR)$(DATADIR)/grafana/fwd.json
	$(Q)sed -e 's|^ExecStart=/usr/sbin/fwd |ExecStart=$(SBINDIR)/fwd |' \
		-e 's|/etc/fwd/fwd.conf|$(SYSCONFDIR)/fwd/fwd.conf|' \
		scripts/pkg/fwd.service > $(DESTDIR)$(UNITDIR)/fwd.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/fwd.service
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/fwd/fwd.conf ]; then \
		echo "  kept $(DESTDIR)$(SYSCONFDIR)/fwd/fwd.conf (new one: fwd.conf.new)"; \
		$(INSTALL) -m 0644 scripts/pkg/fwd.conf $(DESTDIR)$(SYSCONFDIR)/fwd/fwd.conf.new; \
	else \
		$(INSTALL) -m 0644 scripts/pkg/fwd.conf $(DESTDIR)$(SYSCONFDIR)/fwd/fwd.conf; \
	fi
	$(Q)for m in $(MAN_PAGES); do \
		gzip -9nc $$m > $(DESTDIR)$(MANDIR)/man8/$${m##*/}.gz && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man8/$${m##*/}.gz || exit 1; \
	done

# Packages: stage with PREFIX=/usr, then wrap. Debian 12 still ships units
# in /lib/systemd/system (the /usr-merge moratorium); RPM distributions in
# /usr/lib/systemd/system.
$(DEB): $(OUTPUT)/fwd $(OUTPUT)/fwdctl $(OUTPUT)/fwd.bpf.o $(MAN_PAGES) \
	$(PKG_SRCS) VERSION
	$(call msg,DEB,$@)
	$(Q)rm -rf $(PKG_DIR)/deb && mkdir -p $(PKG_DIR)/deb
	$(Q)$(MAKE) -s --no-print-directory install \
		DESTDIR=$(abspath $(PKG_DIR)/deb/debian/fwd) \
		PREFIX=/usr UNITDIR=/lib/systemd/system
	$(Q)scripts/pkg/mkdeb.sh $(PKG_DIR)/deb/debian/fwd $(VERSION) $(RELEASE) $@

$(RPM): $(OUTPUT)/fwd $(OUTPUT)/fwdctl $(OUTPUT)/fwd.bpf.o $(MAN_PAGES) \
	$(PKG_SRCS) VERSION
	$(call msg,RPM,$@)
	$(Q)rm -rf $(PKG_DIR)/rpm && mkdir -p $(PKG_DIR)/rpm
	$(Q)$(MAKE) -s --no-print-directory install DESTDIR=$(abspath $(PKG_DIR)/rpm/root) \
		PREFIX=/usr UNITDIR=/usr/lib/systemd/system
	$(Q)scripts/pkg/mkrpm.sh $(PKG_DIR)/rpm $(VERSION) $(RELEASE) $@

deb: $(DEB)
rpm: $(RPM)

# tests/pkg/test_pkg.sh checks both packages; they take under a second.
TEST_DEPS += $(DEB) $(RPM)

# sd_notify's receiving end, for the test that waits for READY=1.
TEST_DEPS += $(OUTPUT)/tests/pkg/notify_recv
