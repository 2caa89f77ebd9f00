#!/usr/bin/env bash
# Our instance programs from the packed workspace packages (no registry: each bundle is self-contained), the agent
# hooks, the systemd units and the CloudWatch agent configuration.
set -euo pipefail

: "${ELASTIC_CI_STAGING:?}" "${ELASTIC_CI_STACK_VERSION:?}" "${ELASTIC_CI_SOURCE_HASH:?}"
conf="$ELASTIC_CI_STAGING/conf"
# /opt/elastic-ci/<package>: where the agent hooks expect s3secrets' hooks (ELASTIC_CI_S3SECRETS_HOOKS default).
lib=/opt/elastic-ci

# Each tarball (`pnpm pack`) goes to $lib/<name>; every program in its package.json "bin" is linked into
# /usr/local/bin, so the image installs exactly what the packages declare.
install -d -m 0755 "$lib"
for tarball in "$ELASTIC_CI_STAGING"/packages/*.tgz; do
  unpacked="$(mktemp -d)"
  tar -xzf "$tarball" -C "$unpacked"
  name="$(node -p 'require(process.argv[1]).name.replace(/^@elastic-ci\//, "")' "$unpacked/package/package.json")"
  rm -rf "${lib:?}/$name"
  mv "$unpacked/package" "$lib/$name"
  rmdir "$unpacked"
  chown -R root:root "$lib/$name"
  while read -r bin target; do
    chmod 0755 "$lib/$name/$target"
    ln -sf "$lib/$name/$target" "/usr/local/bin/$bin"
    echo "install-elastic-ci: /usr/local/bin/$bin -> $lib/$name/$target"
  done < <(node -e 'for (const [bin, target] of Object.entries(require(process.argv[1]).bin ?? {})) console.log(bin, target)' \
    "$lib/$name/package.json")
done

install -d -m 0755 /etc/elastic-ci /var/lib/elastic-ci /etc/buildkite-agent/hooks
# Job hooks run as buildkite-agent and record running jobs here (scale-in protection, `elastic-ci-instance
# job-started`); made now, so a root-run reconcile can never create it first with an owner the hooks cannot write.
install -d -o buildkite-agent -g buildkite-agent -m 0755 /var/lib/elastic-ci/protection
# Hooks are the regular files of conf/buildkite-agent/hooks/ (its test/ directory stays out of the image).
for hook in "$conf"/buildkite-agent/hooks/*; do
  if [[ -f "$hook" ]]; then install -m 0755 "$hook" /etc/buildkite-agent/hooks/; fi
done
# The pre-exit hook's one sudo command (fix-build-permissions, when Docker runs without user-namespace remap). Checked
# before it is installed: a broken drop-in would break sudo for everybody.
visudo -cf "$conf/sudoers.d/elastic-ci-build-permissions"
install -o root -g root -m 0440 "$conf/sudoers.d/elastic-ci-build-permissions" /etc/sudoers.d/elastic-ci-build-permissions
printf 'STACK_VERSION=%s\nSOURCE_HASH=%s\n' "$ELASTIC_CI_STACK_VERSION" "$ELASTIC_CI_SOURCE_HASH" >/etc/elastic-ci/image

# Units: ours from conf/systemd, lifecycled's from its package. Only what must run on every boot is enabled; the
# agent and lifecycled are started by elastic-ci-boot once their configuration exists.
install -m 0644 "$conf"/systemd/*.service "$conf"/systemd/*.timer /etc/systemd/system/
for dropin in "$conf"/systemd/*.d; do
  [[ -d "$dropin" ]] || continue
  install -d -m 0755 "/etc/systemd/system/$(basename "$dropin")"
  install -m 0644 "$dropin"/*.conf "/etc/systemd/system/$(basename "$dropin")/"
done
install -m 0644 "$lib/lifecycled/lifecycled.service" /etc/systemd/system/lifecycled.service
# The units the image keeps disabled stay disabled on an instance's first boot (presets; see the file).
install -d -m 0755 /etc/systemd/system-preset
install -m 0644 "$conf/systemd-preset/10-elastic-ci.preset" /etc/systemd/system-preset/10-elastic-ci.preset
systemctl daemon-reload
systemctl enable elastic-ci-binfmt.service elastic-ci-start-agent.service elastic-ci-configure-logs.service \
  elastic-ci-protection-reconcile.timer elastic-ci-docker-prune.timer elastic-ci-disk-check.timer

# The CloudWatch agent is started by elastic-ci-configure-logs with the contract's log groups, never with these
# defaults (the instance role may only write to the stack's groups).
install -d -m 0755 /opt/aws/amazon-cloudwatch-agent/etc
install -m 0644 "$conf/cloudwatch-agent/config.json" /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json
install -m 0755 "$conf/bin/elastic-ci-configure-logs.sh" /usr/local/bin/elastic-ci-configure-logs
systemctl disable amazon-cloudwatch-agent

install -d -m 0755 /var/log/elastic-ci
install -m 0644 "$conf/rsyslog.d/elastic-ci.conf" /etc/rsyslog.d/elastic-ci.conf
install -d -m 0755 /etc/logrotate.d
install -m 0644 "$conf/logrotate.d/elastic-ci" /etc/logrotate.d/elastic-ci
