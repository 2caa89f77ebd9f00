#!/usr/bin/env bats
# goss.yaml (what a built AMI must contain, checked on the build instance) cannot drift from the install scripts,
# the packed packages, the units and the hooks: check-image-spec.py reads them all and names what the spec misses.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  python="${PYTHON:-$repo/.venv/bin/python}"
  [ -x "$python" ] || { echo "no $python: run make deps (python-deps) first" >&2; return 1; }
  # A copy of what the check reads, to break one thing at a time.
  root="$(mktemp -d)"
  mkdir -p "$root/packer"
  cp -r "$repo/packer/linux" "$root/packer/linux"
  rm -rf "$root/packer/linux/build"
  for manifest in "$repo"/packages/*/package.json; do
    mkdir -p "$root/packages/$(basename "$(dirname "$manifest")")"
    cp "$manifest" "$root/packages/$(basename "$(dirname "$manifest")")/"
  done
  cp "$repo/packages/lifecycled/lifecycled.service" "$root/packages/lifecycled/"
  check=("$python" "$repo/packer/scripts/check-image-spec.py" "$root")
}

teardown() {
  rm -rf "$root"
}

@test "the spec in the repository lists everything the image installs" {
  run "$python" "$repo/packer/scripts/check-image-spec.py" "$repo"

  [ "$status" -eq 0 ]
  [[ "$output" == "check-image-spec: goss.yaml lists "* ]]
}

@test "a dnf package the spec does not list is named" {
  sed -i 's/^  git git-lfs /  git git-lfs strace /' "$root/packer/linux/scripts/install-os-packages.sh"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"package 'strace' missing (installed by install-os-packages.sh)"* ]]
}

@test "a program a packed package adds is named" {
  node -e 'const f=process.argv[1];const p=require(f);p.bin["elastic-ci-new-tool"]="./dist/new.js";require("fs").writeFileSync(f,JSON.stringify(p))' \
    "$root/packages/docker-login/package.json"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"file '/usr/local/bin/elastic-ci-new-tool' missing"*"a program of @elastic-ci/docker-login"* ]]
}

@test "a new unit, the program it runs and whether the image enables it are all checked" {
  printf '[Service]\nType=oneshot\nExecStart=/usr/local/bin/elastic-ci-new-thing\n' >"$root/packer/linux/conf/systemd/elastic-ci-new.service"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"file '/etc/systemd/system/elastic-ci-new.service' missing"* ]]
  [[ "$output" == *"service 'elastic-ci-new' missing (add \`elastic-ci-new: { enabled: false }\`)"* ]]
  [[ "$output" == *"file '/usr/local/bin/elastic-ci-new-thing' missing"*"run by elastic-ci-new.service"* ]]
}

@test "a unit the scripts stop enabling no longer matches the spec" {
  sed -i 's/ elastic-ci-disk-check.timer$//' "$root/packer/linux/scripts/install-elastic-ci.sh"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"service 'elastic-ci-disk-check.timer' must be enabled: false (not enabled by the install scripts)"* ]]
}

@test "a file installed at a literal path is checked" {
  echo 'install -m 0644 "$conf/extra.conf" /etc/elastic-ci/extra.conf' >>"$root/packer/linux/scripts/install-elastic-ci.sh"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"file '/etc/elastic-ci/extra.conf' missing"*"installed by install-elastic-ci.sh"* ]]
}

@test "every agent hook must be listed as executable, and only existing hooks may be listed" {
  mkdir -p "$root/packer/linux/conf/buildkite-agent/hooks"
  printf '#!/usr/bin/env bash\n' >"$root/packer/linux/conf/buildkite-agent/hooks/post-checkout"
  printf '  /etc/buildkite-agent/hooks/no-such-hook: { exists: true, mode: "0755" }\n' >>"$root/packer/linux/goss.yaml.extra"
  sed -i '/^  \/etc\/buildkite-agent\/hooks: /r '"$root/packer/linux/goss.yaml.extra" "$root/packer/linux/goss.yaml"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"file '/etc/buildkite-agent/hooks/post-checkout' missing"*"an agent hook"* ]]
  [[ "$output" == *"file '/etc/buildkite-agent/hooks/no-such-hook' is not a hook"* ]]
}

@test "a spec that is not valid YAML fails with the parser's message" {
  printf 'file:\n  /a: { exists: true\n' >"$root/packer/linux/goss.yaml"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"goss.yaml does not parse"* ]]
}

@test "an unknown goss resource type is named" {
  printf 'files:\n  /a: { exists: true }\n' >>"$root/packer/linux/goss.yaml"

  run "${check[@]}"

  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown resource type 'files'"* ]]
}
