#!/usr/bin/env bash
# Points the CloudWatch agent at the log groups the boot contract names (the image carries the contract's defaults)
# and sets their retention, or stops the agent when the contract turns it off. Run by elastic-ci-configure-logs.service
# after user data on every boot. ELASTIC_CI_ROOT prefixes every path (tests run in a scratch root).
set -euo pipefail

root="${ELASTIC_CI_ROOT:-}"
contract="$root/etc/elastic-ci/boot-contract.json"
config="$root/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
ctl="${CLOUDWATCH_AGENT_CTL:-/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl}"

if [[ "$(jq -r '.logs.cloudWatchAgentEnabled' "$contract")" == false ]]; then
  echo "elastic-ci-configure-logs: logs.cloudWatchAgentEnabled is false; stopping the CloudWatch agent"
  "$ctl" -a stop
  exit 0
fi

# The image's group names are the contract's defaults; each is replaced by the contract's own name for that log.
rendered="$(jq --slurpfile contract "$contract" '
  ($contract[0].logs) as $logs
  | {
      "/elastic-ci/boot": $logs.groups.boot,
      "/elastic-ci/buildkite-agent": $logs.groups.agent,
      "/elastic-ci/lifecycled": $logs.groups.lifecycled,
      "/elastic-ci/system": $logs.groups.system,
      "/elastic-ci/docker": $logs.groups.docker
    } as $groups
  | .logs.logs_collected.files.collect_list |= map(
      .log_group_name = ($groups[.log_group_name] // error("unknown log group \(.log_group_name) in the image config"))
      | if $logs.retentionDays then .retention_in_days = $logs.retentionDays else . end
    )' "$config")"
printf '%s\n' "$rendered" >"$config.rendered"
"$ctl" -a fetch-config -m ec2 -s -c "file:$config.rendered"
echo "elastic-ci-configure-logs: CloudWatch agent shipping to $(jq -r '[.logs.logs_collected.files.collect_list[].log_group_name] | unique | join(", ")' "$config.rendered")"
