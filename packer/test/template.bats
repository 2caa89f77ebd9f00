#!/usr/bin/env bats
# The build template: one amazon-ebs source shared by both architectures, the builds named x86_64 and arm64 (so
# `-only=elastic-ci-agent.amazon-ebs.<arch>` keeps working) with only what differs between them.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  template="$repo/packer/linux/elastic-ci-agent.pkr.hcl"
  packer="${ELASTIC_CI_TOOLS:-$HOME/.cache/elastic-ci/tools}/bin/packer"
}

@test "one amazon-ebs source, overridden per architecture in the build block" {
  run grep -c '^source "amazon-ebs" ' "$template"
  [ "$output" -eq 1 ]
  grep -q '^source "amazon-ebs" "agent" {' "$template"
  run grep -c '^  source "amazon-ebs.agent" {' "$template"
  [ "$output" -eq 2 ]
  grep -q '^    name            = "x86_64"' "$template"
  grep -q '^    name            = "arm64"' "$template"
}

@test "packer sees the two builds under their architecture names, with per-architecture names and base images" {
  run "$packer" inspect -var stack_version=0.0.0-test -var source_hash=0123456789ab "$repo/packer/linux"
  [ "$status" -eq 0 ]
  [[ "$output" == *"amazon-ebs.x86_64"* ]]
  [[ "$output" == *"amazon-ebs.arm64"* ]]
  [[ "$output" == *'elastic-ci-agent-0.0.0-test-x86_64-0123456789ab'* ]]
  [[ "$output" == *'elastic-ci-agent-0.0.0-test-arm64-0123456789ab'* ]]
  [[ "$output" == *'al2023-ami-2023.*-kernel-6.1-arm64'* ]]
}

@test "the amazon plugin (it runs with the build's AWS credentials) is pinned to one exact version" {
  # `~> 1.3` let `packer init` take any later 1.x release, so two builds of the same sources could run different
  # plugin code.
  constraint="$(sed -n '/required_plugins {/,/^  }/s/^ *version *= *"\(.*\)"$/\1/p' "$template")"
  [ -n "$constraint" ]
  [[ "$constraint" =~ ^=?\ ?[0-9]+\.[0-9]+\.[0-9]+$ ]]
}
