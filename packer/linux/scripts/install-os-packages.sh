#!/usr/bin/env bash
# Amazon Linux 2023 packages every agent needs: git + git-lfs, AWS CLI v2, the SSM and CloudWatch agents, Node.js 22
# (runs our CLIs) and the disk tools the boot uses for instance storage (mdadm, mkfs.ext4).
set -euo pipefail

dnf -y -q upgrade
dnf -y -q install \
  git git-lfs jq lsof mdadm nvme-cli e2fsprogs pigz tar gzip unzip zip wget rsyslog logrotate \
  awscli-2 amazon-ssm-agent amazon-cloudwatch-agent ec2-instance-connect \
  nodejs22

# AL2023's nodejs22 installs node-22 (plain `node` only through alternatives); our CLIs run with
# `#!/usr/bin/env node`, and /usr/local/bin comes first on every PATH they run with.
node22="$(command -v node-22 || echo /usr/bin/node)"
ln -sf "$node22" /usr/local/bin/node
node_version="$(/usr/bin/env node --version)"
[[ "$node_version" == v22.* ]] || { echo "install-os-packages: node is $node_version, want v22" >&2; exit 1; }

git lfs install --system
systemctl enable amazon-ssm-agent rsyslog logrotate.timer
echo "install-os-packages: git $(git --version), $(aws --version), node $node_version"
