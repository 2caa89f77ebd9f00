#!/usr/bin/env bash
# `make python-deps`: .venv with the pinned Python tools of requirements-dev.txt (moto[server], cfn-lint, PyYAML).
# The environment is built once per machine and per requirements hash, outside the repo (as packer is, by
# scripts/install-packer.sh), and .venv links to it: a fresh clone gets moto at once instead of downloading and
# installing ~60 packages again (1 min 48 s on the shared 2-core machine). A .venv that already holds these
# requirements (a directory an older clone made) is kept as it is.
# Usage: scripts/install-python-deps.sh, from the repository root (what `make python-deps` runs).
# Environment: VENV (.venv), REQUIREMENTS (requirements-dev.txt), ELASTIC_CI_TOOLS (~/.cache/elastic-ci/tools).
set -euo pipefail

venv="${VENV:-.venv}"
requirements="${REQUIREMENTS:-requirements-dev.txt}"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"

# Ready: moto is installed and the stamp (written last) names these exact requirements.
ready() {
  [[ -x "$1/bin/moto_server" && "$(cat "$1/.requirements.sha256" 2>/dev/null)" == "$want" ]]
}

if ready "$venv"; then
  echo "python-deps: reusing $venv (requirements unchanged)"
  exit 0
fi

environments="${ELASTIC_CI_TOOLS:-$HOME/.cache/elastic-ci/tools}/python"
shared="$environments/$want"
mkdir -p "$environments"
(
  # Two clones setting up at once: one builds, the other waits and links.
  flock 9
  if ready "$shared"; then
    echo "python-deps: $shared already built on this machine"
  else
    echo "python-deps: creating $shared from $requirements"
    rm -rf "$shared"
    python3 -m venv "$shared"
    "$shared/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$shared/.requirements.sha256"
  fi
) 9>"$environments/.lock"
rm -rf "$venv"
ln -s "$shared" "$venv"
echo "python-deps: $venv -> $shared"
