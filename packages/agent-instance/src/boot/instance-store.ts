/** One command of a plan: program and arguments, run without a shell. */
export interface PlannedCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface InstanceStoreState {
  /** NVMe instance-store devices (`/dev/nvme1n1`, …), in a stable order. */
  readonly devices: readonly string[];
  /** Whether something is already mounted at the mount path (a re-run on the same boot). */
  readonly mounted: boolean;
  readonly mountPath: string;
  /** Directories that live on the instance store and are bind-mounted to their usual paths. */
  readonly bindMounts: ReadonlyArray<{ readonly source: string; readonly target: string }>;
}

export const RAID_DEVICE = '/dev/md0';

/**
 * The commands that put the instance-store volumes in one RAID0 (or use the single volume), make an ext4 file system,
 * mount it and bind-mount the agent's directories onto it. Instance-store contents do not survive a stop (warm pool)
 * and the mount is not in fstab, so the plan is the same on every boot: a fresh, empty file system. Pure.
 * No devices: nothing to do (the instance type has no instance store). Already mounted: nothing to do.
 */
export function planInstanceStore(state: InstanceStoreState): PlannedCommand[] {
  if (state.devices.length === 0 || state.mounted) return [];
  const plan: PlannedCommand[] = [];
  let device = state.devices[0] as string;
  if (state.devices.length > 1) {
    device = RAID_DEVICE;
    plan.push({
      command: 'mdadm',
      args: [
        '--create',
        RAID_DEVICE,
        '--run',
        '--force',
        '--level=0',
        '--chunk=256',
        `--raid-devices=${state.devices.length}`,
        ...state.devices,
      ],
    });
    plan.push({ command: 'blockdev', args: ['--setra', '65536', RAID_DEVICE] });
  }
  plan.push({ command: 'mkfs.ext4', args: ['-F', '-E', 'nodiscard', device] });
  plan.push({ command: 'mkdir', args: ['-p', state.mountPath] });
  plan.push({ command: 'mount', args: ['-o', 'defaults,noatime', device, state.mountPath] });
  for (const { source, target } of state.bindMounts) {
    plan.push({ command: 'mkdir', args: ['-p', source, target] });
    plan.push({ command: 'mount', args: ['--bind', source, target] });
  }
  return plan;
}

/** Instance-store devices from `/dev/disk/by-id` names: AWS names them `nvme-Amazon_EC2_NVMe_Instance_Storage_<serial>`. */
export function instanceStoreDevices(byIdEntries: ReadonlyArray<{ name: string; target: string }>): string[] {
  return byIdEntries
    .filter(({ name }) => /^nvme-Amazon_EC2_NVMe_Instance_Storage_[^_]+$/.test(name))
    .map(({ target }) => target)
    .sort();
}
