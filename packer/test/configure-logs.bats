#!/usr/bin/env bats
# elastic-ci-configure-logs points the CloudWatch agent at the log groups of the boot contract. The contracts here
# are rendered by the real schema (renderBootContract), so a renamed field or a changed default fails this test.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  script="$repo/packer/linux/conf/bin/elastic-ci-configure-logs.sh"
  tsx="$repo/packages/agent-instance/node_modules/.bin/tsx"
  root="$(mktemp -d)"
  mkdir -p "$root/etc/elastic-ci" "$root/opt/aws/amazon-cloudwatch-agent/etc" "$root/bin"
  cp "$repo/packer/linux/conf/cloudwatch-agent/config.json" "$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
  # The agent's control program, recording how it was called.
  printf '#!/usr/bin/env bash\necho "$*" >>"%s/ctl-calls"\n' "$root" >"$root/bin/ctl"
  chmod +x "$root/bin/ctl"
}

teardown() {
  rm -rf "$root"
}

render_contract() { # $1 = JSON of the `logs` input (may be {})
  (cd "$repo/packages/agent-instance" && "$tsx" -e "
    import { renderBootContract } from './src/boot-contract.ts';
    process.stdout.write(renderBootContract({ version: 1, stack: { name: 'ci', region: 'eu-west-1', version: '1.0.0' },
      agent: { token: { kind: 'ssm-parameter', name: '/ci/token' } }, logs: $1 }));
  ") >"$root/etc/elastic-ci/boot-contract.json"
}

groups_of() {
  jq -r '[.logs.logs_collected.files.collect_list[].log_group_name] | unique | join(" ")' "$1"
}

@test "with the contract's defaults every log keeps the image's group" {
  render_contract '{}'

  ELASTIC_CI_ROOT="$root" CLOUDWATCH_AGENT_CTL="$root/bin/ctl" run "$script"

  [ "$status" -eq 0 ]
  rendered="$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json.rendered"
  [ "$(groups_of "$rendered")" = "$(groups_of "$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json")" ]
  [ "$(jq '[.logs.logs_collected.files.collect_list[] | select(has("retention_in_days"))] | length' "$rendered")" = 0 ]
  [ "$(cat "$root/ctl-calls")" = "-a fetch-config -m ec2 -s -c file:$rendered" ]
}

@test "the stack's group names and retention replace the defaults, log by log" {
  render_contract "{ retentionDays: 14, groups: { boot: '/ci/boot', agent: '/ci/agent', lifecycled: '/ci/lifecycled',
    system: '/ci/system', docker: '/ci/docker' } }"

  ELASTIC_CI_ROOT="$root" CLOUDWATCH_AGENT_CTL="$root/bin/ctl" run "$script"

  [ "$status" -eq 0 ]
  rendered="$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json.rendered"
  [ "$(groups_of "$rendered")" = "/ci/agent /ci/boot /ci/docker /ci/lifecycled /ci/system" ]
  [ "$(jq -r '.logs.logs_collected.files.collect_list[] | select(.file_path == "/var/log/cloud-init-output.log") | .log_group_name' "$rendered")" = /ci/boot ]
  [ "$(jq -r '.logs.logs_collected.files.collect_list[] | select(.file_path == "/var/log/elastic-ci/buildkite-agent.log") | .log_group_name' "$rendered")" = /ci/agent ]
  [ "$(jq '[.logs.logs_collected.files.collect_list[].retention_in_days] | unique' -c "$rendered")" = "[14]" ]
  [[ "$output" == *"shipping to /ci/agent, /ci/boot, /ci/docker, /ci/lifecycled, /ci/system"* ]]
}

@test "a contract that turns the agent off stops it and writes no configuration" {
  render_contract '{ cloudWatchAgentEnabled: false }'

  ELASTIC_CI_ROOT="$root" CLOUDWATCH_AGENT_CTL="$root/bin/ctl" run "$script"

  [ "$status" -eq 0 ]
  [ "$(cat "$root/ctl-calls")" = "-a stop" ]
  [ ! -e "$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json.rendered" ]
}

@test "a group in the image config that the contract does not know fails instead of shipping to it" {
  render_contract '{}'
  jq '.logs.logs_collected.files.collect_list[0].log_group_name = "/elastic-ci/unknown"' \
    "$repo/packer/linux/conf/cloudwatch-agent/config.json" >"$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"

  ELASTIC_CI_ROOT="$root" CLOUDWATCH_AGENT_CTL="$root/bin/ctl" run "$script"

  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown log group /elastic-ci/unknown"* ]]
  [ ! -e "$root/ctl-calls" ]
}
