#!/usr/bin/env bats
# `systemd-analyze verify` on every unit the image installs, in a scratch root that holds this machine's system units
# plus a stub for each program goss.yaml says the image has: a typo, a bad value or a program the image lacks fails.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: apt-get install systemd" >&2; return 1; }
  root="$(mktemp -d)"
  units="$root/etc/systemd/system"
  mkdir -p "$units" "$root/usr/lib/systemd/system"
  cp -a /lib/systemd/system/. "$root/usr/lib/systemd/system/"
  # Units the image gets from its packages (docker, amazon-*): stubs, so dependencies on them resolve.
  for unit in docker.service amazon-ssm-agent.service amazon-cloudwatch-agent.service cloud-final.service; do
    printf '[Service]\nExecStart=/bin/true\n' >"$root/usr/lib/systemd/system/$unit"
  done
  cp "$repo"/packer/linux/conf/systemd/*.service "$repo"/packer/linux/conf/systemd/*.timer "$units/"
  cp -r "$repo"/packer/linux/conf/systemd/*.d "$units/"
  cp "$repo/packages/lifecycled/lifecycled.service" "$units/"
  # Every program path goss.yaml lists, as an executable stub.
  for program in $(grep -oE '^  /(usr|bin)[^:]*' "$repo/packer/linux/goss.yaml"); do
    mkdir -p "$root$(dirname "$program")"
    printf '#!/bin/sh\n' >"$root$program"
    chmod +x "$root$program"
  done
}

teardown() {
  rm -rf "$root"
}

verify() {
  (cd "$units" && systemd-analyze verify --man=no --root="$root" ./*.service ./*.timer)
}

@test "every unit of the image verifies without a warning" {
  run verify

  [ "$status" -eq 0 ]
  [ "$output" = "" ]
}

@test "an unknown setting is reported" {
  sed -i 's/^KillMode=mixed$/KillMode=mixed\nKilMode=process/' "$units/buildkite-agent.service"

  run verify

  [[ "$output" == *"Unknown key 'KilMode' in section [Service]"* ]]
}

@test "a program the image does not have is reported" {
  rm "$root/usr/local/bin/elastic-ci-instance"

  run verify

  [ "$status" -ne 0 ]
  [[ "$output" == *"/usr/local/bin/elastic-ci-instance is not executable"* ]]
}

@test "the agent unit stops with one SIGTERM to the agent and never times out on a running job" {
  # Every graceful stop is this unit's stop job (stop-agent-gracefully, stop-agents): one SIGTERM to the main process
  # however many stops arrive. A SIGTERM to the whole cgroup, a second signal or a stop timeout would end a busy job.
  unit="$repo/packer/linux/conf/systemd/buildkite-agent.service"
  settings="$(grep -E '^(KillSignal|KillMode|TimeoutStopSec|TimeoutSec|SendSIGHUP|ExecStop|RuntimeMaxSec)=' "$unit" | sort)"

  [ "$settings" = "$(printf 'KillMode=mixed\nKillSignal=SIGTERM\nTimeoutStopSec=infinity')" ]
  # No drop-in of the image changes how the agent is stopped.
  run grep -rsE '^(KillSignal|KillMode|TimeoutStopSec|TimeoutSec|SendSIGHUP|ExecStop|RuntimeMaxSec)=' \
    "$repo/packer/linux/conf/systemd/buildkite-agent.service.d"
  [ "$output" = "" ]
}

# A unit setting in seconds ("90s", "5min", "90"), or empty when absent.
seconds_of() { # $1 = unit file, $2 = key
  local value
  value="$(sed -n "s/^$2=//p" "$1" | tail -1)"
  case "$value" in
    '') echo "" ;;
    *min) echo $((${value%min} * 60)) ;;
    *s) echo "${value%s}" ;;
    *) echo "$value" ;;
  esac
}

@test "the binfmt registration cannot hold up the agent's start forever" {
  # The agent is ordered after it, and its image is pulled again when the boot moves Docker's data root: a pull that
  # fails (Docker Hub's rate limit, no route) or hangs must end, so the agent starts without qemu handlers.
  unit="$repo/packer/linux/conf/systemd/elastic-ci-binfmt.service"
  grep -q '^After=.*elastic-ci-binfmt.service' "$repo/packer/linux/conf/systemd/buildkite-agent.service"
  run grep -c '^\(Requires\|Requisite\|BindsTo\)=.*elastic-ci-binfmt' "$repo/packer/linux/conf/systemd/buildkite-agent.service"
  [ "$output" = 0 ]
  # A oneshot has no start timeout unless it sets one.
  timeout="$(seconds_of "$unit" TimeoutStartSec)"
  [[ "$timeout" =~ ^[0-9]+$ ]]
  [ "$timeout" -le 300 ]
  # Restarts end: the start limit is reached even when every attempt takes its whole timeout.
  restart="$(seconds_of "$unit" RestartSec)"
  interval="$(seconds_of "$unit" StartLimitIntervalSec)"
  burst="$(sed -n 's/^StartLimitBurst=//p' "$unit")"
  [[ "$interval" =~ ^[0-9]+$ ]]
  [[ "$burst" =~ ^[0-9]+$ ]]
  [[ "$restart" =~ ^[0-9]+$ ]]
  [ "$interval" -ge $((burst * (restart + timeout))) ]
  [ $((burst * (restart + timeout))) -le 600 ]
}
