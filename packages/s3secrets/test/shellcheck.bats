#!/usr/bin/env bats
# The hooks run before and after every job: they must pass shellcheck with no exceptions.

@test "hooks and scripts pass shellcheck" {
  cd "$BATS_TEST_DIRNAME/.."
  run shellcheck --shell=bash hooks/environment hooks/pre-exit scripts/run-bats.sh
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "bats tests pass shellcheck" {
  cd "$BATS_TEST_DIRNAME/.."
  run shellcheck --shell=bats test/*.bats
  echo "$output"
  [ "$status" -eq 0 ]
}
