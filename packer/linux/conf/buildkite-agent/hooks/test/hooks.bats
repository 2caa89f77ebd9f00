#!/usr/bin/env bats
# Tests for the agent hooks (environment, pre-command, pre-exit) with stand-ins on PATH for elastic-ci-instance,
# docker and elastic-ci-docker-login, and the real s3secrets hooks from packages/s3secrets with a stand-in CLI.

setup() {
  HOOKS="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
  REPO="$(cd "$HOOKS/../../../../.." && pwd)"
  WORK="$(mktemp -d)"
  CALLS="$WORK/calls"
  : >"$CALLS"
  mkdir -p "$WORK/bin" "$WORK/builds"
  for tool in elastic-ci-instance docker elastic-ci-docker-login sudo; do
    cat >"$WORK/bin/$tool" <<STUB
#!/usr/bin/env bash
echo "$tool \$*" >>"$CALLS"
env | grep '^AWS_' | sed "s|^|$tool |" >>"$WORK/aws-env" || true
status_file="$WORK/status-$tool-\${1:-}"
if [[ -f "\$status_file" ]]; then exit "\$(cat "\$status_file")"; fi
exit 0
STUB
    chmod +x "$WORK/bin/$tool"
  done
  # The s3secrets CLI prints the job's secrets as a script for the hook to eval.
  cat >"$WORK/bin/s3secrets" <<'STUB'
#!/usr/bin/env bash
printf "export NPM_TOKEN='canary-secret-value-1f3a'\nexport DOCKER_LOGIN_PASSWORD='canary-docker-password-9b2c'\n"
STUB
  chmod +x "$WORK/bin/s3secrets"
  cat >"$WORK/agent.env" <<'ENV'
BUILDKITE_STACK_NAME="ci"
PLUGINS_ENABLED="secrets ecr docker-login"
SECRETS_PLUGIN_ENABLED="true"
ECR_PLUGIN_ENABLED="true"
DOCKER_LOGIN_PLUGIN_ENABLED="true"
BUILDKITE_SECRETS_BUCKET="ci-secrets"
BUILDKITE_SECRETS_BUCKET_REGION="eu-west-1"
ECR_CREDENTIAL_HELPER_ENABLED="false"
ENV
  export PATH="$WORK/bin:$PATH"
  export ELASTIC_CI_AGENT_ENV="$WORK/agent.env"
  export ELASTIC_CI_S3SECRETS_HOOKS="$REPO/packages/s3secrets/hooks"
  export S3SECRETS_BIN="$WORK/bin/s3secrets"
  export BUILDKITE_JOB_ID="0190b6b0-1111-2222-3333-444455556666"
  export BUILDKITE_BUILD_PATH="$WORK/builds"
  export BUILDKITE_PIPELINE_SLUG="web"
  unset SECRETS_PLUGIN_ENABLED ECR_PLUGIN_ENABLED DOCKER_LOGIN_PLUGIN_ENABLED DOCKER_CONFIG
}

teardown() {
  if [[ -f "$WORK/ssh-agent.pid" ]]; then kill "$(cat "$WORK/ssh-agent.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}

fail_with() { echo "$2" >"$WORK/status-$1"; }

# Sources a hook as the agent does and prints the variables it exported.
source_hook() {
  run bash -c 'source "$1" && env' bash "$HOOKS/$1"
}

no_canary_in_output() {
  [[ "$output" != *canary-secret-value-1f3a* && "$output" != *canary-docker-password-9b2c* ]]
}

@test "environment: stack env, protection, per-job Docker config, docker check, disk check, secrets, ECR" {
  source_hook environment

  [ "$status" -eq 0 ]
  [[ "$output" == *"BUILDKITE_STACK_NAME=ci"* ]]
  [[ "$output" == *"DOCKER_CONFIG=$WORK/builds/.docker-config/$BUILDKITE_JOB_ID"* ]]
  [ -d "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID" ]
  [ "$(stat -c %a "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID")" = 700 ]
  [[ "$output" == *"BUILDKITE_PLUGIN_S3_SECRETS_BUCKET=ci-secrets"* ]]
  [[ "$output" == *"BUILDKITE_PLUGIN_ECR_RETRIES=3"* ]]
  [ "$(cat "$CALLS")" = "elastic-ci-instance job-started
docker ps
elastic-ci-instance disk-check --prune
elastic-ci-docker-login ecr" ]
}

@test "environment: secrets reach the job but never the log" {
  run bash -c 'source "$1" >"$2" 2>&1 && [[ "$NPM_TOKEN" == canary-secret-value-1f3a ]] && cat "$2"' bash \
    "$HOOKS/environment" "$WORK/log"

  [ "$status" -eq 0 ]
  [[ "$output" == *"Evaluating"* ]]
  no_canary_in_output
}

# The s3secrets CLI as it is when the job has an SSH key: it starts an ssh-agent for the job (a stand-in named
# ssh-agent, which is what the s3secrets pre-exit hook checks before it kills) and exports its pid.
with_job_ssh_agent() {
  cp "$(command -v sleep)" "$WORK/bin/ssh-agent"
  cat >"$WORK/bin/s3secrets" <<STUB
#!/usr/bin/env bash
"$WORK/bin/ssh-agent" 300 >/dev/null 2>&1 </dev/null &
echo "\$!" >"$WORK/ssh-agent.pid"
printf "export SSH_AUTH_SOCK='$WORK/agent.sock'\nexport S3SECRETS_SSH_AGENT_PID='%s'\nexport NPM_TOKEN='canary-secret-value-1f3a'\n" "\$!"
STUB
}

# A process that has exited (a zombie not yet reaped by whoever adopted it counts as exited).
process_gone() {
  [[ ! -e "/proc/$1/stat" ]] || [[ "$(cut -d ' ' -f 3 "/proc/$1/stat")" == Z ]]
}

@test "environment: a failure after the secrets loaded stops the job's ssh-agent and removes its Docker config" {
  # The agent keeps a hook's exports only when it ends well, so after this failure the pre-exit hook sees neither
  # S3SECRETS_SSH_AGENT_PID nor the Docker config: whatever the hook set up would outlive the job, the pipeline's
  # SSH key loaded for every later job on the instance.
  with_job_ssh_agent
  fail_with elastic-ci-docker-login-ecr 1
  source_hook environment

  [ "$status" -eq 1 ]
  pid="$(cat "$WORK/ssh-agent.pid")"
  for _ in $(seq 1 100); do process_gone "$pid" && break; sleep 0.1; done
  process_gone "$pid"
  [ ! -e "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID" ]
  [[ "$output" == *"Logging in to ECR failed (exit 1)"* ]]
  no_canary_in_output
}

@test "environment: a failure undoes only what the hook made, never a directory the job named" {
  mkdir -p "$WORK/precious"
  export BUILDKITE_DOCKER_CONFIG_TEMP_DIRECTORY="$WORK/precious" ELASTIC_CI_AGENT_ENV="$WORK/missing.env"
  # Sourced as the agent's hook wrapper does: a plain statement, so the hook's errexit holds.
  run bash -c 'source "$1"' bash "$HOOKS/environment"

  [ "$status" -ne 0 ]
  [ -d "$WORK/precious" ]
}

@test "environment: a job cancelled while the hook runs still stops the job's ssh-agent and removes its Docker config" {
  with_job_ssh_agent
  # The ECR login hangs until the job is cancelled (the agent signals the hook's shell).
  cat >"$WORK/bin/elastic-ci-docker-login" <<STUB
#!/usr/bin/env bash
echo "\$\$" >"$WORK/ecr-login.pid"
exec sleep 300
STUB
  bash -c 'source "$1"' bash "$HOOKS/environment" >"$WORK/log" 2>&1 &
  hook=$!
  for _ in $(seq 1 100); do [[ -s "$WORK/ecr-login.pid" ]] && break; sleep 0.1; done
  [ -s "$WORK/ecr-login.pid" ]
  kill -TERM "$hook"
  run wait "$hook"
  kill "$(cat "$WORK/ecr-login.pid")" 2>/dev/null || true

  [ "$status" -ne 0 ]
  pid="$(cat "$WORK/ssh-agent.pid")"
  for _ in $(seq 1 100); do process_gone "$pid" && break; sleep 0.1; done
  process_gone "$pid"
  [ ! -e "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID" ]
}

@test "environment: a disk check failure removes the job's Docker config the hook made" {
  fail_with elastic-ci-instance-disk-check 53
  source_hook environment

  [ "$status" -eq 53 ]
  [ ! -e "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID" ]
}

@test "environment: a hook that ends well leaves the job's ssh-agent and Docker config to the job" {
  with_job_ssh_agent
  run bash -c 'source "$1" >/dev/null 2>&1; status=$?; exit "$status"' bash "$HOOKS/environment"

  [ "$status" -eq 0 ]
  pid="$(cat "$WORK/ssh-agent.pid")"
  [ "$(cat "/proc/$pid/comm")" = ssh-agent ]
  [ -d "$WORK/builds/.docker-config/$BUILDKITE_JOB_ID" ]
}

@test "environment: a pipeline may turn a plugin off" {
  export SECRETS_PLUGIN_ENABLED=false ECR_PLUGIN_ENABLED=0
  source_hook environment

  [ "$status" -eq 0 ]
  [[ "$output" == *"SECRETS_PLUGIN_ENABLED=0"* && "$output" == *"ECR_PLUGIN_ENABLED=0"* ]]
  [[ "$output" == *"DOCKER_LOGIN_PLUGIN_ENABLED=1"* ]]
  [[ "$output" != *"NPM_TOKEN="* ]]
  ! grep -q "elastic-ci-docker-login" "$CALLS"
}

@test "environment: a pipeline cannot turn on a plugin the stack left off" {
  sed -i 's/^PLUGINS_ENABLED=.*/PLUGINS_ENABLED="docker-login"/' "$WORK/agent.env"
  export SECRETS_PLUGIN_ENABLED=true ECR_PLUGIN_ENABLED=on
  source_hook environment

  [ "$status" -eq 0 ]
  [[ "$output" == *"SECRETS_PLUGIN_ENABLED=0"* && "$output" == *"ECR_PLUGIN_ENABLED=0"* ]]
  [[ "$output" != *"NPM_TOKEN="* ]]
  ! grep -q "elastic-ci-docker-login" "$CALLS"
}

@test "environment: a disk still full after pruning fails the job with exit 53 before secrets load" {
  fail_with elastic-ci-instance-disk-check 53
  source_hook environment

  [ "$status" -eq 53 ]
  [[ "$output" == *"Not enough free disk space"* ]]
  [[ "$output" != *"Evaluating"* ]]
}

@test "environment: a disk check that fails for another reason fails the job with its own status, not as a full disk" {
  fail_with elastic-ci-instance-disk-check 1
  source_hook environment

  [ "$status" -eq 1 ]
  [[ "$output" != *"Not enough free disk space"* ]]
  [[ "$output" == *"The disk check failed (exit 1)"* ]]
  [[ "$output" != *"Evaluating"* ]]
}

@test "environment: docker not running fails the job" {
  fail_with docker-ps 1
  source_hook environment

  [ "$status" -eq 1 ]
  [[ "$output" == *"Docker is not running"* ]]
  ! grep -q "disk-check" "$CALLS"
}

@test "environment: a Docker daemon that never answers fails the job instead of hanging it" {
  # A wedged dockerd (it happens: a full disk under /var/lib/docker, a stuck containerd) took the check, and with it
  # every job on the instance, until the job's own timeout, if it had one.
  cat >"$WORK/bin/docker" <<STUB
#!/usr/bin/env bash
echo "docker \$*" >>"$CALLS"
exec sleep 300
STUB
  chmod +x "$WORK/bin/docker"
  export ELASTIC_CI_DOCKER_CHECK_TIMEOUT_SECONDS=1
  source_hook environment

  [ "$status" -eq 1 ]
  [[ "$output" == *"Docker did not answer within 1 s"* ]]
  run grep -c "disk-check" "$CALLS"
  [ "$output" = "0" ]
}

@test "environment: a failed job-started only warns" {
  fail_with elastic-ci-instance-job-started 1
  source_hook environment

  [ "$status" -eq 0 ]
  [[ "$output" == *"could not record this job"* ]]
}

@test "environment and pre-exit: the stack's own calls never take the job's AWS credentials, profile or endpoint" {
  # A pipeline, its secrets or a plugin (assume-role) may put these into the job; the job keeps them.
  export AWS_ACCESS_KEY_ID=AKIACANARY AWS_SECRET_ACCESS_KEY=canary-aws-secret AWS_SESSION_TOKEN=canary-session \
    AWS_PROFILE=deploy AWS_ENDPOINT_URL=http://localhost:4566
  source_hook environment
  [ "$status" -eq 0 ]
  [[ "$output" == *"AWS_PROFILE=deploy"* ]]
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"
  [ "$status" -eq 0 ]

  grep -q '^elastic-ci-instance job-started' "$CALLS"
  grep -q '^elastic-ci-instance job-finished' "$CALLS"
  run grep -E '^elastic-ci-instance AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|ENDPOINT_URL)=' "$WORK/aws-env"
  [ "$status" -eq 1 ]
  grep -q '^elastic-ci-docker-login AWS_PROFILE=deploy' "$WORK/aws-env"
}

@test "environment and pre-exit: the stack's own calls take no AWS setting of the job at all (region, metadata endpoint, CA)" {
  # A plugin or a hook of the job may point AWS_REGION at another region (a cross-region deploy), the metadata
  # endpoint at a stand-in, or the SDK at its own CA: the instance's calls would ask the wrong region or service.
  export AWS_REGION=us-west-2 AWS_DEFAULT_REGION=us-west-2 AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1338 \
    AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 AWS_CA_BUNDLE=/tmp/ca.pem AWS_USE_FIPS_ENDPOINT=true
  source_hook environment
  [ "$status" -eq 0 ]
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"
  [ "$status" -eq 0 ]

  grep -q '^elastic-ci-instance job-started' "$CALLS"
  grep -q '^elastic-ci-instance job-finished' "$CALLS"
  run grep '^elastic-ci-instance AWS_' "$WORK/aws-env"
  [ "$status" -eq 1 ]
  # The job keeps its own settings.
  grep -q '^elastic-ci-docker-login AWS_CA_BUNDLE=/tmp/ca.pem' "$WORK/aws-env"
}

@test "pre-command: logs in with DOCKER_LOGIN_USER, the password never in the output" {
  export DOCKER_LOGIN_USER=ci-bot DOCKER_LOGIN_PASSWORD=canary-docker-password-9b2c DOCKER_LOGIN_PLUGIN_ENABLED=1
  run bash -c 'source "$1"' bash "$HOOKS/pre-command"

  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "elastic-ci-docker-login registry" ]
  [[ "$output" == *"as ci-bot"* ]]
  no_canary_in_output
}

@test "pre-command: no login when the plugin is off or no user is set" {
  export DOCKER_LOGIN_USER=ci-bot DOCKER_LOGIN_PASSWORD=canary-docker-password-9b2c DOCKER_LOGIN_PLUGIN_ENABLED=0
  run bash -c 'source "$1"' bash "$HOOKS/pre-command"
  [ "$status" -eq 0 ]
  export DOCKER_LOGIN_PLUGIN_ENABLED=1
  unset DOCKER_LOGIN_USER
  run bash -c 'source "$1"' bash "$HOOKS/pre-command"
  [ "$status" -eq 0 ]
  [ ! -s "$CALLS" ]
}

@test "pre-command: a failed login fails the job" {
  export DOCKER_LOGIN_USER=ci-bot DOCKER_LOGIN_PASSWORD=canary-docker-password-9b2c DOCKER_LOGIN_PLUGIN_ENABLED=1
  fail_with elastic-ci-docker-login-registry 1
  run bash -c 'source "$1"' bash "$HOOKS/pre-command"
  [ "$status" -eq 1 ]
  no_canary_in_output
}

@test "pre-exit: removes the job's Docker config, stops its ssh-agent hook, ends its protection" {
  dir="$WORK/builds/.docker-config/$BUILDKITE_JOB_ID"
  mkdir -p "$dir" && echo '{"auths":{}}' >"$dir/config.json"
  export BUILDKITE_DOCKER_CONFIG_TEMP_DIRECTORY="$dir" SECRETS_PLUGIN_ENABLED=1 ENABLE_PRE_EXIT_DISK_CLEANUP=true
  fail_with elastic-ci-instance-disk-check 53
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"

  [ "$status" -eq 0 ]
  [ ! -e "$dir" ]
  [ "$(cat "$CALLS")" = "elastic-ci-instance disk-check --prune
elastic-ci-instance job-finished" ]
  [[ "$output" == *"disk still low"* ]]
}

@test "pre-exit: never deletes a directory the environment hook did not make" {
  mkdir -p "$WORK/precious"
  export BUILDKITE_DOCKER_CONFIG_TEMP_DIRECTORY="$WORK/precious"
  fail_with elastic-ci-instance-job-finished 1
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"

  [ "$status" -eq 0 ]
  [ -d "$WORK/precious" ]
  [[ "$output" == *"could not record the end of this job"* ]]
}

@test "pre-exit: without Docker user-namespace remap, hands the checkout back to buildkite-agent through sudo" {
  echo 'DOCKER_USERNS_REMAP="false"' >>"$WORK/agent.env"
  export BUILDKITE_BUILD_CHECKOUT_PATH="$WORK/builds/agent-1/acme/web"
  # The job's environment cannot turn it off: the stack's file decides.
  export DOCKER_USERNS_REMAP=true
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"

  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "sudo -n /usr/local/bin/elastic-ci-instance fix-build-permissions $WORK/builds/agent-1/acme/web
elastic-ci-instance job-finished" ]
}

@test "pre-exit: with remap (or no setting) never runs sudo; a refused fix only warns" {
  export BUILDKITE_BUILD_CHECKOUT_PATH="$WORK/builds/agent-1/acme/web" DOCKER_USERNS_REMAP=false
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"
  [ "$status" -eq 0 ]
  [ "$(cat "$CALLS")" = "elastic-ci-instance job-finished" ]

  echo 'DOCKER_USERNS_REMAP="true"' >>"$WORK/agent.env"
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"
  [[ "$(cat "$CALLS")" != *sudo* ]]

  sed -i 's/^DOCKER_USERNS_REMAP="true"$/DOCKER_USERNS_REMAP="false"/' "$WORK/agent.env"
  fail_with sudo--n 2
  : >"$CALLS"
  run bash -c 'source "$1"' bash "$HOOKS/pre-exit"
  [ "$status" -eq 0 ]
  [[ "$output" == *"could not give this job's checkout back"* ]]
  [ "$(tail -n 1 "$CALLS")" = "elastic-ci-instance job-finished" ]
}
