#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_pkg.sh - the packages, the unit and the config file, as a user gets
# them.
#
# The .deb and .rpm are opened and their contents, modes, dependencies and
# scripts checked; `make install` is run into a scratch DESTDIR. Then the
# .deb is extracted into a throwaway root and "installed" only inside this
# suite's own mount namespace, by overlaying the extracted /usr/local,
# /usr/sbin, /lib/systemd/system and /usr/share/man on the host's (read-only
# overlays: nothing is written to the host). There the installed fwd runs
# from /usr/sbin, where no fwd.bpf.o lies next to it, so it can only find
# its object at the original's path /usr/local/fwd/xdp/fwd.bpf.o, and
# systemd-analyze verifies the unit against the installed binary and man
# pages. The daemon is run against veth pairs in the suite's own network
# namespace, as the unit would run it: with NOTIFY_SOCKET, and with only the
# unit's capabilities.
#
# Needs root, and to be run through tests/isolate.sh (tests/run.sh does).
set -euo pipefail

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
version=$(cat "$top/VERSION")
release=1
deb=$top/build/fwd_$version-${release}_amd64.deb
rpm=$top/build/fwd-$version-$release.x86_64.rpm
notify=$top/build/tests/pkg/notify_recv
tmp=$(mktemp -d /tmp/test_pkg.XXXXXX)
root=$tmp/root # the extracted .deb
port=5555      # the suite has a network namespace of its own

cleanup()
{
	local pid

	if [ -f "$tmp/pids" ]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$tmp/pids"
	fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- TAP ------------------------------------------------------------------

# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"

# run NAME FUNCTION: run a test in a subshell with `set -e`; exit 77 = skip,
# with the reason as the last line of its output.
run()
{
	local name=$1 rc out
	shift
	out=$tmp/out.$((tap_n + 1))
	set +e
	(
		set -e
		"$@"
	) >"$out" 2>&1 </dev/null
	rc=$?
	set -e
	reset_state
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	elif [ "$rc" -eq 77 ]; then
		ok "$name # SKIP $(tail -n1 "$out")"
	else
		not_ok "$name"
		sed 's/^/# /' "$out"
	fi
}
# Whatever a test left (a daemon, an attachment, pins, a mount) goes, so that
# the next test starts from the same state.
reset_state()
{
	local pid l
	if [ -f "$tmp/pids" ]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$tmp/pids"
		: >"$tmp/pids"
	fi
	umount -q "$tmp/bpffs" 2>/dev/null || true
	for l in fwd0 fwd2; do
		ip link set dev "$l" xdpgeneric off 2>/dev/null || true
		ip link set dev "$l" xdpdrv off 2>/dev/null || true
	done
	rm -f /sys/fs/bpf/* 2>/dev/null || true
}

skip()
{
	echo "$*"
	exit 77
}
fail()
{
	echo "$*"
	exit 1
}

# --- helpers --------------------------------------------------------------

# NEEDED sonames of an ELF file, one a line.
needed()
{
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# Run a command with the extracted package overlaid on the host's tree.
# The overlays are read-only and live in a mount namespace that ends with
# the command. With IN_ROOT_EXEC=1 the calling (sub)shell is replaced, so
# that `in_root ... &` leaves the command's own pid in `$!`.
in_root()
{
	local ex=
	local dirs="/usr/sbin /usr/bin /lib/systemd/system /usr/share/man"
	# FWD_NO_OBJECT=1: all but /usr/local, as if the object were missing
	[ -n "${FWD_NO_OBJECT:-}" ] || dirs="/usr/local $dirs"
	[ -z "${IN_ROOT_EXEC:-}" ] || ex="exec"
	# shellcheck disable=SC2016 # expanded by the inner sh
	$ex unshare --mount --propagation private -- sh -c '
		r=$1 dirs=$2
		shift 2
		for d in $dirs; do
			mount -t overlay overlay -o "lowerdir=$r$d:$d" "$d" ||
				exit 99
		done
		exec "$@"' sh "$root" "$dirs" "$@"
}

# start_fwd LOG ARG...: start the installed fwd as systemd would (with
# NOTIFY_SOCKET) and wait until it reports READY=1. Sets fwd_pid.
start_fwd()
{
	local log=$1 sock=$tmp/notify.sock np i
	shift
	rm -f "$sock"
	"$notify" "$sock" 20 >"$tmp/notify.out" 2>&1 &
	np=$!
	for i in $(seq 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	# shellcheck disable=SC2086 # FWD_WRAP is a command line
	IN_ROOT_EXEC=1 NOTIFY_SOCKET=$sock in_root ${FWD_WRAP:-} \
		/usr/sbin/fwd "$@" >"$log" 2>&1 &
	fwd_pid=$!
	echo "$fwd_pid" >>"$tmp/pids"
	while kill -0 "$np" 2>/dev/null; do
		if ! kill -0 "$fwd_pid" 2>/dev/null; then
			kill "$np" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	if ! wait "$np"; then
		echo "fwd $*: no READY=1; its log:"
		cat "$log"
		return 1
	fi
	if ! kill -0 "$fwd_pid" 2>/dev/null; then
		echo "fwd $*: exited after READY=1"
		cat "$log"
		return 1
	fi
}

# stop_fwd [SIGNAL]: stop the daemon and return its exit status.
stop_fwd()
{
	local i rc=0
	kill "-${1:-TERM}" "$fwd_pid"
	for i in $(seq 100); do
		kill -0 "$fwd_pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$fwd_pid" || rc=$?
	return "$rc"
}

# wait_for CMD...: retry CMD for up to 3 s (a write may lag the reply).
wait_for()
{
	local i
	for i in $(seq 30); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

# api BODY [PORT]: POST BODY to the API (the control socket, or TCP PORT),
# print the reply; fail without one (jq -e takes empty input for a success).
api()
{
	local reply to=(--unix-socket /run/fwd/fwd.sock http://localhost/)
	[ -z "${2:-}" ] || to=("http://127.0.0.1:$2/")
	reply=$(curl -s -m 5 -X POST -H 'Content-Type: application/json' \
		--data "$1" "${to[@]}") || true
	if [ -z "$reply" ]; then
		echo "no reply from the API on ${to[*]}" >&2
		return 1
	fi
	echo "$reply"
}

# The name of the XDP program attached to interface $1, or nothing.
xdp_prog_name()
{
	local id
	id=$(ip -j -d link show dev "$1" | jq -r '.[0].xdp.prog.id // empty')
	[ -n "$id" ] || return 0
	bpftool -j prog show id "$id" | jq -r .name
}

# "native"/"generic"/"" for interface $1.
xdp_mode()
{
	ip -j -d link show dev "$1" | jq -r '.[0].xdp.mode // empty' |
		sed 's/^1$/native/; s/^2$/generic/'
}

# fwd_conf FILE: write stdin to FILE (a config file for --config).
fwd_conf()
{
	cat >"$1"
}

# Run the installed fwd in the foreground; print its stderr, return its
# status. For configurations that must be refused at once.
fwd_fails()
{
	local rc=0
	in_root timeout 10 /usr/sbin/fwd "$@" >"$tmp/fails.log" 2>&1 || rc=$?
	cat "$tmp/fails.log"
	return "$rc"
}

# --- the packages ---------------------------------------------------------

t_deb_is_named_from_version_and_release()
{
	[ -f "$deb" ] || fail "$deb missing"
	[ "$(dpkg-deb -f "$deb" Package)" = fwd ] || fail "Package is not fwd"
	[ "$(dpkg-deb -f "$deb" Version)" = "$version-$release" ] ||
		fail "Version: $(dpkg-deb -f "$deb" Version)"
	[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] ||
		fail "Architecture: $(dpkg-deb -f "$deb" Architecture)"
}

# Every file and its mode; directories only where their mode matters.
deb_layout="-rwxr-xr-x root/root ./usr/sbin/fwd
-rwxr-xr-x root/root ./usr/bin/fwdctl
-rw-r--r-- root/root ./usr/local/fwd/xdp/fwd.bpf.o
-rw-r--r-- root/root ./lib/systemd/system/fwd.service
-rw-r--r-- root/root ./etc/fwd/fwd.conf
-rw-r--r-- root/root ./usr/share/man/man8/fwd.8.gz
-rw-r--r-- root/root ./usr/share/man/man8/fwdctl.8.gz
-rw-r--r-- root/root ./usr/share/fwd/prometheus/fwd.rules.yml
-rw-r--r-- root/root ./usr/share/fwd/prometheus/fwd.rules.test.yml
-rw-r--r-- root/root ./usr/share/fwd/grafana/fwd.json
drwx------ root/root ./var/lib/fwd/"

t_deb_holds_exactly_the_install_layout()
{
	local got
	dpkg-deb -c "$deb" >"$tmp/deb.list"
	got=$(awk '$1 !~ /^d/ || $6 == "./var/lib/fwd/" { print $1, $2, $6 }' \
		"$tmp/deb.list")
	if [ "$(sort <<<"$got")" != "$(sort <<<"$deb_layout")" ]; then
		echo "want:"
		echo "$deb_layout"
		echo "got:"
		echo "$got"
		exit 1
	fi
	# every other directory is world-readable, whatever the builder's umask
	if awk '$1 ~ /^d/ && $6 != "./var/lib/fwd/" && $1 != "drwxr-xr-x"' \
		"$tmp/deb.list" | grep .; then
		fail "directories not 0755"
	fi
	# and nobody but root owns anything, directories included
	if awk '$2 != "root/root"' "$tmp/deb.list" | grep .; then
		fail "entries not owned by root/root"
	fi
}

t_deb_object_is_the_built_xdp_object_with_btf()
{
	local o=$root/usr/local/fwd/xdp/fwd.bpf.o
	cmp "$o" "$top/build/fwd.bpf.o"
	readelf -S "$o" | grep ' \.BTF ' >/dev/null || fail "no .BTF section"
	readelf -h "$o" | grep 'Machine:.*BPF' >/dev/null || fail "not a BPF object"
	llvm-objdump -t "$o" | grep ' xdp_handle_fwd$' >/dev/null ||
		fail "no program xdp_handle_fwd"
}

t_deb_executables_are_stripped_and_keep_build_id()
{
	local exe
	for exe in "$root/usr/sbin/fwd" "$root/usr/bin/fwdctl"; do
		if readelf -S "$exe" | grep -E ' \.(debug_info|symtab) ' >/dev/null; then
			fail "$exe is not stripped"
		fi
		readelf -n "$exe" | grep 'Build ID' >/dev/null ||
			fail "$exe lost its build id"
	done
}

# The library package of every NEEDED soname, from dpkg's own database.
lib_packages()
{
	local exe so path
	for exe in "$@"; do
		for so in $(needed "$exe"); do
			path=$(ldconfig -p | awk -v so="$so" \
				'$1 == so && /x86-64/ { print $NF; exit }')
			[ -n "$path" ] || {
				echo "MISSING:$so"
				continue
			}
			dpkg -S "$(readlink -f "$path")" 2>/dev/null |
				sed 's/:.*//' | head -n1
		done
	done | sort -u
}

t_deb_depends_names_the_package_of_every_needed_library()
{
	local depends pkg missing=0
	depends=$(dpkg-deb -f "$deb" Depends)
	echo "Depends: $depends"
	for pkg in $(lib_packages "$root/usr/sbin/fwd" "$root/usr/bin/fwdctl"); do
		case $pkg in
		MISSING:*) fail "no library on this system for ${pkg#MISSING:}" ;;
		esac
		# "pkg" or "pkg (>= v)" as a whole item of the comma list
		if ! tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' |
			grep -x "$pkg" >/dev/null; then
			echo "Depends lacks $pkg"
			missing=1
		fi
	done
	[ "$missing" -eq 0 ]
	# libbpf, libmnl, libmicrohttpd... are really linked: the list is not
	# trivially libc alone
	tr ',' '\n' <<<"$depends" | grep libbpf1 >/dev/null || fail "no libbpf1"
}

t_deb_depends_are_resolvable()
{
	local item pkg ver cand
	while IFS= read -r item; do
		item=$(sed 's/^ *//; s/ *$//' <<<"$item")
		pkg=${item%% *}
		ver=$(sed -n 's/.*(>= \(.*\))/\1/p' <<<"$item")
		cand=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null ||
			apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			fail "$pkg: neither installed nor installable"
		fi
		if [ -n "$ver" ] && ! dpkg --compare-versions "$cand" ge "$ver"; then
			fail "$pkg: $cand does not satisfy >= $ver"
		fi
		echo "$item: $cand"
	done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n')
}

t_deb_conffiles_and_md5sums_are_right()
{
	dpkg-deb -e "$deb" "$tmp/DEBIAN"
	[ "$(cat "$tmp/DEBIAN/conffiles")" = /etc/fwd/fwd.conf ] ||
		fail "conffiles: $(cat "$tmp/DEBIAN/conffiles")"
	(cd "$root" && md5sum --quiet -c "$tmp/DEBIAN/md5sums")
	[ "$(wc -l <"$tmp/DEBIAN/md5sums")" -eq 10 ] ||
		fail "md5sums should list the 10 files"
}

t_deb_maintainer_scripts_parse_and_never_enable_the_service()
{
	local s
	for s in postinst prerm postrm; do
		[ -x "$tmp/DEBIAN/$s" ] || fail "$s missing or not executable"
		sh -n "$tmp/DEBIAN/$s"
	done
	# fwd cannot start before fwd.conf names an interface
	if grep -n 'systemctl .*enable' "$tmp/DEBIAN/postinst"; then
		fail "postinst enables the unit"
	fi
	# without systemd running (as here), every script is a no-op success
	for s in postinst prerm postrm; do
		[ -d /run/systemd/system ] || "$tmp/DEBIAN/$s" configure
	done
}

t_rpm_holds_the_files_of_the_deb()
{
	local want got owners
	[ -f "$rpm" ] || fail "$rpm missing"
	want=$(sed 's|\./lib/systemd|./usr/lib/systemd|; s| \./| /|; s|/$||' \
		<<<"$deb_layout" | awk '{ print $1, $3 }' | sort)
	got=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILENAMES}\n]' \
		"$rpm" | awk '$1 !~ /^d/ || $3 == "/var/lib/fwd" { print $1, $3 }' |
		sort)
	if [ "$want" != "$got" ]; then
		printf 'want:\n%s\ngot:\n%s\n' "$want" "$got"
		exit 1
	fi
	owners=$(rpm -qp --qf '[%{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$rpm" |
		sort -u)
	[ "$owners" = root:root ] || fail "owners: $owners"
	rpm -qlp "$rpm"
}

t_rpm_requires_every_needed_soname()
{
	local so
	rpm -qp --requires "$rpm" >"$tmp/rpm.req"
	for so in $(needed "$root/usr/sbin/fwd") $(needed "$root/usr/bin/fwdctl"); do
		grep -qxF "$so()(64bit)" "$tmp/rpm.req" ||
			fail "Requires lacks $so()(64bit)"
	done
	[ "$(rpm -qp --qf '%{VERSION}-%{RELEASE}.%{ARCH}' "$rpm")" = \
		"$version-$release.x86_64" ] || fail "bad version or arch"
}

t_rpm_keeps_an_edited_fwd_conf()
{
	local flags
	flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" |
		awk '$2 == "/etc/fwd/fwd.conf" { print $1 }')
	[ "$flags" = cn ] || fail "fwd.conf flags '$flags', want cn (config, noreplace)"
}

t_rpm_payload_matches_the_deb()
{
	mkdir "$tmp/rpmroot"
	# rpm2archive comes with rpm (rpm2cpio's cpio(1) may not be there)
	rpm2archive - <"$rpm" | tar -xz -C "$tmp/rpmroot"
	cmp "$tmp/rpmroot/usr/local/fwd/xdp/fwd.bpf.o" "$top/build/fwd.bpf.o"
	cmp "$tmp/rpmroot/usr/sbin/fwd" "$root/usr/sbin/fwd"
	cmp "$tmp/rpmroot/etc/fwd/fwd.conf" "$top/scripts/pkg/fwd.conf"
	cmp "$tmp/rpmroot/usr/lib/systemd/system/fwd.service" \
		"$root/lib/systemd/system/fwd.service"
}

t_make_install_honours_destdir_and_prefix()
{
	local d=$tmp/destdir unit
	make -s -C "$top" install DESTDIR="$d" PREFIX=/opt/fwd >/dev/null
	for f in /opt/fwd/sbin/fwd /opt/fwd/bin/fwdctl \
		/opt/fwd/lib/systemd/system/fwd.service \
		/opt/fwd/share/man/man8/fwd.8.gz /opt/fwd/share/man/man8/fwdctl.8.gz \
		/opt/fwd/share/fwd/prometheus/fwd.rules.yml \
		/opt/fwd/share/fwd/grafana/fwd.json \
		/usr/local/fwd/xdp/fwd.bpf.o /etc/fwd/fwd.conf; do
		[ -f "$d$f" ] || fail "$f not installed"
	done
	[ "$(stat -c %a "$d/opt/fwd/sbin/fwd")" = 755 ] || fail "fwd mode"
	[ "$(stat -c %a "$d/var/lib/fwd")" = 700 ] || fail "/var/lib/fwd mode"
	unit=$d/opt/fwd/lib/systemd/system/fwd.service
	grep -qx 'ExecStart=/opt/fwd/sbin/fwd --config /etc/fwd/fwd.conf' \
		"$unit" || fail "ExecStart does not follow PREFIX: $(grep ExecStart= "$unit")"
	# nothing outside DESTDIR: the host has no fwd installed
	if [ -e /opt/fwd ] || [ -e /usr/local/fwd ] || [ -e /etc/fwd ]; then
		fail "make install wrote outside DESTDIR"
	fi
}

t_make_install_keeps_an_edited_fwd_conf()
{
	local d=$tmp/destdir
	echo "iface = mine" >"$d/etc/fwd/fwd.conf"
	make -s -C "$top" install DESTDIR="$d" PREFIX=/opt/fwd >/dev/null
	[ "$(cat "$d/etc/fwd/fwd.conf")" = "iface = mine" ] ||
		fail "the edited fwd.conf was overwritten"
	cmp "$d/etc/fwd/fwd.conf.new" "$top/scripts/pkg/fwd.conf"
}

# --- the unit -------------------------------------------------------------

t_unit_passes_systemd_analyze_verify_when_installed()
{
	local out man=no
	# man pages are checked too where man(1) is there to find them
	! command -v man >/dev/null || man=yes
	echo "--man=$man"
	out=$(in_root systemd-analyze verify --man=$man \
		/lib/systemd/system/fwd.service 2>&1) || {
		echo "$out"
		exit 1
	}
	[ -z "$out" ] || fail "verify printed: $out"
}

t_unit_has_the_required_service_settings()
{
	local unit=$root/lib/systemd/system/fwd.service line
	while IFS= read -r line; do
		grep -qxF "$line" "$unit" || fail "unit lacks: $line"
	done <<'EOF'
Type=notify
ExecStart=/usr/sbin/fwd --config /etc/fwd/fwd.conf
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartPreventExitStatus=2
ProtectSystem=strict
StateDirectory=fwd
RuntimeDirectory=fwd
RuntimeDirectoryMode=0750
ReadWritePaths=/sys/fs/bpf
ProtectHome=yes
NoNewPrivileges=yes
RestrictAddressFamilies=AF_NETLINK AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
WantedBy=multi-user.target
EOF
	# each of those set once: a later line would silently win
	if grep -E '^(Type|ExecStart|Restart|CapabilityBoundingSet|User)=' \
		"$unit" | cut -d= -f1 | sort | uniq -d | grep .; then
		fail "set twice"
	fi
}

t_unit_exposure_score_is_at_most_2_0()
{
	local score
	score=$(systemd-analyze security --offline=true --no-pager \
		"$root/lib/systemd/system/fwd.service" 2>&1 |
		sed -n 's/.*Overall exposure level for fwd.service: \([0-9.]*\).*/\1/p')
	echo "exposure: $score"
	[ -n "$score" ] || fail "no score"
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
}

# --- the installed daemon -------------------------------------------------

t_installed_fwd_version_is_the_version_file()
{
	local out
	out=$(in_root /usr/sbin/fwd --version)
	echo "$out"
	grep -qw -- "$version" <<<"$out" || fail "no $version in --version"
}

t_installed_fwd_without_its_object_names_the_original_path()
{
	local rc=0 out
	# the extracted tree but not its /usr/local: as if the object were gone
	out=$(FWD_NO_OBJECT=1 in_root timeout 10 /usr/sbin/fwd --iface fwd0 \
		--state "$tmp/s.db" 2>&1) || rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] || fail "fwd started without an object"
	grep -q /usr/local/fwd/xdp/fwd.bpf.o <<<"$out" ||
		fail "the error does not name /usr/local/fwd/xdp/fwd.bpf.o"
	[ ! -e /sys/fs/bpf/hfwd ] || fail "hfwd pinned anyway"
}

t_installed_fwd_loads_the_object_at_usr_local_fwd_and_notifies_ready()
{
	start_fwd "$tmp/fwd.log" --iface fwd0 --iface fwd2 \
		--state "$tmp/fwd.db" -v
	cat "$tmp/notify.out"
	[ ! -e "$root/usr/sbin/fwd.bpf.o" ] || fail "object next to fwd"
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "fwd0: no xdp_handle_fwd"
	[ "$(xdp_prog_name fwd2)" = xdp_handle_fwd ] || fail "fwd2: no xdp_handle_fwd"
	bpftool -j map show pinned /sys/fs/bpf/hfwd | jq -e '.name == "hfwd"'
	# the log names the object it loaded
	grep /usr/local/fwd/xdp/fwd.bpf.o "$tmp/fwd.log" || true
	stop_fwd
}

t_installed_fwdctl_sets_an_override_that_hfwd_holds()
{
	local ifindex reply
	start_fwd "$tmp/fwd.log" --iface fwd0 --state "$tmp/fwd.db"
	# (not /sys/class/net: sysfs shows the host's namespace)
	ifindex=$(ip -j link show dev fwd0 | jq '.[0].ifindex')
	in_root /usr/bin/fwdctl set 10.99.0.77 fwd0 02:00:00:00:00:77
	in_root /usr/bin/fwdctl list | tee "$tmp/list"
	grep -q '10.99.0.77' "$tmp/list" || fail "fwdctl list lacks it"
	reply=$(api '{"action":"QueryForward","ip":"10.99.0.77"}')
	echo "$reply"
	jq -e --argjson i "$ifindex" '.code == 200 and
		(.Tables[0] | .Ip == "10.99.0.77" and .DstMac == "02:00:00:00:00:77"
		 and .Source == "override" and
		 (.Iface == $i or .Iface == "fwd0" or .Iface == ($i | tostring)))' \
		<<<"$reply"
	# in the pinned map: key 10.99.0.77, value starts with the ifindex
	bpftool -j map lookup pinned /sys/fs/bpf/hfwd key 10 99 0 77 |
		tee "$tmp/lookup"
	jq -e --argjson i "$ifindex" '.formatted.value |
		.ifindex == $i and .dmac == [2, 0, 0, 0, 0, 119]' "$tmp/lookup" ||
		fail "hfwd does not hold the override"
	# the database the unit's StateDirectory holds, committed
	[ "$(sqlite3 "$tmp/fwd.db" "SELECT dmac FROM overrides WHERE ip = '10.99.0.77'")" = 02:00:00:00:00:77 ] ||
		fail "override not persisted"
	stop_fwd
}

t_sighup_resyncs_without_exiting()
{
	local before after
	start_fwd "$tmp/fwd.log" --iface fwd0 --state "$tmp/fwd.db"
	before=$(api '{"action":"QueryStats"}' | jq -e .Agent.resyncs)
	kill -HUP "$fwd_pid" # what ExecReload does
	sleep 1
	kill -0 "$fwd_pid" || fail "fwd exited on SIGHUP"
	after=$(api '{"action":"QueryStats"}' | jq -e .Agent.resyncs)
	echo "resyncs: $before -> $after"
	[ "$after" -gt "$before" ] || fail "no resync"
	stop_fwd
}

t_sigterm_exits_0_detaches_and_unpins()
{
	start_fwd "$tmp/fwd.log" --iface fwd0 --state "$tmp/fwd.db"
	stop_fwd TERM || fail "exit status $?"
	[ -z "$(xdp_prog_name fwd0)" ] || fail "still attached"
	[ ! -e /sys/fs/bpf/hfwd ] || fail "still pinned"
	[ ! -e /sys/fs/bpf/fwd_prog ] || fail "program still pinned"
}

# The unit's capabilities, as setpriv(1) takes them: "+bpf,+net_admin,...".
unit_cap_list()
{
	sed -n 's/^CapabilityBoundingSet=//p' "$root/lib/systemd/system/fwd.service" |
		tr ' ' '\n' | sed 's/^CAP_/+/' | tr '[:upper:]' '[:lower:]' | paste -sd,
}

# As the unit runs fwd: root with the unit's bounding set (root then has
# exactly those capabilities), nothing inheritable, no_new_privs.
unit_caps()
{
	echo "setpriv --bounding-set=-all,$(unit_cap_list) --inh-caps=-all --no-new-privs"
}

t_unit_grants_only_bpf_net_admin_perfmon()
{
	local unit=$root/lib/systemd/system/fwd.service
	# no CAP_SYS_ADMIN: fwd finds the program it adopts through its
	# pin, not by id (BPF_PROG_GET_FD_BY_ID)
	[ "$(unit_cap_list)" = "+bpf,+net_admin,+perfmon" ] ||
		fail "bounding set: $(unit_cap_list)"
	[ "$(sed -n 's/^AmbientCapabilities=//p' "$unit")" = \
		"$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")" ] ||
		fail "AmbientCapabilities differs from the bounding set"
}

t_runs_with_only_the_units_capabilities()
{
	local mask
	FWD_WRAP=$(unit_caps) start_fwd "$tmp/fwd.log" --iface fwd0 \
		--state "$tmp/fwd.db"
	grep -E '^Cap(Eff|Bnd)' "/proc/$fwd_pid/status"
	# CAP_NET_ADMIN 12, CAP_PERFMON 38, CAP_BPF 39
	mask=$(printf '%016x' $(((1 << 12) | (1 << 38) | (1 << 39))))
	grep -qxP "CapEff:\t$mask" "/proc/$fwd_pid/status" ||
		fail "unexpected capability set, want $mask"
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "not attached"
	api '{"action":"UpdateForward","ip":"10.99.0.78","iface":"fwd0","dstMac":"02:00:00:00:00:78"}' |
		jq -e '.code == 200'
	stop_fwd
}

t_keep_then_restart_with_only_the_units_capabilities()
{
	FWD_WRAP=$(unit_caps) start_fwd "$tmp/fwd.log" --iface fwd0 \
		--state "$tmp/fwd.db" --keep
	stop_fwd
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "--keep detached"
	# the next instance takes over what the previous one left
	FWD_WRAP=$(unit_caps) start_fwd "$tmp/fwd2.log" --iface fwd0 \
		--state "$tmp/fwd.db"
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "not attached"
	stop_fwd
	[ -z "$(xdp_prog_name fwd0)" ] || fail "still attached"
}

# Restart=on-failure: a crashed fwd leaves its program attached (and hfwd
# pinned); the restarted one must take over with the same capabilities.
t_restart_after_a_crash_with_only_the_units_capabilities()
{
	FWD_WRAP=$(unit_caps) start_fwd "$tmp/fwd.log" --iface fwd0 \
		--state "$tmp/fwd.db"
	stop_fwd KILL || true
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] ||
		fail "the crashed fwd's program is gone: nothing to take over"
	FWD_WRAP=$(unit_caps) start_fwd "$tmp/fwd2.log" --iface fwd0 \
		--state "$tmp/fwd.db"
	api '{"action":"QueryStats"}' | jq -e '.code == 200'
	stop_fwd
	[ -z "$(xdp_prog_name fwd0)" ] || fail "still attached"
	[ ! -e /sys/fs/bpf/hfwd ] || fail "still pinned"
	[ ! -e /sys/fs/bpf/fwd_prog ] || fail "program still pinned"
}

# The syscalls a systemd syscall group stands for, groups expanded.
syscall_group()
{
	local e
	for e in $(systemd-analyze syscall-filter "$1" 2>/dev/null |
		tail -n +2 | grep -v '^ *#'); do
		case $e in
		@*) syscall_group "$e" ;;
		*) echo "$e" ;;
		esac
	done
}

# The unit's allow list, as systemd builds it from its SystemCallFilter=
# lines: the first one allows, "~" lines take away, later lines add.
unit_syscalls()
{
	local line e neg
	sed -n 's/^SystemCallFilter=//p' "$root/lib/systemd/system/fwd.service" |
		while IFS= read -r line; do
			neg=
			case $line in "~"*)
				neg=1
				line=${line#\~}
				;;
			esac
			for e in $line; do
				case $e in
				@*) syscall_group "$e" ;;
				*) echo "$e" ;;
				esac | sed "s/^/${neg:+-}/"
			done
		done | awk '/^-/ { delete ok[substr($0, 2)]; next } { ok[$0] = 1 }
			END { for (s in ok) print s }' | sort -u
}

# Seccomp cannot be tried without systemd; strace shows what fwd calls over
# a life (start, API writes and reads, SIGHUP resync, stop) and each call
# must be one the unit's filter lets through.
t_every_syscall_fwd_makes_is_allowed_by_the_unit()
{
	local pid bad
	command -v strace >/dev/null || skip "strace is not installed"
	unit_syscalls >"$tmp/allowed"
	[ "$(wc -l <"$tmp/allowed")" -gt 100 ] || fail "allow list too short"
	grep -qx bpf "$tmp/allowed" || fail "bpf(2) not allowed"
	grep -qx setuid "$tmp/allowed" && fail "@privileged not taken away"
	FWD_WRAP="strace -f -c -S name -o $tmp/strace.out" start_fwd \
		"$tmp/fwd.log" --iface fwd0 --iface fwd2 --state "$tmp/fwd.db"
	api '{"action":"UpdateForward","ip":"10.99.0.80","iface":"fwd0","dstMac":"02:00:00:00:00:80"}' |
		jq -e '.code == 200'
	api '{"action":"QueryForward"}' | jq -e '.code == 200'
	api '{"action":"DeleteForward","ip":"10.99.0.80"}' | jq -e '.code == 200'
	pid=$(pgrep -P "$fwd_pid" -x fwd)
	echo "$pid" >>"$tmp/pids" # strace killed would leave fwd running
	kill -HUP "$pid"
	sleep 0.5
	api '{"action":"QueryStats"}' | jq -e '.Agent.resyncs >= 1'
	kill -TERM "$pid"
	wait "$fwd_pid" || true
	awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF }' \
		"$tmp/strace.out" | sort -u >"$tmp/used"
	echo "fwd made $(wc -l <"$tmp/used") distinct syscalls"
	bad=$(comm -23 "$tmp/used" "$tmp/allowed")
	[ -z "$bad" ] || fail "refused by SystemCallFilter: $bad"
}

# Under systemd, stderr is a stream to journald named by JOURNAL_STREAM
# (dev:inode); each line then starts with its syslog priority (sd-daemon(3)),
# so that journalctl -p filters as it should.
t_under_journald_log_lines_carry_their_priority()
{
	local log=$tmp/journal.log rc=0 stream
	: >"$log"
	JOURNAL_STREAM=$(stat -c '%d:%i' "$log") start_fwd "$log" \
		--iface fwd0 --state "$tmp/fwd.db" -v
	stop_fwd
	cat "$log"
	grep -v '^<[0-7]>fwd: ' "$log" && fail "lines without a priority"
	grep '^<6>fwd: fwd .* starting' "$log" >/dev/null || fail "no <6> info"
	# an error is <3>
	: >"$log"
	stream=$(stat -c '%d:%i' "$log")
	JOURNAL_STREAM=$stream in_root timeout 10 /usr/sbin/fwd \
		--iface nosuch0 --state "$tmp/fwd.db" >"$log" 2>&1 || rc=$?
	cat "$log"
	[ "$rc" -ne 0 ] || fail "started on a missing interface"
	grep '^<3>fwd: error: .*nosuch0' "$log" >/dev/null || fail "no <3> error"
	# not under journald: no prefix
	start_fwd "$tmp/plain.log" --iface fwd0 --state "$tmp/fwd.db" -v
	stop_fwd
	if grep '^<[0-7]>' "$tmp/plain.log"; then
		fail "priority prefix on a terminal or file"
	fi
}

# Every option that fwd --help and fwdctl --help list is in the man page.
t_man_pages_document_every_option()
{
	local prog page opt missing=0
	command -v man >/dev/null || skip "man-db is not installed"
	for prog in /usr/sbin/fwd /usr/bin/fwdctl; do
		page=$(basename "$prog")
		in_root man -P cat "$page" >"$tmp/$page.txt" 2>/dev/null || true
		grep -w NAME "$tmp/$page.txt" >/dev/null || fail "man $page: not found"
		for opt in $(in_root "$prog" --help | grep -oE -- '--[a-z][a-z-]+' |
			sort -u); do
			if ! grep -F -- "$opt" "$tmp/$page.txt" >/dev/null; then
				echo "$page(8) lacks $opt"
				missing=1
			fi
		done
	done
	[ "$missing" -eq 0 ]
}

# --- the config file ------------------------------------------------------

t_config_unknown_key_fails_naming_the_line()
{
	local out rc=0
	fwd_conf "$tmp/bad.conf" <<'EOF'
# fwd.conf
iface = fwd0

interface = fwd2
EOF
	out=$(fwd_fails --config "$tmp/bad.conf") || rc=$?
	echo "$out"
	# 2: the unit's RestartPreventExitStatus, a config error is not retried
	[ "$rc" -eq 2 ] || fail "exit status $rc, want 2"
	grep -qF "$tmp/bad.conf:4: unknown key 'interface'" <<<"$out" ||
		fail "no PATH:4 message"
	[ -z "$(xdp_prog_name fwd0)" ] || fail "attached anyway"
}

t_config_bad_value_fails_naming_the_line()
{
	local out rc=0
	fwd_conf "$tmp/bad.conf" <<'EOF'
iface = fwd0
max-entries = lots
EOF
	out=$(fwd_fails --config "$tmp/bad.conf") || rc=$?
	echo "$out"
	[ "$rc" -eq 2 ] || fail "exit status $rc, want 2"
	grep -qF "$tmp/bad.conf:2:" <<<"$out" || fail "no PATH:2 in the message"
	grep -q "lots" <<<"$out" || fail "the bad value is not named"
}

t_config_malformed_lines_fail_naming_the_line()
{
	local out rc conf=$tmp/bad.conf
	for bad in "keep = maybe" "listen =" "iface fwd0" "config = /x"; do
		printf 'iface = fwd0\n%s\n' "$bad" >"$conf"
		rc=0
		out=$(fwd_fails --config "$conf") || rc=$?
		echo "$bad -> $out"
		[ "$rc" -eq 2 ] || fail "'$bad': exit status $rc, want 2"
		grep -qF "$conf:2: " <<<"$out" || fail "'$bad': no PATH:2"
	done
	rc=0
	out=$(fwd_fails --config "$tmp/none.conf") || rc=$?
	echo "$out"
	[ "$rc" -eq 2 ] || fail "missing config file: exit status $rc, want 2"
	grep -qF "$tmp/none.conf" <<<"$out" || fail "missing file not named"
}

t_config_keys_are_honoured()
{
	local conf=$tmp/all.conf bpffs=$tmp/bpffs p=5601
	mkdir -p "$bpffs"
	mount -t bpf bpf "$bpffs"
	fwd_conf "$conf" <<EOF
iface = fwd0
iface = fwd2
listen = 127.0.0.1:$p
insecure-listen = true
bpffs = $bpffs
state = $tmp/other.db
xdp-mode = generic
max-entries = 1234
EOF
	start_fwd "$tmp/fwd.log" --config "$conf"
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "iface fwd0"
	[ "$(xdp_prog_name fwd2)" = xdp_handle_fwd ] || fail "iface fwd2"
	[ "$(xdp_mode fwd0)" = generic ] || fail "xdp-mode: $(xdp_mode fwd0)"
	bpftool -j map show pinned "$bpffs/hfwd" |
		jq -e '.name == "hfwd" and .max_entries == 1234' ||
		fail "bpffs or max-entries"
	[ ! -e /sys/fs/bpf/hfwd ] || fail "pinned in the default bpffs too"
	api '{"action":"UpdateForward","ip":"10.99.0.79","iface":"fwd0","dstMac":"02:00:00:00:00:79"}' \
		"$p" | jq -e '.code == 200' || fail "listen"
	[ "$(sqlite3 "$tmp/other.db" "SELECT count(*) FROM overrides WHERE ip = '10.99.0.79'")" = 1 ] ||
		fail "state"
	stop_fwd
	umount "$bpffs"
}

# With no object at the default path, only bpf-object can make fwd start.
t_config_bpf_object_is_honoured()
{
	local conf=$tmp/obj.conf rc=0 out
	cp "$root/usr/local/fwd/xdp/fwd.bpf.o" "$tmp/other.bpf.o"
	printf 'iface = fwd0\nstate = %s\nbpf-object = %s\n' "$tmp/s.db" \
		"$tmp/other.bpf.o" >"$conf"
	FWD_NO_OBJECT=1 start_fwd "$tmp/fwd.log" --config "$conf"
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "not attached"
	stop_fwd
	printf 'iface = fwd0\nstate = %s\nbpf-object = %s\n' "$tmp/s.db" \
		"$tmp/nothing.bpf.o" >"$conf"
	out=$(fwd_fails --config "$conf") || rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] || fail "started with a missing bpf-object"
	grep -qF "$tmp/nothing.bpf.o" <<<"$out" || fail "path not named"
}

# A neighbour with a known MAC on a managed interface is learned...
# unless no-learn says otherwise.
t_config_no_learn_is_honoured()
{
	local conf=$tmp/learn.conf q
	ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:02 dev fwd0 nud permanent
	q='{"action":"QueryForward","ip":"10.99.0.2"}'
	printf 'iface = fwd0\nstate = %s\nno-learn = false\n' "$tmp/s1.db" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	api "$q" | tee "$tmp/q1"
	jq -e '.Tables[0].Source == "learned"' "$tmp/q1" || fail "not learned"
	stop_fwd
	printf 'iface = fwd0\nstate = %s\nno-learn = true\n' "$tmp/s2.db" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	api "$q" | tee "$tmp/q2"
	jq -e '(.Tables // []) | length == 0' "$tmp/q2" ||
		fail "learned despite no-learn"
	stop_fwd
	ip neigh del 10.99.0.2 dev fwd0
}

t_config_token_file_is_honoured()
{
	local conf=$tmp/token.conf code
	echo "s3cret-token" >"$tmp/token"
	chmod 600 "$tmp/token"
	printf 'iface = fwd0\nstate = %s\nlisten = 127.0.0.1:%s\ntoken-file = %s\n' \
		"$tmp/s.db" "$port" "$tmp/token" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST \
		--data '{"action":"QueryStats"}' "http://127.0.0.1:$port/")
	[ "$code" = 401 ] || fail "no token: HTTP $code, want 401"
	curl -s -m 5 -X POST -H 'Authorization: Bearer s3cret-token' \
		--data '{"action":"QueryStats"}' "http://127.0.0.1:$port/" |
		jq -e '.code == 200' || fail "with the token: refused"
	stop_fwd
}

t_config_insecure_listen_is_honoured()
{
	local conf=$tmp/insecure.conf rc=0 out
	printf 'iface = fwd0\nstate = %s\nlisten = 0.0.0.0:%s\n' \
		"$tmp/s.db" "$port" >"$conf"
	out=$(fwd_fails --config "$conf") || rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] || fail "wildcard listen without a token was accepted"
	echo "insecure-listen = true" >>"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	api '{"action":"QueryStats"}' "$port" | jq -e '.code == 200'
	stop_fwd
}

t_config_keep_is_honoured()
{
	local conf=$tmp/keep.conf
	printf 'iface = fwd0\nstate = %s\nkeep = true\n' "$tmp/s.db" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	stop_fwd
	[ "$(xdp_prog_name fwd0)" = xdp_handle_fwd ] || fail "detached"
	[ -e /sys/fs/bpf/hfwd ] || fail "unpinned"
	# clean up through a normal instance
	printf 'iface = fwd0\nstate = %s\n' "$tmp/s.db" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf"
	stop_fwd
	[ -z "$(xdp_prog_name fwd0)" ] || fail "still attached after cleanup"
}

t_command_line_overrides_the_config_file()
{
	local conf=$tmp/override.conf
	printf 'iface = fwd0\nstate = %s\nlisten = 127.0.0.1:5611\ninsecure-listen = true\nmax-entries = 100\n' \
		"$tmp/s.db" >"$conf"
	start_fwd "$tmp/fwd.log" --config "$conf" --listen 127.0.0.1:5612 \
		--max-entries 200
	api '{"action":"QueryStats"}' 5612 | jq -e '.code == 200' ||
		fail "command line --listen not used"
	if api '{"action":"QueryStats"}' 5611 2>/dev/null; then
		fail "the file's listen is still served"
	fi
	bpftool -j map show pinned /sys/fs/bpf/hfwd | jq -e '.max_entries == 200'
	stop_fwd
}

t_every_key_of_the_shipped_fwd_conf_is_accepted()
{
	local conf=$tmp/shipped.conf keys
	# uncomment every "#key = value" line of the installed file
	sed -n 's/^#\([a-z-]* = .*\)$/\1/p' "$root/etc/fwd/fwd.conf" |
		sed "s|^iface = .*|iface = fwd0|; s|^state = .*|state = $tmp/s.db|;
		     s|^token-file = .*|token-file = $tmp/token|" |
		sort -u >"$conf"
	echo s3cret-token >"$tmp/token"
	cat "$conf"
	keys=$(cut -d' ' -f1 "$conf" | sort -u | wc -l)
	[ "$keys" -ge 11 ] || fail "only $keys keys documented"
	start_fwd "$tmp/fwd.log" --config "$conf"
	stop_fwd
}

# --- main -----------------------------------------------------------------

total=$(grep -c '^run ' "$0")
echo "1..$total"
# every planned test skipped, not tap.sh's one
skip_all()
{
	local i
	for i in $(seq "$total"); do
		echo "ok $i # SKIP $1"
	done
	exit 0
}
if [ ! -e "$top/agent/main.c" ] || [ ! -e "$top/api/fwdctl.c" ]; then
	skip_all "fwd or fwdctl is not in this tree yet"
fi
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
# Never on the host's network: only in the namespace isolate.sh made.
[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] ||
	skip_all "run through tests/isolate.sh (own network namespace)"

if ! make -s -C "$top" deb rpm build/tests/pkg/notify_recv >"$tmp/make.log" 2>&1; then
	sed 's/^/# /' "$tmp/make.log"
	for i in $(seq "$total"); do echo "not ok $i - make deb rpm failed"; done
	exit 1
fi
dpkg-deb -x "$deb" "$root"

sysctl -qw net.ipv4.conf.all.forwarding=1
ip link add fwd0 type veth peer name fwd1
ip link add fwd2 type veth peer name fwd3
ip addr add 10.99.0.1/24 dev fwd0
ip addr add 10.99.1.1/24 dev fwd2
for l in fwd0 fwd1 fwd2 fwd3; do ip link set "$l" up; done

run deb_is_named_from_version_and_release t_deb_is_named_from_version_and_release
run deb_holds_exactly_the_install_layout t_deb_holds_exactly_the_install_layout
run deb_object_is_the_built_xdp_object_with_btf t_deb_object_is_the_built_xdp_object_with_btf
run deb_executables_are_stripped_and_keep_build_id t_deb_executables_are_stripped_and_keep_build_id
run deb_depends_names_the_package_of_every_needed_library t_deb_depends_names_the_package_of_every_needed_library
run deb_depends_are_resolvable t_deb_depends_are_resolvable
run deb_conffiles_and_md5sums_are_right t_deb_conffiles_and_md5sums_are_right
run deb_maintainer_scripts_parse_and_never_enable_the_service t_deb_maintainer_scripts_parse_and_never_enable_the_service
run rpm_holds_the_files_of_the_deb t_rpm_holds_the_files_of_the_deb
run rpm_requires_every_needed_soname t_rpm_requires_every_needed_soname
run rpm_keeps_an_edited_fwd_conf t_rpm_keeps_an_edited_fwd_conf
run rpm_payload_matches_the_deb t_rpm_payload_matches_the_deb
run make_install_honours_destdir_and_prefix t_make_install_honours_destdir_and_prefix
run make_install_keeps_an_edited_fwd_conf t_make_install_keeps_an_edited_fwd_conf
run unit_passes_systemd_analyze_verify_when_installed t_unit_passes_systemd_analyze_verify_when_installed
run unit_has_the_required_service_settings t_unit_has_the_required_service_settings
run unit_exposure_score_is_at_most_2_0 t_unit_exposure_score_is_at_most_2_0
run installed_fwd_version_is_the_version_file t_installed_fwd_version_is_the_version_file
run installed_fwd_without_its_object_names_the_original_path t_installed_fwd_without_its_object_names_the_original_path
run installed_fwd_loads_the_object_at_usr_local_fwd_and_notifies_ready t_installed_fwd_loads_the_object_at_usr_local_fwd_and_notifies_ready
run installed_fwdctl_sets_an_override_that_hfwd_holds t_installed_fwdctl_sets_an_override_that_hfwd_holds
run sighup_resyncs_without_exiting t_sighup_resyncs_without_exiting
run sigterm_exits_0_detaches_and_unpins t_sigterm_exits_0_detaches_and_unpins
run unit_grants_only_bpf_net_admin_perfmon t_unit_grants_only_bpf_net_admin_perfmon
run runs_with_only_the_units_capabilities t_runs_with_only_the_units_capabilities
run keep_then_restart_with_only_the_units_capabilities t_keep_then_restart_with_only_the_units_capabilities
run restart_after_a_crash_with_only_the_units_capabilities t_restart_after_a_crash_with_only_the_units_capabilities
run every_syscall_fwd_makes_is_allowed_by_the_unit t_every_syscall_fwd_makes_is_allowed_by_the_unit
run under_journald_log_lines_carry_their_priority t_under_journald_log_lines_carry_their_priority
run man_pages_document_every_option t_man_pages_document_every_option
run config_unknown_key_fails_naming_the_line t_config_unknown_key_fails_naming_the_line
run config_bad_value_fails_naming_the_line t_config_bad_value_fails_naming_the_line
run config_malformed_lines_fail_naming_the_line t_config_malformed_lines_fail_naming_the_line
run config_keys_are_honoured t_config_keys_are_honoured
run config_bpf_object_is_honoured t_config_bpf_object_is_honoured
run config_no_learn_is_honoured t_config_no_learn_is_honoured
run config_token_file_is_honoured t_config_token_file_is_honoured
run config_insecure_listen_is_honoured t_config_insecure_listen_is_honoured
run config_keep_is_honoured t_config_keep_is_honoured
run command_line_overrides_the_config_file t_command_line_overrides_the_config_file
run every_key_of_the_shipped_fwd_conf_is_accepted t_every_key_of_the_shipped_fwd_conf_is_accepted

[ "$tap_failed" -eq 0 ]
