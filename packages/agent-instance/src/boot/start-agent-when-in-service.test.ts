import { describe, expect, it } from 'vitest';
import { createFakeBootPorts } from './fake-boot-ports.js';
import { runStartAgentWhenInService } from './start-agent-when-in-service.js';

const CONTRACT = '/etc/elastic-ci/boot-contract.json';
const contract = JSON.stringify({
  version: 1,
  stack: { name: 'ci', region: 'eu-west-1', version: '2.0.0' },
  agent: { token: { kind: 'ssm-parameter', name: '/ci/token' } },
  lifecycle: { warmPoolEnabled: true },
});
const booted = { [CONTRACT]: contract, '/var/lib/elastic-ci/boot-completed': '{"instanceId":"i-0123456789abcdef0"}' };

const waitUntilParked = async (clock: { pendingSleeps: number }) => {
  for (let i = 0; i < 100 && clock.pendingSleeps === 0; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('runStartAgentWhenInService', () => {
  it('does nothing before the first boot completed', async () => {
    const fake = createFakeBootPorts({ files: { [CONTRACT]: contract }, lifecycleState: 'InService' });
    expect(await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports)).toEqual({
      status: 'not-booted',
    });
    expect(fake.commands).toEqual([]);
  });

  it('waits while Warmed:*, and starts the agent at the first poll that sees InService', async () => {
    const fake = createFakeBootPorts({ files: booted, lifecycleState: 'Warmed:Stopped' });
    const waiting = runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports);
    await waitUntilParked(fake.clock);
    await fake.clock.advance(2000);
    await fake.clock.advance(2000);
    expect(fake.commands).not.toContain('systemctl start buildkite-agent.service');
    fake.setLifecycleState('InService');
    await fake.clock.advance(2000);
    expect(await waiting).toEqual({ status: 'agent-started', lifecycleState: 'InService' });
    expect(fake.commands).toEqual(['systemctl restart docker.service', 'systemctl start buildkite-agent.service']);
  });

  it('forgets the idle-since time of before the warm pool when it starts the agent', async () => {
    // The instance was idle since before it went into the pool: kept, the scaler would take the instance that has just
    // come InService for demand for its longest-idle one. The agent's start (ExecStartPost reconcile) counts from now.
    const idleSince = '/var/lib/elastic-ci/protection/idle-since';
    let idleSinceAtAgentStart: string | undefined;
    const fake = createFakeBootPorts({
      files: { ...booted, [idleSince]: '2026-01-01T00:00:00Z\n' },
      lifecycleState: 'InService',
      onCommand: (command, args, files) => {
        if (command === 'systemctl' && args.join(' ') === 'start buildkite-agent.service') {
          idleSinceAtAgentStart = files.get(idleSince)?.content ?? 'none';
        }
      },
    });
    expect((await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports)).status).toBe(
      'agent-started',
    );
    expect(idleSinceAtAgentStart).toBe('none');
  });

  it('completes the launch hook again when the instance leaves the warm pool, then starts the agent', async () => {
    const withHook = JSON.stringify({
      ...JSON.parse(contract),
      lifecycle: { warmPoolEnabled: true, launchHookName: 'elastic-ci-launch' },
    });
    const fake = createFakeBootPorts({ files: { ...booted, [CONTRACT]: withHook }, lifecycleState: 'Warmed:Stopped' });
    const waiting = runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports);
    await waitUntilParked(fake.clock);
    await fake.clock.advance(2000);
    expect(fake.awsCalls).toEqual([]);
    fake.setLifecycleState('InService');
    await fake.clock.advance(2000);
    expect((await waiting).status).toBe('agent-started');
    expect(fake.timeline).toEqual([
      'systemctl restart docker.service',
      'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 CONTINUE',
      'systemctl start buildkite-agent.service',
    ]);
  });

  it('a launch hook it cannot complete fails closed: abandoned, unhealthy, powered off, no agent', async () => {
    const withHook = JSON.stringify({
      ...JSON.parse(contract),
      lifecycle: { warmPoolEnabled: true, launchHookName: 'elastic-ci-launch' },
    });
    const fake = createFakeBootPorts({
      files: { ...booted, [CONTRACT]: withHook },
      lifecycleState: 'InService',
      lifecycleAction: 'fail',
    });
    const outcome = await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports);
    expect(outcome.status === 'failed' && outcome.error.step).toBe('launch lifecycle hook');
    expect(fake.commands).not.toContain('systemctl start buildkite-agent.service');
    expect(fake.awsCalls.at(-1)).toBe('completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 ABANDON');
    expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
  });

  it('starts no agent on an instance that is being terminated', async () => {
    const fake = createFakeBootPorts({ files: booted, lifecycleState: 'Warmed:Terminated' });
    expect(await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports)).toEqual({
      status: 'terminating',
      lifecycleState: 'Warmed:Terminated',
    });
    expect(fake.commands.some((c) => c.includes('buildkite-agent'))).toBe(false);
  });

  it('fails closed when the lifecycle state stays unreadable', async () => {
    const fake = createFakeBootPorts({ files: booted, lifecycleState: 'Warmed:Running' });
    // Instance id readable, lifecycle state not.
    fake.ports.metadata.targetLifecycleState = async () => {
      throw new Error('IMDS 500');
    };
    const waiting = runStartAgentWhenInService(
      { contractPath: CONTRACT, root: '', maxConsecutiveFailures: 3 },
      fake.ports,
    );
    await waitUntilParked(fake.clock);
    await fake.clock.advance(10_000);
    expect((await waiting).status).toBe('failed');
    expect(fake.logLines.join('')).toContain('step "wait for InService"');
    expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    expect(fake.commands.at(-1)).toBe('systemctl poweroff');
  });

  it('redoes the every-boot steps once per boot of the machine, never under a running agent', async () => {
    const sameBoot = createFakeBootPorts({
      files: {
        ...booted,
        '/proc/sys/kernel/random/boot_id': 'boot-1\n',
        '/var/lib/elastic-ci/every-boot-done': 'boot-1\n',
      },
      lifecycleState: 'InService',
    });
    await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, sameBoot.ports);
    expect(sameBoot.commands).toEqual(['systemctl start buildkite-agent.service']);

    const nextBoot = createFakeBootPorts({
      files: {
        ...booted,
        '/proc/sys/kernel/random/boot_id': 'boot-2\n',
        '/var/lib/elastic-ci/every-boot-done': 'boot-1\n',
      },
      lifecycleState: 'InService',
    });
    await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, nextBoot.ports);
    expect(nextBoot.commands).toEqual(['systemctl restart docker.service', 'systemctl start buildkite-agent.service']);
    expect(nextBoot.files.get('/var/lib/elastic-ci/every-boot-done')?.content).toBe('boot-2\n');
  });

  it('replaces an instance whose first boot was interrupted by a restart', async () => {
    const fake = createFakeBootPorts({
      files: { [CONTRACT]: contract, '/var/lib/elastic-ci/boot-started': '{"instanceId":"i-0123456789abcdef0"}' },
      lifecycleState: 'InService',
    });
    const outcome = await runStartAgentWhenInService({ contractPath: CONTRACT, root: '' }, fake.ports);
    expect(outcome.status).toBe('failed');
    expect(fake.logLines.join('')).toContain('step "first boot interrupted"');
    expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    expect(fake.commands).toEqual(['systemctl poweroff']);
  });
});
