#!/usr/bin/env bash
# The buildkite-agent user (uid/gid 2000, in the docker group) and the pinned agent release, refused unless it has
# the pinned SHA-256 (BUILDKITE_AGENT_SHA256, from the packer variable buildkite_agent_sha256).
set -euo pipefail

: "${ELASTIC_CI_STAGING:?}" "${ELASTIC_CI_ARCH:?amd64 or arm64}" "${BUILDKITE_AGENT_VERSION:?}"
# shellcheck source=packer/linux/scripts/verify-sha256.sh
source "$ELASTIC_CI_STAGING/verify-sha256.sh"
name="buildkite-agent-linux-$ELASTIC_CI_ARCH-$BUILDKITE_AGENT_VERSION.tar.gz"
release="https://github.com/buildkite/agent/releases/download/v$BUILDKITE_AGENT_VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

getent group buildkite-agent >/dev/null || groupadd --gid 2000 buildkite-agent
id buildkite-agent >/dev/null 2>&1 ||
  useradd --uid 2000 --gid buildkite-agent --groups docker --home-dir /var/lib/buildkite-agent --create-home \
    --shell /bin/bash buildkite-agent

curl -fsSL --retry 5 --retry-all-errors -o "$work/$name" "$release/$name"
verify_sha256 "$work/$name" "${BUILDKITE_AGENT_SHA256:-}" "$name"

tar -xzf "$work/$name" -C "$work"
install -m 0755 "$work/buildkite-agent" /usr/bin/buildkite-agent

install -d -o buildkite-agent -g buildkite-agent -m 0755 \
  /var/lib/buildkite-agent/builds /var/lib/buildkite-agent/plugins /var/lib/buildkite-agent/git-mirrors
install -d -o root -g buildkite-agent -m 0750 /etc/buildkite-agent
install -d -m 0755 /etc/buildkite-agent/hooks
install -d -o buildkite-agent -g buildkite-agent -m 0700 /var/lib/buildkite-agent/.aws
printf '[default]\ncli_pager=\n' >/var/lib/buildkite-agent/.aws/config
chown buildkite-agent:buildkite-agent /var/lib/buildkite-agent/.aws/config
su buildkite-agent -l -c 'git lfs install' >/dev/null
echo "install-buildkite-agent: $(buildkite-agent --version)"
