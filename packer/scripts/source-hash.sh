#!/usr/bin/env bash
# Prints the 12-hex-digit hash an AMI name carries: packer/ (without its build output) under REPO, the files of the
# unpacked packages under UNPACKED, and EXTRA (tool versions). Same inputs, same hash; paths are part of it, file
# times are not. Usage: source-hash.sh REPO UNPACKED [EXTRA]
set -euo pipefail

repo="${1:?usage: source-hash.sh REPO UNPACKED [EXTRA]}"
unpacked="${2:?usage: source-hash.sh REPO UNPACKED [EXTRA]}"
{
  (cd "$repo" && find packer -path packer/linux/build -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  (cd "$unpacked" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  echo "${3:-}"
} | sha256sum | cut -c1-12
