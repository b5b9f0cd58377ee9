#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_fuzz.sh - bounded libFuzzer runs as part of `make test`, over the
# POST / action function (build/tests/fuzz/fuzz_api) and over the import of
# fwd 0.1's state files (build/tests/fuzz/fuzz_legacy), see fuzz.mk: each
# seed corpus replays clean, then FUZZ_TEST_SECONDS (default 30, at most
# 60; a third of it for the import) of fuzzing find no crash, leak, UB or
# broken contract.
set -eu

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$top/build/tests/fuzz/fuzz_api
secs=${FUZZ_TEST_SECONDS:-30}
[ "$secs" -le 60 ] || secs=60
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"

echo "1..4"
if [ ! -x "$bin" ]; then
	tap_skip "$bin not built (make $bin)"
	tap_skip "$bin not built"
	tap_skip "$bin not built"
	tap_skip "$bin not built"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# harness PREFIX BIN SEEDS SECONDS ARGS...: replay the seed corpus, then
# fuzz for SECONDS; two TAP lines, test names starting with PREFIX.
harness() {
	local name=$1 exe=$2 seeds=$3 t=$4 runs n f d
	shift 4
	d=$work/${name:-api_}
	mkdir "$d"
	if "$exe" -runs=0 -artifact_prefix="$d-" "$seeds" \
		>"$d.replay" 2>&1 && ! ls "$d"-crash-* >/dev/null 2>&1; then
		n=$(find "$seeds" -type f | wc -l)
		ok "${name}seed_corpus_of_${n}_inputs_replays_clean"
	else
		sed 's/^/# /' "$d.replay" | tail -30
		not_ok "${name}seed_corpus_replays_clean"
	fi
	if "$exe" -max_total_time="$t" -timeout=10 -rss_limit_mb=1024 "$@" \
		-artifact_prefix="$d-" "$d" "$seeds" >"$d.fuzz" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$d.fuzz")
		echo "# ${runs:-?} inputs in ${t}s"
		ok "${name}fuzzing_${t}s_finds_no_crash_or_contract_break"
	else
		grep -v '^#' "$d.fuzz" | tail -40 | sed 's/^/# /'
		for f in "$d"-crash-* "$d"-leak-* "$d"-timeout-*; do
			[ -e "$f" ] || continue
			echo "# input $(basename "$f"): $(head -c 300 "$f" | od -An -c | head -5 | tr -s ' ')"
		done
		not_ok "${name}fuzzing_${t}s_finds_no_crash_or_contract_break"
	fi
}

harness "" "$bin" "$top/tests/fuzz/corpus" "$secs" -max_len=70000 \
	-dict="$top/tests/fuzz/api.dict"
# the import of fwd 0.1's files
harness import_ "$top/build/tests/fuzz/fuzz_legacy" \
	"$top/tests/fuzz/corpus_legacy" $((secs / 3 > 0 ? secs / 3 : 1)) \
	-max_len=8192
