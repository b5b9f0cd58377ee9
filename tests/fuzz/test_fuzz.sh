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
mkdir "$work/corpus"

if "$bin" -runs=0 -artifact_prefix="$work/" "$top/tests/fuzz/corpus" \
	>"$work/replay.log" 2>&1 && ! ls "$work"/crash-* >/dev/null 2>&1; then
	n=$(find "$top/tests/fuzz/corpus" -type f | wc -l)
	ok "seed_corpus_of_${n}_inputs_replays_clean"
else
	sed 's/^/# /' "$work/replay.log" | tail -30
	not_ok seed_corpus_replays_clean
fi

if "$bin" -max_total_time="$secs" -max_len=70000 -timeout=10 \
	-rss_limit_mb=1024 -dict="$top/tests/fuzz/api.dict" \
	-artifact_prefix="$work/" "$work/corpus" "$top/tests/fuzz/corpus" \
	>"$work/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log")
	echo "# ${runs:-?} inputs in ${secs}s"
	ok "fuzzing_${secs}s_finds_no_crash_or_contract_break"
else
	grep -v '^#' "$work/fuzz.log" | tail -40 | sed 's/^/# /'
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$f" ] || continue
		echo "# input $(basename "$f"): $(head -c 300 "$f" | od -An -c | head -5 | tr -s ' ')"
	done
	not_ok "fuzzing_${secs}s_finds_no_crash_or_contract_break"
fi

# --- the import of fwd 0.1's files -------------------------------------
legacy=$top/build/tests/fuzz/fuzz_legacy
lsecs=$((secs / 3 > 0 ? secs / 3 : 1))
mkdir "$work/lcorpus"
if "$legacy" -runs=0 -artifact_prefix="$work/" "$top/tests/fuzz/corpus_legacy" \
	>"$work/lreplay.log" 2>&1 && ! ls "$work"/crash-* >/dev/null 2>&1; then
	n=$(find "$top/tests/fuzz/corpus_legacy" -type f | wc -l)
	ok "import_seed_corpus_of_${n}_inputs_replays_clean"
else
	sed 's/^/# /' "$work/lreplay.log" | tail -30
	not_ok import_seed_corpus_replays_clean
fi
if "$legacy" -max_total_time="$lsecs" -max_len=8192 -timeout=10 \
	-rss_limit_mb=1024 -artifact_prefix="$work/" "$work/lcorpus" \
	"$top/tests/fuzz/corpus_legacy" >"$work/lfuzz.log" 2>&1; then
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/lfuzz.log")
	echo "# ${runs:-?} inputs in ${lsecs}s"
	ok "import_fuzzing_${lsecs}s_finds_no_crash_or_contract_break"
else
	grep -v '^#' "$work/lfuzz.log" | tail -40 | sed 's/^/# /'
	not_ok "import_fuzzing_${lsecs}s_finds_no_crash_or_contract_break"
fi
