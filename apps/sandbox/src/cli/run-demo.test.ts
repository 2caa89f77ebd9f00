import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it, vi } from 'vitest';
import type { DemoSandbox, DemoSandboxOptions } from './demo-sandbox';
import { type DemoIo, runDemo } from './run-demo';

const TRACE = [
  '{"trace":"three","start":"2026-11-02T00:00:00Z","spanSec":600,"jobs":3}',
  '{"job":"a","build":"1","queue":"default","createdAt":10,"durationSec":30}',
  '{"job":"b","build":"2","queue":"default","createdAt":60,"durationSec":30}',
  '{"job":"c","build":"3","queue":"default","createdAt":120,"durationSec":30}',
].join('\n');
const POLICY = JSON.stringify({ name: 'tiny', fleet: { bootSec: 30, idleTimeoutSec: 100 } });
const SPEED = 60;

/**
 * A sandbox on a virtual clock: every job starts 5 world s after it is added and runs its duration; one instance is in
 * service from world 0 until 100 s after the last job finished. `delay` sleeps on a fake clock the test advances.
 */
function fakeWorld(options: { interruptJob?: string } = {}) {
  const clock = new FakeClock(0);
  const added: { id: string; queue: string; at: number; durationSec: number }[] = [];
  const scheduledListeners: ((job: { id: string; queue: string }) => void)[] = [];
  const worldNow = () => (clock.now() / 1000) * SPEED;
  const stop = vi.fn(async () => {});
  const lastFinish = () => Math.max(...added.map((job) => job.at + 5 + job.durationSec));
  const fleetUp = () => added.length < 3 || worldNow() < lastFinish() + 100;
  const state = (job: (typeof added)[number]) => {
    const now = worldNow();
    if (now >= job.at + 5 + job.durationSec) return job.id === options.interruptJob ? 'canceled' : 'finished';
    return now >= job.at + 5 ? 'running' : 'scheduled';
  };
  const sandbox: DemoSandbox = {
    worldNow,
    addJob(job) {
      added.push({ id: job.id, queue: job.queue, at: worldNow(), durationSec: job.durationSec });
      for (const listener of scheduledListeners) listener(job);
    },
    onJobScheduled(listener) {
      scheduledListeners.push(listener);
      return () => {};
    },
    jobs: () =>
      added.map((job) => {
        const current = state(job);
        return {
          id: job.id,
          queue: job.queue,
          state: current,
          scheduledAtSec: job.at,
          ...(current === 'scheduled' ? {} : { startedAtSec: job.at + 5 }),
          ...(current === 'finished' || current === 'canceled' ? { finishedAtSec: job.at + 5 + job.durationSec } : {}),
          interrupted: current === 'canceled',
        };
      }),
    async sample() {
      const jobs = sandbox.jobs();
      const up = fleetUp() ? 1 : 0;
      return {
        atSec: worldNow(),
        scheduled: jobs.filter((job) => job.state === 'scheduled').length,
        running: jobs.filter((job) => job.state === 'running').length,
        waiting: 0,
        desired: up,
        inService: up,
        warm: 0,
        agents: up,
      };
    },
    scalingActions: () => [{ atSec: 0, kind: 'SetDesiredCapacity' }],
    scalerPasses: () => 3,
    scheduledPassGapRealSec: () => undefined,
    instances: () => [{ id: 'i-1', running: [{ fromSec: 0, ...(fleetUp() ? {} : { toSec: lastFinish() + 100 }) }] }],
    instanceBrokerRequests: () => ({
      requests: 4,
      byAction: { 'set-instance-protection': 3, 'terminate-instance': 1 },
      instances: 1,
      refused: 0,
    }),
    awsEndpoint: 'http://127.0.0.1:5000',
    webhookSecret: undefined,
    deliverWebhook: undefined,
    agentPingIntervalSec: 60,
    distortions: [],
    logDir: '/tmp/demo-logs-x',
    logs: () => ['/tmp/demo-logs-x/sandbox.log'],
    stop,
  };
  const startSandbox = vi.fn(async (_options: DemoSandboxOptions) => sandbox);
  const delay = async (ms: number, signal?: AbortSignal) => {
    signal?.throwIfAborted();
    await clock.sleep(ms);
  };
  /** Runs the demo to its end, moving the fake clock a quarter second at a time. */
  const drive = async (demo: Promise<number>) => {
    let finished = false;
    const code = demo.finally(() => {
      finished = true;
    });
    while (!finished) await clock.advance(250);
    return code;
  };
  return { sandbox, startSandbox, stop, delay, added, drive, clock };
}

function io(
  world: ReturnType<typeof fakeWorld>,
  files: Record<string, string> = {},
  signal = new AbortController().signal,
) {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  const demoIo: DemoIo = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readTextFile: (path) => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return content;
    },
    writeTextFile: (path, text) => written.set(path, text),
    bundledTracePath: 'bundled.jsonl',
    startSandbox: world.startSandbox,
    sign: () => ({}),
    nowEpochMs: () => 0,
    delay: world.delay,
    signal,
  };
  return { demoIo, out, err, written };
}

const FILES = { 'bundled.jsonl': TRACE, 'tiny.json': POLICY };

describe('runDemo', () => {
  it('replays the cut into the sandbox, stops it, and reports measured figures beside the prediction', async () => {
    // Arrange
    const world = fakeWorld();
    const { demoIo, out, err, written } = io(world, FILES);

    // Act
    const code = await world.drive(
      runDemo(['--policy', 'tiny.json', '--duration', '10m', '--chart', '/out/chart.svg'], demoIo),
    );

    // Assess: waits are all 5 s; one instance from 0 to the last finish (120 + 5 + 30) + 100 = 255 s = 0.071 h.
    // (The fake clock moves in 0.25 s = 15 world s steps, and each job is added at its exact time.)
    const text = out.join('');
    expect(err.join(''), text).toBe('');
    expect(code).toBe(0);
    expect(world.added.map((job) => [job.id, job.at])).toEqual([
      ['a', 10],
      ['b', 60],
      ['c', 120],
    ]);
    expect(world.startSandbox).toHaveBeenCalledTimes(1);
    const started = world.startSandbox.mock.calls[0]?.[0] as DemoSandboxOptions;
    expect(started.timeScale).toBe(60);
    expect(started.bootDelaySec).toBe(30);
    expect(started.stackConfig.buildkite).toMatchObject({ queue: 'default', idleTimeoutSec: 100 });
    expect(world.stop).toHaveBeenCalledTimes(1);
    expect(text).toMatch(/^jobs run +3 +3 +agrees$/m);
    expect(text).toMatch(/^wait p50 \(s\) +5\.0 /m);
    expect(text).toMatch(/^wait p95 \(s\) +5\.0 /m);
    expect(text).toMatch(/^instance-hours +0\.071 /m);
    expect(text).toMatch(/^jobs interrupted +0 +0 +must be 0: ok$/m);
    expect(text).toMatch(/ · queue \d+ scheduled \/ \d+ running \/ 0 waiting · fleet desired/);
    expect(written.get('/out/chart.svg')).toMatch(/^<svg/);
    // The run's logs outlive it (each process's, to see why a figure differs): the user is told where they are.
    expect(text).toMatch(/^logs of every process of the run: \/tmp\/demo-logs-x$/m);
    // What the instance broker did for the hosts, as the sandbox tallied it at the end of the run.
    expect(text).toContain(
      "instance broker (the hosts' Auto Scaling writes, each for the instance whose credentials signed it): 4 requests for 1 instance (set-instance-protection 3, terminate-instance 1), 0 refused",
    );
  });

  it('with --json prints only the report as JSON on stdout, progress on stderr', async () => {
    const world = fakeWorld();
    const { demoIo, out, err } = io(world, FILES);
    const code = await world.drive(
      runDemo(['--policy', 'tiny.json', '--duration', '10m', '--chart', 'c.html', '--json'], demoIo),
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.measured).toMatchObject({ jobsRun: 3, interruptedJobs: 0, waitSec: { p50: 5, p95: 5 } });
    expect(report.predicted.jobs).toBe(3);
    expect(report.figures).toHaveLength(6);
    expect(report.chart).toBe('c.html');
    expect(report.logDir).toBe('/tmp/demo-logs-x');
    expect(err.join('')).toContain('demo: replaying');
  });

  it('exits 1 and still stops the sandbox when a job was interrupted', async () => {
    const world = fakeWorld({ interruptJob: 'b' });
    const { demoIo, err } = io(world, FILES);
    const code = await world.drive(runDemo(['--policy', 'tiny.json', '--duration', '10m', '--chart', 'c.svg'], demoIo));
    expect(code).toBe(1);
    expect(err.join('')).toContain('1 job(s) were interrupted');
    expect(world.stop).toHaveBeenCalledTimes(1);
  });

  it('stops the sandbox and exits 130 when interrupted mid-replay', async () => {
    // Arrange
    const world = fakeWorld();
    const controller = new AbortController();
    const { demoIo, err } = io(world, FILES, controller.signal);
    world.startSandbox.mockImplementationOnce(async () => {
      // Ctrl-C once the first job is in.
      const original = world.sandbox.addJob;
      world.sandbox.addJob = (job) => {
        original(job);
        controller.abort(new Error('stopped by SIGINT'));
      };
      return world.sandbox;
    });

    // Act
    const code = await world.drive(runDemo(['--policy', 'tiny.json', '--duration', '10m', '--chart', 'c.svg'], demoIo));

    // Assess
    expect(code).toBe(130);
    expect(world.added.map((job) => job.id)).toEqual(['a']);
    expect(world.stop).toHaveBeenCalledTimes(1);
    expect(err.join('')).toContain('stopped; every process the sandbox started is stopped');
  });

  it('exits 2 on a trace and a policy that do not parse, naming both, without starting anything', async () => {
    // Arrange
    const world = fakeWorld();
    const { demoIo, err } = io(world, { 'bad.jsonl': '{"trace": "x"\nnot json', 'bad.json': '{"name": 3}' });

    // Act
    const code = await runDemo(['--trace', 'bad.jsonl', '--policy', 'bad.json'], demoIo);

    // Assess
    expect(code).toBe(2);
    const message = err.join('');
    expect(message).toContain('bad.jsonl');
    expect(message).toContain('line 1');
    expect(message).toContain('bad.json: invalid policy');
    expect(world.startSandbox).not.toHaveBeenCalled();
  });

  it('exits 2 when moto is missing, with the fix', async () => {
    const world = fakeWorld();
    world.startSandbox.mockRejectedValueOnce(
      Object.assign(new Error('moto server not found at /repo/.venv/bin/moto_server: run `make test`'), {
        name: 'MotoUnavailableError',
      }),
    );
    const { demoIo, err } = io(world, FILES);
    const code = await runDemo(['--policy', 'tiny.json'], demoIo);
    expect(code).toBe(2);
    expect(err.join('')).toBe(
      'elastic-ci-sandbox demo: the sandbox could not start: moto server not found at /repo/.venv/bin/moto_server: run `make test`\n',
    );
  });

  it('starts moto on the --moto-port asked for and says where it answers', async () => {
    const world = fakeWorld();
    const { demoIo, out } = io(world, FILES);
    const code = await world.drive(runDemo(['--policy', 'tiny.json', '--moto-port', '5000'], demoIo));
    expect(code).toBe(0);
    expect(world.startSandbox).toHaveBeenCalledWith(expect.objectContaining({ motoPort: 5000 }));
    expect(out.join('')).toContain('demo: moto answers on http://127.0.0.1:5000 while the demo runs');
  });

  it("sends Buildkite's ping to the webhook before the replay, then one job.scheduled per job", async () => {
    // Arrange: a sandbox with a webhook function that records what reaches it, and when.
    const world = fakeWorld();
    const deliveries: { event: string | undefined; jobsAdded: number }[] = [];
    world.startSandbox.mockImplementationOnce(async () => {
      const listeners: ((job: { id: string; queue: string }) => void)[] = [];
      const original = world.sandbox.addJob;
      return {
        ...world.sandbox,
        webhookSecret: 'canary-webhook-secret',
        deliverWebhook: async ({ headers }) => {
          deliveries.push({ event: headers['X-Buildkite-Event'], jobsAdded: world.added.length });
          return { statusCode: 200 };
        },
        onJobScheduled: (listener) => {
          listeners.push(listener);
          return () => {};
        },
        addJob: (job) => {
          original(job);
          for (const listener of listeners) listener({ id: job.id, queue: job.queue });
        },
      };
    });
    const withWebhook = JSON.stringify({ ...JSON.parse(POLICY), control: { webhook: { latencySec: 2 } } });
    const { demoIo: baseIo, out } = io(world, { ...FILES, 'webhook.json': withWebhook });
    const demoIo: DemoIo = { ...baseIo, sign: ({ event }) => ({ 'X-Buildkite-Event': event ?? 'job.scheduled' }) };

    // Act
    const code = await world.drive(runDemo(['--policy', 'webhook.json', '--duration', '10m'], demoIo));

    // Assess
    expect(code).toBe(0);
    expect(deliveries).toEqual([
      { event: 'ping', jobsAdded: 0 },
      { event: 'job.scheduled', jobsAdded: expect.any(Number) },
      { event: 'job.scheduled', jobsAdded: expect.any(Number) },
      { event: 'job.scheduled', jobsAdded: expect.any(Number) },
    ]);
    expect(out.join('')).toContain("demo: Buildkite's ping of the webhook, as when it is saved: HTTP 200");
  });

  it("counts only the fleet queue's jobs as added in the progress lines", async () => {
    // Arrange: a fourth job for another queue comes between the fleet's.
    const world = fakeWorld();
    const twoQueues = [
      TRACE.replace('"jobs":3', '"jobs":4'),
      '{"job":"x","build":"4","queue":"other","createdAt":20,"durationSec":30}',
    ].join('\n');
    const { demoIo, out } = io(world, { ...FILES, 'two.jsonl': twoQueues });

    // Act: progress lines come on the fake clock.
    const code = await world.drive(
      runDemo(['--trace', 'two.jsonl', '--queue', 'default', '--policy', 'tiny.json', '--duration', '10m'], {
        ...demoIo,
        nowEpochMs: () => world.clock.now(),
      }),
    );

    // Assess
    expect(code).toBe(0);
    const counts = [...out.join('').matchAll(/jobs (\d+)\/(\d+) added/g)].map((match) => [
      Number(match[1]),
      Number(match[2]),
    ]);
    expect(counts.length).toBeGreaterThan(1);
    for (const [added, total] of counts) {
      expect(total).toBe(3);
      expect(added).toBeLessThanOrEqual(3);
    }
    expect(counts.at(-1)).toEqual([3, 3]);
  });

  it('exits 2 on bad options before reading anything', async () => {
    const world = fakeWorld();
    const { demoIo, err } = io(world, FILES);
    const code = await runDemo(['--speed', '0'], demoIo);
    expect(code).toBe(2);
    expect(err.join('')).toContain('--speed must be a number of world seconds per real second');
    expect(world.startSandbox).not.toHaveBeenCalled();
  });

  it('exits 2 when the cut holds no job', async () => {
    const world = fakeWorld();
    const { demoIo, err } = io(world, FILES);
    expect(await runDemo(['--policy', 'tiny.json', '--duration', '10s'], demoIo)).toBe(2);
    expect(err.join('')).toContain(
      'the first 10s of trace three has no job for queue "default": its first job for the queue comes at 10s: give a longer --duration or --from 10s',
    );
  });

  it("exits 2 when the window ends before the queue's first job, naming the --from that reaches it", async () => {
    const world = fakeWorld();
    const { demoIo, err } = io(world, FILES);
    // The trace's first job is created 10 s in.
    expect(await runDemo(['--policy', 'tiny.json', '--duration', '5s', '--from', '2s'], demoIo)).toBe(2);
    expect(err.join('')).toContain(
      'the 5s from 2s of trace three has no job for queue "default": its first job for the queue comes at 10s: give a longer --duration or --from 10s',
    );
    expect(world.startSandbox).not.toHaveBeenCalled();
  });
});
