import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeBootPorts } from './fake-boot-ports.js';
import { ecrRegistryOf, PRE_PULL_BUDGET_MS, planImagePrePull } from './image-pre-pull.js';
import { runBoot } from './run-boot.js';

const CONTRACT = '/etc/elastic-ci/boot-contract.json';
const CONFIG = '/var/lib/elastic-ci/pre-pull-docker-config';
const ECR_APP = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.2.3';
const ECR_TOOL = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/tools/lint:7';
const ECR_OTHER = `210987654321.dkr.ecr.us-east-2.amazonaws.com/base@sha256:${'b'.repeat(64)}`;

function warmBoot(
  prePullImages: string[],
  options: Parameters<typeof createFakeBootPorts>[0] = {},
  state = 'Warmed:Stopped',
) {
  const fake = createFakeBootPorts({
    ...options,
    lifecycleState: state,
    files: {
      [CONTRACT]: JSON.stringify({
        version: 1,
        stack: { name: 'ci', region: 'eu-west-1', version: '2.0.0' },
        agent: { token: { kind: 'ssm-parameter', name: '/ci/token' } },
        docker: { prePullImages },
        lifecycle: { warmPoolEnabled: true, launchHookName: 'elastic-ci-launch' },
      }),
      '/etc/docker/daemon.json': '{}',
    },
    parameters: { '/ci/token': 'bkua_token' },
  });
  return { fake, outcome: runBoot({ contractPath: CONTRACT, root: '' }, fake.ports) };
}

const dockerCalls = (timeline: string[]) => timeline.filter((entry) => entry.startsWith('docker '));

describe('ecrRegistryOf and planImagePrePull', () => {
  it('finds the private ECR registry of an image, and nothing for other registries', () => {
    expect(ecrRegistryOf(ECR_APP)).toEqual({
      host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      accountId: '123456789012',
      region: 'eu-west-1',
    });
    expect(ecrRegistryOf('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app')).toMatchObject({
      region: 'us-gov-west-1',
    });
    for (const image of ['node:22', 'public.ecr.aws/docker/library/node:22', 'ghcr.io/acme/app', 'localhost:5000/x']) {
      expect(ecrRegistryOf(image)).toBeUndefined();
    }
  });

  it('logs in once per ECR registry and pulls every image once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(ECR_APP, ECR_TOOL, ECR_OTHER, 'node:22'), { maxLength: 8 }), (images) => {
        const plan = planImagePrePull(images);
        expect(plan.pulls).toEqual([...new Set(images)]);
        const hosts = plan.logins.map((registry) => registry.host);
        expect(new Set(hosts).size).toBe(hosts.length);
        const expectedHosts = [...new Set(images.flatMap((image) => ecrRegistryOf(image)?.host ?? []))];
        expect(hosts).toEqual(expectedHosts);
      }),
    );
  });
});

describe('image pre-pull in the warm-pool boot', () => {
  it('logs in to each ECR registry, pulls every image, then completes the launch hook; the credentials go', async () => {
    const { fake, outcome } = warmBoot([ECR_APP, 'node:22', ECR_TOOL, ECR_OTHER]);
    expect((await outcome).status).toBe('warm-pool');
    expect(dockerCalls(fake.timeline)).toEqual([
      `docker login 123456789012.dkr.ecr.eu-west-1.amazonaws.com (123456789012 eu-west-1) config=${CONFIG}`,
      `docker login 210987654321.dkr.ecr.us-east-2.amazonaws.com (210987654321 us-east-2) config=${CONFIG}`,
      `docker pull ${ECR_APP} config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS}`,
      `docker pull node:22 config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS}`,
      `docker pull ${ECR_TOOL} config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS}`,
      `docker pull ${ECR_OTHER} config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS}`,
    ]);
    const lastPull = fake.timeline.findLastIndex((entry) => entry.startsWith('docker pull'));
    expect(fake.timeline.findIndex((entry) => entry.startsWith('completeLifecycleAction'))).toBeGreaterThan(lastPull);
    expect(fake.directories).not.toContain(CONFIG);
  });

  it('logs a failed login or pull and goes on: the boot succeeds and the other images are pulled', async () => {
    const { fake, outcome } = warmBoot([ECR_APP, 'node:22', ECR_OTHER], {
      failDocker: (call) => call === 'login 123456789012.dkr.ecr.eu-west-1.amazonaws.com' || call === 'pull node:22',
    });
    expect((await outcome).status).toBe('warm-pool');
    expect(dockerCalls(fake.timeline).filter((call) => call.startsWith('docker pull'))).toHaveLength(3);
    const errors = fake.logLines.filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('ECR login to 123456789012.dkr.ecr.eu-west-1.amazonaws.com failed');
    expect(errors[1]).toContain('node:22 not pulled');
    expect(fake.unhealthy).toEqual([]);
    expect(fake.awsCalls).toContain('completeLifecycleAction elastic-ci-launch i-0123456789abcdef0 CONTINUE');
  });

  it('shares one time budget between the pulls and skips what no longer fits', async () => {
    const { fake, outcome } = warmBoot(['node:20', 'node:22', 'node:24'], { pullTakesMs: PRE_PULL_BUDGET_MS / 2 });
    expect((await outcome).status).toBe('warm-pool');
    expect(dockerCalls(fake.timeline)).toEqual([
      `docker pull node:20 config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS}`,
      `docker pull node:22 config=${CONFIG} timeout=${PRE_PULL_BUDGET_MS / 2}`,
    ]);
    expect(fake.logLines.join('\n')).toContain('node:24 skipped');
  });

  it('pulls nothing when the instance goes straight InService (the agent starts without waiting)', async () => {
    const { fake, outcome } = warmBoot([ECR_APP], {}, 'InService');
    expect((await outcome).status).toBe('agent-started');
    expect(dockerCalls(fake.timeline)).toEqual([]);
  });
});
