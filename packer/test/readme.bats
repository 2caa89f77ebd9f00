#!/usr/bin/env bats
# packer/README.md shows every boot setting: its table is rendered from the boot contract schema by the
# agent-instance package's own renderer, and a stale table fails the check.

# tsx is a devDependency of agent-instance (its own readme script), whose renderer this imports.
setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  generate=("$repo/packages/agent-instance/node_modules/.bin/tsx" "$repo/packer/scripts/generate-readme.ts")
  work="$(mktemp -d)"
}

teardown() {
  rm -rf "$work"
}

@test "the boot settings table in packer/README.md matches the schema" {
  run "${generate[@]}" --check "$repo/packer/README.md"

  [ "$status" -eq 0 ]
  [[ "$output" == *"boot settings table is up to date"* ]]
  # Spot checks that the table is there at all: a required field and a nested one.
  grep -q '^| `version` |' "$repo/packer/README.md"
  grep -q '^| `agent.queue` |' "$repo/packer/README.md"
}

@test "a stale table fails the check and is not rewritten" {
  sed '/^| `agent.queue` |/d' "$repo/packer/README.md" >"$work/README.md"
  cp "$work/README.md" "$work/before.md"

  run "${generate[@]}" --check "$work/README.md"

  [ "$status" -eq 1 ]
  [[ "$output" == *"boot settings table is out of date"* ]]
  cmp "$work/README.md" "$work/before.md"
}

@test "without --check a stale table is regenerated" {
  sed '/^| `agent.queue` |/d' "$repo/packer/README.md" >"$work/README.md"

  run "${generate[@]}" "$work/README.md"

  [ "$status" -eq 0 ]
  cmp "$work/README.md" "$repo/packer/README.md"
}
