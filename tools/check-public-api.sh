#!/usr/bin/env bash
# The public API's boundary, checked on a build: the CLI and the Python module include only the
# public headers (timbrel/...) and their own files, and libtimbrel.so exports only timbrel:: names.
# Usage: tools/check-public-api.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: check-public-api.sh BUILD_DIR}
failed=0

# 1. Includes: "timbrel/..." or a header beside the including file; nothing under src/.
while IFS= read -r line; do
  file=${line%%:*}
  header=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
  [[ $header == timbrel/* ]] && continue
  [[ $header != */* && -f $(dirname "$file")/$header ]] && continue
  echo "private include: $line"
  failed=1
done < <(grep -rn '#include "' src/cli python --include='*.cpp' --include='*.h')

# 2. Exported dynamic symbols of the library: the timbrel namespace only (its functions, its
#    classes' members, their vtables and typeinfo).
lib=$(ls "$build"/lib/libtimbrel.so.* 2>/dev/null | head -1)
[[ -n $lib ]] || { echo "no libtimbrel.so under $build/lib"; exit 1; }
symbols=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TWBDRVu]/ {print $3}' | c++filt)
total=$(wc -l <<<"$symbols")
outside=$(grep -Ev '^((typeinfo|typeinfo name|vtable|VTT|construction vtable for .*) for )?timbrel::' <<<"$symbols" | grep -Ev '^_(init|fini)$' || true)
if [[ -n $outside ]]; then
  echo "libtimbrel.so exports $(wc -l <<<"$outside") names outside timbrel::, e.g.:"
  head -20 <<<"$outside"
  failed=1
fi
echo "libtimbrel.so exports $total symbols"
exit $failed
