#!/usr/bin/env bats
# The install step every clean machine runs first: it must be quiet when nothing is missing and say exactly what to
# install when it cannot do it itself.

setup() {
  script="$BATS_TEST_DIRNAME/../install-system-deps.sh"
  work="$(mktemp -d)"
}

teardown() {
  rm -rf "$work"
}

@test "does nothing when every listed command is present" {
  printf '# comment\n\nbash bash\n' >"$work/list.txt"

  SYSTEM_PACKAGES_LIST="$work/list.txt" run "$script"

  [ "$status" -eq 0 ]
  [ "$output" = "system-deps: all present" ]
}

@test "names the missing packages when apt-get is not available" {
  printf 'definitely-not-a-command-xyz fake-package\nbash bash\n' >"$work/list.txt"
  mkdir "$work/bin"
  for tool in bash dirname; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done

  PATH="$work/bin" SYSTEM_PACKAGES_LIST="$work/list.txt" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"installing fake-package"* ]]
  [[ "$output" == *"apt-get not found; install these packages with your OS package manager: fake-package"* ]]
}
