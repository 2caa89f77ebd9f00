# Inputs of the agent AMI build. `make ami` sets stack_version and source_hash; everything else has a default that
# builds a working image. Override with -var / PACKER_ARGS, e.g. `make ami PACKER_ARGS='-var region=us-east-1'`.

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "Region the build instances run in and the AMIs are registered in."
}

variable "stack_version" {
  type        = string
  description = "Version of the elastic-ci stack this image belongs to (part of the AMI name)."
  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z._-]*$", var.stack_version))
    error_message = "The stack_version must be letters, digits, '.', '_' or '-' (it becomes part of the AMI name)."
  }
}

variable "source_hash" {
  type        = string
  description = "Hash of packer/ and the packed packages (computed by `make ami`): same sources, same AMI name."
  validation {
    condition     = can(regex("^[0-9a-f]{12}$", var.source_hash))
    error_message = "The source_hash must be 12 lowercase hex digits; `make ami` computes it."
  }
}

variable "instance_types" {
  type = map(string)
  default = {
    x86_64 = "m7i.large"
    arm64  = "m7g.large"
  }
  description = "Build instance type per architecture."
}

variable "source_ami_name" {
  type        = string
  default     = "al2023-ami-2023.*-kernel-6.1-"
  description = "Name filter of the Amazon Linux 2023 base image; the architecture is appended."
}

variable "source_ami_owners" {
  type        = list(string)
  default     = ["amazon"]
  description = "Owners the base image must come from."
}

variable "root_volume_size_gb" {
  type        = number
  default     = 30
  description = "Root volume size of the image (gp3)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet for the build instance (empty: the default VPC)."
}

variable "ami_regions" {
  type        = list(string)
  default     = []
  description = "Extra regions the AMIs are copied to."
}

variable "ami_users" {
  type        = list(string)
  default     = []
  description = "Account ids allowed to launch the AMIs."
}

variable "force_deregister" {
  type        = bool
  default     = false
  description = "Replace an existing AMI of the same name (same sources); otherwise the build stops early."
}

variable "buildkite_agent_version" {
  type        = string
  default     = "3.137.0"
  description = "buildkite-agent release installed in the image."
}

variable "buildkite_agent_sha256" {
  type        = map(string)
  description = "Pinned SHA-256 of buildkite-agent-linux-<amd64|arm64>-<version>.tar.gz, keyed by x86_64 and arm64 (required: the download is refused unless it matches; take the values from the release's published checksums, checked out of band, when you change the version)."

  validation {
    condition     = alltrue([for arch in ["x86_64", "arm64"] : can(regex("^[0-9a-f]{64}$", lookup(var.buildkite_agent_sha256, arch, "")))])
    error_message = "The variable buildkite_agent_sha256 needs x86_64 and arm64 entries, each 64 lower-case hex digits."
  }
}

variable "docker_buildx_version" {
  type        = string
  default     = "0.34.1"
  description = "docker buildx CLI plugin release."
}

variable "docker_buildx_sha256" {
  type        = map(string)
  description = "Pinned SHA-256 of buildx-v<version>.linux-<amd64|arm64>, keyed by x86_64 and arm64 (required: the download is refused unless it matches; take the values from the release's published checksums, checked out of band, when you change the version)."

  validation {
    condition     = alltrue([for arch in ["x86_64", "arm64"] : can(regex("^[0-9a-f]{64}$", lookup(var.docker_buildx_sha256, arch, "")))])
    error_message = "The variable docker_buildx_sha256 needs x86_64 and arm64 entries, each 64 lower-case hex digits."
  }
}

variable "docker_compose_version" {
  type        = string
  default     = "5.1.4"
  description = "docker compose v2 CLI plugin release."
}

variable "docker_compose_sha256" {
  type        = map(string)
  description = "Pinned SHA-256 of docker-compose-linux-<x86_64|aarch64>, keyed by x86_64 and arm64 (required: the download is refused unless it matches; take the values from the release's published checksums, checked out of band, when you change the version)."

  validation {
    condition     = alltrue([for arch in ["x86_64", "arm64"] : can(regex("^[0-9a-f]{64}$", lookup(var.docker_compose_sha256, arch, "")))])
    error_message = "The variable docker_compose_sha256 needs x86_64 and arm64 entries, each 64 lower-case hex digits."
  }
}

variable "binfmt_image" {
  type        = string
  description = "Image that registers qemu-user-static binfmt handlers at boot (cross-architecture docker run and buildx), pinned by digest: name:tag@sha256:<digest> (required: it runs privileged at every boot, and a tag can be moved to other content; take the digest of the multi-arch index, checked out of band, when you change it)."

  validation {
    condition     = can(regex("^[^@[:space:]]+@sha256:[0-9a-f]{64}$", var.binfmt_image))
    error_message = "The variable binfmt_image must be pinned by digest: name:tag@sha256:<64 lower-case hex digits>."
  }
}
