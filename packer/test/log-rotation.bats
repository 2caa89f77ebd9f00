#!/usr/bin/env bats
# The log files rsyslog writes under /var/log/elastic-ci/ (and the CloudWatch agent ships) grow for as long as the
# instance lives: every one of them must be rotated, rsyslog must reopen it afterwards, and the image must install the
# rotation config and run logrotate.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  linux="$repo/packer/linux"
  rotation="$linux/conf/logrotate.d/elastic-ci"
}

# The file paths rsyslog's elastic-ci rules write to.
rsyslog_files() {
  grep -oE 'then /[^[:space:]]+' "$linux/conf/rsyslog.d/elastic-ci.conf" | cut -d' ' -f2
}

# The path patterns of the rotation config (the lines that open a `{` block).
rotated_patterns() {
  sed -n 's/^\(\/[^{]*\){[[:space:]]*$/\1/p' "$rotation" | tr ' ' '\n' | grep -v '^$'
}

rotated() { # $1 = path: matched by one of the patterns
  local pattern
  while read -r pattern; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ "$1" == $pattern ]] && return 0
  done < <(rotated_patterns)
  return 1
}

@test "every file rsyslog writes and the CloudWatch agent ships from /var/log/elastic-ci is rotated" {
  [ -f "$rotation" ]
  files="$( (rsyslog_files; jq -r '.logs.logs_collected.files.collect_list[].file_path' "$linux/conf/cloudwatch-agent/config.json" |
    grep '^/var/log/elastic-ci/') | sort -u)"
  [ "$(wc -l <<<"$files")" -eq 4 ]
  while read -r file; do
    rotated "$file" || { echo "not rotated: $file" >&2; return 1; }
  done <<<"$files"
  run rotated /var/log/messages
  [ "$status" -eq 1 ]
}

@test "rotation is bounded by size and count, and rsyslog reopens its files afterwards" {
  grep -Eq '^[[:space:]]+maxsize[[:space:]]+[0-9]+[kMG]?$' "$rotation"
  grep -Eq '^[[:space:]]+rotate[[:space:]]+[0-9]+$' "$rotation"
  grep -Eq '^[[:space:]]+missingok$' "$rotation"
  # Without the HUP rsyslog keeps writing to the renamed file and the new one stays empty.
  sed -n '/postrotate/,/endscript/p' "$rotation" | grep -q 'systemctl kill -s HUP rsyslog.service'
  # logrotate's own timer is daily; maxsize only bounds a file when logrotate runs more often than that.
  [ "$(sed -n 's/^OnCalendar=\(.\+\)$/\1/p' "$linux/conf/systemd/logrotate.timer.d/10-hourly.conf")" = hourly ]
  grep -q '^OnCalendar=$' "$linux/conf/systemd/logrotate.timer.d/10-hourly.conf"
}

@test "the image installs logrotate, the rotation config and enables logrotate's timer" {
  script="$linux/scripts/install-elastic-ci.sh"
  grep -q 'install -m 0644 "$conf/logrotate.d/elastic-ci" /etc/logrotate.d/elastic-ci' "$script"
  grep -Eq '^  .*\blogrotate\b' "$linux/scripts/install-os-packages.sh"
  grep -q '^systemctl enable .*logrotate.timer' "$linux/scripts/"*.sh
}
