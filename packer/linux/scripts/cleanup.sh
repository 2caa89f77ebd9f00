#!/usr/bin/env bash
# Leave nothing of the build behind: staging files, caches, logs, host keys and the build user's traces.
set -euo pipefail

rm -rf "${ELASTIC_CI_STAGING:?}"
dnf clean all
rm -rf /var/cache/dnf/* /tmp/* /var/tmp/*
find /var/log -type f \( -name '*.log' -o -name '*.gz' \) -delete
journalctl --rotate >/dev/null && journalctl --vacuum-time=1s >/dev/null
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
rm -f /root/.bash_history /home/ec2-user/.bash_history
rm -rf /home/ec2-user/.ssh/authorized_keys
# cloud-init runs again on the instances launched from this image, as on a first boot.
cloud-init clean --logs
# Each instance generates its own machine id at its first boot (systemd derives the DHCP client identity, the journal's
# directory and other per-host ids from it); otherwise every instance would share the build instance's. Emptied, not
# deleted: systemd needs the file to exist. The units the image keeps disabled stay so (systemd-preset/).
truncate -s 0 /etc/machine-id
