/**
 * The docker prune timer, rendered from the boot contract so it honours `docker.pruneUntil` (Buildkite's GC units
 * hard-code `until=4h` whatever `DOCKER_PRUNE_UNTIL` says). The packer engineer's units take these values; the boot
 * writes them as a drop-in because the contract only arrives at boot.
 *
 * The timer runs often enough that nothing stays much past the window: every quarter of the window, at least every
 * 15 minutes and at most hourly. A random delay of up to a quarter of that period spreads a fleet's prunes.
 */
export interface DockerPruneTimerSettings {
  /** `OnCalendar=` of the timer. */
  readonly onCalendar: string;
  /** `RandomizedDelaySec=` of the timer. */
  readonly randomizedDelaySec: number;
  /** `until=` filter of every prune. */
  readonly pruneUntil: string;
  /** Commands the service runs, in order (`ExecStart=` lines). */
  readonly commands: readonly (readonly string[])[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a Go-style duration as the contract allows it (`4h`, `30m`, `1d12h`); undefined if it is not one. */
export function durationSeconds(text: string): number | undefined {
  if (!/^(\d{1,6}[smhd]){1,4}$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g))
    total += Number(amount) * (UNIT_SECONDS[unit as string] ?? 0);
  return total;
}

const PERIODS_MINUTES = [60, 30, 20, 15] as const;

export function renderDockerPruneTimer(docker: {
  readonly pruneUntil: string;
  readonly builderPruneEnabled: boolean;
}): DockerPruneTimerSettings {
  const window = durationSeconds(docker.pruneUntil);
  if (window === undefined) throw new RangeError('docker.pruneUntil must be a duration such as 4h, 30m or 1d12h');
  const quarterMinutes = window / 4 / 60;
  const period = PERIODS_MINUTES.find((minutes) => minutes <= quarterMinutes) ?? 15;
  const filter = `until=${docker.pruneUntil}`;
  const commands: string[][] = [
    ['/usr/bin/docker', 'container', 'prune', '--force', '--filter', filter],
    ['/usr/bin/docker', 'network', 'prune', '--force', '--filter', filter],
    // Images and build cache only when the disk is low: the check prunes them with the same window, then rechecks.
    ['/usr/local/bin/elastic-ci-instance', 'disk-check', '--prune'],
  ];
  return {
    onCalendar: period === 60 ? 'hourly' : `*:0/${period}`,
    randomizedDelaySec: (period * 60) / 4,
    pruneUntil: docker.pruneUntil,
    commands,
  };
}

/** The `[Timer]` and `[Service]` drop-in text for `elastic-ci-docker-prune.{timer,service}`. */
export function renderDockerPruneUnits(settings: DockerPruneTimerSettings): { timer: string; service: string } {
  return {
    timer: `[Timer]\nOnCalendar=\nOnCalendar=${settings.onCalendar}\nRandomizedDelaySec=${settings.randomizedDelaySec}\n`,
    service: `[Service]\nExecStart=\n${settings.commands.map((command) => `ExecStart=-${command.join(' ')}`).join('\n')}\n`,
  };
}
