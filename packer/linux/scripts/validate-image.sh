#!/usr/bin/env bash
# The goss spec (packer/linux/goss.yaml) against the finished image, with the pinned versions: a build that misses
# anything fails here.
set -euo pipefail

: "${ELASTIC_CI_STAGING:?}" "${ELASTIC_CI_STACK_VERSION:?}" "${BUILDKITE_AGENT_VERSION:?}" "${BINFMT_IMAGE:?}"
: "${DOCKER_BUILDX_VERSION:?}" "${DOCKER_COMPOSE_VERSION:?}"
install -m 0755 "$ELASTIC_CI_STAGING/goss" /usr/local/bin/goss
vars="$(printf '{"stack_version": "%s", "buildkite_agent_version": "%s", "docker_buildx_version": "%s", "docker_compose_version": "%s", "binfmt_image": "%s"}' \
  "$ELASTIC_CI_STACK_VERSION" "$BUILDKITE_AGENT_VERSION" "$DOCKER_BUILDX_VERSION" "$DOCKER_COMPOSE_VERSION" "$BINFMT_IMAGE")"
goss --gossfile "$ELASTIC_CI_STAGING/goss.yaml" --vars-inline "$vars" validate --format documentation --no-color
