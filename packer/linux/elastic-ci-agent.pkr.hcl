# The elastic-ci agent AMI: Amazon Linux 2023 with the Buildkite agent, Docker, the AWS tools and our instance CLIs,
# for x86_64 and arm64. Built by `make ami` (see packer/README.md), which packs the workspace packages into
# packer/linux/build/ first and passes stack_version and source_hash.

packer {
  required_version = ">= 1.9.5"
  required_plugins {
    # One exact release: the plugin runs with the build's AWS credentials, and a range would let `packer init` take
    # whatever release is newest on the day of the build. Change it deliberately (and read its changelog).
    amazon = {
      version = "= 1.3.10"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

locals {
  # Docker, buildkite-agent and goss name the architectures their own way.
  go_arch = {
    x86_64 = "amd64"
    arm64  = "arm64"
  }
  ami_name_prefix = "elastic-ci-agent-${var.stack_version}"
  staging         = "/tmp/elastic-ci"
  architectures   = ["x86_64", "arm64"]
  ami_names       = { for arch in local.architectures : arch => "${local.ami_name_prefix}-${arch}-${var.source_hash}" }
  ami_descriptions = {
    for arch in local.architectures :
    arch => "elastic-ci agent ${var.stack_version} (Amazon Linux 2023, ${arch}, sources ${var.source_hash})"
  }
  ami_tags = {
    for arch in local.architectures :
    arch => merge(local.common_tags, { Name = "${local.ami_name_prefix}-${arch}", Architecture = arch, SourceAMI = "{{ .SourceAMI }}" })
  }
  source_ami_filters = {
    for arch in local.architectures : arch => {
      name                = "${var.source_ami_name}${arch}"
      architecture        = arch
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
  }
  common_tags = {
    StackVersion          = var.stack_version
    SourceHash            = var.source_hash
    BuildkiteAgentVersion = var.buildkite_agent_version
    OS                    = "al2023"
    Component             = "elastic-ci-agent"
  }
}

# One source for both architectures; the build block names the two builds (x86_64, arm64) and adds what differs
# between them: instance type, base image filter, AMI name, description and tags.
source "amazon-ebs" "agent" {
  region           = var.region
  ami_regions      = var.ami_regions
  ami_users        = var.ami_users
  force_deregister = var.force_deregister
  subnet_id        = var.subnet_id == "" ? null : var.subnet_id
  ssh_username     = "ec2-user"
  ena_support      = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.root_volume_size_gb
    volume_type           = "gp3"
    delete_on_termination = true
  }
}

build {
  name = "elastic-ci-agent"

  source "amazon-ebs.agent" {
    name            = "x86_64"
    instance_type   = var.instance_types["x86_64"]
    ami_name        = local.ami_names["x86_64"]
    ami_description = local.ami_descriptions["x86_64"]
    tags            = local.ami_tags["x86_64"]
    run_tags        = { Name = "packer ${local.ami_name_prefix}-x86_64" }

    source_ami_filter {
      filters     = local.source_ami_filters["x86_64"]
      owners      = var.source_ami_owners
      most_recent = true
    }
  }

  source "amazon-ebs.agent" {
    name            = "arm64"
    instance_type   = var.instance_types["arm64"]
    ami_name        = local.ami_names["arm64"]
    ami_description = local.ami_descriptions["arm64"]
    tags            = local.ami_tags["arm64"]
    run_tags        = { Name = "packer ${local.ami_name_prefix}-arm64" }

    source_ami_filter {
      filters     = local.source_ami_filters["arm64"]
      owners      = var.source_ami_owners
      most_recent = true
    }
  }

  provisioner "shell" {
    inline = ["mkdir -p ${local.staging}"]
  }

  # Configuration files and units, the packed workspace packages, the goss binary for this architecture and the spec.
  provisioner "file" {
    source      = "${path.root}/conf"
    destination = local.staging
  }

  provisioner "file" {
    source      = "${path.root}/build/packages"
    destination = local.staging
  }

  provisioner "file" {
    source      = "${path.root}/build/goss/goss-linux-${local.go_arch[source.name]}"
    destination = "${local.staging}/goss"
  }

  provisioner "file" {
    source      = "${path.root}/goss.yaml"
    destination = "${local.staging}/goss.yaml"
  }

  # Sourced by the install scripts: every download is checked against its pinned SHA-256.
  provisioner "file" {
    source      = "${path.root}/scripts/verify-sha256.sh"
    destination = "${local.staging}/verify-sha256.sh"
  }

  provisioner "shell" {
    # {{ .Vars }} carries environment_vars through sudo.
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ELASTIC_CI_STAGING=${local.staging}",
      "ELASTIC_CI_ARCH=${local.go_arch[source.name]}",
      "ELASTIC_CI_STACK_VERSION=${var.stack_version}",
      "ELASTIC_CI_SOURCE_HASH=${var.source_hash}",
      "BUILDKITE_AGENT_VERSION=${var.buildkite_agent_version}",
      "BUILDKITE_AGENT_SHA256=${var.buildkite_agent_sha256[source.name]}",
      "DOCKER_BUILDX_VERSION=${var.docker_buildx_version}",
      "DOCKER_BUILDX_SHA256=${var.docker_buildx_sha256[source.name]}",
      "DOCKER_COMPOSE_VERSION=${var.docker_compose_version}",
      "DOCKER_COMPOSE_SHA256=${var.docker_compose_sha256[source.name]}",
      "BINFMT_IMAGE=${var.binfmt_image}",
    ]
    scripts = [
      "${path.root}/scripts/install-os-packages.sh",
      "${path.root}/scripts/install-docker.sh",
      "${path.root}/scripts/install-buildkite-agent.sh",
      "${path.root}/scripts/install-elastic-ci.sh",
      "${path.root}/scripts/validate-image.sh",
      "${path.root}/scripts/cleanup.sh",
    ]
  }

  post-processor "manifest" {
    output     = "${path.root}/build/manifest.json"
    strip_path = true
    custom_data = {
      stack_version = var.stack_version
      source_hash   = var.source_hash
    }
  }
}
