#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkrpm.sh - wrap an installed tree (make install DESTDIR=WORK/root
# PREFIX=/usr) into an RPM with rpmbuild (Debian's rpm package is enough:
# nothing is compiled here, see fwd.spec). Binaries are stripped here as
# for the .deb, because fwd.spec turns rpm's own post-install steps off
# to keep the BPF object's BTF.
#
# usage: scripts/pkg/mkrpm.sh WORK VERSION RELEASE OUT.rpm
set -eu

work=$(cd "$1" && pwd) version=$2 release=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
arch=$(uname -m)

for exe in "$work/root/usr/sbin/fwd" "$work/root/usr/bin/fwdctl"; do
	strip --strip-unneeded --remove-section=.comment "$exe"
done

# --nodeps: the build requirements are Debian packages rpm cannot see.
rpmbuild -bb --quiet --nodeps --target "$arch" \
	--define "_topdir $work/top" \
	--define "_tmppath $work/tmp" \
	--define "stage $work/root" \
	--define "fwd_version $version" \
	--define "fwd_release $release" \
	"$here/fwd.spec" >"$work/rpmbuild.log" 2>&1 || {
	cat "$work/rpmbuild.log" >&2
	exit 1
}
cp "$work/top/RPMS/$arch/fwd-$version-$release.$arch.rpm" "$out"
