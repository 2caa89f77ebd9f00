import type { BootContract } from '../boot-contract.js';

type ResourceLimits = NonNullable<BootContract['resourceLimits']>;

/** `buildkite-agent.slice`: the systemd limits every agent (and its jobs) shares. */
export function renderAgentSlice(limits: ResourceLimits): string {
  return [
    '# Written by elastic-ci-boot from the boot contract (resourceLimits).',
    '[Unit]',
    'Description=Buildkite agent and its jobs',
    '',
    '[Slice]',
    `MemoryHigh=${limits.memoryHigh}`,
    `MemoryMax=${limits.memoryMax}`,
    `MemorySwapMax=${limits.memorySwapMax}`,
    `CPUWeight=${limits.cpuWeight}`,
    `CPUQuota=${limits.cpuQuota}`,
    `IOWeight=${limits.ioWeight}`,
    '',
  ].join('\n');
}

/** Drop-in that moves buildkite-agent.service into the slice. */
export function renderAgentSliceDropIn(): string {
  return [
    '# Written by elastic-ci-boot: run the agent in buildkite-agent.slice.',
    '[Service]',
    'Slice=buildkite-agent.slice',
    '',
    '[Unit]',
    'IgnoreOnIsolate=yes',
    '',
  ].join('\n');
}
