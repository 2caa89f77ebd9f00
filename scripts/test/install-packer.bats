#!/usr/bin/env bats
# The packer that `make test` and `make ami` use is built from the Go module proxy once per machine: a present build
# of the pinned version is reused without touching Go, and a missing Go is an error that says how to fix it.

setup() {
  script="$BATS_TEST_DIRNAME/../install-packer.sh"
  work="$(mktemp -d)"
  tools="$work/tools"
  # A PATH with only the tools the script needs, so a real go or packer on this machine cannot leak into a test.
  mkdir -p "$work/bin"
  for tool in bash sed head mkdir cat env chmod; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
}

teardown() {
  rm -rf "$work"
}

fake_packer() { # $1 = directory, $2 = the version it reports
  mkdir -p "$1"
  printf '#!/usr/bin/env bash\necho "Packer v%s"\necho\necho "Your version of Packer is out of date!"\n' "$2" >"$1/packer"
  chmod +x "$1/packer"
}

fake_go() { # $1 = what the fake `go install` does: "builds" or "fails"
  cat >"$work/bin/go" <<EOF
#!/usr/bin/env bash
echo "\$*" >>"$work/go-calls"
echo "GOBIN=\$GOBIN GOFLAGS=\$GOFLAGS" >>"$work/go-calls"
if [[ "$1" == builds ]]; then
  mkdir -p "\$GOBIN"
  printf '#!/usr/bin/env bash\necho "Packer v1.9.5"\n' >"\$GOBIN/packer"
  chmod +x "\$GOBIN/packer"
else
  echo "go: simulated download failure" >&2
  exit 1
fi
EOF
  chmod +x "$work/bin/go"
}

@test "reuses a packer of the pinned version without calling go" {
  fake_packer "$tools/bin" 1.9.5
  fake_go fails

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$tools/bin/packer" ]
  [[ "$output" == *"packer 1.9.5 present"* ]]
  [ ! -e "$work/go-calls" ]
}

@test "builds the pinned packer with go install into the tools directory when another version is there" {
  fake_packer "$tools/bin" 1.8.0
  fake_go builds

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$tools/bin/packer" ]
  [ "$(head -n 1 "$work/go-calls")" = "install github.com/hashicorp/packer@v1.9.5" ]
  grep -qx "GOBIN=$tools/bin GOFLAGS=-mod=mod -buildvcs=false" "$work/go-calls"
  [ "$("$tools/bin/packer" version)" = "Packer v1.9.5" ]
}

@test "fails naming Go and how to install it when packer is missing and go is not on PATH" {
  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"go not found"* ]]
  [[ "$output" == *"Install Go"* ]]
  [ ! -e "$tools/bin/packer" ]
}

@test "fails when go install fails, instead of carrying on without packer" {
  fake_go fails

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"simulated download failure"* ]]
  [[ "$output" == *"go install github.com/hashicorp/packer@v1.9.5 failed"* ]]
}

@test "fails when the built binary does not report the pinned version" {
  fake_go builds
  PACKER_VERSION=1.9.6 PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"does not report packer 1.9.6"* ]]
}
