#!/usr/bin/env bats
# The real buildkite-agent for the sandbox test is built from the Go module proxy once per machine: a present build of
# the pinned version is reused without touching Go; when the proxy refuses drjosh.dev/zzglob the same module source is
# built with our replacement for it; any other failure, or a missing Go, is an error that says how to fix it.

setup() {
  script="$BATS_TEST_DIRNAME/../install-buildkite-agent.sh"
  work="$(mktemp -d)"
  tools="$work/tools"
  # A PATH with only the tools the script needs, so a real go or buildkite-agent here cannot leak into a test.
  mkdir -p "$work/bin"
  for tool in bash sed head mkdir cat env chmod grep mktemp rm cp dirname; do
    ln -s "$(command -v "$tool")" "$work/bin/$tool"
  done
}

teardown() {
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}

fake_agent() { # $1 = file, $2 = the version it reports
  mkdir -p "$(dirname "$1")"
  printf '#!/usr/bin/env bash\necho "buildkite-agent version %s+10934.1a2b3c4d"\n' "$2" >"$1"
  chmod +x "$1"
}

fake_go() { # $1 = what `go install` does: "builds", "zzglob-refused" or "fails"
  mkdir -p "$work/module"
  echo "module github.com/buildkite/agent/v3" >"$work/module/go.mod"
  chmod a-w "$work/module/go.mod" # the module cache is read-only; the script must copy before editing
  cat >"$work/bin/go" <<FAKE
#!/usr/bin/env bash
echo "\$* GOTOOLCHAIN=\$GOTOOLCHAIN GOFLAGS=\$GOFLAGS" >>"$work/go-calls"
case "\$1 \$2" in
  "install "*)
    if [[ "$1" == builds ]]; then
      mkdir -p "\$GOBIN"
      printf '#!/usr/bin/env bash\necho "buildkite-agent version 3.138.3+x.1a2b3c4d"\n' >"\$GOBIN/buildkite-agent"
      chmod +x "\$GOBIN/buildkite-agent"
      exit 0
    elif [[ "$1" == zzglob-refused ]]; then
      echo "clicommand/pipeline_upload.go:19:2: drjosh.dev/zzglob@v0.4.3: reading https://proxy.golang.org/drjosh.dev/zzglob/@v/v0.4.3.zip: 403 Forbidden" >&2
      exit 1
    else
      echo "go: simulated download failure" >&2
      exit 1
    fi ;;
  "mod download")
    printf '{\n\t"Path": "github.com/buildkite/agent/v3",\n\t"Dir": "%s",\n\t"GoMod": "x"\n}\n' "$work/module" ;;
  "mod edit")
    echo "edited in \$PWD" >>"$work/go-calls" ;;
  "build -trimpath")
    out=""; while [[ \$# -gt 0 ]]; do if [[ "\$1" == -o ]]; then out="\$2"; fi; shift; done
    printf '#!/usr/bin/env bash\necho "buildkite-agent version 3.138.3+elastic-ci-sandbox..dirty"\n' >"\$out"
    chmod +x "\$out" ;;
  *) echo "unexpected go call: \$*" >&2; exit 3 ;;
esac
FAKE
  chmod +x "$work/bin/go"
}

@test "reuses a buildkite-agent of the pinned version without calling go" {
  fake_agent "$tools/bin/buildkite-agent" 3.138.3
  fake_go fails

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$tools/bin/buildkite-agent" ]
  [[ "$output" == *"buildkite-agent 3.138.3 present"* ]]
  [ ! -e "$work/go-calls" ]
}

@test "builds the pinned agent with go install and the newer Go toolchain when another version is there" {
  fake_agent "$tools/bin/buildkite-agent" 3.100.0
  fake_go builds

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$tools/bin/buildkite-agent" ]
  [ "$(head -n 1 "$work/go-calls")" = "install github.com/buildkite/agent/v3@v3.138.3 GOTOOLCHAIN=go1.27.3 GOFLAGS=-mod=mod -buildvcs=false" ]
  [ "$("$tools/bin/buildkite-agent" --version)" = "buildkite-agent version 3.138.3+x.1a2b3c4d" ]
}

@test "builds from the module source with our zzglob when the proxy refuses drjosh.dev/zzglob, saying so" {
  fake_go zzglob-refused

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$tools/bin/buildkite-agent" ]
  [[ "$output" == *"the module proxy refuses drjosh.dev/zzglob"* ]]
  grep -q "^mod download -json github.com/buildkite/agent/v3@v3.138.3 " "$work/go-calls"
  grep -q "^mod edit -replace drjosh.dev/zzglob=$(cd "$BATS_TEST_DIRNAME/.." && pwd)/buildkite-agent-zzglob " "$work/go-calls"
  # a copy of the module is edited, never the read-only module cache itself
  grep -q "^edited in " "$work/go-calls"
  run grep -q "edited in $work/module" "$work/go-calls"
  [ "$status" -ne 0 ]
  [ "$("$tools/bin/buildkite-agent" --version)" = "buildkite-agent version 3.138.3+elastic-ci-sandbox..dirty" ]
}

@test "fails naming Go and how to install it when the agent is missing and go is not on PATH" {
  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"go not found"* ]]
  [[ "$output" == *"Install Go"* ]]
  [ ! -e "$tools/bin/buildkite-agent" ]
}

@test "fails when go install fails for another reason, instead of building around it" {
  fake_go fails

  PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"simulated download failure"* ]]
  [[ "$output" == *"go install github.com/buildkite/agent/v3@v3.138.3 failed"* ]]
  run grep -q "^mod download" "$work/go-calls"
  [ "$status" -ne 0 ]
}

@test "fails when the built binary does not report the pinned version" {
  fake_go builds

  BUILDKITE_AGENT_VERSION=3.138.4 PATH="$work/bin" ELASTIC_CI_TOOLS="$tools" run "$work/bin/bash" "$script"

  [ "$status" -eq 1 ]
  [[ "$output" == *"does not report buildkite-agent 3.138.4"* ]]
}
