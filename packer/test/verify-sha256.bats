#!/usr/bin/env bats
# Every download of the image build (buildkite-agent, buildx, compose) is refused unless it has the SHA-256 pinned in
# the packer variables; a checksum fetched from the same release as the file proves nothing, so none is used.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  # shellcheck source=packer/linux/scripts/verify-sha256.sh
  source "$repo/packer/linux/scripts/verify-sha256.sh"
  work="$(mktemp -d)"
  printf 'agent release\n' >"$work/agent.tar.gz"
  pinned="$(sha256sum "$work/agent.tar.gz" | cut -d' ' -f1)"
}

teardown() {
  rm -rf "$work"
}

@test "a download with its pinned SHA-256 passes" {
  run verify_sha256 "$work/agent.tar.gz" "$pinned" agent.tar.gz
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
}

@test "a download that differs from its pin is refused, naming it" {
  printf 'tampered\n' >>"$work/agent.tar.gz"
  run verify_sha256 "$work/agent.tar.gz" "$pinned" agent.tar.gz
  [ "$status" -eq 1 ]
  [[ "$output" == *"agent.tar.gz does not match its pinned SHA-256"* ]]
}

@test "no pin, or a malformed one, is refused before anything is trusted" {
  for pin in "" "${pinned:0:63}" "${pinned^^}" "sha256:$pinned"; do
    run verify_sha256 "$work/agent.tar.gz" "$pin" agent.tar.gz
    [ "$status" -eq 1 ]
    [[ "$output" == *"no pinned SHA-256 for agent.tar.gz"* ]]
  done
}

@test "the install scripts verify every download against a pin and fetch no published checksums" {
  scripts="$repo/packer/linux/scripts"
  run grep -c 'verify_sha256 ' "$scripts/install-buildkite-agent.sh"
  [ "$output" -eq 1 ]
  grep -q 'verify_sha256 "$work/$2" "$3" "$2"' "$scripts/install-docker.sh"
  grep -q '"${DOCKER_BUILDX_SHA256:-}"' "$scripts/install-docker.sh"
  grep -q '"${DOCKER_COMPOSE_SHA256:-}"' "$scripts/install-docker.sh"
  run grep -Eq 'SHA256SUMS|checksums\.txt' "$scripts/install-buildkite-agent.sh" "$scripts/install-docker.sh"
  [ "$status" -eq 1 ]
}

@test "the three pins are required packer variables (no default), validated per architecture" {
  variables="$repo/packer/linux/variables.pkr.hcl"
  for name in buildkite_agent_sha256 docker_buildx_sha256 docker_compose_sha256; do
    block="$(sed -n "/^variable \"$name\" {/,/^}/p" "$variables")"
    [ -n "$block" ]
    # (`! cmd` before a test's last line never fails it: bats' errexit ignores negated commands.)
    [[ "$block" != *default* ]]
    grep -q 'regex("^\[0-9a-f\]{64}\$"' <<<"$block"
    grep -q "var.$name\[source.name\]" "$repo/packer/linux/elastic-ci-agent.pkr.hcl"
  done
}

@test "make ami stops at once, naming the file to create, when no pins are given" {
  mkdir -p "$work/repo/packer/scripts" "$work/repo/packer/linux"
  cp "$repo/packer/scripts/build-ami.sh" "$work/repo/packer/scripts/"
  PACKER_ARGS='' run "$work/repo/packer/scripts/build-ami.sh"
  [ "$status" -eq 2 ]
  [[ "$output" == *"no pinned checksums: create $work/repo/packer/linux/checksums.pkrvars.hcl"* ]]
}

@test "the binfmt image (run privileged at every boot) is refused unless pinned by digest" {
  digest="sha256:$pinned"
  run verify_image_digest "docker.io/tonistiigi/binfmt:qemu-v7.0.0-28@$digest" binfmt_image
  [ "$status" -eq 0 ]
  [ "$output" = "" ]
  for image in docker.io/tonistiigi/binfmt:qemu-v7.0.0-28 "docker.io/tonistiigi/binfmt@sha256:${pinned:0:63}" \
    "docker.io/tonistiigi/binfmt@sha256:${pinned^^}" "docker.io/tonistiigi/binfmt@$digest extra" "@$digest" ""; do
    run verify_image_digest "$image" binfmt_image
    [ "$status" -eq 1 ]
    [[ "$output" == *"binfmt_image ($image) is not pinned by digest"* ]]
  done
  grep -q 'verify_image_digest "$BINFMT_IMAGE" binfmt_image' "$repo/packer/linux/scripts/install-docker.sh"
}

@test "binfmt_image is a required packer variable whose validation accepts only a digest-pinned reference" {
  block="$(sed -n '/^variable "binfmt_image" {/,/^}/p' "$repo/packer/linux/variables.pkr.hcl")"
  [ -n "$block" ]
  [[ "$block" != *default* ]]
  # The pattern packer applies (RE2; this one is also a valid ERE), checked against references.
  pattern="$(sed -n 's/.*can(regex("\(.*\)", var.binfmt_image)).*/\1/p' <<<"$block" | sed 's/\\\\/\\/g')"
  [ -n "$pattern" ]
  [[ "docker.io/tonistiigi/binfmt:qemu-v7.0.0-28@sha256:$pinned" =~ $pattern ]]
  [[ "docker.io/tonistiigi/binfmt@sha256:$pinned" =~ $pattern ]]
  [[ ! "docker.io/tonistiigi/binfmt:qemu-v7.0.0-28" =~ $pattern ]]
  [[ ! "docker.io/tonistiigi/binfmt@sha256:${pinned:0:63}" =~ $pattern ]]
  [[ ! "docker.io/tonistiigi/binfmt:latest@sha256:${pinned^^}" =~ $pattern ]]
}

@test "every download fails on HTTP errors and is retried on any transient failure, not only timeouts and 5xx" {
  # --retry alone does not retry a refused or reset connection (curl exits 7 or 56), common on GitHub downloads; a
  # retried download is still checked against its pin afterwards.
  downloads="$(grep -h 'curl ' "$repo"/packer/linux/scripts/*.sh)"
  [ "$(wc -l <<<"$downloads")" -eq 2 ]
  while read -r download; do
    [[ "$download" == *" -fsSL "* ]]
    [[ "$download" =~ --retry\ [1-9] ]]
    [[ "$download" == *" --retry-all-errors "* ]]
  done <<<"$downloads"
}
