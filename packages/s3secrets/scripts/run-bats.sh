#!/usr/bin/env bash
# Runs the hook tests. A missing tool fails the run: a skipped hook test would hide a broken hook.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in bats shellcheck; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed: run \`make system-deps\` (scripts/system-packages.txt) or apt-get install $tool" >&2
    exit 1
  fi
done
exec bats test/
