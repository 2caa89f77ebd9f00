#!/usr/bin/env bats
# Tests for hooks/pre-exit with real ssh-agent processes.

setup() {
  HOOK="$BATS_TEST_DIRNAME/../hooks/pre-exit"
  command -v ssh-agent >/dev/null || { echo "ssh-agent is not installed (openssh-client)" >&2; return 1; }
}

start_agent() {
  ssh-agent -s | sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p'
}

# Running (not a zombie waiting to be reaped) and still an ssh-agent.
alive() {
  [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == ssh-agent ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]
}

@test "stops the ssh-agent s3secrets started" {
  pid="$(start_agent)"

  run bash -c 'S3SECRETS_SSH_AGENT_PID="$1"; source "$2"' bash "$pid" "$HOOK"

  [ "$status" -eq 0 ]
  [[ "$output" == *"Stopping ssh-agent $pid"* ]]
  # Polled, not a fixed pause: a loaded machine may take longer than any guess to end it; 20 s only catches a hang.
  for _ in $(seq 200); do alive "$pid" || break; sleep 0.1; done
  run alive "$pid"
  [ "$status" -ne 0 ]
}

@test "leaves an ssh-agent the job inherited alone" {
  pid="$(start_agent)"

  run bash -c 'SSH_AGENT_PID="$1"; unset S3SECRETS_SSH_AGENT_PID; source "$2"' bash "$pid" "$HOOK"

  [ "$status" -eq 0 ]
  alive "$pid"
  kill "$pid"
}

@test "never kills a process that is not an ssh-agent, even if the pid matches" {
  sleep 30 &
  pid=$!

  run bash -c 'S3SECRETS_SSH_AGENT_PID="$1"; source "$2"' bash "$pid" "$HOOK"

  [ "$status" -eq 0 ]
  kill -0 "$pid"
  kill "$pid"
}

@test "does nothing when no agent was started" {
  run bash -c 'unset S3SECRETS_SSH_AGENT_PID; source "$1"' bash "$HOOK"

  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "leaves the sourcing hook's shell options as they were" {
  pid="$(start_agent)"

  # The agent's pre-exit hook goes on after sourcing this one: each cleanup step there must still run.
  run bash -c 'set +euo pipefail; S3SECRETS_SSH_AGENT_PID="$1"; source "$2"; echo "flags=[$-]"; shopt -qo pipefail && echo pipefail; false; echo "after"; echo "$UNSET_VARIABLE"' bash "$pid" "$HOOK"

  [ "$status" -eq 0 ]
  [[ ! "$output" =~ flags=\[[^]]*e ]]
  [[ ! "$output" =~ flags=\[[^]]*u ]]
  [[ "$output" != *pipefail* ]]
  [[ "$output" == *"after"* ]]
}
