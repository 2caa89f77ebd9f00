#!/usr/bin/env bash
# Builds the pinned Packer from the Go module proxy into a tools directory outside the repository, so every clone on
# this machine reuses one build and a fresh machine builds it once. Prints the path of the packer binary last.
# Fails loudly (never skips) when it cannot build it.
set -euo pipefail

packer_version="${PACKER_VERSION:-1.9.5}"
tools_dir="${ELASTIC_CI_TOOLS:-$HOME/.cache/elastic-ci/tools}"
packer_bin="$tools_dir/bin/packer"

installed_version() {
  # `packer version` prints "Packer v1.9.5" first; anything else (no binary, a broken one) is "none".
  "$packer_bin" version 2>/dev/null | head -n 1 | sed -n 's/^Packer v\([0-9][0-9.]*\).*$/\1/p'
}

if [[ -x "$packer_bin" && "$(installed_version)" == "$packer_version" ]]; then
  echo "tools-deps: packer $packer_version present ($packer_bin)" >&2
  echo "$packer_bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools-deps: go not found; packer $packer_version is built from the Go module proxy." \
    "Install Go 1.21 or newer (https://go.dev/doc/install, or apt-get install golang-go) and put it on PATH" >&2
  exit 1
fi

echo "tools-deps: building packer $packer_version into $tools_dir/bin (a few minutes, once per machine)" >&2
mkdir -p "$tools_dir/bin"
# packer's go.mod has no replace directives, so `go install module@version` builds it as released, with every
# module checked against go.sum and the checksum database.
if ! GOBIN="$tools_dir/bin" GOFLAGS="-mod=mod -buildvcs=false" go install "github.com/hashicorp/packer@v$packer_version" >&2; then
  echo "tools-deps: go install github.com/hashicorp/packer@v$packer_version failed (see above); check GOPROXY and network access" >&2
  exit 1
fi
if [[ "$(installed_version)" != "$packer_version" ]]; then
  echo "tools-deps: $packer_bin does not report packer $packer_version after the build" >&2
  exit 1
fi
echo "tools-deps: packer $packer_version built" >&2
echo "$packer_bin"
