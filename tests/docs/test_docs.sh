#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# test_docs.sh - the picture in docs/design.md stays true to its source and
# to the tree: docs/house.svg is the rendering of the current
# docs/house.dot (`make docs` writes the source's sha256 into it, so no
# graphviz is needed here), and every source file of kern/, agent/ and
# api/ has its box in it.
set -u

top=${FWD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/tap.sh
. "$top/tests/tap.sh"
dot=$top/docs/house.dot
svg=$top/docs/house.svg

echo "1..2"
want=$(sha256sum <"$dot" | cut -d' ' -f1)
if grep -qF "<!-- from docs/house.dot, sha256 $want -->" "$svg"; then
	ok "docs/house.svg is rendered from the current docs/house.dot"
else
	not_ok "docs/house.svg is rendered from the current docs/house.dot" \
		"house.dot changed after the SVG was made: run make docs"
fi

missing=()
for f in "$top"/kern/*.bpf.c "$top"/agent/*.c "$top"/api/*.c; do
	grep -qwF "${f##*/}" "$dot" || missing+=("${f#"$top"/}")
done
if [ ${#missing[@]} -eq 0 ]; then
	ok "every kern/, agent/ and api/ source file is in docs/house.dot"
else
	not_ok "every kern/, agent/ and api/ source file is in docs/house.dot" \
		"not in the picture: ${missing[*]}"
fi
[ "$tap_failed" -eq 0 ]
