#!/usr/bin/env bash
# Docker from Amazon Linux, the buildx and compose v2 CLI plugins at pinned releases (checked against their
# published checksums) and the qemu binfmt image that elastic-ci-binfmt.service registers at every boot.
set -euo pipefail

: "${ELASTIC_CI_ARCH:?amd64 or arm64}" "${DOCKER_BUILDX_VERSION:?}" "${DOCKER_COMPOSE_VERSION:?}" "${BINFMT_IMAGE:?}"
plugins=/usr/libexec/docker/cli-plugins
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch_checked URL CHECKSUMS_URL NAME: download URL to $work/NAME and check it against the line for NAME.
fetch_checked() {
  curl -fsSL --retry 5 -o "$work/$3" "$1"
  curl -fsSL --retry 5 -o "$work/$3.sums" "$2"
  expected="$(grep -E "[ *]$3\$" "$work/$3.sums" | cut -d' ' -f1)"
  [[ -n "$expected" ]] || { echo "install-docker: no checksum for $3 in $2" >&2; exit 1; }
  echo "$expected  $work/$3" | sha256sum -c --quiet -
}

dnf -y -q install docker
install -d -m 0755 "$plugins" /etc/docker /etc/elastic-ci
[[ -f /etc/docker/daemon.json ]] || echo '{"storage-driver": "overlay2"}' >/etc/docker/daemon.json

buildx="buildx-v$DOCKER_BUILDX_VERSION.linux-$ELASTIC_CI_ARCH"
fetch_checked "https://github.com/docker/buildx/releases/download/v$DOCKER_BUILDX_VERSION/$buildx" \
  "https://github.com/docker/buildx/releases/download/v$DOCKER_BUILDX_VERSION/checksums.txt" "$buildx"
install -m 0755 "$work/$buildx" "$plugins/docker-buildx"

compose_arch="$([[ "$ELASTIC_CI_ARCH" == amd64 ]] && echo x86_64 || echo aarch64)"
compose="docker-compose-linux-$compose_arch"
fetch_checked "https://github.com/docker/compose/releases/download/v$DOCKER_COMPOSE_VERSION/$compose" \
  "https://github.com/docker/compose/releases/download/v$DOCKER_COMPOSE_VERSION/checksums.txt" "$compose"
install -m 0755 "$work/$compose" "$plugins/docker-compose"
ln -sf "$plugins/docker-compose" /usr/bin/docker-compose

systemctl enable --now docker
# Pulled now so that registering binfmt handlers at boot needs no network.
docker pull --quiet "$BINFMT_IMAGE"
echo "BINFMT_IMAGE=$BINFMT_IMAGE" >/etc/elastic-ci/binfmt.env
echo "install-docker: $(docker --version), $(docker buildx version), $(docker compose version)"
