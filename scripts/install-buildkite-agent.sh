#!/usr/bin/env bash
# Builds the pinned buildkite-agent from the Go module proxy into the tools directory outside the repository (like
# install-packer.sh), for the sandbox's real-agent test. Prints the path of the binary last. Fails loudly, never skips.
#
# v3.138.3's go.mod needs Go >= 1.26.10, so the build runs with GOTOOLCHAIN (the go command fetches that toolchain
# from the module proxy once). When the proxy refuses drjosh.dev/zzglob (it answers 403 here), the agent is built from
# the same module source with that one dependency replaced by scripts/buildkite-agent-zzglob, whose glob calls fail
# with a message: agent features that glob (artifact upload, pipeline if_changed, cache keys) are unavailable in that
# build; registering, running jobs, hooks and stopping are the released code.
set -euo pipefail

agent_version="${BUILDKITE_AGENT_VERSION:-3.138.3}"
go_toolchain="${BUILDKITE_AGENT_GOTOOLCHAIN:-go1.27.3}"
tools_dir="${ELASTIC_CI_TOOLS:-$HOME/.cache/elastic-ci/tools}"
agent_bin="$tools_dir/bin/buildkite-agent"
module="github.com/buildkite/agent/v3"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
zzglob_replacement="$script_dir/buildkite-agent-zzglob"

installed_version() {
  # `buildkite-agent --version` prints "buildkite-agent version 3.138.3+<build>.<commit>"; anything else is "none".
  "$agent_bin" --version 2>/dev/null | head -n 1 | sed -n 's/^buildkite-agent version \([0-9][0-9.]*[0-9]\)\([+ ,].*\)\{0,1\}$/\1/p'
}

if [[ -x "$agent_bin" && "$(installed_version)" == "$agent_version" ]]; then
  echo "tools-deps: buildkite-agent $agent_version present ($agent_bin)" >&2
  echo "$agent_bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools-deps: go not found; buildkite-agent $agent_version is built from the Go module proxy." \
    "Install Go 1.21 or newer (https://go.dev/doc/install, or apt-get install golang-go) and put it on PATH" >&2
  exit 1
fi

export GOTOOLCHAIN="$go_toolchain"
export GOFLAGS="-mod=mod -buildvcs=false"
echo "tools-deps: building buildkite-agent $agent_version into $tools_dir/bin with $go_toolchain (once per machine)" >&2
mkdir -p "$tools_dir/bin"
install_log="$(mktemp)"
work=""
cleanup() {
  rm -f "$install_log"
  if [[ -n "$work" ]]; then
    chmod -R u+w "$work" 2>/dev/null || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT

if GOBIN="$tools_dir/bin" go install "$module@v$agent_version" 2>"$install_log"; then
  cat "$install_log" >&2
else
  cat "$install_log" >&2
  if ! grep -q 'drjosh.dev/zzglob.*\(403\|404\|410\|not available\)' "$install_log"; then
    echo "tools-deps: go install $module@v$agent_version failed (see above); check GOPROXY and network access" >&2
    exit 1
  fi
  echo "tools-deps: the module proxy refuses drjosh.dev/zzglob; building $module v$agent_version with" \
    "scripts/buildkite-agent-zzglob in its place (glob features of the agent are unavailable in this build)" >&2
  module_dir="$(go mod download -json "$module@v$agent_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  if [[ -z "$module_dir" || ! -d "$module_dir" ]]; then
    echo "tools-deps: go mod download $module@v$agent_version gave no source directory" >&2
    exit 1
  fi
  work="$(mktemp -d)"
  cp -R "$module_dir/." "$work/agent"
  chmod -R u+w "$work/agent"
  (
    cd "$work/agent"
    go mod edit -replace "drjosh.dev/zzglob=$zzglob_replacement"
    go build -trimpath -ldflags "-X $module/version.buildNumber=elastic-ci-sandbox" -o "$agent_bin" .
  ) >&2 || {
    echo "tools-deps: building $module v$agent_version from source failed (see above)" >&2
    exit 1
  }
fi

if [[ "$(installed_version)" != "$agent_version" ]]; then
  echo "tools-deps: $agent_bin does not report buildkite-agent $agent_version after the build" >&2
  exit 1
fi
echo "tools-deps: buildkite-agent $agent_version built" >&2
echo "$agent_bin"
