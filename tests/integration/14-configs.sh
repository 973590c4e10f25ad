#!/usr/bin/env bash
# Every config shipped in configs/ is valid (`microvm check`), so the examples never rot.
source "$(dirname "$0")/lib.sh"
[ -x "$MICROVM" ] || fail "$MICROVM is not built"
for c in "$ROOT"/configs/*.toml; do
	LAST="$TMP/$(basename "$c")"
	"$MICROVM" check --config "$c" >"$LAST.console" 2>"$LAST.err" || fail "$c: $(cat "$LAST.err")"
	grep -q ": ok$" "$LAST.console" || fail "$c: no ok line"
	pass "$(basename "$c")"
done
