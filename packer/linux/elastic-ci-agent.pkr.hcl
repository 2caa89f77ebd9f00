# The elastic-ci agent AMI: Amazon Linux 2023 with the Buildkite agent, Docker, the AWS tools and our instance CLIs,
# for x86_64 and arm64. Built by `make ami` (see packer/README.md), which packs the workspace packages into
# packer/linux/build/ first and passes stack_version and source_hash.

packer {
  required_version = ">= 1.9.5"
  required_plugins {
    amazon = {
      version = "~> 1.3"
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
  common_tags = {
    StackVersion          = var.stack_version
    SourceHash            = var.source_hash
    BuildkiteAgentVersion = var.buildkite_agent_version
    OS                    = "al2023"
    Component             = "elastic-ci-agent"
  }
}

source "amazon-ebs" "x86_64" {
  region           = var.region
  instance_type    = var.instance_types["x86_64"]
  ami_name         = "${local.ami_name_prefix}-x86_64-${var.source_hash}"
  ami_description  = "elastic-ci agent ${var.stack_version} (Amazon Linux 2023, x86_64, sources ${var.source_hash})"
  ami_regions      = var.ami_regions
  ami_users        = var.ami_users
  force_deregister = var.force_deregister
  subnet_id        = var.subnet_id == "" ? null : var.subnet_id
  ssh_username     = "ec2-user"
  ena_support      = true

  source_ami_filter {
    filters = {
      name                = "${var.source_ami_name}x86_64"
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = var.source_ami_owners
    most_recent = true
  }

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

  tags     = merge(local.common_tags, { Name = "${local.ami_name_prefix}-x86_64", Architecture = "x86_64", SourceAMI = "{{ .SourceAMI }}" })
  run_tags = { Name = "packer ${local.ami_name_prefix}-x86_64" }
}

source "amazon-ebs" "arm64" {
  region           = var.region
  instance_type    = var.instance_types["arm64"]
  ami_name         = "${local.ami_name_prefix}-arm64-${var.source_hash}"
  ami_description  = "elastic-ci agent ${var.stack_version} (Amazon Linux 2023, arm64, sources ${var.source_hash})"
  ami_regions      = var.ami_regions
  ami_users        = var.ami_users
  force_deregister = var.force_deregister
  subnet_id        = var.subnet_id == "" ? null : var.subnet_id
  ssh_username     = "ec2-user"
  ena_support      = true

  source_ami_filter {
    filters = {
      name                = "${var.source_ami_name}arm64"
      architecture        = "arm64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = var.source_ami_owners
    most_recent = true
  }

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

  tags     = merge(local.common_tags, { Name = "${local.ami_name_prefix}-arm64", Architecture = "arm64", SourceAMI = "{{ .SourceAMI }}" })
  run_tags = { Name = "packer ${local.ami_name_prefix}-arm64" }
}

build {
  name    = "elastic-ci-agent"
  sources = ["source.amazon-ebs.x86_64", "source.amazon-ebs.arm64"]

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

  provisioner "shell" {
    # {{ .Vars }} carries environment_vars through sudo.
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ELASTIC_CI_STAGING=${local.staging}",
      "ELASTIC_CI_ARCH=${local.go_arch[source.name]}",
      "ELASTIC_CI_STACK_VERSION=${var.stack_version}",
      "ELASTIC_CI_SOURCE_HASH=${var.source_hash}",
      "BUILDKITE_AGENT_VERSION=${var.buildkite_agent_version}",
      "BUILDKITE_AGENT_SHA256=${lookup(var.buildkite_agent_sha256, source.name, "")}",
      "DOCKER_BUILDX_VERSION=${var.docker_buildx_version}",
      "DOCKER_COMPOSE_VERSION=${var.docker_compose_version}",
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
