#!/usr/bin/env bats
# The AMI name carries a hash of the image's sources: the same sources give the same name, any change to packer/ or
# to a packed package gives a new one, and build output or file times do not count.

setup() {
  hash_script="$BATS_TEST_DIRNAME/../scripts/source-hash.sh"
  work="$(mktemp -d)"
  mkdir -p "$work/repo/packer/linux/scripts" "$work/repo/packer/linux/build" "$work/unpacked/pkg/dist"
  echo 'echo install' >"$work/repo/packer/linux/scripts/install.sh"
  echo 'source "amazon-ebs" "x86_64" {}' >"$work/repo/packer/linux/agent.pkr.hcl"
  echo 'console.log(1)' >"$work/unpacked/pkg/dist/cli.js"
  baseline="$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")"
}

teardown() {
  rm -rf "$work"
}

@test "twelve hex digits, the same for the same sources whatever the file times" {
  [[ "$baseline" =~ ^[0-9a-f]{12}$ ]]
  touch -d '2001-01-01' "$work/repo/packer/linux/scripts/install.sh" "$work/unpacked/pkg/dist/cli.js"

  [ "$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")" = "$baseline" ]
}

@test "build output under packer/linux/build does not count" {
  echo '{}' >"$work/repo/packer/linux/build/manifest.json"

  [ "$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")" = "$baseline" ]
}

@test "a changed install script, a new file, a changed package file or another tool version changes it" {
  echo 'echo install2' >"$work/repo/packer/linux/scripts/install.sh"
  changed_script="$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")"
  echo 'echo install' >"$work/repo/packer/linux/scripts/install.sh"
  echo x >"$work/repo/packer/linux/scripts/new.sh"
  added_file="$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")"
  rm "$work/repo/packer/linux/scripts/new.sh"
  echo 'console.log(2)' >"$work/unpacked/pkg/dist/cli.js"
  changed_package="$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")"
  echo 'console.log(1)' >"$work/unpacked/pkg/dist/cli.js"
  other_tool="$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.10")"

  [ "$changed_script" != "$baseline" ]
  [ "$added_file" != "$baseline" ]
  [ "$changed_package" != "$baseline" ]
  [ "$other_tool" != "$baseline" ]
  [ "$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")" = "$baseline" ]
}

@test "a renamed file changes it (paths are part of the hash)" {
  mv "$work/repo/packer/linux/scripts/install.sh" "$work/repo/packer/linux/scripts/setup.sh"

  [ "$("$hash_script" "$work/repo" "$work/unpacked" "goss 0.4.9")" != "$baseline" ]
}
