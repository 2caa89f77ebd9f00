#!/usr/bin/env bash
# `make ami`: packs the workspace packages the image installs, builds goss for both architectures from the Go module
# proxy, hashes the image's sources, then runs packer init, a full packer validate and packer build (x86_64 and arm64).
# Needs AWS credentials (AWS_PROFILE or the AWS_* variables). Extra packer arguments: PACKER_ARGS.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
linux="$repo/packer/linux"
# The pinned SHA-256 of every download (buildkite-agent, buildx, compose, the binfmt image's digest; see
# packer/README.md): checked before the slow steps, so a missing pin fails at once rather than after packing and hashing.
pins="$linux/checksums.pkrvars.hcl"
if [[ ! -f "$pins" && "${PACKER_ARGS:-}" != *sha256* && "${PACKER_ARGS:-}" != *-var-file* ]]; then
  echo "build-ami: no pinned checksums: create $pins with buildkite_agent_sha256, docker_buildx_sha256," \
    "docker_compose_sha256 and binfmt_image (see packer/README.md), or pass them in PACKER_ARGS" >&2
  exit 2
fi
build="$linux/build"
tools_dir="${ELASTIC_CI_TOOLS:-$HOME/.cache/elastic-ci/tools}"
goss_version="${GOSS_VERSION:-0.4.9}"
stack_version="${STACK_VERSION:-$(node -p 'require(process.argv[1]).version' "$repo/apps/infra/package.json")}"
read -r -a packer_args <<<"${PACKER_ARGS:-}"
packer="$("$repo/scripts/install-packer.sh")"

mapfile -t packages < <(grep -Ev '^[[:space:]]*(#|$)' "$linux/packages.txt")
echo "ami: packing ${packages[*]}" >&2
rm -rf "$build/packages" "$build/unpacked"
mkdir -p "$build/packages" "$build/unpacked" "$build/goss"
filters=()
for package in "${packages[@]}"; do filters+=("--filter=$package"); done
(cd "$repo" && pnpm exec turbo run build "${filters[@]}" --output-logs=errors-only >&2)
for package in "${packages[@]}"; do
  (cd "$repo" && pnpm --filter "$package" pack --pack-destination "$build/packages" >&2)
done

# goss runs on the build instance only; built from the module proxy (checked against go.sum and the checksum database).
for arch in amd64 arm64; do
  out="$tools_dir/goss-$goss_version/goss-linux-$arch"
  if [[ ! -x "$out" ]]; then
    echo "ami: building goss $goss_version for linux/$arch" >&2
    module_dir="$(go mod download -json "github.com/goss-org/goss@v$goss_version" | node -e \
      'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>console.log(JSON.parse(s).Dir))')"
    (cd "$module_dir" && CGO_ENABLED=0 GOOS=linux GOARCH="$arch" GOFLAGS=-buildvcs=false \
      go build -trimpath -o "$out" ./cmd/goss)
  fi
  install -m 0755 "$out" "$build/goss/goss-linux-$arch"
done

# Same sources, same hash, same AMI name: packer/ (without build output) and the packages' contents (pack tarballs
# carry timestamps, so their files are hashed, not the tarballs).
for tarball in "$build"/packages/*.tgz; do
  mkdir -p "$build/unpacked/$(basename "$tarball" .tgz)"
  tar -xzf "$tarball" -C "$build/unpacked/$(basename "$tarball" .tgz)"
done
source_hash="$("$repo/packer/scripts/source-hash.sh" "$repo" "$build/unpacked" "goss $goss_version")"
echo "ami: stack version $stack_version, sources $source_hash" >&2

vars=(-var "stack_version=$stack_version" -var "source_hash=$source_hash")
[[ -f "$pins" ]] && vars+=(-var-file "$pins")
"$packer" init "$linux"
"$packer" validate "${vars[@]}" "${packer_args[@]}" "$linux"
"$packer" build "${vars[@]}" "${packer_args[@]}" "$linux"
echo "ami: done; AMI ids are in $build/manifest.json" >&2
