#!/usr/bin/env bats
# scripts/install-python-deps.sh (`make python-deps`): one environment per machine and pinned requirements, outside
# the repo, that every clone's .venv links to. python3 is stubbed: `python3 -m venv DIR` makes DIR/bin/pip, whose
# `install` records the call and puts a moto_server in DIR/bin, so a test checks the wiring in milliseconds.

setup() {
  script="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/install-python-deps.sh"
  export ELASTIC_CI_TOOLS="$BATS_TEST_TMPDIR/tools"
  stubs="$BATS_TEST_TMPDIR/stubs"
  mkdir -p "$stubs"
  cat >"$stubs/python3" <<STUB
#!/usr/bin/env bash
[ "\$1 \$2" = "-m venv" ] || exit 64
mkdir -p "\$3/bin"
cat >"\$3/bin/pip" <<'PIP'
#!/usr/bin/env bash
echo "\$0 \$*" >>"$BATS_TEST_TMPDIR/pip.calls"
touch "\$(dirname "\$0")/moto_server" && chmod +x "\$(dirname "\$0")/moto_server"
PIP
chmod +x "\$3/bin/pip"
STUB
  chmod +x "$stubs/python3"
  export PATH="$stubs:$PATH"
}

# A clone: its own directory with a requirements file (the second argument, or the default pin), made current.
clone() {
  mkdir -p "$BATS_TEST_TMPDIR/$1"
  echo "${2:-moto[server]==5.2.5}" >"$BATS_TEST_TMPDIR/$1/requirements-dev.txt"
  cd "$BATS_TEST_TMPDIR/$1" || return 1
}

pip_calls() {
  if [ -e "$BATS_TEST_TMPDIR/pip.calls" ]; then wc -l <"$BATS_TEST_TMPDIR/pip.calls"; else echo 0; fi
}

@test "a fresh clone builds the machine's environment once and links .venv to it" {
  clone first
  run "$script"
  echo "$output"
  [ "$status" -eq 0 ]
  want="$(sha256sum requirements-dev.txt | cut -d' ' -f1)"
  [ "$(readlink .venv)" = "$ELASTIC_CI_TOOLS/python/$want" ]
  [ -x .venv/bin/moto_server ]
  [ "$(cat .venv/.requirements.sha256)" = "$want" ]
  [ "$(pip_calls)" -eq 1 ]
  [[ "$(cat "$BATS_TEST_TMPDIR/pip.calls")" == *"install --quiet --disable-pip-version-check -r requirements-dev.txt" ]]
}

@test "a second clone with the same requirements links to that environment without installing anything" {
  clone first
  "$script"
  clone second
  run "$script"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(readlink .venv)" = "$(readlink "$BATS_TEST_TMPDIR/first/.venv")" ]
  [ "$(pip_calls)" -eq 1 ]
}

@test "changed requirements get their own environment; the one other clones use stays" {
  clone first
  "$script"
  clone second "moto[server]==5.2.6"
  run "$script"
  [ "$status" -eq 0 ]
  [ "$(pip_calls)" -eq 2 ]
  [ "$(readlink .venv)" != "$(readlink "$BATS_TEST_TMPDIR/first/.venv")" ]
  [ -x "$BATS_TEST_TMPDIR/first/.venv/bin/moto_server" ]
}

@test "a .venv directory that already holds these requirements is kept" {
  clone first
  mkdir -p .venv/bin
  touch .venv/bin/moto_server && chmod +x .venv/bin/moto_server
  sha256sum requirements-dev.txt | cut -d' ' -f1 >.venv/.requirements.sha256
  run "$script"
  [ "$status" -eq 0 ]
  [[ "$output" == *"reusing .venv"* ]]
  [ ! -L .venv ]
  [ "$(pip_calls)" -eq 0 ]
}

@test "an environment whose install failed is built again, not linked" {
  clone first
  mkdir -p "$ELASTIC_CI_TOOLS/python/$(sha256sum requirements-dev.txt | cut -d' ' -f1)/bin"
  run "$script"
  [ "$status" -eq 0 ]
  [ "$(pip_calls)" -eq 1 ]
  [ -x .venv/bin/moto_server ]
}

@test "install-python-deps.sh and this file pass shellcheck" {
  run shellcheck "$script"
  [ "$status" -eq 0 ]
  run shellcheck --shell=bats "$BATS_TEST_DIRNAME/install-python-deps.bats"
  echo "$output"
  [ "$status" -eq 0 ]
}
