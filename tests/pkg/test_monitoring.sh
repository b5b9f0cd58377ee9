#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_monitoring.sh - what the packages ship for a fleet's Prometheus and
# Grafana (scripts/pkg/prometheus/fwd.rules.yml, scripts/pkg/grafana/
# fwd.json) against promtool and a running fwd:
#  - the rules pass `promtool check rules` and their unit tests
#    (`promtool test rules`), which fire every alert on a synthetic series;
#  - every alert the rules define has a test in which it fires;
#  - every query of the dashboard is valid PromQL (promtool parses each as
#    a recording rule);
#  - every metric the rules and the dashboard name is served by a live
#    fwd's /metrics (but `up`, which Prometheus makes itself), which
#    passes `promtool check metrics`, and every series it serves is
#    documented in docs/api.md.

# the functions below run through check()
# shellcheck disable=SC2317
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
router_tools="promtool curl"
# shellcheck source=tests/e2e/router_lib.sh
. "$top/tests/e2e/router_lib.sh"
rules=$top/scripts/pkg/prometheus/fwd.rules.yml
rtests=$top/scripts/pkg/prometheus/fwd.rules.test.yml
dash=$top/scripts/pkg/grafana/fwd.json

# The alert names of the rules file.
alerts() { sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$rules"; }

# Each alert has a block in the tests whose exp_alerts lists labels.
every_alert_fires_in_a_test() {
	local a missing=
	for a in $(alerts); do
		# shellcheck disable=SC2016 # awk program
		awk -v a="$a" '
			$0 ~ "^ *alertname: *" a "$" { want = 1; next }
			want && /exp_labels/ { found = 1 }
			/^ *- (eval_time|name):/ { want = 0 }
			END { exit !found }' "$rtests" || missing="$missing $a"
	done
	[ -z "$missing" ] || { echo "no firing test for:$missing"; return 1; }
	[ "$(alerts | wc -l)" -ge 7 ] || { echo "fewer than 7 alerts"; return 1; }
}

# The dashboard's queries, one a line, Grafana's variables filled in.
dash_exprs() {
	# shellcheck disable=SC2016 # Grafana's variables, not the shell's
	jq -r '.panels[].targets[].expr' "$dash" |
		sed 's/\$__rate_interval/5m/g; s/\$instance/.*/g'
}

# Every query as a recording rule: promtool check rules parses them all.
dashboard_queries_parse() {
	local i=0
	{
		echo "groups:"
		echo "  - name: dashboard"
		echo "    rules:"
		while IFS= read -r e; do
			i=$((i + 1))
			printf '      - record: dashboard:q%d\n        expr: %s\n' \
				"$i" "$(jq -Rn --arg e "$e" '$e')"
		done < <(dash_exprs)
	} >"$tmp/dash.rules.yml"
	[ "$i" -ge 10 ] || { echo "only $i queries"; return 1; }
	promtool check rules "$tmp/dash.rules.yml"
}

# The metric names the rules' and the dashboard's queries use: fwd_* and
# process_* words not part of a recording rule's name (level:metric:op).
named_metrics() {
	{
		sed -n 's/^ *expr: //p; /^ *expr: |/,/^ *[a-z_]*:/p' "$rules"
		dash_exprs
	} | grep -oP '(?<![:\w])(fwd|process)_[a-z0-9_]+(?![:\w])' | sort -u
}

echo "1..9"

check "promtool check rules: $(basename "$rules")" promtool check rules "$rules"
check "promtool test rules: every case passes" \
	bash -c "cd '$(dirname "$rtests")' && promtool test rules '$(basename "$rtests")'"
check "every alert ($(alerts | tr '\n' ' ')) fires in a unit test" \
	every_alert_fires_in_a_test
check "the dashboard is JSON with a uid, a title and panels" \
	jq -e '.uid == "fwd-overview" and (.title | length > 0) and
		(.panels | length >= 8) and
		all(.panels[]; .targets | length > 0)' "$dash"
check "every dashboard query is valid PromQL" dashboard_queries_parse

# a live fwd, and traffic on it so every outcome family has values
router_topology 1500
if FWD_READY="ready in" start_fwd "$tmp/fwd.log"; then
	ip netns exec h1 ping -q -c 3 -i 0.05 10.2.0.2 >/dev/null 2>&1 || true
	curl -sf --unix-socket $sock http://localhost/metrics >"$tmp/metrics" ||
		true
fi
names=$(named_metrics)
served() {
	local m missing=
	for m in $names; do
		grep -qE "^${m}[{ ]" "$tmp/metrics" || missing="$missing $m"
	done
	[ -n "$names" ] || { echo "no metric names found"; return 1; }
	[ -z "$missing" ] || { echo "not in /metrics:$missing"; return 1; }
	echo "$names"
}
check "every metric the rules and dashboard name is in a live /metrics ($(echo "$names" | wc -l) names)" served
check "promtool check metrics: the live /metrics" \
	bash -c "promtool check metrics <'$tmp/metrics'"
documented() {
	local m missing=
	while read -r m; do
		grep -q "\`${m}[\`{]" "$top/docs/api.md" || missing="$missing $m"
	done < <(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$tmp/metrics")
	[ -z "$missing" ] || { echo "not in docs/api.md:$missing"; return 1; }
}
check "every series of /metrics is documented in docs/api.md" documented
build_info() {
	grep '^fwd_build_info' "$tmp/metrics"
	grep -qE '^fwd_build_info\{version="'"$(cat "$top/VERSION")"'",commit="[^"]+",libbpf="v?[0-9.]+",kernel="'"$(uname -r)"'"\} 1$' "$tmp/metrics"
}
check "fwd_build_info names this build" build_info

stop_fwd
exit $((tap_failed > 0))
