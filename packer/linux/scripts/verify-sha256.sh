# shellcheck shell=bash
# Sourced by the install scripts (uploaded to the staging directory; not run on its own).

# verify_sha256 FILE EXPECTED WHAT: succeeds only when FILE has the pinned SHA-256 EXPECTED. A missing or malformed
# pin fails too: a download is never trusted because of a checksum fetched from the same place as the file.
verify_sha256() {
  local file="$1" expected="$2" what="$3" actual
  if [[ ! "$expected" =~ ^[0-9a-f]{64}$ ]]; then
    echo "verify-sha256: no pinned SHA-256 for $what (64 lower-case hex digits); set it in the packer variables, see packer/README.md" >&2
    return 1
  fi
  actual="$(sha256sum -- "$file" | cut -d' ' -f1)" || return 1
  if [[ "$actual" != "$expected" ]]; then
    echo "verify-sha256: $what does not match its pinned SHA-256 (got $actual); refusing it" >&2
    return 1
  fi
}

# verify_image_digest IMAGE WHAT: succeeds only when the image reference IMAGE is pinned by content
# (`name[:tag]@sha256:<64 hex>`). A tag alone can be moved to other content by whoever controls the repository, and
# the image runs privileged at every boot; pulled by digest, Docker refuses content that does not match it.
verify_image_digest() {
  local image="$1" what="$2"
  if [[ ! "$image" =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]]; then
    echo "verify-sha256: $what ($image) is not pinned by digest (name:tag@sha256:<64 lower-case hex digits); set it in the packer variables, see packer/README.md" >&2
    return 1
  fi
}
