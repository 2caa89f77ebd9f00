import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** `[Section]` → key → values, the way systemd reads a unit (comments and blank lines skipped). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = sections[header[1]] ?? {};
      sections[header[1]] = current;
      continue;
    }
    const separator = line.indexOf('=');
    const key = line.slice(0, separator);
    current[key] = [...(current[key] ?? []), line.slice(separator + 1)];
  }
  return sections;
}

describe('File: lifecycled.service', () => {
  it('runs the daemon with its environment file and the stop behaviour the drain relies on', () => {
    // Prepare
    const unit = parseUnit(readFileSync(new URL('../lifecycled.service', import.meta.url), 'utf8'));

    // Assess
    expect(unit.Service).toMatchObject({
      ExecStart: ['/usr/local/bin/lifecycled'],
      EnvironmentFile: ['-/etc/lifecycled'],
      // A restart mid-drain of a return to the warm pool resumes it only with the last state remembered.
      Environment: ['LIFECYCLED_STATE_DIR=/run/lifecycled'],
      // Exit 0 after a drain must not restart into a second drain; failures must.
      Restart: ['on-failure'],
      // SIGTERM reaches the daemon first so it can stop its handler and decide about the action itself.
      KillMode: ['mixed'],
      TimeoutStopSec: ['5min'],
    });
    expect(unit.Unit?.After).toEqual(['network-online.target']);
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
  });
});
