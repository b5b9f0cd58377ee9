#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_durability.sh - what the API acknowledged survives: kill -9 in the
# middle of a burst of updates from several clients leaves every
# acknowledged override in the database, none half-applied; a full disk
# turns updates into 1200 while the daemon keeps forwarding, and loses
# nothing it acknowledged before or after.
#
# Topology: router_lib.sh's h1 -- m1 r m2 -- h2, fwd on m1 and m2 with its
# control socket (isolate.sh's private /run) and --state in a directory of
# the test's own.
#
# Fixture: one topology; the daemon and its database go from test to test
# in order (kill -9, a restart, a full disk): each test takes the state the
# one before left.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="curl sqlite3"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"

router_topology 1500

# up LOG ARGS...: fwd with --state $db, until its API listens.
up() {
	FWD_STATE=$db FWD_READY="ready in" start_fwd "$@"
}
# update IP: UpdateForward IP out of m2, dstMac derived from IP (so that
# a row whose MAC does not match its address is a half-applied one); the
# reply's code on stdout.
update() {
	local x=${1#10.50.}
	curl -s -m 10 --unix-socket $sock http://localhost/ -d \
		"{\"action\":\"UpdateForward\",\"ip\":\"$1\",\"iface\":\"m2\",\"dstMac\":\"02:00:00:00:$(printf '%02x:%02x' "${x%.*}" "${x#*.}")\"}" |
		jq -r .code
}
# writer N: updates 10.50.N.1, 10.50.N.2 ... until killed, each address
# acknowledged (200) appended to $tmp/acked.N once the reply is in.
writer() {
	local i code
	for ((i = 1; ; i++)); do
		code=$(update "10.50.$1.$((i % 250 + 1))") || continue
		[ "$code" = 200 ] && echo "10.50.$1.$((i % 250 + 1))" >>"$tmp/acked.$1"
	done
}
# rows_ok: every row's dstMac is its address's: none half-applied.
rows_ok() {
	sqlite3 "$db" "SELECT ip, dmac FROM overrides" | while IFS='|' read -r ip mac; do
		local x=${ip#10.50.}
		[ "$mac" = "02:00:00:00:$(printf '%02x:%02x' "${x%.*}" "${x#*.}")" ] ||
			{ echo "bad row $ip $mac"; return 1; }
	done
}

# --- kill -9 in a burst ---------------------------------------------------
test_kill_9_during_a_burst_keeps_every_acknowledged_override() {
	local w i p ip missing
	mkdir "$tmp/state"
	db=$tmp/state/fwd.db
	up "$tmp/fwd.log" || tap_bail "fwd starts"
	for w in 1 2 3 4; do writer $w & done
	# kill once enough were acknowledged (a loaded machine acknowledges fewer
	# a second), but in the middle of the burst all the same
	for ((i = 0; i < 150; i++)); do
		[ "$(cat "$tmp"/acked.* 2>/dev/null | wc -l)" -gt 60 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	sleep 0.2
	for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	acked=$(cat "$tmp"/acked.* 2>/dev/null | sort -u)
	n_acked=$(echo "$acked" | grep -c . || true)
	up "$tmp/fwd2.log" || tap_bail "fwd restarts after kill -9"
	missing=0
	for ip in $acked; do
		[ "$(sqlite3 "$db" "SELECT count(*) FROM overrides WHERE ip = '$ip'")" = 1 ] ||
			missing=$((missing + 1))
	done
	if [ "$n_acked" -gt 50 ] && [ "$missing" -eq 0 ]; then
		ok "kill -9 during a burst: all $n_acked acknowledged overrides are in the database"
	else
		not_ok "kill -9 during a burst keeps every acknowledged override" \
			"$missing of $n_acked missing"
	fi
}

# what the restarted daemon serves is what the database holds
test_none_is_half_applied() {
	local served stored
	served=$(curl -s --unix-socket $sock http://localhost/ -d '{"action":"QueryForward"}' |
		jq '[.Tables[] | select(.Source == "override")] | length')
	stored=$(sqlite3 "$db" "SELECT count(*) FROM overrides")
	if rows_ok && [ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ] &&
		[ "$served" = "$stored" ] && [ "$stored" -ge "$n_acked" ]; then
		ok "none half-applied: $stored rows, each consistent, integrity ok, all served"
	else
		not_ok "no half-applied override" "served $served, stored $stored" "$(rows_ok)"
	fi
}

# a second daemon on the same database (its own socket and bpffs) is
# refused before it touches anything, naming the owner
test_a_second_daemon_on_the_same_state_is_refused() {
	local rc
	mkdir "$tmp/bpf2"
	rc=0
	"$fwd" --iface m1 --bpffs "$tmp/bpf2" --control "$tmp/second.sock" \
		--state "$db" >"$tmp/second.log" 2>&1 || rc=$?
	if [ "$rc" -eq 1 ] && grep -q "another fwd is running on it (pid $pid)" "$tmp/second.log" &&
		[ ! -e "$tmp/second.sock" ] && kill -0 "$pid" &&
		[ "$(cat "$db.lock")" = "$pid" ]; then
		ok "a second daemon on the same --state exits 1 naming the owner's pid $pid"
	else
		not_ok "one database, one daemon" "exit $rc" "$(cat "$tmp/second.log")"
	fi
	stop_fwd
}

# --- a full disk ------------------------------------------------------------
test_a_full_disk_gives_1200_and_the_daemon_runs_on() {
	local i codes n1200
	mkdir "$tmp/small"
	mount -t tmpfs -o size=1m tmpfs "$tmp/small"
	db=$tmp/small/fwd.db
	up "$tmp/full.log" || tap_bail "fwd starts on the small disk"
	for i in 1 2 3; do [ "$(update "10.50.9.$i")" = 200 ]; done
	dd if=/dev/zero of="$tmp/small/fill" bs=4k 2>/dev/null || true
	codes=
	for i in $(seq 10 40); do codes="$codes $(update "10.50.9.$i")"; done
	n1200=$(echo "$codes" | tr ' ' '\n' | grep -c '^1200$' || true)
	if [ "$n1200" -gt 0 ] && kill -0 "$pid" &&
		grep -q "No space left on device\|database or disk is full" "$tmp/full.log"; then
		ok "a full disk: updates get 1200 ($n1200 of 31), the daemon runs on"
	else
		not_ok "a full disk gives 1200" "codes:$codes" "$(tail -3 "$tmp/full.log")"
	fi
}

# a refused update left no trace: not listed, not in hfwd (10.50.9.10 is
# 0a 32 09 0a)
test_an_update_answered_1200_is_not_applied() {
	local listed
	listed=$(curl -s --unix-socket $sock http://localhost/ \
		-d '{"action":"QueryForward","ip":"10.50.9.10"}' | jq -c .Tables)
	if [ "$listed" = "[]" ] &&
		! bpftool map lookup pinned $bpffs/hfwd key 10 50 9 10 >/dev/null 2>&1 &&
		! bpftool map lookup pinned $bpffs/fwd_ovr key 10 50 9 10 >/dev/null 2>&1; then
		ok "an update answered 1200 is not applied: not listed, not in hfwd or fwd_ovr"
	else
		not_ok "a refused update leaves no trace" "QueryForward: $listed" \
			"$(bpftool map lookup pinned $bpffs/hfwd key 10 50 9 10 2>&1)"
	fi
}

test_with_the_disk_full_the_fast_path_forwards_on() {
	local t0 t1
	t0=$(cnt fwd_table)
	ip netns exec h1 ping -c 10 -i 0.02 -W 1 -q 10.2.0.2 >/dev/null 2>&1 || true
	t1=$(cnt fwd_table)
	if [ $((t1 - t0)) -eq 20 ]; then
		ok "with the disk full the fast path forwards on (fwd_table +20)"
	else
		not_ok "forwarding with a full disk" "fwd_table +$((t1 - t0))"
	fi
}

# issue 25 item 3: kill -9 with the disk still full; opening the existing
# database needs no space: fwd starts, serves what is stored, refuses
# updates with 1200
test_a_full_disk_and_kill_9_fwd_starts_again() {
	local listed code
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	dd if=/dev/zero of="$tmp/small/fill2" bs=1k 2>/dev/null || true
	if up "$tmp/full3.log"; then
		listed=$(curl -s --unix-socket $sock http://localhost/ -d '{"action":"QueryForward"}' |
			jq -c '[.Tables[] | select(.Source == "override") | .Ip]')
		code=$(update 10.50.9.50)
		if [ "$listed" = '["10.50.9.1","10.50.9.2","10.50.9.3"]' ] && [ "$code" = 1200 ]; then
			ok "a full disk and kill -9: fwd starts again, serves what is stored, refuses updates"
		else
			not_ok "start on a full disk" "listed $listed" "update: $code"
		fi
	else
		tap_bail "fwd starts again on a full disk after kill -9" "$(tail -3 "$tmp/full3.log")"
	fi
}

test_space_back_updates_are_acknowledged() {
	rm -f "$tmp/small/fill" "$tmp/small/fill2"
	if [ "$(update 10.50.9.99)" = 200 ]; then
		ok "space back: the next update is acknowledged"
	else
		not_ok "space back: updates acknowledged again" "$(tail -3 "$tmp/full.log")"
	fi
	stop_fwd
	up "$tmp/full2.log" || tap_bail "fwd restarts"
}

test_acknowledged_overrides_survive_the_full_disk_and_a_restart() {
	local have
	have=$(sqlite3 "$db" "SELECT count(*) FROM overrides WHERE ip IN
		('10.50.9.1', '10.50.9.2', '10.50.9.3', '10.50.9.99')")
	if [ "$have" = 4 ] && rows_ok; then
		ok "after the full disk and a restart every acknowledged override is there"
	else
		not_ok "acknowledged overrides kept across the full disk" "$have of 4"
	fi
}

# the 1200 ones were rolled back: no later commit takes them along
test_an_update_refused_for_space_never_reaches_the_database() {
	if [ "$(sqlite3 "$db" "SELECT count(*) FROM overrides WHERE ip = '10.50.9.10'")" = 0 ]; then
		ok "an update refused for space never reaches the database later"
	else
		not_ok "a 1200 update stayed pending and was written later" \
			"$(sqlite3 "$db" "SELECT ip FROM overrides")"
	fi
	stop_fwd
	umount "$tmp/small"
}

run_tests
