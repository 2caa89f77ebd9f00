import { describe, expect, it } from 'vitest';
import { createFakeBootPorts } from './fake-boot-ports.js';
import { runBoot } from './run-boot.js';

const CANARY_TOKEN = 'bkua_CANARY0token0must0never0be0logged';
const CONTRACT = '/etc/elastic-ci/boot-contract.json';

const contractText = (extra: { agent?: object; [key: string]: unknown } = {}) =>
  JSON.stringify({
    version: 1,
    stack: { name: 'ci', region: 'eu-west-1', version: '2.0.0' },
    ...extra,
    agent: { token: { kind: 'ssm-parameter', name: '/ci/token' }, queue: 'linux', ...extra.agent },
  });

function setUp(options: Parameters<typeof createFakeBootPorts>[0] & { contract?: string } = {}) {
  return createFakeBootPorts({
    ...options,
    files: {
      [CONTRACT]: options.contract ?? contractText(),
      '/etc/passwd': 'root:x:0:0::/root:/bin/bash\nbuildkite-agent:x:2000:2001::/var/lib/buildkite-agent:/bin/bash\n',
      '/etc/docker/daemon.json': '{"storage-driver":"overlay2"}',
      ...options.files,
    },
    parameters: { '/ci/token': CANARY_TOKEN, ...options.parameters },
  });
}

const boot = (fake: ReturnType<typeof setUp>) => runBoot({ contractPath: CONTRACT, root: '' }, fake.ports);

describe('runBoot', () => {
  it('configures the instance and starts the agent last', async () => {
    const fake = setUp();
    expect(await boot(fake)).toEqual({ status: 'agent-started', firstBoot: true });
    const config = fake.files.get('/etc/buildkite-agent/buildkite-agent.cfg');
    expect(config?.content).toContain(`token="${CANARY_TOKEN}"`);
    expect(config?.mode).toBe(0o600);
    expect(config?.owner).toEqual({ uid: 2000, gid: 2001 });
    expect(JSON.parse(fake.files.get('/etc/docker/daemon.json')?.content ?? '')).toMatchObject({
      'storage-driver': 'overlay2',
      'userns-remap': 'buildkite-agent',
    });
    expect(fake.files.get('/etc/elastic-ci/agent.env')?.content).toContain('BUILDKITE_QUEUE="linux"');
    expect(fake.files.get('/etc/lifecycled')?.content).toContain('LIFECYCLED_INSTANCE_ID="i-0123456789abcdef0"');
    expect(fake.files.has('/var/lib/elastic-ci/boot-completed')).toBe(true);
    expect(fake.files.has('/var/lib/elastic-ci/boot-started')).toBe(true);
    expect(fake.commands).toEqual([
      'systemctl restart docker.service',
      'systemctl enable --now lifecycled.service',
      'systemctl start buildkite-agent.service',
    ]);
    expect(fake.unhealthy).toEqual([]);
    expect(fake.logLines.join('')).not.toContain(CANARY_TOKEN);
  });

  it('fails closed when the token cannot be read: one line naming the step, unhealthy, power off, no agent', async () => {
    const fake = setUp({ parameters: { '/ci/token': undefined as unknown as string } });
    const outcome = await boot(fake);
    expect(outcome.status).toBe('failed');
    const errors = fake.logLines.filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /boot failed at step "agent token": .*ParameterNotFound.* — fix: check that SSM parameter \/ci\/token/,
    );
    expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    expect(fake.commands.at(-1)).toBe('systemctl poweroff');
    expect(fake.commands.some((c) => c.includes('buildkite-agent.service') || c.includes('lifecycled'))).toBe(false);
    expect(fake.files.has('/etc/buildkite-agent/buildkite-agent.cfg')).toBe(false);
    expect(fake.files.has('/var/lib/elastic-ci/boot-completed')).toBe(false);
  });

  it.each([
    ['empty', '   \n'],
    ['a JSON secret', `{"token": "${CANARY_TOKEN}"}`],
    ['several words', `token ${CANARY_TOKEN}`],
  ])('refuses a token that is %s before it changes anything, never printing it', async (_what, value) => {
    const fake = setUp({ parameters: { '/ci/token': value } });
    expect((await boot(fake)).status).toBe('failed');
    const errors = fake.logLines.filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('boot failed at step "agent token"');
    expect(errors[0]).toContain('value not shown');
    // Nothing was changed on the instance: no Docker restart, no config, only the power-off.
    expect(fake.commands).toEqual(['systemctl poweroff']);
    expect(fake.files.has('/etc/docker/daemon.json') && fake.files.get('/etc/docker/daemon.json')?.content).toBe(
      '{"storage-driver":"overlay2"}',
    );
    expect(fake.files.has('/etc/buildkite-agent/buildkite-agent.cfg')).toBe(false);
    expect(fake.logLines.join('')).not.toContain('CANARY');
  });

  it('a bad contract is one line naming every bad field, then unhealthy and power off', async () => {
    const fake = setUp({ contract: contractText({ agent: { agentsPerInstance: 0 } }) });
    expect((await boot(fake)).status).toBe('failed');
    const errors = fake.logLines.filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.trimEnd()).not.toContain('\n');
    expect(errors[0]).toContain('step "boot contract"');
    expect(errors[0]).toContain('agent.agentsPerInstance');
    expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    expect(fake.commands).toEqual(['systemctl poweroff']);
  });

  it('a missing bootstrap script fails the boot before the agent starts', async () => {
    const fake = setUp({ contract: contractText({ agent: { bootstrapScriptUrl: 's3://ci-bucket/boot.sh' } }) });
    expect((await boot(fake)).status).toBe('failed');
    expect(fake.logLines.join('')).toMatch(/step "bootstrap script": NoSuchKey/);
    expect(fake.commands.some((c) => c.includes('buildkite-agent.service'))).toBe(false);
    expect(fake.unhealthy).toHaveLength(1);
  });

  it('a failing bootstrap script fails the boot; a good one runs before the agent and is removed', async () => {
    const failing = setUp({
      contract: contractText({ agent: { bootstrapScriptUrl: 's3://ci-bucket/boot.sh' } }),
      s3: { 'ci-bucket/boot.sh': 'exit 1' },
      failCommand: (command) => command === 'bash',
    });
    expect((await boot(failing)).status).toBe('failed');
    expect(failing.commands.some((c) => c.includes('buildkite-agent.service'))).toBe(false);

    const good = setUp({
      contract: contractText({ agent: { bootstrapScriptUrl: 's3://ci-bucket/boot.sh' } }),
      s3: { 'ci-bucket/boot.sh': 'echo hi' },
    });
    expect((await boot(good)).status).toBe('agent-started');
    expect(good.commands.indexOf('bash /var/lib/elastic-ci/bootstrap-script')).toBeLessThan(
      good.commands.indexOf('systemctl start buildkite-agent.service'),
    );
    expect(good.files.has('/var/lib/elastic-ci/bootstrap-script')).toBe(false);
  });

  it('a full disk names the step and the fix', async () => {
    const fake = setUp({
      failWrite: (path) =>
        path.endsWith('buildkite-agent.cfg')
          ? Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
          : undefined,
    });
    expect((await boot(fake)).status).toBe('failed');
    expect(fake.logLines.join('')).toMatch(/step "agent config": .*ENOSPC.* — fix: the disk is full/);
    expect(fake.commands.at(-1)).toBe('systemctl poweroff');
  });

  it('without instance metadata it cannot mark the instance but still powers off', async () => {
    const fake = setUp({ imdsDown: true });
    expect((await boot(fake)).status).toBe('failed');
    expect(fake.logLines.join('')).toContain('step "instance metadata"');
    expect(fake.unhealthy).toEqual([]);
    expect(fake.commands).toEqual(['systemctl poweroff']);
  });

  it('a second boot redoes only the every-boot steps and starts the agent', async () => {
    const fake = setUp();
    await boot(fake);
    fake.commands.length = 0;
    fake.awsCalls.length = 0;
    fake.files.delete('/etc/buildkite-agent/buildkite-agent.cfg');
    expect(await boot(fake)).toEqual({ status: 'agent-started', firstBoot: false });
    expect(fake.awsCalls).toEqual([]);
    expect(fake.files.has('/etc/buildkite-agent/buildkite-agent.cfg')).toBe(false);
    expect(fake.commands).toEqual([
      'systemctl restart docker.service',
      'systemctl enable --now lifecycled.service',
      'systemctl start buildkite-agent.service',
    ]);
  });

  it('hands the fresh instance store to buildkite-agent on every boot, not only the first, before the agent starts', async () => {
    const fake = setUp({
      contract: contractText({ storage: { instanceStoreRaid0: true }, agent: { gitMirrorsEnabled: true } }),
      diskLinks: [{ name: 'nvme-Amazon_EC2_NVMe_Instance_Storage_AWS1', target: '/dev/nvme1n1' }],
    });
    await boot(fake);
    // A stop (warm pool) or reboot: the instance store is formatted afresh, its directories made by root again.
    fake.owners.clear();
    fake.commands.length = 0;
    expect(await boot(fake)).toEqual({ status: 'agent-started', firstBoot: false });
    expect(fake.commands).toContain('mount --bind /mnt/ephemeral/builds /var/lib/buildkite-agent/builds');
    const agent = { uid: 2000, gid: 2001 };
    expect(fake.owners.get('/var/lib/buildkite-agent/builds')).toEqual(agent);
    expect(fake.owners.get('/var/lib/buildkite-agent/git-mirrors')).toEqual(agent);
  });

  it('in a warm pool it prepares everything but starts only the waiter, not the agent', async () => {
    const fake = setUp({
      contract: contractText({ lifecycle: { warmPoolEnabled: true } }),
      lifecycleState: 'Warmed:Stopped',
    });
    expect(await boot(fake)).toEqual({ status: 'warm-pool', firstBoot: true, lifecycleState: 'Warmed:Stopped' });
    expect(fake.files.has('/etc/buildkite-agent/buildkite-agent.cfg')).toBe(true);
    expect(fake.commands).toContain('systemctl enable --now --no-block elastic-ci-start-agent.service');
    expect(fake.commands.some((c) => c.includes('buildkite-agent.service'))).toBe(false);
  });

  describe('the launch lifecycle hook', () => {
    const withHook = (lifecycle: object) =>
      contractText({ lifecycle: { launchHookName: 'elastic-ci-launch', ...lifecycle } });

    it('is completed with CONTINUE before the agent starts', async () => {
      const fake = setUp({ contract: withHook({}) });
      expect(await boot(fake)).toEqual({ status: 'agent-started', firstBoot: true });
      expect(fake.timeline.slice(-2)).toEqual([
        'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 CONTINUE',
        'systemctl start buildkite-agent.service',
      ]);
    });

    it('in a warm pool, is completed with CONTINUE only after everything is prepared, and no agent starts', async () => {
      const fake = setUp({ contract: withHook({ warmPoolEnabled: true }), lifecycleState: 'Warmed:Stopped' });
      expect((await boot(fake)).status).toBe('warm-pool');
      expect(fake.timeline).toEqual([
        'systemctl restart docker.service',
        'systemctl enable --now lifecycled.service',
        'systemctl enable --now --no-block elastic-ci-start-agent.service',
        'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 CONTINUE',
      ]);
      expect(fake.files.has('/etc/buildkite-agent/buildkite-agent.cfg')).toBe(true);
    });

    it('a failed boot abandons the lifecycle action, then marks the instance unhealthy and powers off', async () => {
      const fake = setUp({ contract: withHook({}), parameters: { '/ci/token': undefined as unknown as string } });
      expect((await boot(fake)).status).toBe('failed');
      expect(fake.timeline).toEqual([
        'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 ABANDON',
        'systemctl poweroff',
      ]);
      expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    });

    it('a hook that cannot be completed fails the boot before the agent starts (abandon tried too)', async () => {
      const fake = setUp({ contract: withHook({}), lifecycleAction: 'fail' });
      const outcome = await boot(fake);
      expect(outcome.status === 'failed' && outcome.error.step).toBe('launch lifecycle hook');
      expect(fake.commands).not.toContain('systemctl start buildkite-agent.service');
      expect(fake.commands.at(-1)).toBe('systemctl poweroff');
      expect(fake.unhealthy).toEqual(['i-0123456789abcdef0']);
    });

    it('no pending action (a reboot, a later start) is no failure', async () => {
      const fake = setUp({ contract: withHook({}), lifecycleAction: 'no-pending' });
      expect((await boot(fake)).status).toBe('agent-started');
      expect(fake.logLines.join('\n')).toContain('no launch lifecycle action pending');
    });

    it("is completed through the contract's instance broker when it names one; a failure names the broker in its fix", async () => {
      // Prepare
      const instanceBrokerUrl = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';
      const fake = setUp({
        contract: contractText({
          stack: { name: 'ci', region: 'eu-west-1', version: '2.0.0', autoScalingGroupName: 'ci-agents' },
          lifecycle: { launchHookName: 'elastic-ci-launch', instanceBrokerUrl },
        }),
        lifecycleAction: 'fail',
      });

      // Act
      const outcome = await boot(fake);

      // Assess
      expect(fake.awsPorts.filter((port) => port.instanceBrokerUrl === undefined).length).toBeGreaterThan(0); // reads
      expect(fake.timeline.filter((call) => call.startsWith('completeLifecycleAction'))).toEqual([
        'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 CONTINUE ci-agents',
        'completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 ABANDON ci-agents',
      ]);
      // Every port the launch hook and the unhealthy mark went through was made with the broker URL.
      expect(fake.awsPorts.filter((port) => port.instanceBrokerUrl !== undefined)).toEqual([
        { region: 'eu-west-1', instanceBrokerUrl },
        { region: 'eu-west-1', instanceBrokerUrl },
        { region: 'eu-west-1', instanceBrokerUrl },
      ]);
      expect(fake.unhealthyGroups).toEqual(['ci-agents']);
      expect(outcome.status === 'failed' && outcome.error.fix).toMatch(
        /lambda:InvokeFunctionUrl on the instance broker/,
      );
    });

    it('is not called without a hook name', async () => {
      const fake = setUp();
      await boot(fake);
      expect(fake.awsCalls.filter((call) => call.startsWith('completeLifecycleAction'))).toEqual([]);
    });
  });

  it('writes the agent environment from ssm:, the JWKS files 0600, and the resource-limits slice', async () => {
    const fake = setUp({
      contract: contractText({
        agent: { envFileUrl: 'ssm:/ci/env' },
        signing: { jwksParameter: '/ci/jwks' },
        resourceLimits: { memoryMax: '80%' },
        storage: { mountTmpfsAtTmp: false },
      }),
      parameters: { '/ci/env/http-proxy': 'http://proxy:3128', '/ci/jwks': '{"keys":[]}' },
    });
    expect((await boot(fake)).status).toBe('agent-started');
    expect(fake.files.get('/var/lib/buildkite-agent/env')?.content).toContain('HTTP_PROXY="http://proxy:3128"');
    expect(fake.files.get('/etc/buildkite-agent/signing-key.json')).toMatchObject({
      content: '{"keys":[]}',
      mode: 0o600,
    });
    expect(fake.files.get('/etc/systemd/system/buildkite-agent.slice')?.content).toContain('MemoryMax=80%');
    expect(fake.files.get('/etc/systemd/system/buildkite-agent.service.d/10-resource-limits.conf')?.content).toContain(
      'Slice=buildkite-agent.slice',
    );
    expect(fake.commands).toContain('systemctl daemon-reload');
    expect(fake.commands[0]).toBe('systemctl mask --now tmp.mount');
  });

  it('writes the sudoers drop-in 0440 after visudo accepts it, and the login user authorized_keys 0600', async () => {
    const fake = setUp({
      contract: contractText({
        access: { additionalSudoPermissions: '/usr/bin/systemctl restart docker', authorizedUsersUrl: 's3://keys/ci' },
      }),
      files: {
        '/etc/passwd':
          'ec2-user:x:1000:1000::/home/ec2-user:/bin/bash\nbuildkite-agent:x:2000:2001::/var/lib/buildkite-agent:/bin/bash\n',
      },
      s3: { 'keys/ci': 'ssh-ed25519 AAAA ci@example\n' },
    });
    expect((await boot(fake)).status).toBe('agent-started');
    expect(fake.files.get('/etc/sudoers.d/buildkite-agent-additional')).toMatchObject({
      content: 'buildkite-agent ALL=NOPASSWD: /usr/bin/systemctl restart docker\n',
      mode: 0o440,
    });
    expect(fake.commands).toContain('visudo -c -q -f /etc/sudoers.d/buildkite-agent-additional');
    expect(fake.files.get('/home/ec2-user/.ssh/authorized_keys')).toEqual({
      content: 'ssh-ed25519 AAAA ci@example\n',
      mode: 0o600,
      owner: { uid: 1000, gid: 1000 },
    });
  });

  it('a sudoers line visudo refuses is removed and fails the boot', async () => {
    const fake = setUp({
      contract: contractText({ access: { additionalSudoPermissions: '/bin/true' } }),
      failCommand: (command) => command === 'visudo',
    });
    expect((await boot(fake)).status).toBe('failed');
    expect(fake.files.has('/etc/sudoers.d/buildkite-agent-additional')).toBe(false);
    expect(fake.logLines.join('')).toContain('step "sudo permissions"');
    expect(fake.commands.some((c) => c.includes('buildkite-agent.service'))).toBe(false);
  });
});
