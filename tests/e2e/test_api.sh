#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_api.sh - the HTTP JSON API of a real fwd daemon, over real HTTP.
#
# Node A of the lab (enp0s3, enp0s8, enp0s9 with the seed's MACs, so that
# enp0s9 is ifindex 4 as in the seed) is rebuilt in the namespace
# isolate.sh gave us, the peers in a namespace of their own. Every action's
# happy path is checked in the pinned hfwd with bpftool; a table of bad
# requests must each get its code and leave hfwd byte for byte as it was;
# overrides survive kill -9; a token is enforced on TCP; a TCP listen
# without a token is refused. Requests go over the control socket (the
# default) unless a test says otherwise.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
fwd=$top/build/fwd
fwdctl=$top/build/fwdctl
hfwd=/sys/fs/bpf/hfwd
sock=/run/fwd/fwd.sock # fwd's default --control; /run is isolate.sh's
url=http://localhost/
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"

# check NAME CMD...: one TAP line from a command's status.
check() {
	local name=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then
		ok "$name"
	else
		not_ok "$name" "$(head -c 2000 "$work/check.out")"
	fi
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x "$fwd" ] || skip_all "$fwd not built (the daemon is not on this branch)"
[ -x "$fwdctl" ] || skip_all "$fwdctl not built"
command -v bpftool >/dev/null || skip_all "no bpftool"
command -v jq >/dev/null || skip_all "no jq"
# never create interfaces or pins in the host's namespaces
if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
	skip_all "not isolated: run through tests/isolate.sh (tests/run.sh)"
fi

work=$(mktemp -d)
fwd_pid=
cleanup() {
	[ -z "$fwd_pid" ] || kill -9 "$fwd_pid" 2>/dev/null || true
	ip netns del fwdpeer 2>/dev/null || true
	for i in enp0s3 enp0s8 enp0s9; do
		ip link del "$i" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
# a timeout's SIGTERM must still stop the daemon and remove the links
trap 'exit 143' TERM INT

ip netns add fwdpeer
ip link add enp0s3 address 08:00:27:f0:1e:41 type veth peer name p3 netns fwdpeer
ip link add enp0s8 address 08:00:27:4a:9b:01 type veth peer name p8 netns fwdpeer
ip link add enp0s9 address 08:00:27:13:df:b6 type veth peer name p9 netns fwdpeer
ip addr add 10.10.2.4/24 dev enp0s3
ip addr add 192.168.56.4/24 dev enp0s8
ip addr add 10.10.3.6/24 dev enp0s9
for i in enp0s3 enp0s8 enp0s9; do
	ip link set "$i" up
	ip -n fwdpeer link set "p${i#enp0s}" up
done
[ "$(ip -o link show enp0s9 | cut -d: -f1)" = 4 ] ||
	skip_all "enp0s9 is not ifindex 4 in this namespace"
# a learned entry the overrides can shadow: C's enp0s9 as a neighbour
ip neigh replace 10.10.3.5 lladdr 08:00:27:f2:cb:f9 dev enp0s9 nud permanent

start_fwd() {
	"$fwd" --iface enp0s3 --iface enp0s8 --iface enp0s9 \
		--state "$work/fwd.db" "$@" >>"$work/fwd.log" 2>&1 &
	fwd_pid=$!
	local i
	for i in $(seq 100); do
		if curl -sf -o /dev/null --max-time 1 --unix-socket "$sock" \
			"${url}healthz"; then
			return 0
		fi
		kill -0 "$fwd_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# fwd did not come up:"
	sed 's/^/# /' "$work/fwd.log" | tail -20
	return 1
}

stop_fwd() {
	kill -TERM "$fwd_pid" 2>/dev/null || true
	wait "$fwd_pid" 2>/dev/null || true
	fwd_pid=
}

# send BODY CURL-ARGS...: POST BODY; status in $status, reply in $work/reply
send() {
	local body=$1
	shift
	printf '%s' "$body" >"$work/req"
	status=$(curl -s -o "$work/reply" -w '%{http_code}' --max-time 10 \
		-H 'Content-Type: application/json' --data-binary "@$work/req" \
		"$@")
}
# post BODY [CURL ARGS...]: send() over the control socket
post() {
	send "$1" --unix-socket "$sock" "${@:2}" "$url"
}

# The 16 value bytes hfwd holds for IP ("" if none), as "04 00 00 00 ...".
hfwd_value() {
	# shellcheck disable=SC2046 # the key is four separate byte arguments
	bpftool -j map lookup pinned "$hfwd" key $(echo "$1" | tr . ' ') \
		2>/dev/null | jq -r '.value | map(ltrimstr("0x")) | join(" ")' \
		2>/dev/null || true
}

hfwd_dump() {
	bpftool -j map dump pinned "$hfwd" | jq -c '[.[] | [.key, .value]] | sort'
}

reply_is() {
	local want=$1 got
	got=$(cat "$work/reply")
	if [ "$status" != 200 ] || [ "$got" != "$want" ]; then
		echo "HTTP $status: $got"
		echo "want: $want"
		return 1
	fi
}

start_fwd || skip_all "fwd does not start here (see log above)"
[ -e "$hfwd" ] || skip_all "fwd did not pin $hfwd"

# --- happy paths -----------------------------------------------------

t_learned_entry() {
	[ "$(hfwd_value 10.10.3.5)" = "04 00 00 00 08 00 27 13 df b6 08 00 27 f2 cb f9" ]
}
check learned_neighbour_is_in_hfwd t_learned_entry

t_seed_update() {
	post '{
  "action": "UpdateForward",
  "traceId": "1fabb3c6-bd56-48a7-ac41-132c8228f421",
  "ip": "10.10.3.5",
  "iface": "4",
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:fa"
}'
	reply_is '{"code":200,"traceId":"1fabb3c6-bd56-48a7-ac41-132c8228f421"}' &&
		[ "$(hfwd_value 10.10.3.5)" = "04 00 00 00 08 00 27 13 df b6 08 00 27 f2 cb fa" ]
}
check seed_lab_update_with_string_iface_overrides_hfwd t_seed_update

t_seed_update_numeric() {
	post '{
  "action": "UpdateForward",
  "traceId": "ad231a4f-49ca-43a1-9194-2671d02874e4",
  "ip": "10.10.3.10",
  "iface": 4,
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:f9"
}'
	reply_is '{"code":200,"traceId":"ad231a4f-49ca-43a1-9194-2671d02874e4"}' &&
		[ "$(hfwd_value 10.10.3.10)" = "04 00 00 00 08 00 27 13 df b6 08 00 27 f2 cb f9" ]
}
check seed_update_with_numeric_iface_lands_in_hfwd t_seed_update_numeric

t_update_by_name() {
	post '{"action":"UpdateForward","traceId":"n","ip":"192.168.56.103",
	       "iface":"enp0s8","dstMac":"0A:00:27:00:00:03"}'
	reply_is '{"code":200,"traceId":"n"}' &&
		[ "$(hfwd_value 192.168.56.103)" = "03 00 00 00 08 00 27 4a 9b 01 0a 00 27 00 00 03" ]
}
check update_by_name_defaults_src_mac_to_the_interface_mac t_update_by_name

t_query_ip() {
	post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.5"}'
	reply_is '{"code":200,"traceId":"q","Tables":[{"Ip":"10.10.3.5","Iface":4,"SrcMac":"08:00:27:13:df:b6","DstMac":"08:00:27:f2:cb:fa","Source":"override"}]}'
}
check query_with_ip_gives_the_original_reply_shape t_query_ip

t_seed_query() {
	post '{
  "action": "QueryForward",
  "traceId": "e3e98256-5a75-4bdc-80a5-e26fef7ffcca"
}'
	[ "$status" = 200 ] &&
		jq -e '.code == 200 and
			.traceId == "e3e98256-5a75-4bdc-80a5-e26fef7ffcca" and
			([.Tables[] | .Ip] | index("10.10.3.10") != null) and
			([.Tables[] | select(.Ip == "10.10.3.10")][0] ==
			 {"Ip":"10.10.3.10","Iface":4,"SrcMac":"08:00:27:13:df:b6",
			  "DstMac":"08:00:27:f2:cb:f9","Source":"override"})' \
			"$work/reply"
}
check seed_query_lists_every_entry t_seed_query

t_delete() {
	post '{"action":"DeleteForward","traceId":"d","ip":"10.10.3.5"}'
	reply_is '{"code":200,"traceId":"d"}' &&
		[ "$(hfwd_value 10.10.3.5)" = "04 00 00 00 08 00 27 13 df b6 08 00 27 f2 cb f9" ] &&
		post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.5"}' &&
		jq -e '.Tables[0].Source == "learned"' "$work/reply"
}
check delete_brings_back_the_learned_entry t_delete

t_delete_unshadowed() {
	post '{"action":"DeleteForward","traceId":"d","ip":"192.168.56.103"}'
	reply_is '{"code":200,"traceId":"d"}' &&
		[ -z "$(hfwd_value 192.168.56.103)" ]
}
check delete_without_learned_entry_removes_the_key t_delete_unshadowed

t_stats() {
	post '{"action":"QueryStats","traceId":"s"}'
	[ "$status" = 200 ] &&
		jq -e '.code == 200 and .traceId == "s" and
			(.Counters | has("fwd_table") and has("pass_ttl")) and
			.Agent.overrides == 1 and .Agent.uptimeSeconds >= 0' \
			"$work/reply"
}
check query_stats_reports_counters_and_agent_figures t_stats

t_metrics() {
	curl -sf --max-time 5 --unix-socket "$sock" "${url}metrics" >"$work/metrics" &&
		grep -q '^# TYPE fwd_packets_total counter$' "$work/metrics" &&
		grep -q '^fwd_packets_total{outcome="fwd_table"} [0-9]' "$work/metrics" &&
		grep -q '^fwd_table_entries{source="override"} 1$' "$work/metrics" &&
		grep -q '^fwd_resyncs_total [0-9]' "$work/metrics"
}
check metrics_are_prometheus_text t_metrics

t_fwdctl() {
	"$fwdctl" set 10.10.3.20 enp0s9 02:00:00:00:00:20 &&
		[ "$(hfwd_value 10.10.3.20)" = "04 00 00 00 08 00 27 13 df b6 02 00 00 00 00 20" ] &&
		"$fwdctl" get 10.10.3.20 | grep -q '^10.10.3.20  4      08:00:27:13:df:b6  02:00:00:00:00:20  override$' &&
		"$fwdctl" list | grep -q '^IP  *IFACE  *SRCMAC  *DSTMAC  *SOURCE$' &&
		"$fwdctl" stats | grep -q '^fwd_table ' &&
		"$fwdctl" del 10.10.3.20 && [ -z "$(hfwd_value 10.10.3.20)" ] &&
		! "$fwdctl" del 10.10.3.20 2>"$work/err" &&
		grep -q 'override not found: 10.10.3.20 (code 1202)' "$work/err"
}
check fwdctl_set_get_list_stats_del t_fwdctl

# --- bad input: each gets its code, hfwd does not move ------------------

# shellcheck disable=SC2034 # used by the eval'ed rows below
big=$(head -c 65537 /dev/zero | tr '\0' ' ')
# name | curl arguments (eval'ed) | HTTP status | code
bad_table=$(
	cat <<'EOF'
wrong_content_type|-H 'Content-Type: application/xml' --data-binary '{"action":"QueryStats"}' "$url"|400|1000
empty_body|-H 'Content-Type: application/json' --data-binary '' "$url"|400|1000
get_on_root|"$url"|405|1004
put_on_root|-X PUT --data-binary '{}' "$url"|405|1004
unknown_path|"${url}forward"|404|1003
body_64KiB_plus_1|-H 'Content-Type: application/json' --data-binary "$big" "$url"|413|1001
not_json|--data-binary 'action=QueryForward' "$url"|400|1100
trailing_garbage|--data-binary '{"action":"QueryForward"}x' "$url"|400|1100
array_body|--data-binary '[{"action":"QueryForward"}]' "$url"|400|1100
null_body|--data-binary 'null' "$url"|400|1100
duplicate_key|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","ip":"10.10.3.8","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
embedded_nul_escape|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7\u0000x","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
invalid_utf8|--data-binary $'{"action":"QueryForward","traceId":"\xff"}' "$url"|400|1100
unknown_action|--data-binary '{"action":"FlushForward"}' "$url"|400|1101
action_wrong_case|--data-binary '{"action":"updateforward"}' "$url"|400|1101
ip_three_parts|--data-binary '{"action":"UpdateForward","ip":"10.10.3","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
ip_out_of_range|--data-binary '{"action":"UpdateForward","ip":"256.1.1.1","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
ip_v6|--data-binary '{"action":"UpdateForward","ip":"::1","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
ip_leading_space|--data-binary '{"action":"UpdateForward","ip":" 10.10.3.5","iface":4,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
iface_fraction|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":4.7,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
iface_huge|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":1e20,"dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
iface_unknown|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":"enp0s99","dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
iface_unmanaged|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":"lo","dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
iface_missing|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","dstMac":"02:00:00:00:00:01"}' "$url"|400|1100
mac_short|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":4,"dstMac":"02:00:00:00:01"}' "$url"|400|1100
mac_not_hex|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":4,"dstMac":"02:00:00:00:00:0g"}' "$url"|400|1100
mac_multicast|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":4,"dstMac":"01:00:5e:00:00:01"}' "$url"|400|1100
src_mac_null|--data-binary '{"action":"UpdateForward","ip":"10.10.3.7","iface":4,"dstMac":"02:00:00:00:00:01","srcMac":null}' "$url"|400|1100
delete_missing_override|--data-binary '{"action":"DeleteForward","ip":"10.10.3.7"}' "$url"|404|1202
EOF
)

before=$(hfwd_dump)
while IFS='|' read -r name args want_status want_code; do
	eval "set -- $args"
	st=$(curl -s -o "$work/reply" -w '%{http_code}' --max-time 10 \
		--unix-socket "$sock" "$@") || true
	code=$(jq -r '.code' "$work/reply" 2>/dev/null || echo none)
	after=$(hfwd_dump)
	alive=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		--unix-socket "$sock" "${url}healthz" || true)
	if [ "$st" = "$want_status" ] && [ "$code" = "$want_code" ] &&
		[ "$after" = "$before" ] && [ "$alive" = 200 ]; then
		ok "bad_input_${name}_gets_${want_code}_and_changes_nothing"
	else
		not_ok "bad_input_${name}_gets_${want_code}_and_changes_nothing" \
			"HTTP $st code $code (want $want_status $want_code), healthz $alive" \
			"reply: $(head -c 300 "$work/reply")" \
			"hfwd changed: $([ "$after" = "$before" ] && echo no || echo yes)"
	fi
done <<<"$bad_table"

# --- durability: kill -9, restart --------------------------------------

t_kill9() {
	post '{"action":"UpdateForward","traceId":"k","ip":"10.10.3.30","iface":4,"dstMac":"02:00:00:00:00:30"}'
	reply_is '{"code":200,"traceId":"k"}' || return 1
	kill -9 "$fwd_pid"
	wait "$fwd_pid" 2>/dev/null || true
	fwd_pid=
	start_fwd || return 1
	[ "$(hfwd_value 10.10.3.30)" = "04 00 00 00 08 00 27 13 df b6 02 00 00 00 00 30" ] &&
		post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.30"}' &&
		jq -e '.Tables[0].Source == "override"' "$work/reply" >/dev/null
}
check override_survives_kill_9_and_restart t_kill9

# --- security ----------------------------------------------------------

t_socket_mode_refuses_other_users() {
	local before
	before=$(hfwd_dump)
	[ "$(stat -c '%a %F' "$sock")" = "660 socket" ] &&
		[ "$(stat -c %a "$(dirname "$sock")")" = 750 ] || return 1
	# nobody, in no group of the socket's: refused by the file mode
	! setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$fwdctl" set 10.10.3.40 enp0s9 02:00:00:00:00:40 2>"$work/err" &&
		grep -q "permission denied" "$work/err" &&
		[ "$(hfwd_dump)" = "$before" ] || return 1
	# the same user in the socket's group (root's here) gets in
	setpriv --reuid=65534 --regid=65534 --groups 0 "$fwdctl" list >/dev/null
}
check control_socket_mode_refuses_other_users t_socket_mode_refuses_other_users

t_refuse_open_listen() {
	stop_fwd
	local a rc
	for a in 0.0.0.0:5556 127.0.0.1:5556; do
		rc=0
		timeout 20 "$fwd" --iface enp0s3 --state "$work/fwd.db" \
			--listen $a >"$work/refused.log" 2>&1 || rc=$?
		# refused before anything is attached
		[ $rc = 2 ] && grep -q "needs --token-file" "$work/refused.log" &&
			[ -z "$(ip -j -d link show enp0s3 | jq -r '.[0].xdp.prog.id // empty')" ] ||
			return 1
	done
}
check tcp_listen_without_token_is_refused_loopback_too t_refuse_open_listen

# post_tcp BODY [CURL ARGS...]: send() to the TCP listener
post_tcp() {
	send "$1" "${@:2}" http://127.0.0.1:5555/
}

# issue 25 item 7: a token file others can read is no secret, and one
# that is not a regular file (a FIFO nobody writes) must not hang the
# start: both exit 2, before anything is attached, saying why
t_token_file_rules() {
	local rc
	echo "e2e-s3cret" >"$work/token"
	chmod 644 "$work/token"
	rc=0
	timeout 20 "$fwd" --iface enp0s3 --state "$work/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$work/token" >"$work/refused.log" 2>&1 || rc=$?
	[ $rc = 2 ] && grep -q "token-file $work/token: group or others may read.*chmod 600" \
		"$work/refused.log" || return 1
	chmod 640 "$work/token"
	rc=0
	timeout 20 "$fwd" --iface enp0s3 --state "$work/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$work/token" >"$work/refused.log" 2>&1 || rc=$?
	[ $rc = 2 ] || return 1
	mkfifo -m 600 "$work/fifo"
	rc=0
	timeout 5 "$fwd" --iface enp0s3 --state "$work/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$work/fifo" >"$work/refused.log" 2>&1 || rc=$?
	rm -f "$work/fifo"
	[ $rc = 2 ] && grep -q "not a regular file" "$work/refused.log" &&
		[ -z "$(ip -j -d link show enp0s3 | jq -r '.[0].xdp.prog.id // empty')" ]
}
check token_file_must_be_private_and_regular t_token_file_rules

t_token() {
	echo "e2e-s3cret" >"$work/token"
	chmod 600 "$work/token"
	start_fwd --listen 127.0.0.1:5555 --token-file "$work/token" || return 1
	local before after
	before=$(hfwd_dump)
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}'
	[ "$status" = 401 ] && jq -e '.code == 1002' "$work/reply" >/dev/null || return 1
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}' -H 'Authorization: Bearer e2e-s3cres'
	[ "$status" = 401 ] || return 1
	after=$(hfwd_dump)
	[ "$before" = "$after" ] || return 1
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}' -H 'Authorization: Bearer e2e-s3cret'
	[ "$status" = 200 ] && [ -z "$(hfwd_value 10.10.3.30)" ] &&
		"$fwdctl" --server 127.0.0.1:5555 --token-file "$work/token" list >/dev/null &&
		! "$fwdctl" --server 127.0.0.1:5555 list 2>/dev/null &&
		"$fwdctl" list >/dev/null # the control socket needs no token
}
check bearer_token_is_enforced t_token

stop_fwd
tap_plan
