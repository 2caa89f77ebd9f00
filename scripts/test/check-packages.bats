#!/usr/bin/env bats
# The packaging gate of `make test`: every public package is packed and checked; any problem in any package fails
# the run and names the package and the fix. pnpm (pack, publint, attw) is a stub on PATH here: these tests cover the
# script's own logic (which packages, which profile, which failures count); the real tools run in `make test`.

setup() {
  script="$BATS_TEST_DIRNAME/../check-packages.sh"
  work="$(mktemp -d)"
  repo="$work/repo"
  mkdir -p "$repo/packages" "$work/bin"
  printf 'MIT License\n\nCopyright (c) 2026 elastic-ci contributors\n' >"$repo/LICENSE"
  cat >"$work/bin/pnpm" <<'EOF'
#!/usr/bin/env bash
# pnpm pack --pack-destination DIR (in the package folder) | pnpm --dir ROOT exec TOOL ARGS...
set -euo pipefail
if [[ "$1" == pack ]]; then
  staging=$(mktemp -d)
  mkdir "$staging/package"
  cp -R . "$staging/package/"
  tar -czf "$3/package.tgz" -C "$staging" package
  rm -rf "$staging"
  exit 0
fi
shift 3
tool=$1
shift
echo "$tool $*" >>"$STUB_LOG"
case "$tool" in
  publint) exit "${STUB_PUBLINT_STATUS:-0}" ;;
  attw) exit "${STUB_ATTW_STATUS:-0}" ;;
esac
exit 1
EOF
  chmod +x "$work/bin/pnpm"
  export PATH="$work/bin:$PATH" STUB_LOG="$work/calls.log" CHECK_PACKAGES_ROOT="$repo"
  : >"$STUB_LOG"
}

teardown() {
  rm -rf "$work"
}

# public_package FOLDER NAME [EXTRA_JSON_FIELDS]: a package as the checks want it, LICENSE and repository included.
public_package() {
  local folder=$1 name=$2 extra=${3:-}
  mkdir -p "$repo/packages/$folder"
  cp "$repo/LICENSE" "$repo/packages/$folder/LICENSE"
  cat >"$repo/packages/$folder/package.json" <<EOF
{
  "name": "$name",
  "version": "0.0.0",
  "license": "MIT",
  "repository": {
    "type": "git",
    "url": "git+https://github.com/elastic-ci/elastic-ci.git",
    "directory": "packages/$folder"
  }$extra
}
EOF
}

@test "checks every public package with its chosen attw profile and skips private ones" {
  public_package scaler-core @elastic-ci/scaler-core
  public_package s3secrets @elastic-ci/s3secrets
  mkdir -p "$repo/packages/testing"
  echo '{ "name": "@elastic-ci/testing", "private": true }' >"$repo/packages/testing/package.json"

  run "$script"

  [ "$status" -eq 0 ]
  [[ "$output" == *"@elastic-ci/scaler-core ok"* ]]
  [[ "$output" == *"@elastic-ci/s3secrets ok"* ]]
  [[ "$output" == *"all 2 public packages pass"* ]]
  [[ "$output" != *testing* ]]
  grep -q '^publint run --strict .*/packages-s3secrets/package.tgz$' "$STUB_LOG"
  grep -q '^attw .*/packages-scaler-core/package.tgz --profile strict$' "$STUB_LOG"
  grep -q '^attw .*/packages-s3secrets/package.tgz --profile esm-only$' "$STUB_LOG"
  [ "$(grep -c '^attw ' "$STUB_LOG")" -eq 2 ]
}

@test "fails naming the fix when a public package packs no LICENSE" {
  public_package scaler-core @elastic-ci/scaler-core
  rm "$repo/packages/scaler-core/LICENSE"

  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"LICENSE is not in the tarball: cp LICENSE packages/scaler-core/LICENSE"* ]]
  [[ "$output" == *"@elastic-ci/scaler-core FAILED"* ]]
}

@test "fails when a package's LICENSE has drifted from the root one" {
  public_package scaler-core @elastic-ci/scaler-core
  echo 'Copyright someone else' >>"$repo/packages/scaler-core/LICENSE"

  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"packages/scaler-core/LICENSE differs from the root LICENSE"* ]]
}

@test "fails when repository does not name the package's folder" {
  public_package scaler-core @elastic-ci/scaler-core
  sed -i 's|"directory": "packages/scaler-core"|"directory": "packages/core"|' "$repo/packages/scaler-core/package.json"

  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *'package.json: repository is'*'"directory":"packages/core"'*'expected'* ]]
}

@test "a publint failure in one package fails the run after checking the others" {
  public_package scaler-core @elastic-ci/scaler-core
  public_package s3secrets @elastic-ci/s3secrets

  STUB_PUBLINT_STATUS=1 run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"@elastic-ci/s3secrets FAILED"* ]]
  [[ "$output" == *"@elastic-ci/scaler-core FAILED"* ]]
  [[ "$output" == *"2 of 2 public packages failed: @elastic-ci/s3secrets @elastic-ci/scaler-core"* ]]
}

@test "an attw failure fails the run" {
  public_package lifecycled @elastic-ci/lifecycled

  STUB_ATTW_STATUS=1 run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"@elastic-ci/lifecycled FAILED"* ]]
}

@test "a new public package fails until it chooses a type-resolution profile" {
  public_package brand-new @elastic-ci/brand-new

  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"no type-resolution profile chosen for @elastic-ci/brand-new: add one to check_types"* ]]
}

@test "a CommonJS build must expose the same names as the ESM build" {
  public_package scaler-core @elastic-ci/scaler-core \
    ', "type": "module", "exports": { ".": { "import": "./index.js", "require": "./index.cjs" } }'
  echo 'export const decide = 1; export const plan = 2;' >"$repo/packages/scaler-core/index.js"
  echo 'exports.decide = 1;' >"$repo/packages/scaler-core/index.cjs"

  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"@elastic-ci/scaler-core: require() gives [decide] but import() gives [decide,plan]"* ]]

  echo 'exports.decide = 1; exports.plan = 2;' >"$repo/packages/scaler-core/index.cjs"

  run "$script"

  [ "$status" -eq 0 ]
}

@test "fails when there is no public package at all" {
  run "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"no public package found"* ]]
}
