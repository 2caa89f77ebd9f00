import { randomUUID } from 'node:crypto';

/**
 * The agent-facing half of the Buildkite API stand-in: a model of jobs and agents with real state (registration,
 * connection, pings, dispatch, job lifecycle, lost agents) and the HTTP routes `buildkite-agent` v3.138.3 calls
 * (`api/*.go`: register, connect, ping, heartbeat, stop, disconnect, jobs accept/acquire/start/chunks/finish/state,
 * header times). The model is pure over its `now()`: nothing here reads the wall clock or a timer.
 */

export type StandInJobState =
  | 'waiting'
  | 'scheduled'
  | 'assigned'
  | 'accepted'
  | 'running'
  | 'finished'
  | 'canceled'
  | 'lost';

export interface StandInJobSpec {
  id: string;
  queue: string;
  /** Reaches the agent as `SIMULATED_JOB_DURATION_SEC` (unscaled trace seconds). */
  durationSec?: number;
  /** `BUILDKITE_COMMAND`; default `true`. */
  command?: string;
  env?: Record<string, string>;
  /** Ids of jobs added earlier; this job waits until every one is finished. */
  dependsOn?: string[];
  /** Higher runs first among the queue's scheduled jobs. @default 0 */
  priority?: number;
}

export interface StandInJob {
  id: string;
  queue: string;
  state: StandInJobState;
  priority: number;
  dependsOn: readonly string[];
  createdAt: number;
  scheduledAt?: number;
  assignedAt?: number;
  acceptedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  agentId?: string;
  /** The exit status the agent reported (the real agent sends it as a string; `-1` when signalled). */
  exitStatus?: number;
  signal?: string;
  signalReason?: string;
  /** The job did not finish with its own exit status: signalled, canceled by the agent, or lost with its agent. */
  interrupted: boolean;
  /** The job log the agent uploaded (chunks in sequence order, decompressed). */
  log: string;
}

export type StandInAgentState = 'registered' | 'connected' | 'disconnected' | 'lost';

export interface StandInAgent {
  id: string;
  name: string;
  queue: string;
  tags: Readonly<Record<string, string>>;
  priority: number;
  state: StandInAgentState;
  /** Set once the agent reported a graceful stop (`POST /stop`): it gets no new job. */
  stopping: boolean;
  busyJobIds: readonly string[];
  registeredAt: number;
  lastSeenAt: number;
  lastJobFinishedAt?: number;
  version?: string;
  pid?: number;
}

export type StandInEventType =
  | 'job.scheduled'
  | 'job.started'
  | 'job.finished'
  | 'agent.connected'
  | 'agent.disconnected'
  | 'agent.lost';

/** `job.finished` is also sent for a job that ends `canceled` or `lost` (read `job.state`). */
export interface StandInEvent {
  type: StandInEventType;
  at: number;
  job?: StandInJob;
  agent?: StandInAgent;
}

export interface StandInQueueState {
  scheduled: number;
  running: number;
  waiting: number;
  idle: number;
  busy: number;
  total: number;
}

export interface BuildkiteAgentApiOptions {
  /** The agent registration token `POST /register` accepts. @default accept any */
  registrationToken?: string;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
  /** An agent not heard from (ping, heartbeat, any call) for this long is `lost`, and so are its jobs. @default never */
  lostAgentAfterMs?: number;
  /** Sent to agents at registration. @default 1 */
  pingIntervalSec?: number;
  /** How often agents poll a running job's state (cancellation). @default 1 */
  jobStatusIntervalSec?: number;
  /** @default 5 */
  heartbeatIntervalSec?: number;
  organizationSlug?: string;
}

export class UnknownJobError extends Error {
  override name = 'UnknownJobError';
}
export class InvalidJobSpecError extends Error {
  override name = 'InvalidJobSpecError';
}

export interface AgentApiRequest {
  method: string;
  /** Path below the API root, e.g. `/ping` or `/jobs/<id>/start`. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** The request body, decompressed; JSON routes parse it. */
  body: string;
}

export interface AgentApiResponse {
  status: number;
  body: unknown;
}

interface JobRecord extends Omit<StandInJob, 'dependsOn' | 'log'> {
  dependsOn: string[];
  command: string;
  env: Record<string, string>;
  durationSec?: number;
  token?: string;
  chunks: Map<number, string>;
  everScheduled: boolean;
  order: number;
}

interface AgentRecord extends Omit<StandInAgent, 'busyJobIds' | 'tags'> {
  tags: Record<string, string>;
  busyJobIds: string[];
  accessToken: string;
  order: number;
}

const ACTIVE_JOB_STATES: ReadonlySet<StandInJobState> = new Set(['assigned', 'accepted', 'running']);

export interface BuildkiteAgentApi {
  addJob(spec: StandInJobSpec): void;
  /** Cancels a job that has not finished: a waiting/scheduled one at once, a running one through its agent. */
  cancelJob(id: string): void;
  jobs(): readonly StandInJob[];
  agents(): readonly StandInAgent[];
  onEvent(listener: (event: StandInEvent) => void): () => void;
  /** Per-queue numbers from state, for every queue that has jobs or agents. */
  queueState(queue: string): StandInQueueState | undefined;
  /** Applies `lostAgentAfterMs` at `now()`; every read and request does this first. */
  sweep(): void;
  handle(request: AgentApiRequest): AgentApiResponse;
}

export function createBuildkiteAgentApi(options: BuildkiteAgentApiOptions = {}): BuildkiteAgentApi {
  const now = options.now ?? Date.now;
  const jobs = new Map<string, JobRecord>();
  const agents = new Map<string, AgentRecord>();
  const agentsByToken = new Map<string, AgentRecord>();
  const jobsByToken = new Map<string, JobRecord>();
  const listeners = new Set<(event: StandInEvent) => void>();
  let order = 0;

  const emit = (type: StandInEventType, subject: { job?: JobRecord; agent?: AgentRecord }) => {
    const event: StandInEvent = {
      type,
      at: now(),
      ...(subject.job ? { job: jobSnapshot(subject.job) } : {}),
      ...(subject.agent ? { agent: agentSnapshot(subject.agent) } : {}),
    };
    for (const listener of [...listeners]) listener(event);
  };

  const schedule = (job: JobRecord) => {
    job.state = 'scheduled';
    job.scheduledAt ??= now();
    if (!job.everScheduled) {
      job.everScheduled = true;
      emit('job.scheduled', { job });
    }
  };

  const releaseDependants = () => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const job of jobs.values()) {
        if (job.state !== 'waiting') continue;
        const dependencies = job.dependsOn.map((id) => jobs.get(id));
        if (dependencies.some((dependency) => dependency?.state === 'canceled' || dependency?.state === 'lost')) {
          job.state = 'canceled';
          job.finishedAt = now();
          changed = true;
          emit('job.finished', { job });
        } else if (dependencies.every((dependency) => dependency?.state === 'finished')) {
          schedule(job);
          changed = true;
        }
      }
    }
  };

  /**
   * Frees the job's agent. The job token stays valid (the agent may still read the job's state or flush its log after
   * the finish); only a job put back on the queue loses it, see {@link requeue}.
   */
  const detachJob = (job: JobRecord) => {
    const agent = job.agentId ? agents.get(job.agentId) : undefined;
    if (agent) agent.busyJobIds = agent.busyJobIds.filter((id) => id !== job.id);
  };

  const requeue = (job: JobRecord) => {
    detachJob(job);
    if (job.token) jobsByToken.delete(job.token);
    job.state = 'scheduled';
    delete job.agentId;
    delete job.assignedAt;
    delete job.token;
  };

  /** An assigned job the agent never accepted goes back to the queue; an accepted or running one is lost. */
  const abandonJobsOf = (agent: AgentRecord) => {
    for (const jobId of [...agent.busyJobIds]) {
      const job = jobs.get(jobId);
      if (!job) continue;
      if (job.state === 'assigned') {
        requeue(job);
      } else {
        detachJob(job);
        job.state = 'lost';
        job.interrupted = true;
        job.finishedAt = now();
        emit('job.finished', { job });
      }
    }
    agent.busyJobIds = [];
    releaseDependants();
  };

  const sweep = () => {
    if (options.lostAgentAfterMs === undefined) return;
    const at = now();
    for (const agent of agents.values()) {
      if (agent.state !== 'connected' && agent.state !== 'registered') continue;
      if (at - agent.lastSeenAt < options.lostAgentAfterMs) continue;
      agent.state = 'lost';
      abandonJobsOf(agent);
      emit('agent.lost', { agent });
    }
  };

  /** Buildkite's rule: jobs by priority then age; agents by priority, then most recent finish, never-used last. */
  const dispatch = (queue: string) => {
    const scheduled = [...jobs.values()]
      .filter((job) => job.queue === queue && job.state === 'scheduled')
      .sort((a, b) => b.priority - a.priority || (a.scheduledAt ?? 0) - (b.scheduledAt ?? 0) || a.order - b.order);
    if (scheduled.length === 0) return;
    const idle = [...agents.values()]
      .filter((agent) => agent.queue === queue && agent.state === 'connected' && !agent.stopping)
      .filter((agent) => agent.busyJobIds.length === 0)
      .sort(compareAgentsForDispatch);
    for (let index = 0; index < Math.min(scheduled.length, idle.length); index += 1) {
      const job = scheduled[index] as JobRecord;
      const agent = idle[index] as AgentRecord;
      job.state = 'assigned';
      job.agentId = agent.id;
      job.assignedAt = now();
      job.token = randomUUID();
      jobsByToken.set(job.token, job);
      agent.busyJobIds.push(job.id);
    }
  };

  const seen = (agent: AgentRecord) => {
    agent.lastSeenAt = now();
    if (agent.state === 'lost') {
      // A lost agent that comes back is connected again; the jobs it lost stay lost.
      agent.state = 'connected';
      emit('agent.connected', { agent });
    }
  };

  const agentFor = (request: AgentApiRequest) => agentsByToken.get(tokenOf(request.authorization) ?? '');

  /** Job routes accept the job's own token (what the real agent uses) or its agent's access token. */
  const jobFor = (request: AgentApiRequest, jobId: string): { job?: JobRecord; error?: AgentApiResponse } => {
    const token = tokenOf(request.authorization) ?? '';
    const job = jobs.get(jobId);
    const byJobToken = jobsByToken.get(token);
    const byAgent = agentsByToken.get(token);
    if (!byJobToken && !byAgent) return { error: { status: 401, body: { message: 'Unauthorized' } } };
    if (!job) return { error: { status: 404, body: { message: `No job ${jobId}` } } };
    if (byJobToken && byJobToken !== job)
      return { error: { status: 403, body: { message: 'Token is for another job' } } };
    if (byAgent && job.agentId !== byAgent.id) {
      return { error: { status: 422, body: { message: 'Job is not assigned to this agent' } } };
    }
    const agent = job.agentId ? agents.get(job.agentId) : undefined;
    if (agent) seen(agent);
    return { job };
  };

  const invalidState = (job: JobRecord, action: string): AgentApiResponse => ({
    status: 422,
    body: { message: `Job is ${job.state} and cannot be ${action}` },
  });

  const jobPayload = (job: JobRecord, agent: AgentRecord) => ({
    id: job.id,
    endpoint: '',
    state: job.state,
    env: {
      BUILDKITE: 'true',
      CI: 'true',
      BUILDKITE_JOB_ID: job.id,
      BUILDKITE_BUILD_ID: `build-${job.id}`,
      BUILDKITE_BUILD_NUMBER: '1',
      BUILDKITE_BUILD_URL: `https://buildkite.com/${options.organizationSlug ?? 'elastic-ci-test'}/sandbox/builds/1`,
      BUILDKITE_ORGANIZATION_SLUG: options.organizationSlug ?? 'elastic-ci-test',
      BUILDKITE_PIPELINE_SLUG: 'sandbox',
      BUILDKITE_PIPELINE_NAME: 'sandbox',
      BUILDKITE_PIPELINE_PROVIDER: 'github',
      BUILDKITE_PIPELINE_DEFAULT_BRANCH: 'main',
      // Real jobs always name a repository (the agent's bootstrap requires one); agents here run with checkout skipped.
      BUILDKITE_REPO: 'https://github.com/elastic-ci/sandbox-stand-in.git',
      BUILDKITE_BRANCH: 'main',
      BUILDKITE_COMMIT: 'HEAD',
      BUILDKITE_MESSAGE: 'sandbox job',
      BUILDKITE_BUILD_CREATOR: 'elastic-ci',
      BUILDKITE_SOURCE: 'api',
      BUILDKITE_LABEL: job.id,
      BUILDKITE_STEP_KEY: job.id,
      BUILDKITE_RETRY_COUNT: '0',
      BUILDKITE_AGENT_ID: agent.id,
      BUILDKITE_AGENT_NAME: agent.name,
      BUILDKITE_AGENT_META_DATA_QUEUE: job.queue,
      BUILDKITE_COMMAND: job.command,
      ...(job.durationSec === undefined ? {} : { SIMULATED_JOB_DURATION_SEC: String(job.durationSec) }),
      ...job.env,
    },
    token: job.token,
    priority: job.priority,
    chunks_max_size_bytes: 102400,
    chunks_interval_seconds: 1,
    log_max_size_bytes: 1024 * 1024 * 1024,
    runnable_at: job.scheduledAt === undefined ? '' : new Date(job.scheduledAt).toISOString(),
  });

  const routes: Array<{
    method: string;
    pattern: RegExp;
    run: (request: AgentApiRequest, match: RegExpMatchArray) => AgentApiResponse;
  }> = [
    {
      method: 'POST',
      pattern: /^\/register$/,
      run: (request) => {
        const token = tokenOf(request.authorization);
        if (token === undefined || (options.registrationToken !== undefined && token !== options.registrationToken)) {
          return { status: 401, body: { message: 'Invalid registration token' } };
        }
        const registration = parseJson(request.body);
        if (!registration.ok) return { status: 400, body: { message: registration.message } };
        const body = registration.value as Record<string, unknown>;
        const tagList = Array.isArray(body.meta_data) ? body.meta_data.filter((tag) => typeof tag === 'string') : [];
        const tags = Object.fromEntries(
          tagList.map((tag: string) => {
            const separator = tag.indexOf('=');
            return separator < 0 ? [tag, 'true'] : [tag.slice(0, separator), tag.slice(separator + 1)];
          }),
        );
        order += 1;
        const agent: AgentRecord = {
          id: randomUUID(),
          name: typeof body.name === 'string' && body.name !== '' ? body.name : `agent-${order}`,
          queue: tags.queue ?? 'default',
          tags,
          priority: Number(body.priority ?? 0) || 0,
          state: 'registered',
          stopping: false,
          busyJobIds: [],
          registeredAt: now(),
          lastSeenAt: now(),
          accessToken: randomUUID(),
          order,
          ...(typeof body.version === 'string' ? { version: body.version } : {}),
          ...(typeof body.pid === 'number' ? { pid: body.pid } : {}),
        };
        agents.set(agent.id, agent);
        agentsByToken.set(agent.accessToken, agent);
        return {
          status: 200,
          body: {
            id: agent.id,
            name: agent.name,
            access_token: agent.accessToken,
            endpoint: '',
            request_headers: {},
            ping_interval: options.pingIntervalSec ?? 1,
            job_status_interval: options.jobStatusIntervalSec ?? 1,
            heartbeat_interval: options.heartbeatIntervalSec ?? 5,
            meta_data: tagList,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/connect$/,
      run: (request) =>
        withAgent(request, (agent) => {
          const wasConnected = agent.state === 'connected';
          agent.state = 'connected';
          agent.stopping = false;
          if (!wasConnected) emit('agent.connected', { agent });
          return { status: 200, body: { id: agent.id, connection_state: 'connected' } };
        }),
    },
    {
      method: 'GET',
      pattern: /^\/ping$/,
      run: (request) =>
        withAgent(request, (agent) => {
          if (agent.state !== 'connected') return { status: 422, body: { message: `Agent is ${agent.state}` } };
          dispatch(agent.queue);
          const assigned = agent.busyJobIds.map((id) => jobs.get(id)).find((job) => job?.state === 'assigned');
          if (assigned) return { status: 200, body: { action: '', job: jobPayload(assigned, agent) } };
          return { status: 200, body: { action: 'idle' } };
        }),
    },
    {
      method: 'POST',
      pattern: /^\/heartbeat$/,
      run: (request) =>
        withAgent(request, () => {
          const sent = parseJson(request.body);
          const sentAt = sent.ok ? (sent.value as { sent_at?: unknown }).sent_at : undefined;
          return { status: 200, body: { sent_at: sentAt ?? '', received_at: new Date(now()).toISOString() } };
        }),
    },
    {
      method: 'POST',
      pattern: /^\/stop$/,
      run: (request) =>
        withAgent(request, (agent) => {
          agent.stopping = true;
          // A job dispatched but not yet taken goes back to the queue for another agent.
          for (const jobId of [...agent.busyJobIds]) {
            const job = jobs.get(jobId);
            if (job?.state !== 'assigned') continue;
            requeue(job);
          }
          return { status: 200, body: {} };
        }),
    },
    {
      method: 'POST',
      pattern: /^\/disconnect$/,
      run: (request) =>
        withAgent(request, (agent) => {
          abandonJobsOf(agent);
          const wasDisconnected = agent.state === 'disconnected';
          agent.state = 'disconnected';
          if (!wasDisconnected) emit('agent.disconnected', { agent });
          return { status: 200, body: { id: agent.id, connection_state: 'disconnected' } };
        }),
    },
    {
      method: 'PUT',
      pattern: /^\/jobs\/([^/]+)\/(accept|acquire)$/,
      run: (request, match) =>
        withAgent(request, (agent) => {
          const job = jobs.get(decodeURIComponent(match[1] as string));
          if (!job) return { status: 404, body: { message: 'No such job' } };
          if (match[2] === 'acquire' && job.state === 'scheduled' && job.queue === agent.queue) {
            job.state = 'assigned';
            job.agentId = agent.id;
            job.assignedAt = now();
            job.token = randomUUID();
            jobsByToken.set(job.token, job);
            agent.busyJobIds.push(job.id);
          }
          if (job.state !== 'assigned' || job.agentId !== agent.id) return invalidState(job, 'accepted');
          job.state = 'accepted';
          job.acceptedAt = now();
          return { status: 200, body: jobPayload(job, agent) };
        }),
    },
    {
      method: 'PUT',
      pattern: /^\/jobs\/([^/]+)\/start$/,
      run: (request, match) => {
        const { job, error } = jobFor(request, decodeURIComponent(match[1] as string));
        if (!job) return error as AgentApiResponse;
        if (job.state !== 'accepted') return invalidState(job, 'started');
        job.state = 'running';
        job.startedAt = now();
        emit('job.started', { job });
        return { status: 200, body: {} };
      },
    },
    {
      method: 'POST',
      pattern: /^\/jobs\/([^/]+)\/chunks$/,
      run: (request, match) => {
        const { job, error } = jobFor(request, decodeURIComponent(match[1] as string));
        if (!job) return error as AgentApiResponse;
        if (job.state !== 'running') return invalidState(job, 'logged to');
        const sequence = Number(request.query.get('sequence') ?? job.chunks.size + 1);
        job.chunks.set(Number.isFinite(sequence) ? sequence : job.chunks.size + 1, request.body);
        return { status: 201, body: {} };
      },
    },
    {
      method: 'POST',
      pattern: /^\/jobs\/([^/]+)\/header_times$/,
      run: (request, match) => {
        const { job, error } = jobFor(request, decodeURIComponent(match[1] as string));
        if (!job) return error as AgentApiResponse;
        return { status: 200, body: {} };
      },
    },
    {
      method: 'GET',
      pattern: /^\/jobs\/([^/]+)$/,
      run: (request, match) => {
        const { job, error } = jobFor(request, decodeURIComponent(match[1] as string));
        if (!job) return error as AgentApiResponse;
        return { status: 200, body: { state: job.state } };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/jobs\/([^/]+)\/finish$/,
      run: (request, match) => {
        const { job, error } = jobFor(request, decodeURIComponent(match[1] as string));
        if (!job) return error as AgentApiResponse;
        if (job.state !== 'running' && job.state !== 'accepted' && job.state !== 'canceled') {
          return invalidState(job, 'finished');
        }
        const parsed = parseJson(request.body);
        if (!parsed.ok) return { status: 400, body: { message: parsed.message } };
        const body = parsed.value as Record<string, unknown>;
        const exitStatus = Number.parseInt(String(body.exit_status ?? ''), 10);
        const signal = typeof body.signal === 'string' && body.signal !== '' ? body.signal : undefined;
        const signalReason =
          typeof body.signal_reason === 'string' && body.signal_reason !== '' ? body.signal_reason : undefined;
        const wasCanceled = job.state === 'canceled';
        if (!wasCanceled) job.state = 'finished';
        job.finishedAt = now();
        if (Number.isFinite(exitStatus)) job.exitStatus = exitStatus;
        if (signal) job.signal = signal;
        if (signalReason) job.signalReason = signalReason;
        job.interrupted = wasCanceled || signal !== undefined || signalReason !== undefined || exitStatus === -1;
        const agent = job.agentId ? agents.get(job.agentId) : undefined;
        detachJob(job);
        if (agent) agent.lastJobFinishedAt = now();
        emit('job.finished', { job });
        releaseDependants();
        return { status: 200, body: {} };
      },
    },
  ];

  const withAgent = (request: AgentApiRequest, run: (agent: AgentRecord) => AgentApiResponse): AgentApiResponse => {
    const agent = agentFor(request);
    if (!agent) return { status: 401, body: { message: 'Unauthorized' } };
    seen(agent);
    return run(agent);
  };

  return {
    addJob(spec) {
      if (typeof spec.id !== 'string' || spec.id === '') throw new InvalidJobSpecError('A job needs a non-empty id');
      if (jobs.has(spec.id)) throw new InvalidJobSpecError(`Job ${spec.id} already exists: give every job its own id`);
      if (typeof spec.queue !== 'string' || spec.queue === '') {
        throw new InvalidJobSpecError(`Job ${spec.id} needs a queue`);
      }
      const unknown = (spec.dependsOn ?? []).filter((id) => !jobs.has(id));
      if (unknown.length > 0) {
        throw new InvalidJobSpecError(
          `Job ${spec.id} depends on unknown job(s) ${unknown.join(', ')}: add them before the jobs that depend on them`,
        );
      }
      if (spec.durationSec !== undefined && !(Number.isFinite(spec.durationSec) && spec.durationSec >= 0)) {
        throw new InvalidJobSpecError(`Job ${spec.id} has durationSec ${spec.durationSec}: use a number ≥ 0`);
      }
      sweep();
      order += 1;
      const job: JobRecord = {
        id: spec.id,
        queue: spec.queue,
        state: 'waiting',
        priority: spec.priority ?? 0,
        dependsOn: [...(spec.dependsOn ?? [])],
        createdAt: now(),
        interrupted: false,
        command: spec.command ?? 'true',
        env: { ...(spec.env ?? {}) },
        ...(spec.durationSec === undefined ? {} : { durationSec: spec.durationSec }),
        chunks: new Map(),
        everScheduled: false,
        order,
      };
      jobs.set(job.id, job);
      releaseDependants();
    },
    cancelJob(id) {
      const job = jobs.get(id);
      if (!job) throw new UnknownJobError(`No job ${id}`);
      if (job.state === 'finished' || job.state === 'canceled' || job.state === 'lost') return;
      if (job.state === 'waiting' || job.state === 'scheduled' || job.state === 'assigned') {
        detachJob(job);
        job.finishedAt = now();
      }
      // A running job stays attached: its agent sees `canceled` on the next job-state poll and finishes it.
      const running = ACTIVE_JOB_STATES.has(job.state) && job.state !== 'assigned';
      job.state = 'canceled';
      job.interrupted = true;
      if (!running) {
        emit('job.finished', { job });
        releaseDependants();
      }
    },
    jobs() {
      sweep();
      return [...jobs.values()].map(jobSnapshot);
    },
    agents() {
      sweep();
      return [...agents.values()].map(agentSnapshot);
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    queueState(queue) {
      sweep();
      const queueJobs = [...jobs.values()].filter((job) => job.queue === queue);
      const queueAgents = [...agents.values()].filter((agent) => agent.queue === queue);
      if (queueJobs.length === 0 && queueAgents.length === 0) return undefined;
      const connected = queueAgents.filter((agent) => agent.state === 'connected');
      const busy = connected.filter((agent) => agent.busyJobIds.length > 0).length;
      return {
        scheduled: queueJobs.filter((job) => job.state === 'scheduled').length,
        running: queueJobs.filter((job) => ACTIVE_JOB_STATES.has(job.state)).length,
        waiting: queueJobs.filter((job) => job.state === 'waiting').length,
        idle: connected.length - busy,
        busy,
        total: connected.length,
      };
    },
    sweep,
    handle(request) {
      sweep();
      for (const route of routes) {
        if (route.method !== request.method) continue;
        const match = request.path.match(route.pattern);
        if (match) return route.run(request, match);
      }
      return { status: 404, body: { message: `No route matches ${request.method} ${request.path}` } };
    },
  };
}

function compareAgentsForDispatch(a: AgentRecord, b: AgentRecord): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.lastJobFinishedAt !== undefined && b.lastJobFinishedAt !== undefined) {
    return b.lastJobFinishedAt - a.lastJobFinishedAt || a.order - b.order;
  }
  if (a.lastJobFinishedAt !== undefined) return -1;
  if (b.lastJobFinishedAt !== undefined) return 1;
  return a.order - b.order;
}

function jobSnapshot(job: JobRecord): StandInJob {
  const {
    chunks,
    command: _command,
    env: _env,
    durationSec: _duration,
    token: _token,
    everScheduled: _ever,
    order: _order,
    ...rest
  } = job;
  const log = [...chunks.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, text]) => text)
    .join('');
  return { ...rest, dependsOn: [...job.dependsOn], log };
}

function agentSnapshot(agent: AgentRecord): StandInAgent {
  const { accessToken: _token, order: _order, ...rest } = agent;
  return { ...rest, tags: { ...agent.tags }, busyJobIds: [...agent.busyJobIds] };
}

function tokenOf(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^Token\s+(\S+)$/i);
  return match?.[1];
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return { ok: false, message: 'Expected a JSON object' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: `Body is not JSON: ${(error as Error).message}` };
  }
}
