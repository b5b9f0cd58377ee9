#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkdeb.sh - wrap an installed tree (make install DESTDIR=ROOT PREFIX=/usr)
# into a Debian binary package with dpkg-deb, as debhelper
# would: stripped executables, Depends computed by dpkg-shlibdeps from the
# libraries the executables actually link, conffiles, md5sums, and
# maintainer scripts that tell systemd about the unit without enabling it
# (fwd needs an interface in fwd.conf before it can start).
#
# usage: scripts/pkg/mkdeb.sh WORK/debian/fwd VERSION RELEASE OUT.deb
set -eu

root=$(cd "$1" && pwd) version=$2 release=$3 out=$4
arch=$(dpkg --print-architecture)
here=$(cd "$(dirname "$0")" && pwd)

# Binaries keep their debug info in build/; the package ships them without.
# The BPF object is left as it is: libbpf needs its BTF.
for exe in "$root/usr/sbin/fwd" "$root/usr/bin/fwdctl"; do
	strip --strip-unneeded --remove-section=.comment "$exe"
done

# Directories that `install -d` made as parents carry the builder's umask;
# a package's must not. Only the state directory is private.
find "$root" -type d -exec chmod 0755 {} +
chmod 0700 "$root/var/lib/fwd"

# dpkg-shlibdeps wants a source tree: debian/control, and the package's
# files under debian/<package>/ (hence the name of ROOT) next to DEBIAN/.
case $root in
*/debian/fwd) ;;
*)
	echo "mkdeb: $root: the tree must be in WORK/debian/fwd" >&2
	exit 1
	;;
esac
mkdir -p "$root/DEBIAN"
printf 'Source: fwd\n\nPackage: fwd\nArchitecture: any\n' \
	>"$root/../control"
depends=$(cd "$root/../.." &&
	dpkg-shlibdeps -O -edebian/fwd/usr/sbin/fwd -edebian/fwd/usr/bin/fwdctl |
	sed -n 's/^shlibs:Depends=//p')
if [ -z "$depends" ]; then
	echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2
	exit 1
fi

cat >"$root/DEBIAN/control" <<EOF
Package: fwd
Version: $version-$release
Architecture: $arch
Maintainer: fwd developers <fwd@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Description: XDP fast-path IPv4 forwarder
 fwd forwards exactly what the kernel would forward, only faster: an XDP
 program rewrites and redirects IPv4 packets in the driver from a table
 that the fwd daemon keeps in step with the kernel's routes and
 neighbours over rtnetlink. Manual overrides go through an HTTP JSON API
 (fwdctl).
EOF

# Every file under /etc is a conffile: dpkg keeps the admin's edits.
(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
	sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

for script in postinst prerm postrm; do
	install -m 0755 "$here/deb-$script" "$root/DEBIAN/$script"
done
chmod 0755 "$root/DEBIAN"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" \
	"$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
