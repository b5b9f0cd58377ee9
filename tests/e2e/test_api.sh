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
#
# Fixture: one daemon shared by the tests, in order: each action's test
# builds on the overrides the one before left (update, query, delete), and
# the last ones restart the daemon with other options.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="curl"
# skip checks, $tmp, cleanup, start_fwd, map_value: the shared preamble
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"
hfwd=$bpffs/hfwd
url=http://localhost/
FWD_IFACES="enp0s3 enp0s8 enp0s9"
export FWD_READY="ready in"

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

# send BODY CURL-ARGS...: POST BODY; status in $status, reply in $tmp/reply
send() {
	local body=$1
	shift
	printf '%s' "$body" >"$tmp/req"
	status=$(curl -s -o "$tmp/reply" -w '%{http_code}' --max-time 10 \
		-H 'Content-Type: application/json' --data-binary "@$tmp/req" \
		"$@")
}
# post BODY [CURL ARGS...]: send() over the control socket
post() {
	send "$1" --unix-socket "$sock" "${@:2}" "$url"
}
# post_tcp BODY [CURL ARGS...]: send() to the TCP listener
post_tcp() {
	send "$1" "${@:2}" http://127.0.0.1:5555/
}

hfwd_dump() {
	bpftool -j map dump pinned "$hfwd" | jq -c '[.[] | [.key, .value]] | sort'
}

reply_is() {
	local want=$1 got
	got=$(cat "$tmp/reply")
	if [ "$status" != 200 ] || [ "$got" != "$want" ]; then
		echo "HTTP $status: $got"
		echo "want: $want"
		return 1
	fi
}

start_fwd "$tmp/fwd.log" || skip_all "fwd does not start here"
[ -e "$hfwd" ] || skip_all "fwd did not pin $hfwd"

# --- happy paths -----------------------------------------------------

test_learned_neighbour_is_in_hfwd() {
	[ "$(map_value hfwd 10.10.3.5)" = "0400000008002713dfb6080027f2cbf9" ]
}

test_seed_lab_update_with_string_iface_overrides_hfwd() {
	post '{
  "action": "UpdateForward",
  "traceId": "1fabb3c6-bd56-48a7-ac41-132c8228f421",
  "ip": "10.10.3.5",
  "iface": "4",
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:fa"
}'
	reply_is '{"code":200,"traceId":"1fabb3c6-bd56-48a7-ac41-132c8228f421"}' &&
		[ "$(map_value hfwd 10.10.3.5)" = "0400000008002713dfb6080027f2cbfa" ]
}

test_seed_update_with_numeric_iface_lands_in_hfwd() {
	post '{
  "action": "UpdateForward",
  "traceId": "ad231a4f-49ca-43a1-9194-2671d02874e4",
  "ip": "10.10.3.10",
  "iface": 4,
  "srcMac": "08:00:27:13:df:b6",
  "dstMac": "08:00:27:f2:cb:f9"
}'
	reply_is '{"code":200,"traceId":"ad231a4f-49ca-43a1-9194-2671d02874e4"}' &&
		[ "$(map_value hfwd 10.10.3.10)" = "0400000008002713dfb6080027f2cbf9" ]
}

test_update_by_name_defaults_src_mac_to_the_interface_mac() {
	post '{"action":"UpdateForward","traceId":"n","ip":"192.168.56.103",
	       "iface":"enp0s8","dstMac":"0A:00:27:00:00:03"}'
	reply_is '{"code":200,"traceId":"n"}' &&
		[ "$(map_value hfwd 192.168.56.103)" = "030000000800274a9b010a0027000003" ]
}

test_query_with_ip_gives_the_original_reply_shape() {
	post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.5"}'
	reply_is '{"code":200,"traceId":"q","Tables":[{"Ip":"10.10.3.5","Iface":4,"SrcMac":"08:00:27:13:df:b6","DstMac":"08:00:27:f2:cb:fa","Source":"override"}]}'
}

test_seed_query_lists_every_entry() {
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
			"$tmp/reply"
}

# agent FIELD...: QueryStats' Agent figures, summed
agent() {
	"$fwdctl" --json stats | jq "[.Agent | $(printf '.%s,' "$@" | sed 's/,$//')] | add"
}
learned_at_least() { [ "$(agent learned)" -ge "$1" ]; }

# More rows than API_QUERY_INLINE (1024): the reply is streamed, chunked,
# formatted as the connection takes it; every row arrives, and fwdctl
# reads it whole (verify compares each with the kernel)
test_query_of_2000_entries_is_streamed_whole() {
	local i n0 rows
	n0=$(agent learned)
	ip addr add 10.77.0.1/20 dev enp0s8
	for ((i = 0; i < 2000; i++)); do
		printf 'neigh replace 10.77.%d.%d lladdr 02:00:00:00:%02x:%02x dev enp0s8 nud permanent\n' \
			$((i / 250)) $((i % 250 + 2)) $((i / 250)) $((i % 250 + 2))
	done >"$tmp/neigh.batch"
	ip -batch "$tmp/neigh.batch"
	wait_until 10 learned_at_least $((n0 + 2000)) || true
	post '{"action":"QueryForward","traceId":"all"}' -D "$tmp/headers"
	rows=$(jq '[.Tables[] | select(.Ip | startswith("10.77."))] | length' "$tmp/reply")
	"$fwdctl" verify >"$tmp/verify" 2>&1 || { tail -5 "$tmp/verify"; return 1; }
	ip addr del 10.77.0.1/20 dev enp0s8
	if [ "$status" != 200 ] || [ "$rows" != 2000 ] ||
		! grep -qi '^transfer-encoding: chunked' "$tmp/headers"; then
		echo "HTTP $status, $rows rows of 10.77.0.0/20"
		head -4 "$tmp/headers"
		return 1
	fi
}

test_delete_brings_back_the_learned_entry() {
	post '{"action":"DeleteForward","traceId":"d","ip":"10.10.3.5"}'
	reply_is '{"code":200,"traceId":"d"}' &&
		[ "$(map_value hfwd 10.10.3.5)" = "0400000008002713dfb6080027f2cbf9" ] &&
		post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.5"}' &&
		jq -e '.Tables[0].Source == "learned"' "$tmp/reply"
}

test_delete_without_learned_entry_removes_the_key() {
	post '{"action":"DeleteForward","traceId":"d","ip":"192.168.56.103"}'
	reply_is '{"code":200,"traceId":"d"}' &&
		[ -z "$(map_value hfwd 192.168.56.103)" ]
}

test_query_stats_reports_counters_and_agent_figures() {
	post '{"action":"QueryStats","traceId":"s"}'
	[ "$status" = 200 ] &&
		jq -e '.code == 200 and .traceId == "s" and
			(.Counters | has("fwd_table") and has("pass_ttl")) and
			.Agent.overrides == 1 and .Agent.uptimeSeconds >= 0' \
			"$tmp/reply"
}

test_metrics_are_prometheus_text() {
	curl -sf --max-time 5 --unix-socket "$sock" "${url}metrics" >"$tmp/metrics" &&
		grep -q '^# TYPE fwd_packets_total counter$' "$tmp/metrics" &&
		grep -q '^fwd_packets_total{outcome="fwd_table"} [0-9]' "$tmp/metrics" &&
		grep -q '^fwd_table_entries{source="override"} 1$' "$tmp/metrics" &&
		grep -q '^fwd_resyncs_total [0-9]' "$tmp/metrics"
}

test_fwdctl_set_get_list_stats_del() {
	"$fwdctl" set 10.10.3.20 enp0s9 02:00:00:00:00:20 &&
		[ "$(map_value hfwd 10.10.3.20)" = "0400000008002713dfb6020000000020" ] &&
		"$fwdctl" get 10.10.3.20 | grep -q '^10.10.3.20  4      08:00:27:13:df:b6  02:00:00:00:00:20  override$' &&
		"$fwdctl" list | grep -q '^IP  *IFACE  *SRCMAC  *DSTMAC  *SOURCE$' &&
		"$fwdctl" stats | grep -q '^fwd_table ' &&
		"$fwdctl" del 10.10.3.20 && [ -z "$(map_value hfwd 10.10.3.20)" ] &&
		! "$fwdctl" del 10.10.3.20 2>"$tmp/err" &&
		grep -q 'override not found: 10.10.3.20 (code 1202)' "$tmp/err"
}

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

# each row one check, named for its row
test_bad_input() {
	local before after name args want_status want_code st code alive
	before=$(hfwd_dump)
	while IFS='|' read -r name args want_status want_code; do
		eval "set -- $args"
		st=$(curl -s -o "$tmp/reply" -w '%{http_code}' --max-time 10 \
			--unix-socket "$sock" "$@") || true
		code=$(jq -r '.code' "$tmp/reply" 2>/dev/null || echo none)
		after=$(hfwd_dump)
		alive=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			--unix-socket "$sock" "${url}healthz" || true)
		if [ "$st" = "$want_status" ] && [ "$code" = "$want_code" ] &&
			[ "$after" = "$before" ] && [ "$alive" = 200 ]; then
			ok "bad_input_${name}_gets_${want_code}_and_changes_nothing"
		else
			not_ok "bad_input_${name}_gets_${want_code}_and_changes_nothing" \
				"HTTP $st code $code (want $want_status $want_code), healthz $alive" \
				"reply: $(head -c 300 "$tmp/reply")" \
				"hfwd changed: $([ "$after" = "$before" ] && echo no || echo yes)"
		fi
	done <<<"$bad_table"
}

# --- durability: kill -9, restart --------------------------------------

test_override_survives_kill_9_and_restart() {
	post '{"action":"UpdateForward","traceId":"k","ip":"10.10.3.30","iface":4,"dstMac":"02:00:00:00:00:30"}'
	reply_is '{"code":200,"traceId":"k"}' || return 1
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	start_fwd "$tmp/fwd.log" || return 1
	[ "$(map_value hfwd 10.10.3.30)" = "0400000008002713dfb6020000000030" ] &&
		post '{"action":"QueryForward","traceId":"q","ip":"10.10.3.30"}' &&
		jq -e '.Tables[0].Source == "override"' "$tmp/reply" >/dev/null
}

# --- security ----------------------------------------------------------

test_control_socket_mode_refuses_other_users() {
	local before
	before=$(hfwd_dump)
	[ "$(stat -c '%a %F' "$sock")" = "660 socket" ] &&
		[ "$(stat -c %a "$(dirname "$sock")")" = 750 ] || return 1
	# nobody, in no group of the socket's: refused by the file mode
	! setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$fwdctl" set 10.10.3.40 enp0s9 02:00:00:00:00:40 2>"$tmp/err" &&
		grep -q "permission denied" "$tmp/err" &&
		[ "$(hfwd_dump)" = "$before" ] || return 1
	# the same user in the socket's group (root's here) gets in
	setpriv --reuid=65534 --regid=65534 --groups 0 "$fwdctl" list >/dev/null
}

test_tcp_listen_without_token_is_refused_loopback_too() {
	stop_fwd
	local a rc
	for a in 0.0.0.0:5556 127.0.0.1:5556; do
		rc=0
		timeout 20 "$fwd" --iface enp0s3 --state "$tmp/fwd.db" \
			--listen $a >"$tmp/refused.log" 2>&1 || rc=$?
		# refused before anything is attached
		[ $rc = 2 ] && grep -q "needs --token-file" "$tmp/refused.log" &&
			[ -z "$(ip -j -d link show enp0s3 | jq -r '.[0].xdp.prog.id // empty')" ] ||
			return 1
	done
}

# issue 25 item 7: a token file others can read is no secret, and one
# that is not a regular file (a FIFO nobody writes) must not hang the
# start: both exit 2, before anything is attached, saying why
test_token_file_must_be_private_and_regular() {
	local rc
	echo "e2e-s3cret" >"$tmp/token"
	chmod 644 "$tmp/token"
	rc=0
	timeout 20 "$fwd" --iface enp0s3 --state "$tmp/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$tmp/token" >"$tmp/refused.log" 2>&1 || rc=$?
	[ $rc = 2 ] && grep -q "token-file $tmp/token: group or others may read.*chmod 600" \
		"$tmp/refused.log" || return 1
	chmod 640 "$tmp/token"
	rc=0
	timeout 20 "$fwd" --iface enp0s3 --state "$tmp/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$tmp/token" >"$tmp/refused.log" 2>&1 || rc=$?
	[ $rc = 2 ] || return 1
	mkfifo -m 600 "$tmp/fifo"
	rc=0
	timeout 5 "$fwd" --iface enp0s3 --state "$tmp/fwd.db" --listen 127.0.0.1:5555 \
		--token-file "$tmp/fifo" >"$tmp/refused.log" 2>&1 || rc=$?
	rm -f "$tmp/fifo"
	[ $rc = 2 ] && grep -q "not a regular file" "$tmp/refused.log" &&
		[ -z "$(ip -j -d link show enp0s3 | jq -r '.[0].xdp.prog.id // empty')" ]
}

test_bearer_token_is_enforced() {
	echo "e2e-s3cret" >"$tmp/token"
	chmod 600 "$tmp/token"
	start_fwd "$tmp/fwd.log" --listen 127.0.0.1:5555 --token-file "$tmp/token" || return 1
	local before after
	before=$(hfwd_dump)
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}'
	[ "$status" = 401 ] && jq -e '.code == 1002' "$tmp/reply" >/dev/null || return 1
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}' -H 'Authorization: Bearer e2e-s3cres'
	[ "$status" = 401 ] || return 1
	after=$(hfwd_dump)
	[ "$before" = "$after" ] || return 1
	post_tcp '{"action":"DeleteForward","ip":"10.10.3.30"}' -H 'Authorization: Bearer e2e-s3cret'
	[ "$status" = 200 ] && [ -z "$(map_value hfwd 10.10.3.30)" ] &&
		"$fwdctl" --server 127.0.0.1:5555 --token-file "$tmp/token" list >/dev/null &&
		! "$fwdctl" --server 127.0.0.1:5555 list 2>/dev/null &&
		"$fwdctl" list >/dev/null # the control socket needs no token
}

run_tests
