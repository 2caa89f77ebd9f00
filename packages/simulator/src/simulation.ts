import { sampleDuration } from './distribution.js';
import { InvariantViolationError } from './errors.js';
import { EventQueue } from './event-queue.js';
import type { ControlConfig, FleetConfig } from './policy.js';
import { createRandom, type Random } from './rng.js';
import type {
  FleetObservation,
  GroupObservation,
  InstanceObservation,
  QueueObservation,
  ScalingPolicy,
} from './scaling-policy.js';
import { Timeline, type TimelineSeries } from './timeline.js';
import type { Trace } from './trace.js';

export interface SimulationOptions {
  readonly trace: Trace;
  readonly fleet: FleetConfig;
  readonly control: ControlConfig;
  readonly policy: ScalingPolicy;
  readonly seed: number;
  /** The queue this fleet serves. Jobs of other queues start the moment they are scheduled (another fleet). */
  readonly queue: string;
  /** Keep simulating this long after the last job while instances are still up. @default 3600 */
  readonly drainTailSec?: number;
  /** Width of one chart bucket. @default span / 720, rounded up to whole minutes */
  readonly timelineBucketSec?: number;
  /** Record every start for the conservation tests (costs memory). @default false */
  readonly recordStarts?: boolean;
  /**
   * Start of the measured window, in seconds since the trace start. Jobs created earlier run and teach the policy but
   * their waits are not counted, and billing, idle, stopped and volume time, peak instances, launches and API calls
   * count only from here on. @default 0
   */
  readonly measureFromSec?: number;
}

/** One job start, recorded only with `recordStarts`. */
export interface StartRecord {
  readonly job: string;
  readonly instance: string;
  readonly atSec: number;
  /** The instance's state at that moment: always `in-service` unless the model is broken. */
  readonly instanceState: string;
}

export interface SimulationResult {
  /** Jobs of the simulated queue. */
  readonly jobs: number;
  /** Start of the measured window (seconds since the trace start); 0 counts the whole run. */
  readonly measureFromSec: number;
  /** Jobs of the simulated queue created in the measured window: the waits are theirs. */
  readonly measuredJobs: number;
  /** Seconds from *scheduled* to *started*, one per started attempt of a measured job, sorted ascending. */
  readonly waitsSec: Float64Array;
  /** Jobs of the simulated queue that never finished (only when the policy never provides capacity). */
  readonly unfinishedJobs: number;
  /** Jobs whose agent was killed by anything but a spot reclaim. Zero unless the model is broken. */
  readonly interruptedJobs: number;
  /** Jobs cancelled by a spot reclaim (each re-queued as a retry, as Buildkite's automatic retry would). */
  readonly spotReclaimedJobs: number;
  readonly spotInterruptions: number;
  /** Billed compute time (per second, minimum per launch or resume), in hours. */
  readonly instanceHours: number;
  /** Registered agent time without a job, per instance (agent-hours / agents per instance). */
  readonly idleInstanceHours: number;
  /** Time instances spent stopped in the warm pool, in hours. */
  readonly stoppedInstanceHours: number;
  readonly computeCost: number;
  readonly volumeCost: number;
  readonly peakInstances: number;
  readonly coldLaunches: number;
  readonly warmResumes: number;
  readonly setDesiredCapacityCalls: number;
  readonly terminateInstanceCalls: number;
  /** PutWarmPool calls: the scaler changed the warm pool's MinSize. */
  readonly putWarmPoolCalls: number;
  readonly decisions: number;
  readonly endSec: number;
  /** Instances still running (not stopped in the warm pool) when the run ended: 0 once the fleet scaled to zero. */
  readonly runningInstancesAtEnd: number;
  readonly timeline: TimelineSeries;
  readonly starts?: readonly StartRecord[];
  /** Attempts that ran to completion, per job id order: must all be exactly 1. */
  readonly completionsPerJob: Uint32Array;
}

type InstanceState =
  | 'booting'
  | 'resuming'
  | 'registering'
  | 'in-service'
  | 'draining'
  | 'stopping'
  | 'warm-booting'
  | 'warm-stopped'
  | 'terminated';

interface Agent {
  readonly instance: Instance;
  job: Job | null;
  accepting: boolean;
  /** Bumped whenever the agent stops being available, invalidating its entries in the idle structures. */
  token: number;
  idleSinceSec: number;
}

interface Instance {
  readonly id: string;
  readonly launchedAtSec: number;
  state: InstanceState;
  /** Bumped on every state change: timed events carry the generation they were scheduled for. */
  generation: number;
  agents: Agent[];
  busyAgents: number;
  idleSinceSec: number | null;
  idleGeneration: number;
  computeSinceSec: number;
  stoppedSinceSec: number;
  /** A spot notice arrived: it still counts toward desired (the ASG does not know yet) but takes no jobs. */
  spotDoomed: boolean;
  /** Where `stopping` ends: back in the warm pool or terminated. */
  stopIntoPool: boolean;
  /** Bumped at every launch or resume: spot events carry the epoch of the run they belong to. */
  computeEpoch: number;
  countedActive: boolean;
  countedInGroup: boolean;
  countedComputing: boolean;
  countedInPool: boolean;
  /** Bumped whenever what the scaler would see of this instance changes; `observation` is valid for `observedVersion`. */
  version: number;
  observedVersion: number;
  observation: InstanceObservation | undefined;
}

interface Job {
  readonly index: number;
  readonly id: string;
  readonly local: boolean;
  /** Local and created in the measured window: its waits count. */
  readonly measured: boolean;
  readonly createdAtSec: number;
  readonly durationSec: number;
  readonly dependents: number[];
  remainingDependencies: number;
  created: boolean;
  scheduledAtSec: number;
  attempt: number;
  done: boolean;
}

type SimEvent =
  | { kind: 'job-created'; job: Job }
  | { kind: 'job-finished'; job: Job; agent: Agent; attempt: number }
  | { kind: 'poll'; offsetSec: number }
  | { kind: 'webhook' }
  | { kind: 'instance-ready'; instance: Instance; generation: number }
  | { kind: 'agents-registered'; instance: Instance; generation: number }
  | { kind: 'idle-timeout'; instance: Instance; idleGeneration: number }
  | { kind: 'stopped'; instance: Instance; generation: number }
  | { kind: 'spot-notice'; instance: Instance; epoch: number }
  | { kind: 'spot-reclaim'; instance: Instance; epoch: number };

/** Counts read relative to the start of the measured window. */
interface Counters {
  readonly coldLaunches: number;
  readonly warmResumes: number;
  readonly setDesiredCapacityCalls: number;
  readonly terminateInstanceCalls: number;
  readonly putWarmPoolCalls: number;
  readonly decisions: number;
}

const ZERO_COUNTERS: Counters = {
  coldLaunches: 0,
  warmResumes: 0,
  setDesiredCapacityCalls: 0,
  terminateInstanceCalls: 0,
  putWarmPoolCalls: 0,
  decisions: 0,
};

const ACTIVE_STATES: ReadonlySet<InstanceState> = new Set(['booting', 'resuming', 'registering', 'in-service']);

/**
 * Runs one policy over one trace. Deterministic: the same options (and seed) give the same result.
 *
 * Dispatch rule (Buildkite's "agent prioritization" among equal priorities): a scheduled job goes, in FIFO order of
 * becoming scheduled, to the idle agent that most recently completed a job; agents that never ran a job come last,
 * longest-registered first.
 */
export function simulate(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation {
  private readonly fleet: FleetConfig;
  private readonly control: ControlConfig;
  private readonly policy: ScalingPolicy;
  private readonly trace: Trace;
  private readonly events = new EventQueue<SimEvent>();
  private readonly bootRandom: Random;
  private readonly resumeRandom: Random;
  private readonly registrationRandom: Random;
  private readonly webhookRandom: Random;
  private readonly spotRandom: Random;
  private readonly jobs: Job[];
  private readonly localJobCount: number;
  private readonly timeline: Timeline;
  private readonly drainTailSec: number;
  private readonly starts: StartRecord[] | undefined;
  private readonly measureFromSec: number;
  private readonly measuredJobCount: number;
  /** Set once simulated time reaches `measureFromSec`; the counters below are read relative to `countersAtStart`. */
  private measuring = false;
  private countersAtStart: Counters = ZERO_COUNTERS;

  private now = 0;
  private desired: number;
  private nextInstanceNumber = 1;
  /** Every instance that is not terminated. Small (bounded by max size + pool), so scans over it are cheap. */
  private instances: Instance[] = [];
  private activeCount = 0;
  private groupCount = 0;
  private computeRunningCount = 0;
  private poolMembers = 0;
  private readonly stateCounts: Record<InstanceState, number> = {
    booting: 0,
    resuming: 0,
    registering: 0,
    'in-service': 0,
    draining: 0,
    stopping: 0,
    'warm-booting': 0,
    'warm-stopped': 0,
    // New instances start out counted as terminated, so this one may go negative; it is never read.
    terminated: 0,
  };

  // Scheduled jobs in FIFO order; `scheduledHead` is the next to dispatch.
  private scheduled: Job[] = [];
  private scheduledHead = 0;
  private runningLocal = 0;
  private waitingLocal = 0;
  private doneLocal = 0;
  private doneTotal = 0;
  private lastLocalFinishSec = 0;

  // Idle agents: a stack (most recently completed on top) and a FIFO of agents that never ran a job.
  private recentAgents: Agent[] = [];
  private recentTokens: number[] = [];
  private freshAgents: Agent[] = [];
  private freshTokens: number[] = [];
  private freshHead = 0;
  private idleAgentCount = 0;
  private busyAgentCount = 0;
  private registeredAgentCount = 0;

  private webhookPending = false;
  private waits: number[] = [];
  private interruptedJobs = 0;
  private spotReclaimedJobs = 0;
  private spotInterruptions = 0;
  private billedComputeSec = 0;
  private idleAgentSec = 0;
  private stoppedSec = 0;
  private volumeSec = 0;
  private peakInstances = 0;
  private coldLaunches = 0;
  private warmResumes = 0;
  private setDesiredCapacityCalls = 0;
  private terminateInstanceCalls = 0;
  private putWarmPoolCalls = 0;
  /** The warm pool's MinSize: the fleet's until a scaler decision sets it (PutWarmPool). */
  private warmPoolMinSize: number;
  private decisions = 0;
  /** Bumped on any change an instance observation could show; the instance list is rebuilt only when it moved. */
  private fleetVersion = 0;
  private listedVersion = -1;
  private listed: readonly InstanceObservation[] = [];
  private runningAtEnd = 0;
  private readonly completions: Uint32Array;

  constructor(options: SimulationOptions) {
    this.fleet = options.fleet;
    this.control = options.control;
    this.policy = options.policy;
    this.trace = options.trace;
    this.bootRandom = createRandom(options.seed, 'boot');
    this.resumeRandom = createRandom(options.seed, 'resume');
    this.registrationRandom = createRandom(options.seed, 'registration');
    this.webhookRandom = createRandom(options.seed, 'webhook');
    this.spotRandom = createRandom(options.seed, 'spot');
    this.desired = options.fleet.minSize;
    this.warmPoolMinSize = options.fleet.warmPool?.minSize ?? 0;
    this.drainTailSec = options.drainTailSec ?? 3600;
    this.starts = options.recordStarts ? [] : undefined;
    this.measureFromSec = options.measureFromSec ?? 0;
    // A window from 0 counts the launches the group makes before the first event (MinSize, the warm pool).
    this.measuring = this.measureFromSec <= 0;
    const span = Math.max(options.trace.spanSec, 60);
    this.timeline = new Timeline(options.timelineBucketSec ?? Math.ceil(span / 720 / 60) * 60);

    this.jobs = options.trace.jobs.map((traceJob, index) => ({
      index,
      id: traceJob.id,
      local: traceJob.queue === options.queue,
      measured: traceJob.queue === options.queue && traceJob.createdAtSec >= this.measureFromSec,
      createdAtSec: traceJob.createdAtSec,
      durationSec: traceJob.durationSec,
      dependents: [],
      remainingDependencies: traceJob.dependsOn.length,
      created: false,
      scheduledAtSec: 0,
      attempt: 0,
      done: false,
    }));
    options.trace.jobs.forEach((traceJob, index) => {
      for (const dependency of traceJob.dependsOn) (this.jobs[dependency] as Job).dependents.push(index);
    });
    this.localJobCount = this.jobs.reduce((total, job) => total + (job.local ? 1 : 0), 0);
    this.measuredJobCount = this.jobs.reduce((total, job) => total + (job.measured ? 1 : 0), 0);
    this.completions = new Uint32Array(this.jobs.length);
  }

  run(): SimulationResult {
    for (const job of this.jobs) this.events.push(job.createdAtSec, { kind: 'job-created', job });
    this.events.push(0, { kind: 'poll', offsetSec: 0 });
    this.reconcile();

    // A policy that never scales out would poll forever: give up a week after the last job appears.
    const lastCreatedSec = this.jobs.reduce((latest, job) => Math.max(latest, job.createdAtSec), 0);
    const giveUpSec = Math.max(this.trace.spanSec, lastCreatedSec) + 7 * 86_400;
    let endSec = 0;
    for (;;) {
      const next = this.events.pop();
      if (next === undefined) break;
      const stopSec = this.doneLocal === this.localJobCount ? this.hardStopSec() : giveUpSec;
      if (next.time > stopSec) {
        endSec = stopSec;
        break;
      }
      if (!this.measuring && next.time >= this.measureFromSec) this.startMeasuring();
      this.now = next.time;
      this.handle(next.payload);
      this.dispatch();
      this.timeline.observe(this.now, this.scheduledCount() + this.runningLocal, this.registeredAgentCount);
      endSec = this.now;
      if (this.isQuiescent()) break;
    }
    this.now = Math.max(endSec, this.now);
    if (!this.measuring) this.startMeasuring();
    this.closeBooks();
    return this.result();
  }

  /** The measured window opens: the fleet as it stands is the first peak, counters start from their values now. */
  private startMeasuring(): void {
    this.measuring = true;
    this.peakInstances = this.groupCount;
    this.countersAtStart = this.counters();
  }

  private counters(): Counters {
    return {
      coldLaunches: this.coldLaunches,
      warmResumes: this.warmResumes,
      setDesiredCapacityCalls: this.setDesiredCapacityCalls,
      terminateInstanceCalls: this.terminateInstanceCalls,
      putWarmPoolCalls: this.putWarmPoolCalls,
      decisions: this.decisions,
    };
  }

  /** The part of [fromSec, toSec] inside the measured window. */
  private measuredSpan(fromSec: number, toSec: number): number {
    return Math.max(0, toSec - Math.max(fromSec, this.measureFromSec));
  }

  /** Bills the instance's run that ends now: per second with the minimum per launch or resume, in the window. */
  private billRun(instance: Instance): void {
    const billedUntil =
      instance.computeSinceSec + Math.max(this.fleet.minimumBilledSec, this.now - instance.computeSinceSec);
    this.billedComputeSec += this.measuredSpan(instance.computeSinceSec, billedUntil);
  }

  private hardStopSec(): number {
    return Math.max(this.trace.spanSec, this.lastLocalFinishSec) + this.drainTailSec;
  }

  private isQuiescent(): boolean {
    return (
      this.doneLocal === this.localJobCount &&
      this.now >= this.trace.spanSec &&
      this.computeRunningCount === 0 &&
      this.doneTotal === this.jobs.length
    );
  }

  private scheduledCount(): number {
    return this.scheduled.length - this.scheduledHead;
  }

  // ── events ────────────────────────────────────────────────────────────────────────────────────────────────────

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'job-created':
        event.job.created = true;
        if (event.job.remainingDependencies === 0) this.schedule(event.job);
        else if (event.job.local) this.waitingLocal += 1;
        return;
      case 'job-finished':
        this.finishJob(event.job, event.agent, event.attempt);
        return;
      case 'poll':
        this.evaluate();
        this.scheduleNextPoll(event.offsetSec);
        return;
      case 'webhook':
        this.webhookPending = false;
        this.evaluate();
        return;
      case 'instance-ready':
        if (event.generation === event.instance.generation) this.instanceReady(event.instance);
        return;
      case 'agents-registered':
        if (event.generation === event.instance.generation) this.registerAgents(event.instance);
        return;
      case 'idle-timeout':
        this.idleTimeout(event.instance, event.idleGeneration);
        return;
      case 'stopped':
        if (event.generation === event.instance.generation) this.stopped(event.instance);
        return;
      case 'spot-notice':
        if (event.epoch === event.instance.computeEpoch) this.spotNotice(event.instance);
        return;
      case 'spot-reclaim':
        if (event.epoch === event.instance.computeEpoch) this.spotReclaim(event.instance);
        return;
    }
  }

  private scheduleNextPoll(offsetSec: number): void {
    const nextOffset = offsetSec + this.control.pollIntervalSec;
    if (nextOffset < this.control.invocationTimeoutSec && nextOffset < this.control.scheduleSec) {
      this.events.push(this.now + this.control.pollIntervalSec, { kind: 'poll', offsetSec: nextOffset });
    } else {
      this.events.push(this.now - offsetSec + this.control.scheduleSec, { kind: 'poll', offsetSec: 0 });
    }
  }

  // ── jobs ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private schedule(job: Job): void {
    job.scheduledAtSec = this.now;
    if (!job.local) {
      // Another fleet's job: it only matters for the dependency timing of ours.
      this.events.push(this.now + job.durationSec, { kind: 'job-finished', job, agent: EXTERNAL_AGENT, attempt: 0 });
      return;
    }
    this.scheduled.push(job);
    if (this.control.webhook !== null && !this.webhookPending) {
      this.webhookPending = true;
      const latency = sampleDuration(this.control.webhook.latencySec, this.webhookRandom);
      this.events.push(this.now + latency, { kind: 'webhook' });
    }
  }

  private takeIdleAgent(): Agent | undefined {
    while (this.recentAgents.length > 0) {
      const agent = this.recentAgents.pop() as Agent;
      const token = this.recentTokens.pop() as number;
      if (agent.token === token) return agent;
    }
    while (this.freshHead < this.freshAgents.length) {
      const agent = this.freshAgents[this.freshHead] as Agent;
      const token = this.freshTokens[this.freshHead] as number;
      this.freshHead += 1;
      if (agent.token === token) return agent;
    }
    if (this.freshHead > 0) {
      this.freshAgents = [];
      this.freshTokens = [];
      this.freshHead = 0;
    }
    return undefined;
  }

  private dispatch(): void {
    while (this.scheduledHead < this.scheduled.length && this.idleAgentCount > 0) {
      const agent = this.takeIdleAgent();
      if (agent === undefined) {
        throw new InvariantViolationError(`idle agent count is ${this.idleAgentCount} but no idle agent was found`);
      }
      const job = this.scheduled[this.scheduledHead] as Job;
      this.scheduledHead += 1;
      this.startJob(job, agent);
    }
    if (this.scheduledHead > 1024 && this.scheduledHead * 2 > this.scheduled.length) {
      this.scheduled = this.scheduled.slice(this.scheduledHead);
      this.scheduledHead = 0;
    }
  }

  private startJob(job: Job, agent: Agent): void {
    const instance = agent.instance;
    if (instance.state !== 'in-service' || !agent.accepting || agent.job !== null) {
      throw new InvariantViolationError(`job ${job.id} dispatched to unavailable agent on ${instance.id}`);
    }
    this.idleAgentSec += this.measuredSpan(agent.idleSinceSec, this.now);
    agent.job = job;
    agent.token += 1;
    this.idleAgentCount -= 1;
    this.busyAgentCount += 1;
    this.touch(instance);
    instance.busyAgents += 1;
    if (instance.busyAgents === 1) {
      instance.idleSinceSec = null;
      instance.idleGeneration += 1;
    }
    this.runningLocal += 1;
    job.attempt += 1;
    const wait = this.now - job.scheduledAtSec;
    if (job.measured) this.waits.push(wait);
    this.timeline.recordWait(this.now, wait);
    this.starts?.push({ job: job.id, instance: instance.id, atSec: this.now, instanceState: instance.state });
    this.events.push(this.now + job.durationSec, { kind: 'job-finished', job, agent, attempt: job.attempt });
  }

  private finishJob(job: Job, agent: Agent, attempt: number): void {
    if (agent === EXTERNAL_AGENT) {
      this.completeJob(job);
      return;
    }
    // A spot reclaim cancelled this attempt: its finish event is stale.
    if (agent.job !== job || job.attempt !== attempt) return;
    const instance = agent.instance;
    agent.job = null;
    this.touch(instance);
    instance.busyAgents -= 1;
    this.busyAgentCount -= 1;
    this.runningLocal -= 1;
    this.completeJob(job);
    this.lastLocalFinishSec = this.now;

    if (instance.spotDoomed) {
      // Drained before the reclaim: it idles without taking work until the spot reclaim ends it.
      this.registeredAgentCount -= 1;
      agent.accepting = false;
      return;
    }
    if (instance.state === 'draining') {
      this.registeredAgentCount -= 1;
      agent.accepting = false;
      if (instance.busyAgents === 0) this.beginStop(instance, instance.stopIntoPool);
      return;
    }
    this.makeIdle(agent, true);
    if (instance.busyAgents === 0) this.instanceBecameIdle(instance);
  }

  private completeJob(job: Job): void {
    if (job.done) throw new InvariantViolationError(`job ${job.id} completed twice`);
    job.done = true;
    this.completions[job.index] = (this.completions[job.index] as number) + 1;
    this.doneTotal += 1;
    if (job.local) this.doneLocal += 1;
    for (const dependentIndex of job.dependents) {
      const dependent = this.jobs[dependentIndex] as Job;
      dependent.remainingDependencies -= 1;
      if (dependent.remainingDependencies === 0 && dependent.created) {
        if (dependent.local) this.waitingLocal -= 1;
        this.schedule(dependent);
      }
    }
  }

  private makeIdle(agent: Agent, ranJob: boolean): void {
    agent.token += 1;
    agent.idleSinceSec = this.now;
    this.idleAgentCount += 1;
    if (ranJob) {
      this.recentAgents.push(agent);
      this.recentTokens.push(agent.token);
    } else {
      this.freshAgents.push(agent);
      this.freshTokens.push(agent.token);
    }
  }

  /** Takes the idle agents of the instance out of service; busy ones keep their job and leave when it ends. */
  private withdrawAgents(instance: Instance): void {
    this.touch(instance);
    for (const agent of instance.agents) {
      if (!agent.accepting) continue;
      if (agent.job === null) {
        agent.token += 1;
        agent.accepting = false;
        this.idleAgentCount -= 1;
        this.registeredAgentCount -= 1;
        this.idleAgentSec += this.measuredSpan(agent.idleSinceSec, this.now);
      }
    }
  }

  // ── instances ─────────────────────────────────────────────────────────────────────────────────────────────────

  /** Marks the instance's observation stale. */
  private touch(instance: Instance): void {
    instance.version += 1;
    this.fleetVersion += 1;
  }

  private setState(instance: Instance, state: InstanceState): void {
    this.touch(instance);
    this.stateCounts[instance.state] -= 1;
    this.stateCounts[state] += 1;
    instance.state = state;
    instance.generation += 1;
    this.recount(instance);
  }

  /**
   * Keeps the fleet counters in step with one instance. "Active" is what the ASG counts toward desired: a spot
   * instance that got its notice still counts until it is reclaimed, because the ASG does not know yet.
   */
  private recount(instance: Instance): void {
    const isActive = ACTIVE_STATES.has(instance.state) || (instance.spotDoomed && instance.state === 'draining');
    const isInGroup = isActive || instance.state === 'draining';
    const isComputing = instance.state !== 'warm-stopped' && instance.state !== 'terminated';
    const isInPool =
      instance.state === 'warm-stopped' ||
      instance.state === 'warm-booting' ||
      (instance.stopIntoPool && (instance.state === 'stopping' || instance.state === 'draining'));
    this.poolMembers += Number(isInPool) - Number(instance.countedInPool);
    instance.countedInPool = isInPool;
    this.activeCount += Number(isActive) - Number(instance.countedActive);
    this.groupCount += Number(isInGroup) - Number(instance.countedInGroup);
    this.computeRunningCount += Number(isComputing) - Number(instance.countedComputing);
    instance.countedActive = isActive;
    instance.countedInGroup = isInGroup;
    instance.countedComputing = isComputing;
    if (this.measuring && this.groupCount > this.peakInstances) this.peakInstances = this.groupCount;
  }

  private newInstance(state: 'booting' | 'warm-booting'): Instance {
    const instance = freshInstance(`i-${String(this.nextInstanceNumber).padStart(5, '0')}`, this.now);
    this.nextInstanceNumber += 1;
    this.coldLaunches += 1;
    this.instances.push(instance);
    this.setState(instance, state);
    const boot = sampleDuration(this.fleet.bootSec, this.bootRandom);
    this.events.push(this.now + boot, { kind: 'instance-ready', instance, generation: instance.generation });
    return instance;
  }

  private launch(): void {
    let pooled: Instance | undefined;
    for (const instance of this.instances) {
      if (
        instance.state === 'warm-stopped' &&
        (pooled === undefined || instance.stoppedSinceSec > pooled.stoppedSinceSec)
      )
        pooled = instance;
    }
    let instance: Instance;
    if (pooled !== undefined) {
      instance = pooled;
      this.stoppedSec += this.measuredSpan(instance.stoppedSinceSec, this.now);
      instance.computeSinceSec = this.now;
      this.setState(instance, 'resuming');
      this.warmResumes += 1;
      const resume = sampleDuration(this.fleet.warmPool?.resumeSec ?? 0, this.resumeRandom);
      this.events.push(this.now + resume, { kind: 'instance-ready', instance, generation: instance.generation });
    } else {
      instance = this.newInstance('booting');
    }
    this.scheduleSpot(instance);
  }

  private scheduleSpot(instance: Instance): void {
    const spot = this.fleet.spot;
    if (spot === null || spot.interruptionsPerInstanceHour <= 0) return;
    instance.computeEpoch += 1;
    const lifetimeSec = (-Math.log(1 - this.spotRandom.next()) * 3600) / spot.interruptionsPerInstanceHour;
    const reclaimAt = this.now + lifetimeSec;
    const epoch = instance.computeEpoch;
    this.events.push(Math.max(this.now, reclaimAt - spot.noticeSec), { kind: 'spot-notice', instance, epoch });
    this.events.push(reclaimAt, { kind: 'spot-reclaim', instance, epoch });
  }

  private instanceReady(instance: Instance): void {
    if (instance.state === 'warm-booting') {
      // Prepared in the pool: stop without starting the agent.
      this.beginStop(instance, true);
      return;
    }
    this.setState(instance, 'registering');
    const registration = sampleDuration(this.fleet.agentRegistrationSec, this.registrationRandom);
    this.events.push(this.now + registration, {
      kind: 'agents-registered',
      instance,
      generation: instance.generation,
    });
  }

  private registerAgents(instance: Instance): void {
    if (instance.spotDoomed) {
      // The notice came while it was still booting: lifecycled keeps the agent from taking any job.
      this.setState(instance, 'draining');
      return;
    }
    this.setState(instance, 'in-service');
    instance.agents = [];
    for (let slot = 0; slot < this.fleet.agentsPerInstance; slot += 1) {
      const agent: Agent = { instance, job: null, accepting: true, token: 0, idleSinceSec: this.now };
      instance.agents.push(agent);
      this.registeredAgentCount += 1;
      this.makeIdle(agent, false);
    }
    this.instanceBecameIdle(instance);
  }

  private instanceBecameIdle(instance: Instance): void {
    this.touch(instance);
    instance.idleSinceSec = this.now;
    instance.idleGeneration += 1;
    if (this.fleet.idleTimeoutSec !== null) {
      this.events.push(this.now + this.fleet.idleTimeoutSec, {
        kind: 'idle-timeout',
        instance,
        idleGeneration: instance.idleGeneration,
      });
    }
    // An instance the ASG wanted gone (scale-in protection held it while busy) can go now.
    if (this.activeCount > this.desired) this.reconcile();
  }

  /** Every agent idle for the idle period: they exit and the instance terminates itself (Buildkite's stack). */
  private idleTimeout(instance: Instance, idleGeneration: number): void {
    if (instance.idleGeneration !== idleGeneration || instance.state !== 'in-service' || instance.busyAgents > 0)
      return;
    this.terminateInstanceCalls += 1;
    if (this.desired > this.fleet.minSize) {
      this.desired -= 1;
      this.beginStop(instance, this.poolHasRoom());
    } else {
      // At MinSize the decrementing call fails; the stack falls back to a termination the ASG replaces.
      this.terminateInstanceCalls += 1;
      this.beginStop(instance, false);
      this.reconcile();
    }
    this.maintainWarmPool();
  }

  private beginStop(instance: Instance, intoPool: boolean): void {
    if (instance.busyAgents > 0) {
      throw new InvariantViolationError(`${instance.id} would stop with ${instance.busyAgents} busy agents`);
    }
    this.withdrawAgents(instance);
    instance.stopIntoPool = intoPool;
    instance.spotDoomed = false;
    this.setState(instance, 'stopping');
    this.events.push(this.now + this.fleet.shutdownSec, {
      kind: 'stopped',
      instance,
      generation: instance.generation,
    });
  }

  private stopped(instance: Instance): void {
    this.billRun(instance);
    instance.agents = [];
    if (instance.stopIntoPool) {
      instance.stoppedSinceSec = this.now;
      this.setState(instance, 'warm-stopped');
      this.maintainWarmPool();
    } else {
      this.terminate(instance);
    }
  }

  private terminate(instance: Instance): void {
    if (instance.state === 'warm-stopped') this.stoppedSec += this.measuredSpan(instance.stoppedSinceSec, this.now);
    this.volumeSec += this.measuredSpan(instance.launchedAtSec, this.now);
    this.setState(instance, 'terminated');
    this.instances = this.instances.filter((candidate) => candidate !== instance);
  }

  /** Scaler-driven graceful scale-in: TerminateInstanceInAutoScalingGroup with decrement, then the lifecycle hook. */
  private drain(instance: Instance): void {
    if (instance.state !== 'in-service' && instance.state !== 'registering') return;
    if (this.desired - 1 < this.fleet.minSize) return;
    this.terminateInstanceCalls += 1;
    this.desired -= 1;
    const intoPool = this.poolHasRoom();
    if (instance.busyAgents === 0) {
      this.beginStop(instance, intoPool);
      return;
    }
    this.withdrawAgents(instance);
    instance.stopIntoPool = intoPool;
    instance.idleGeneration += 1;
    this.setState(instance, 'draining');
  }

  private spotNotice(instance: Instance): void {
    if (!ACTIVE_STATES.has(instance.state)) return;
    instance.spotDoomed = true;
    this.withdrawAgents(instance);
    instance.idleGeneration += 1;
    if (instance.state === 'in-service') this.setState(instance, 'draining');
    else this.recount(instance);
  }

  private spotReclaim(instance: Instance): void {
    // A draining instance is reclaimed too, whether the notice or the scaler started the drain.
    if (!ACTIVE_STATES.has(instance.state) && instance.state !== 'draining') return;
    this.spotInterruptions += 1;
    for (const agent of instance.agents) {
      const job = agent.job;
      if (job === null) continue;
      agent.job = null;
      agent.accepting = false;
      agent.token += 1;
      instance.busyAgents -= 1;
      this.busyAgentCount -= 1;
      this.runningLocal -= 1;
      this.registeredAgentCount -= 1;
      this.spotReclaimedJobs += 1;
      // Buildkite's automatic retry on a lost agent: the job is scheduled again.
      this.schedule(job);
    }
    this.withdrawAgents(instance);
    this.billRun(instance);
    this.terminate(instance);
    instance.spotDoomed = false;
    this.reconcile();
  }

  // ── Auto Scaling group ────────────────────────────────────────────────────────────────────────────────────────

  /** What AWS keeps in the pool: `max(MinSize, MaxGroupPreparedCapacity − desired)`, against the live desired. */
  private poolTarget(): number {
    const pool = this.fleet.warmPool;
    if (pool === null) return 0;
    const prepared = pool.maxPreparedCapacity === null ? 0 : pool.maxPreparedCapacity - this.desired;
    return Math.max(this.warmPoolMinSize, prepared);
  }

  /** Instances in the pool or on their way into it. */
  private poolCount(): number {
    return this.poolMembers;
  }

  private poolHasRoom(): boolean {
    const pool = this.fleet.warmPool;
    return pool?.reuseOnScaleIn === true && this.poolCount() < this.poolTarget();
  }

  private maintainWarmPool(): void {
    if (this.fleet.warmPool === null) return;
    const target = this.poolTarget();
    let count = this.poolCount();
    while (count < target) {
      this.newInstance('warm-booting');
      count += 1;
    }
    if (count > target) {
      const retentionSec = this.fleet.warmPool.surplusRetentionSec;
      const stopped = this.instances
        .filter((instance) => instance.state === 'warm-stopped' && this.now - instance.stoppedSinceSec >= retentionSec)
        .sort((a, b) => a.stoppedSinceSec - b.stoppedSinceSec);
      for (const instance of stopped) {
        if (count <= target) break;
        this.terminate(instance);
        count -= 1;
      }
    }
  }

  /** What the ASG does after desired changes: launch (warm pool first) or pick instances to remove. */
  private reconcile(): void {
    while (this.activeCount < this.desired) this.launch();
    if (this.activeCount > this.desired) this.removeExcess();
    this.maintainWarmPool();
  }

  /**
   * Scale-in by the ASG itself (desired lowered without naming instances): instances not yet in service first,
   * then idle ones, longest idle first. Busy instances hold scale-in protection, so they are removed only once idle
   * (`instanceBecameIdle` calls back here).
   */
  private removeExcess(): void {
    const rank = (instance: Instance): number => {
      if (instance.spotDoomed) return -1;
      if (instance.state === 'booting' || instance.state === 'resuming') return 0;
      if (instance.state === 'registering') return 1;
      if (instance.state === 'in-service' && instance.busyAgents === 0) return 2;
      return -1;
    };
    const candidates = this.instances
      .filter((instance) => rank(instance) >= 0)
      .sort(
        (a, b) =>
          rank(a) - rank(b) ||
          (rank(a) === 2 ? (a.idleSinceSec ?? 0) - (b.idleSinceSec ?? 0) : b.launchedAtSec - a.launchedAtSec),
      );
    for (const instance of candidates) {
      if (this.activeCount <= this.desired) return;
      this.beginStop(instance, this.poolHasRoom());
    }
  }

  // ── the scaler ────────────────────────────────────────────────────────────────────────────────────────────────

  private observe(): FleetObservation {
    const queue: QueueObservation = {
      scheduledJobs: this.scheduledCount(),
      runningJobs: this.runningLocal,
      waitingJobs: this.waitingLocal,
      idleAgents: this.idleAgentCount,
      busyAgents: this.busyAgentCount,
      totalAgents: this.registeredAgentCount,
    };
    const counts = this.stateCounts;
    const simulation = this;
    const group: GroupObservation = {
      desired: this.desired,
      min: this.fleet.minSize,
      max: this.fleet.maxSize,
      inService: counts.registering + counts['in-service'],
      pending: counts.booting + counts.resuming,
      warmStopped: counts['warm-stopped'],
      get instances(): readonly InstanceObservation[] {
        return simulation.listInstances();
      },
    };
    return { nowSec: this.now, nowMs: this.trace.startEpochMs + this.now * 1000, queue, group };
  }

  /** The group's instances as the scaler sees them; the same array while nothing changed. */
  listInstances(): readonly InstanceObservation[] {
    if (this.listedVersion !== this.fleetVersion) {
      const listed: InstanceObservation[] = [];
      for (const instance of this.instances) {
        if (instance.observedVersion !== instance.version) {
          instance.observation = describeInstance(instance);
          instance.observedVersion = instance.version;
        }
        if (instance.observation !== undefined) listed.push(instance.observation);
      }
      this.listed = listed;
      this.listedVersion = this.fleetVersion;
    }
    return this.listed;
  }

  private evaluate(): void {
    this.decisions += 1;
    const observation = this.observe();
    const decision = this.policy.decide(observation);
    // PutWarmPool (only when the pool exists and its MinSize changes) before the capacity calls, as the agent-scaler
    // does: instances this decision removes find the pool sized as it decided.
    const poolMinSize = decision.warmPoolMinSize;
    if (
      this.fleet.warmPool !== null &&
      typeof poolMinSize === 'number' &&
      Number.isInteger(poolMinSize) &&
      poolMinSize >= 0 &&
      poolMinSize !== this.warmPoolMinSize
    ) {
      this.putWarmPoolCalls += 1;
      this.warmPoolMinSize = poolMinSize;
    }
    for (const id of decision.instancesToDrain ?? []) {
      const instance = this.instances.find((candidate) => candidate.id === id);
      if (instance !== undefined) this.drain(instance);
    }
    const target = Math.min(this.fleet.maxSize, Math.max(this.fleet.minSize, Math.round(decision.desired)));
    if (Number.isFinite(target) && target !== this.desired) {
      this.setDesiredCapacityCalls += 1;
      this.desired = target;
    }
    this.reconcile();
  }

  // ── books ─────────────────────────────────────────────────────────────────────────────────────────────────────

  private closeBooks(): void {
    this.runningAtEnd = this.computeRunningCount;
    for (const instance of [...this.instances]) {
      for (const agent of instance.agents) {
        if (agent.accepting && agent.job === null) this.idleAgentSec += this.measuredSpan(agent.idleSinceSec, this.now);
      }
      if (instance.state === 'warm-stopped') {
        this.stoppedSec += this.measuredSpan(instance.stoppedSinceSec, this.now);
      } else {
        this.billRun(instance);
      }
      this.volumeSec += this.measuredSpan(instance.launchedAtSec, this.now);
    }
  }

  private result(): SimulationResult {
    const waits = Float64Array.from(this.waits).sort();
    const instanceHours = this.billedComputeSec / 3600;
    const localCompletions = new Uint32Array(this.completions);
    const atStart = this.countersAtStart;
    return {
      jobs: this.localJobCount,
      measureFromSec: this.measureFromSec,
      measuredJobs: this.measuredJobCount,
      unfinishedJobs: this.localJobCount - this.doneLocal,
      waitsSec: waits,
      interruptedJobs: this.interruptedJobs,
      spotReclaimedJobs: this.spotReclaimedJobs,
      spotInterruptions: this.spotInterruptions,
      instanceHours,
      idleInstanceHours: this.idleAgentSec / 3600 / this.fleet.agentsPerInstance,
      stoppedInstanceHours: this.stoppedSec / 3600,
      computeCost: instanceHours * this.fleet.pricePerInstanceHour,
      volumeCost: (this.volumeSec / 3600) * this.fleet.volumeCostPerInstanceHour,
      peakInstances: this.peakInstances,
      coldLaunches: this.coldLaunches - atStart.coldLaunches,
      warmResumes: this.warmResumes - atStart.warmResumes,
      setDesiredCapacityCalls: this.setDesiredCapacityCalls - atStart.setDesiredCapacityCalls,
      terminateInstanceCalls: this.terminateInstanceCalls - atStart.terminateInstanceCalls,
      putWarmPoolCalls: this.putWarmPoolCalls - atStart.putWarmPoolCalls,
      decisions: this.decisions - atStart.decisions,
      endSec: this.now,
      runningInstancesAtEnd: this.runningAtEnd,
      timeline: this.timeline.series(this.now),
      ...(this.starts === undefined ? {} : { starts: this.starts }),
      completionsPerJob: localCompletions,
    };
  }
}

/** A launched instance before its first state change (`terminated` until the caller moves it on). */
function freshInstance(id: string, launchedAtSec: number): Instance {
  return {
    id,
    launchedAtSec,
    state: 'terminated',
    generation: 0,
    agents: [],
    busyAgents: 0,
    idleSinceSec: null,
    idleGeneration: 0,
    computeSinceSec: launchedAtSec,
    stoppedSinceSec: 0,
    spotDoomed: false,
    stopIntoPool: false,
    computeEpoch: 0,
    countedActive: false,
    countedInGroup: false,
    countedComputing: false,
    countedInPool: false,
    version: 0,
    observedVersion: -1,
    observation: undefined,
  };
}

const EXTERNAL_INSTANCE: Instance = freshInstance('external', 0);

/** Stands in for the agent of a job on another queue (another fleet runs it). */
const EXTERNAL_AGENT: Agent = { instance: EXTERNAL_INSTANCE, job: null, accepting: false, token: 0, idleSinceSec: 0 };

function describeInstance(instance: Instance): InstanceObservation | undefined {
  let lifecycleState: InstanceObservation['lifecycleState'];
  switch (instance.state) {
    case 'booting':
    case 'resuming':
      lifecycleState = 'Pending';
      break;
    case 'registering':
    case 'in-service':
      lifecycleState = 'InService';
      break;
    case 'draining':
    case 'stopping':
      lifecycleState = 'Terminating';
      break;
    default:
      return undefined;
  }
  let idleAgents = 0;
  for (const agent of instance.agents) if (agent.accepting && agent.job === null) idleAgents += 1;
  const observation = {
    id: instance.id,
    launchedAtSec: instance.launchedAtSec,
    lifecycleState,
    busyAgents: instance.busyAgents,
    idleAgents,
  };
  return instance.idleSinceSec !== null && instance.state === 'in-service'
    ? { ...observation, idleSinceSec: instance.idleSinceSec }
    : observation;
}
