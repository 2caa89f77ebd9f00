#!/usr/bin/env bash
# Docker from Amazon Linux, the buildx and compose v2 CLI plugins at pinned releases (refused unless they have the
# pinned SHA-256 of the packer variables docker_buildx_sha256 / docker_compose_sha256) and the qemu binfmt image that
# elastic-ci-binfmt.service registers at every boot (pinned by digest: packer variable binfmt_image).
set -euo pipefail

: "${ELASTIC_CI_STAGING:?}" "${ELASTIC_CI_ARCH:?amd64 or arm64}" "${DOCKER_BUILDX_VERSION:?}" "${DOCKER_COMPOSE_VERSION:?}"
: "${BINFMT_IMAGE:?}"
# shellcheck source=packer/linux/scripts/verify-sha256.sh
source "$ELASTIC_CI_STAGING/verify-sha256.sh"
verify_image_digest "$BINFMT_IMAGE" binfmt_image
plugins=/usr/libexec/docker/cli-plugins
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch_checked URL NAME SHA256: download URL to $work/NAME and refuse it unless it has the pinned SHA256.
fetch_checked() {
  curl -fsSL --retry 5 --retry-all-errors -o "$work/$2" "$1"
  verify_sha256 "$work/$2" "$3" "$2"
}

dnf -y -q install docker
install -d -m 0755 "$plugins" /etc/docker /etc/elastic-ci
[[ -f /etc/docker/daemon.json ]] || echo '{"storage-driver": "overlay2"}' >/etc/docker/daemon.json

buildx="buildx-v$DOCKER_BUILDX_VERSION.linux-$ELASTIC_CI_ARCH"
fetch_checked "https://github.com/docker/buildx/releases/download/v$DOCKER_BUILDX_VERSION/$buildx" "$buildx" \
  "${DOCKER_BUILDX_SHA256:-}"
install -m 0755 "$work/$buildx" "$plugins/docker-buildx"

compose_arch="$([[ "$ELASTIC_CI_ARCH" == amd64 ]] && echo x86_64 || echo aarch64)"
compose="docker-compose-linux-$compose_arch"
fetch_checked "https://github.com/docker/compose/releases/download/v$DOCKER_COMPOSE_VERSION/$compose" "$compose" \
  "${DOCKER_COMPOSE_SHA256:-}"
install -m 0755 "$work/$compose" "$plugins/docker-compose"
ln -sf "$plugins/docker-compose" /usr/bin/docker-compose

systemctl enable --now docker
# Pulled now so that registering binfmt handlers at boot needs no network; by digest, so Docker refuses other content.
docker pull --quiet "$BINFMT_IMAGE"
echo "BINFMT_IMAGE=$BINFMT_IMAGE" >/etc/elastic-ci/binfmt.env
echo "install-docker: $(docker --version), $(docker buildx version), $(docker compose version)"
