#!/usr/bin/env bats
# Tests for hooks/environment, with a stand-in `s3secrets` that prints what the real CLI prints.

setup() {
  HOOK="$BATS_TEST_DIRNAME/../hooks/environment"
  STUB_DIR="$(mktemp -d)"
  export S3SECRETS_BIN="$STUB_DIR/s3secrets"
  export PWNED="$STUB_DIR/pwned"
}

teardown() {
  rm -rf "$STUB_DIR"
}

# Writes a stub CLI that prints $1 on stdout, $2 on stderr, and exits with $3.
stub_cli() {
  printf '%s' "$1" > "$STUB_DIR/stdout"
  printf '%s\n' "${2:-}" > "$STUB_DIR/stderr"
  cat > "$S3SECRETS_BIN" <<STUB
#!/usr/bin/env bash
[[ "\$1" == env ]] || { echo "stub called with \$*" >&2; exit 9; }
cat "$STUB_DIR/stdout"
cat "$STUB_DIR/stderr" >&2
exit ${3:-0}
STUB
  chmod +x "$S3SECRETS_BIN"
}

@test "exports what s3secrets env prints, multi-line values intact" {
  script=$'export A=\'hello\'\nexport B=\'line one\nline two\'\n'
  stub_cli "$script"
  without_trailing_newline="${script%$'\n'}"

  # printenv, not `env | grep -q`: under pipefail (the agent's hook may have it on), grep -q exiting at the match
  # while env still writes (B comes after A) fails the pipeline with env's SIGPIPE — a clean clone's `make test` did once.
  run bash -c 'source "$1"; printf "%s|%s" "$A" "$B"; [ "$(printenv A)" = hello ]' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"Evaluating ${#without_trailing_newline} bytes of env"* ]]
  [[ "$output" == *$'hello|line one\nline two' ]]
}

@test "runs nothing that a quoted secret contains" {
  stub_cli "export HOSTILE_TOKEN='\$(touch $PWNED) \`touch $PWNED\`'"$'\n'

  run bash -c 'source "$1"; printf "%s" "$HOSTILE_TOKEN"' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"\$(touch $PWNED)"* ]]
  [ ! -e "$PWNED" ]
}

@test "fails the hook when s3secrets fails" {
  stub_cli "" 's3secrets: S3 bucket "x" not found' 1

  run bash -c 'source "$1"; echo "should not get here"' bash "$HOOK"

  [ "$status" -eq 1 ]
  [[ "$output" == *'S3 bucket "x" not found'* ]]
  [[ "$output" == *"could not load this job's secrets"* ]]
  [[ "$output" != *"should not get here"* ]]
}

@test "dumps the names of new variables, never their values, when asked" {
  stub_cli $'export NEW_TOKEN=\'canary-value-123\'\n'

  run bash -c 'BUILDKITE_PLUGIN_S3_SECRETS_DUMP_ENV=true; source "$1"' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"~~~ Environment variables that were set (names only)"* ]]
  [[ "$output" == *"NEW_TOKEN"* ]]
  [[ "$output" != *"canary-value-123"* ]]
}

@test "dumps the names of variables the secrets changed, not only new ones, never their values" {
  stub_cli $'export AWS_ACCESS_KEY_ID=\'canary-key-from-secrets\'\nexport UNCHANGED=\'same\'\n'

  run bash -c 'export AWS_ACCESS_KEY_ID=agent-own-key UNCHANGED=same BUILDKITE_PLUGIN_S3_SECRETS_DUMP_ENV=true; source "$1"' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"AWS_ACCESS_KEY_ID"* ]]
  [[ "$output" != *"UNCHANGED"* ]]
  [[ "$output" != *"canary-key-from-secrets"* ]]
  [[ "$output" != *"agent-own-key"* ]]
}

@test "an empty script changes nothing" {
  stub_cli ""

  # `_` is bash's own last-argument variable, which it exports or not as commands run.
  run bash -c 'names() { compgen -e | grep -vx _ | sort; }; before="$(names)"; source "$1"; [[ "$before" == "$(names)" ]] && echo unchanged' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"Evaluating 0 bytes of env"* ]]
  [[ "$output" == *"unchanged"* ]]
}

@test "leaves the sourcing hook's shell options as they were" {
  stub_cli $'export A=\'hello\'\n'

  # The agent's hook goes on after sourcing this one: a cleanup step there that may fail must still run.
  run bash -c 'set +euo pipefail; source "$1"; echo "flags=[$-]"; shopt -qo pipefail && echo pipefail; false; echo "after $A"' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ ! "$output" =~ flags=\[[^]]*e ]]
  [[ ! "$output" =~ flags=\[[^]]*u ]]
  [[ "$output" != *pipefail* ]]
  [[ "$output" == *"after hello"* ]]
}

@test "keeps the options of a sourcing hook that had them on" {
  stub_cli $'export A=\'hello\'\n'

  run bash -c 'set -euo pipefail; source "$1"; echo "flags=[$-]"; shopt -qo pipefail && echo pipefail' bash "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" =~ flags=\[[^]]*e ]]
  [[ "$output" =~ flags=\[[^]]*u ]]
  [[ "$output" == *pipefail* ]]
}
