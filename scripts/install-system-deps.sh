#!/usr/bin/env bash
# Installs the Debian packages whose programs the tests drive for real. Only missing commands are installed, so a
# second run costs a few `command -v` calls. Fails loudly (never skips) when it cannot install.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="${SYSTEM_PACKAGES_LIST:-$here/system-packages.txt}"

missing_packages=()
while read -r command_name package_name; do
  [[ -z "$command_name" || "$command_name" == \#* ]] && continue
  if ! command -v "$command_name" >/dev/null 2>&1; then
    missing_packages+=("$package_name")
  fi
done <"$list"

if ((${#missing_packages[@]} == 0)); then
  echo "system-deps: all present"
  exit 0
fi

echo "system-deps: installing ${missing_packages[*]}"
sudo_prefix=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo_prefix=(sudo)
  else
    echo "system-deps: need root (or sudo) to apt-get install: ${missing_packages[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: apt-get not found; install these packages with your OS package manager: ${missing_packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_prefix[@]}" apt-get update -qq
# Services some packages ship (docker-registry) must not start on install: tests start their own on loopback.
"${sudo_prefix[@]}" env RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
echo "system-deps: done"
