#!/usr/bin/env bats
# Every instance launched from the image must get its own machine id (systemd derives the DHCP client identity, the
# journal's directory and other per-host ids from it), so the build empties /etc/machine-id. An empty machine id makes
# the instance's first boot a systemd "first boot", which enables every unit a preset file says to enable
# (`preset-all --preset-mode=enable-only`): the units the image keeps disabled (the agent and lifecycled, started by
# the boot once configured; the CloudWatch agent, started with the stack's log groups) must stay disabled then.

setup() {
  repo="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
  linux="$repo/packer/linux"
  root="$(mktemp -d)"
  mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd/system" "$root/usr/lib/systemd/system-preset"
  cp "$linux"/conf/systemd/*.service "$linux"/conf/systemd/*.timer "$repo/packages/lifecycled/lifecycled.service" \
    "$root/etc/systemd/system/"
  # Units the image gets from its packages, installable like the real ones.
  for unit in docker.service amazon-ssm-agent.service amazon-cloudwatch-agent.service rsyslog.service; do
    printf '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' >"$root/usr/lib/systemd/system/$unit"
  done
  # The worst vendor preset a package could ship.
  echo 'enable *' >"$root/usr/lib/systemd/system-preset/90-vendor.preset"
}

teardown() {
  rm -rf "$root"
}

# The services goss.yaml says are not enabled in the image.
disabled_in_image() {
  sed -nE 's/^  ([a-z0-9.-]+): \{ enabled: false.*/\1/p' "$linux/goss.yaml"
}

@test "the build empties /etc/machine-id, so every instance generates its own" {
  grep -Eq '^(truncate -s 0|: >) ?/etc/machine-id$' "$linux/scripts/cleanup.sh"
  # After cloud-init clean, the last step: nothing of the build may regenerate it afterwards.
  [ "$(grep -v '^#' "$linux/scripts/cleanup.sh" | grep -v '^$' | tail -1 | grep -c machine-id)" -eq 1 ]
}

@test "an instance's first boot (presets applied) leaves every unit the image keeps disabled disabled" {
  [ -n "$(disabled_in_image)" ]
  install -D -m 0644 "$linux/conf/systemd-preset/10-elastic-ci.preset" "$root/etc/systemd/system-preset/10-elastic-ci.preset"

  run systemctl --root="$root" preset-all --preset-mode=enable-only
  [ "$status" -eq 0 ]

  while read -r unit; do
    [[ "$unit" == *.* ]] || unit="$unit.service"
    state="$(systemctl --root="$root" is-enabled "$unit" 2>&1 || true)"
    [[ "$state" != enabled* ]] || { echo "$unit became $state at first boot" >&2; return 1; }
  done < <(disabled_in_image)
  # The preset guard is specific: everything else the vendor enables is still enabled.
  [ "$(systemctl --root="$root" is-enabled amazon-ssm-agent.service)" = enabled ]
}

@test "the image installs the preset file" {
  grep -q 'install -m 0644 "$conf/systemd-preset/10-elastic-ci.preset" /etc/systemd/system-preset/10-elastic-ci.preset' \
    "$linux/scripts/install-elastic-ci.sh"
}
