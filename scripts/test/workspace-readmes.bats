#!/usr/bin/env bats
# The repository's own docs against its workspace: every package and app has a README and a row in the top-level
# README's table, so a new package cannot land undocumented (agent-instance and sandbox once did, and apps/README.md
# kept saying both were "to come" after they had landed).

setup() {
  repo="$BATS_TEST_DIRNAME/../.."
}

workspace_dirs() {
  local manifest
  for manifest in "$repo"/packages/*/package.json "$repo"/apps/*/package.json; do
    dirname "${manifest#"$repo"/}"
  done
}

@test "the workspace has packages and apps to check" {
  run workspace_dirs
  [ "$status" -eq 0 ]
  [[ "$output" == *packages/scaler-core* ]]
  [[ "$output" == *apps/infra* ]]
}

@test "every package and app has a README of its own" {
  local dir missing=()
  while read -r dir; do
    [ -s "$repo/$dir/README.md" ] || missing+=("$dir")
  done < <(workspace_dirs)
  echo "no README.md: ${missing[*]}"
  [ "${#missing[@]}" -eq 0 ]
}

@test "every package and app has a row in the top-level README's table" {
  local dir missing=()
  while read -r dir; do
    grep -q "^| \`$dir\` |" "$repo/README.md" || missing+=("$dir")
  done < <(workspace_dirs)
  echo "not in README.md's table: ${missing[*]}"
  [ "${#missing[@]}" -eq 0 ]
}

@test "apps/README.md lists every app and calls none of them still to come" {
  local dir
  while read -r dir; do
    [[ "$dir" == apps/* ]] || continue
    grep -q "\`${dir#apps/}/\`" "$repo/apps/README.md"
  done < <(workspace_dirs)
  run grep -n "to come\|Until it lands" "$repo/apps/README.md"
  [ "$status" -eq 1 ]
}
