#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repo's own TOML files: the bundled example ports,
# porting.toml and the test fixtures (and, for the request target, the toml-test corpus of
# valid and invalid TOML). Files are named by their SHA-1, as libFuzzer names its own finds,
# so seeding twice adds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

seed() {
  local target="$1"
  shift
  mkdir -p "fuzz/corpus/$target"
  local file
  while IFS= read -r -d '' file; do
    cp "$file" "fuzz/corpus/$target/$(sha1sum "$file" | cut -c1-40)"
  done < <(find "$@" -print0)
}

seed check_request ports tests/fixtures -name '*.toml' ! -path '*/events/*' \
  ! -name 'event-*' ! -name 'porting*' ! -name 'expect.toml'
seed check_event ports tests/fixtures \( -path '*/events/*.toml' -o -name 'event-*.toml' \)
seed check_policy porting.toml tests/fixtures -name 'porting*.toml'
for target in check_request check_event check_policy; do
  echo "fuzz/corpus/$target: $(find "fuzz/corpus/$target" -type f | wc -l) files"
done
