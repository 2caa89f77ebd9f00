import { describe, expect, it } from 'vitest';
import { instanceStoreDevices, planInstanceStore } from './instance-store.js';

const bindMounts = [{ source: '/mnt/ephemeral/builds', target: '/var/lib/buildkite-agent/builds' }];

const lines = (plan: ReturnType<typeof planInstanceStore>) =>
  plan.map(({ command, args }) => [command, ...args].join(' '));

describe('planInstanceStore', () => {
  it('does nothing without instance-store devices or when already mounted', () => {
    expect(planInstanceStore({ devices: [], mounted: false, mountPath: '/mnt/ephemeral', bindMounts })).toEqual([]);
    expect(
      planInstanceStore({ devices: ['/dev/nvme1n1'], mounted: true, mountPath: '/mnt/ephemeral', bindMounts }),
    ).toEqual([]);
  });

  it('uses a single device directly', () => {
    expect(
      lines(planInstanceStore({ devices: ['/dev/nvme1n1'], mounted: false, mountPath: '/mnt/ephemeral', bindMounts })),
    ).toEqual([
      'mkfs.ext4 -F -E nodiscard /dev/nvme1n1',
      'mkdir -p /mnt/ephemeral',
      'mount -o defaults,noatime /dev/nvme1n1 /mnt/ephemeral',
      'mkdir -p /mnt/ephemeral/builds /var/lib/buildkite-agent/builds',
      'mount --bind /mnt/ephemeral/builds /var/lib/buildkite-agent/builds',
    ]);
  });

  it('puts several devices in one RAID0 first', () => {
    expect(
      lines(
        planInstanceStore({
          devices: ['/dev/nvme1n1', '/dev/nvme2n1'],
          mounted: false,
          mountPath: '/mnt/ephemeral',
          bindMounts: [],
        }),
      ),
    ).toEqual([
      'mdadm --create /dev/md0 --run --force --level=0 --chunk=256 --raid-devices=2 /dev/nvme1n1 /dev/nvme2n1',
      'blockdev --setra 65536 /dev/md0',
      'mkfs.ext4 -F -E nodiscard /dev/md0',
      'mkdir -p /mnt/ephemeral',
      'mount -o defaults,noatime /dev/md0 /mnt/ephemeral',
    ]);
  });
});

describe('instanceStoreDevices', () => {
  it('keeps only the whole instance-store disks, sorted', () => {
    expect(
      instanceStoreDevices([
        { name: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS2', target: '/dev/nvme2n1' },
        { name: 'nvme-Amazon_Elastic_Block_Store_vol0123', target: '/dev/nvme0n1' },
        { name: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1', target: '/dev/nvme1n1' },
        { name: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1_1', target: '/dev/nvme1n1p1' },
      ]),
    ).toEqual(['/dev/nvme1n1', '/dev/nvme2n1']);
  });
});
