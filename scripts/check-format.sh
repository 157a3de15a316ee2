#!/usr/bin/env bash
# check-format.sh [--fix]: every C source and header follows .clang-format.
# With --fix the files are rewritten in place.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CF=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build/' || true)
if [[ "${1:-}" == "--fix" ]]; then
	"$CF" -i "${files[@]}"
	exit 0
fi
bad=0
for f in "${files[@]}"; do
	[[ -f "$f" ]] || continue
	if ! "$CF" --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "format: $f differs from .clang-format (run scripts/check-format.sh --fix)"
		bad=1
	fi
done
if ((bad)); then exit 1; fi
echo "format: ok (${#files[@]} files)"
