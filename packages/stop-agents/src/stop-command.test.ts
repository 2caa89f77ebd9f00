import { describe, expect, it } from 'vitest';
import { stopCommandFor } from './stop-command';

describe('Function: stopCommandFor', () => {
  it('queues a systemd stop (SIGTERM: the running job finishes) on Linux', () => {
    expect(stopCommandFor('linux', 'buildkite-agent')).toEqual({
      documentName: 'AWS-RunShellScript',
      commands: ["systemctl stop --no-block 'buildkite-agent'"],
    });
  });

  it('stops the Windows service without waiting for the job', () => {
    expect(stopCommandFor('windows', 'buildkite-agent')).toEqual({
      documentName: 'AWS-RunPowerShellScript',
      commands: ["Stop-Service -Name 'buildkite-agent' -NoWait"],
    });
  });
});
