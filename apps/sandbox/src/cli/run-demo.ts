import { extname } from 'node:path';
import {
  chooseQueue,
  type Policy,
  PolicyConfigError,
  parseTrace,
  resolvePolicy,
  type Trace,
  TraceParseError,
  UsageError,
} from '@elastic-ci/simulator';
import { cutTrace } from '../replay/cut-trace';
import { createWebhookForwarder, pingWebhookBody, type SignWebhook } from '../replay/job-scheduled-webhook';
import { planReplay } from '../replay/replay-plan';
import { runReplay } from '../replay/replayer';
import { formatWorldDuration, formatWorldWindow } from '../replay/world-duration';
import type { InstanceBrokerTally } from '../report/broker-log';
import { renderComparisonChart } from '../report/comparison-chart';
import { buildDemoReport, formatDemoReport } from '../report/demo-report';
import { measureRun, waitsSoFar } from '../report/measure';
import { predict } from '../report/prediction';
import { formatProgressLine } from '../report/progress';
import type { RecordedJob, RecordedRun, RecordedSample } from '../report/recorded-run';
import { DEMO_DEFAULTS, DEMO_USAGE, DemoUsageError, parseDemoOptions } from './demo-options';
import type { DemoSandbox, StartDemoSandbox } from './demo-sandbox';
import { policyToWorld, typicalSec } from './policy-to-world';
import { explainStartFailure } from './start-failure';

export interface DemoIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readTextFile: (path: string) => string;
  readonly writeTextFile: (path: string, text: string) => void;
  readonly bundledTracePath: string;
  readonly startSandbox: StartDemoSandbox;
  readonly sign: SignWebhook;
  /** Real time, epoch ms: webhook signatures are checked against the handler's real clock. */
  readonly nowEpochMs: () => number;
  /** Resolves after `ms` real milliseconds, or rejects when `signal` aborts. */
  readonly delay: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted on SIGINT/SIGTERM: the demo stops the sandbox and exits 130. */
  readonly signal: AbortSignal;
  /** The machine's 1-minute load average and cores, reported beside the figures. */
  readonly machine?: () => { loadAverage: number; cores: number };
}

/** Bad input found before anything starts, or a sandbox that could not start: exit 2. */
export class DemoInputError extends Error {
  override name = 'DemoInputError';
}

/** World seconds the demo waits, after the last job finished, for the fleet to come to rest. */
export const REST_WAIT_CAP_SEC = 1800;
/** World seconds past the cut after which jobs still unfinished are reported as such. */
export const JOBS_WAIT_CAP_SEC = 3600;
const SAMPLE_EVERY_MS = 1000;
const TERMINAL_STATES = new Set(['finished', 'canceled', 'lost']);

interface LoadedInputs {
  readonly trace: Trace;
  readonly cut: Trace;
  /** Where in the trace the cut starts (world seconds). */
  readonly fromSec: number;
  readonly queue: string;
  readonly policy: Policy;
}

/** Reads and checks the trace and policy with the simulator's own parsers; every failure is a `DemoInputError`. */
export function loadDemoInputs(
  options: {
    tracePath: string | undefined;
    policy: string;
    durationSec: number;
    fromSec: number;
    queue: string | undefined;
  },
  io: Pick<DemoIo, 'readTextFile' | 'bundledTracePath'>,
): LoadedInputs {
  const tracePath = options.tracePath ?? io.bundledTracePath;
  const problems: string[] = [];
  let trace: Trace | undefined;
  try {
    trace = parseTrace(io.readTextFile(tracePath), tracePath);
  } catch (error) {
    if (error instanceof TraceParseError)
      problems.push(`${error.message}\n  fix the trace (format: packages/simulator/README.md)`);
    else
      problems.push(
        `cannot read trace ${tracePath}: ${error instanceof Error ? error.message : String(error)}; pass an existing file with --trace`,
      );
  }
  let policy: Policy | undefined;
  try {
    policy = resolvePolicy(options.policy, io.readTextFile);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof PolicyConfigError)) throw error;
    problems.push(
      `${error.message}\n  fix the policy (\`elastic-ci-sim --print-policy elastic-ci\` prints a starting point)`,
    );
  }
  let queue: string | undefined;
  if (trace !== undefined) {
    try {
      queue = chooseQueue(trace, options.queue);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(error.message);
    }
  }
  if (problems.length > 0 || trace === undefined || policy === undefined || queue === undefined) {
    throw new DemoInputError(problems.join('\n'));
  }
  const cut = cutTrace(trace, options.durationSec, options.fromSec);
  const jobs = cut.jobs.filter((job) => job.queue === queue).length;
  if (jobs === 0) {
    const firstSec = Math.min(...trace.jobs.filter((job) => job.queue === queue).map((job) => job.createdAtSec));
    const hint =
      firstSec >= options.fromSec + options.durationSec
        ? `its first job for the queue comes at ${formatWorldDuration(firstSec)}: give a longer --duration or --from ${formatWorldDuration(Math.floor(firstSec))}`
        : 'give a longer --duration or another --from';
    throw new DemoInputError(
      `the ${formatWorldWindow(options.fromSec, options.durationSec)} of trace ${trace.name} has no job for queue "${queue}": ${hint}`,
    );
  }
  return { trace, cut, fromSec: options.fromSec, queue, policy };
}

function toRecordedJob(job: ReturnType<DemoSandbox['jobs']>[number], startSec: number): RecordedJob {
  const at = (name: 'scheduledAtSec' | 'startedAtSec' | 'finishedAtSec') => {
    const sec = job[name];
    return sec === undefined ? {} : { [name]: sec - startSec };
  };
  return {
    id: job.id,
    queue: job.queue,
    state: job.state,
    interrupted: job.interrupted,
    ...at('scheduledAtSec'),
    ...at('startedAtSec'),
    ...at('finishedAtSec'),
  };
}

async function replayAndRecord(
  sandbox: DemoSandbox,
  inputs: LoadedInputs,
  world: ReturnType<typeof policyToWorld>,
  options: { speed: number; progressEveryMs: number },
  io: DemoIo,
  progress: (line: string) => void,
): Promise<{
  run: RecordedRun;
  webhooks?: { sent: number; failed: number; lastFailure?: string };
  instanceBroker?: InstanceBrokerTally;
}> {
  const { cut, queue } = inputs;
  const signal = io.signal;
  const plan = planReplay(cut);
  const queueJobIds = new Set(plan.filter((job) => job.queue === queue).map((job) => job.id));
  const traceDurations = new Map(plan.map((job) => [job.id, job.durationSec]));
  const startSec = sandbox.worldNow();
  const samples: RecordedSample[] = [];
  const lags: number[] = [];
  let added = 0;

  const forwarder =
    world.webhookLatencySec !== null && sandbox.deliverWebhook !== undefined && sandbox.webhookSecret !== undefined
      ? createWebhookForwarder({
          queue,
          secret: sandbox.webhookSecret,
          sign: io.sign,
          deliver: sandbox.deliverWebhook,
          nowEpochSec: () => io.nowEpochMs() / 1000,
          latencyMs: (world.webhookLatencySec * 1000) / options.speed,
          delay: (ms) => io.delay(ms),
        })
      : undefined;
  const unsubscribe = forwarder === undefined ? () => {} : sandbox.onJobScheduled((job) => forwarder.jobScheduled(job));

  const takeSample = async () => {
    const sample = await sandbox.sample();
    samples.push({ ...sample, atSec: sample.atSec - startSec });
    return sample;
  };
  const queueJobs = () => sandbox.jobs().filter((job) => queueJobIds.has(job.id));
  let lastProgressMs = Number.NEGATIVE_INFINITY;
  const report = (sample: RecordedSample) => {
    const now = io.nowEpochMs();
    if (now - lastProgressMs < options.progressEveryMs) return;
    lastProgressMs = now;
    const jobs = queueJobs().map((job) => toRecordedJob(job, startSec));
    progress(
      formatProgressLine({
        sample: { ...sample, atSec: sample.atSec - startSec },
        jobsAdded: added,
        jobsTotal: queueJobIds.size,
        jobsFinished: jobs.filter((job) => TERMINAL_STATES.has(job.state)).length,
        waitsSec: waitsSoFar(jobs, queue),
      }),
    );
  };

  // Sampling runs beside the replay; it stops when `sampling` is set to false.
  let sampling = true;
  let samplerError: unknown;
  const sampler = (async () => {
    while (sampling) {
      try {
        report(await takeSample());
      } catch (error) {
        samplerError = error;
        return;
      }
      await io.delay(SAMPLE_EVERY_MS, signal).catch(() => {});
    }
  })();

  const clock = {
    nowWorldSec: () => sandbox.worldNow(),
    async sleepUntilWorldSec(worldSec: number, sleepSignal?: AbortSignal) {
      for (let now = sandbox.worldNow(); now < worldSec; now = sandbox.worldNow()) {
        await io.delay(Math.max(1, ((worldSec - now) * 1000) / options.speed), sleepSignal);
      }
    },
  };
  let endSec = startSec;
  let atRest = false;
  try {
    await runReplay({
      plan,
      clock,
      target: sandbox,
      startWorldSec: startSec,
      signal,
      onJobAdded: (job, worldSec) => {
        // Other queues' jobs are replayed too (they shape the dependencies) but the progress counts the fleet's.
        if (queueJobIds.has(job.id)) added += 1;
        lags.push(Math.max(0, worldSec - (startSec + job.atWorldSec)));
      },
    });
    // Every job is in; wait for them to finish and for the fleet to come to rest (or the caps).
    const minSize = Number((world.stackConfig.scaling as { minSize?: number }).minSize ?? 0);
    let allDoneAt: number | undefined;
    for (;;) {
      if (samplerError !== undefined) throw samplerError;
      const now = sandbox.worldNow();
      const done =
        queueJobs().length === queueJobIds.size && queueJobs().every((job) => TERMINAL_STATES.has(job.state));
      if (done && allDoneAt === undefined) allDoneAt = now;
      const last = samples.at(-1);
      if (done && last !== undefined && last.atSec + startSec >= (allDoneAt ?? now)) {
        atRest = last.desired <= minSize && last.inService <= minSize && last.running === 0 && last.scheduled === 0;
        if (atRest) break;
      }
      if (allDoneAt !== undefined && now - allDoneAt > REST_WAIT_CAP_SEC) break;
      if (allDoneAt === undefined && now - startSec > cut.spanSec + JOBS_WAIT_CAP_SEC) break;
      await io.delay(250, signal);
    }
    endSec = sandbox.worldNow();
  } finally {
    sampling = false;
    unsubscribe();
    await sampler;
    await forwarder?.settled();
  }
  const final = await takeSample();
  report(final);

  const jobs = sandbox
    .jobs()
    .filter((job) => job.queue === queue)
    .map((job) => {
      const traceDurationSec = traceDurations.get(job.id);
      return { ...toRecordedJob(job, startSec), ...(traceDurationSec === undefined ? {} : { traceDurationSec }) };
    });
  const passGapRealSec = sandbox.scheduledPassGapRealSec();
  const run: RecordedRun = {
    trace: {
      name: cut.name,
      jobs: queueJobIds.size,
      cutSec: cut.spanSec,
      fromSec: inputs.fromSec,
      startEpochMs: cut.startEpochMs,
    },
    queue,
    policy: inputs.policy.name,
    timeScale: options.speed,
    endSec: endSec - startSec,
    atRest,
    jobs,
    samples,
    instances: sandbox.instances().map((instance) => ({
      id: instance.id,
      running: instance.running
        .filter((interval) => interval.toSec === undefined || interval.toSec > startSec)
        .map((interval) => ({
          fromSec: Math.max(0, interval.fromSec - startSec),
          ...(interval.toSec === undefined ? {} : { toSec: interval.toSec - startSec }),
        })),
    })),
    scalingActions: sandbox
      .scalingActions()
      .filter((action) => action.atSec >= startSec)
      .map((action) => ({ ...action, atSec: action.atSec - startSec })),
    replayLagSec: {
      mean: lags.length === 0 ? 0 : lags.reduce((sum, lag) => sum + lag, 0) / lags.length,
      max: Math.max(0, ...lags),
    },
    scalerPasses: sandbox.scalerPasses(),
    ...(passGapRealSec === undefined ? {} : { scheduledPassGapRealSec: passGapRealSec }),
    ...(io.machine === undefined ? {} : { machine: io.machine() }),
  };
  const instanceBroker = sandbox.instanceBrokerRequests();
  return {
    run,
    ...(forwarder === undefined ? {} : { webhooks: { ...forwarder.tally } }),
    ...(instanceBroker === undefined ? {} : { instanceBroker }),
  };
}

async function run(argv: readonly string[], io: DemoIo): Promise<number> {
  const options = parseDemoOptions(argv);
  if (options === undefined) {
    io.stdout(`${DEMO_USAGE}\n`);
    return 0;
  }
  const say = options.json ? io.stderr : io.stdout;
  const inputs = loadDemoInputs(options, io);
  const world = policyToWorld(inputs.policy, inputs.queue, options.speed);
  const prediction = predict({
    trace: inputs.cut,
    policy: world.predictionPolicy,
    queue: inputs.queue,
    seed: options.seed,
  });
  const jobs = inputs.cut.jobs.filter((job) => job.queue === inputs.queue).length;
  say(
    `demo: trace ${inputs.trace.name}, ${formatWorldWindow(options.fromSec, options.durationSec)} (${jobs} jobs), policy ${inputs.policy.name}, ${options.speed}× (≈${Math.ceil(options.durationSec / options.speed)} s of replay)\n`,
  );
  for (const adjustment of world.adjustments) say(`demo: policy as deployed: ${adjustment}\n`);
  say('demo: starting the sandbox (moto, the Buildkite API stand-in, the fleet from the synthesized template)…\n');

  const startingAtMs = io.nowEpochMs();
  const realSec = (fromMs: number) => ((io.nowEpochMs() - fromMs) / 1000).toFixed(0);
  let sandbox: DemoSandbox;
  try {
    sandbox = await io.startSandbox({
      timeScale: options.speed,
      queue: inputs.queue,
      stackConfig: world.stackConfig,
      bootDelaySec: world.bootDelaySec,
      logDir: options.logDir,
      motoPort: options.motoPort,
      signal: io.signal,
    });
  } catch (error) {
    const explained = explainStartFailure(error);
    if (explained !== undefined)
      throw new DemoInputError(`the sandbox could not start: ${explained}`, { cause: error });
    throw error;
  }
  let recorded: Awaited<ReturnType<typeof replayAndRecord>>;
  try {
    say(`demo: sandbox up in ${realSec(startingAtMs)} s (real)\n`);
    if (options.motoPort !== undefined) {
      say(`demo: moto answers on ${sandbox.awsEndpoint} while the demo runs (credentials testing/testing)\n`);
    }
    for (const distortion of sandbox.distortions) say(`demo: at ${options.speed}×: ${distortion}\n`);
    if (
      world.webhookLatencySec !== null &&
      sandbox.deliverWebhook !== undefined &&
      sandbox.webhookSecret !== undefined
    ) {
      // Buildkite pings a webhook when it is saved: the webhook function's first container starts then, as in AWS,
      // not at the first job (its real start-up, ×speed, would otherwise land on the first job's wait).
      const body = pingWebhookBody();
      const headers = io.sign({
        body,
        secret: sandbox.webhookSecret,
        timestamp: Math.floor(io.nowEpochMs() / 1000),
        event: 'ping',
      });
      const { statusCode } = await sandbox.deliverWebhook({ body, headers });
      say(`demo: Buildkite's ping of the webhook, as when it is saved: HTTP ${statusCode}\n`);
    }
    say('demo: replaying (world clock from trace start; queue from the stand-in, fleet from moto)\n');
    const replayingAtMs = io.nowEpochMs();
    recorded = await replayAndRecord(
      sandbox,
      inputs,
      world,
      { speed: options.speed, progressEveryMs: DEMO_DEFAULTS.progressEverySec * 1000 },
      io,
      (line) => say(`${line}\n`),
    );
    say(`demo: replay and wind-down took ${realSec(replayingAtMs)} s (real)\n`);
  } finally {
    say('demo: stopping every process the sandbox started…\n');
    await sandbox.stop();
  }

  const measured = measureRun(recorded.run, world.predictionPolicy.fleet.minimumBilledSec);
  const report = buildDemoReport({
    run: recorded.run,
    measured,
    prediction,
    physics: {
      pollIntervalSec: world.predictionPolicy.control.pollIntervalSec,
      bootSec: world.bootDelaySec,
      registrationSec: typicalSec(world.predictionPolicy.fleet.agentRegistrationSec),
      ...(sandbox.agentPingIntervalSec === undefined ? {} : { agentPingIntervalSec: sandbox.agentPingIntervalSec }),
    },
    ...(recorded.webhooks === undefined ? {} : { webhooks: recorded.webhooks }),
    ...(recorded.instanceBroker === undefined ? {} : { instanceBroker: recorded.instanceBroker }),
  });
  const chart = renderComparisonChart(
    recorded.run,
    report,
    prediction.timeline,
    extname(options.chartPath).toLowerCase() === '.html' ? 'html' : 'svg',
  );
  try {
    io.writeTextFile(options.chartPath, chart);
  } catch (error) {
    throw new DemoInputError(
      `cannot write the chart ${options.chartPath}: ${error instanceof Error ? error.message : String(error)}; pass a writable path with --chart`,
      { cause: error },
    );
  }
  if (options.json) {
    io.stdout(
      `${JSON.stringify({ ...report, adjustments: world.adjustments, distortions: sandbox.distortions, chart: options.chartPath, logDir: sandbox.logDir }, null, 2)}\n`,
    );
  } else {
    io.stdout(`\n${formatDemoReport(report)}\n`);
    if (world.adjustments.length > 0) io.stdout(`policy as deployed (both sides): ${world.adjustments.join('; ')}\n`);
    io.stdout(`chart (measured vs predicted): ${options.chartPath}\n`);
    io.stdout(`logs of every process of the run: ${sandbox.logDir}\n`);
  }
  if (report.interruptedJobs > 0) {
    io.stderr(
      `elastic-ci-sandbox demo: ${report.interruptedJobs} job(s) were interrupted: that must never happen (logs: ${sandbox.logs().join(', ')})\n`,
    );
    return 1;
  }
  return 0;
}

/** Runs `elastic-ci-sandbox demo …` and returns the exit code: 0 done, 1 a job interrupted or internal error, 2 bad input. */
export async function runDemo(argv: readonly string[], io: DemoIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof DemoUsageError) {
      io.stderr(`elastic-ci-sandbox demo: ${error.message}\nRun 'elastic-ci-sandbox demo --help' for usage.\n`);
      return 2;
    }
    if (error instanceof DemoInputError) {
      io.stderr(`elastic-ci-sandbox demo: ${error.message}\n`);
      return 2;
    }
    if (io.signal.aborted) {
      io.stderr('elastic-ci-sandbox demo: stopped; every process the sandbox started is stopped\n');
      return 130;
    }
    io.stderr(
      `elastic-ci-sandbox demo: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}
