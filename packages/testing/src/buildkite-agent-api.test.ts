import { describe, expect, it } from 'vitest';
import {
  type AgentApiResponse,
  type BuildkiteAgentApi,
  type BuildkiteAgentApiOptions,
  createBuildkiteAgentApi,
  InvalidJobSpecError,
  type StandInEvent,
} from './buildkite-agent-api';

/** A world clock the test moves by hand: nothing here reads the wall clock. */
function world(options: Omit<BuildkiteAgentApiOptions, 'now'> = {}) {
  let nowMs = 1_000_000;
  const api = createBuildkiteAgentApi({ ...options, now: () => nowMs });
  const events: StandInEvent[] = [];
  api.onEvent((event) => events.push(event));
  return {
    api,
    events,
    advance(ms: number) {
      nowMs += ms;
    },
    get now() {
      return nowMs;
    },
  };
}

function call(api: BuildkiteAgentApi, method: string, path: string, token: string, body: unknown = undefined) {
  const [pathname, search] = path.split('?');
  return api.handle({
    method,
    path: pathname as string,
    query: new URLSearchParams(search ?? ''),
    authorization: `Token ${token}`,
    body: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface Registered {
  id: string;
  token: string;
}

/** Registers and connects an agent the way buildkite-agent does (register with the registration token, then connect). */
function connectAgent(api: BuildkiteAgentApi, name: string, tags = ['queue=default'], priority?: string): Registered {
  const registration = call(api, 'POST', '/register', 'registration-token', {
    name,
    meta_data: tags,
    version: '3.138.3',
    ...(priority ? { priority } : {}),
  });
  expect(registration.status).toBe(200);
  const body = registration.body as { id: string; access_token: string };
  expect(call(api, 'POST', '/connect', body.access_token).status).toBe(200);
  return { id: body.id, token: body.access_token };
}

function pingedJob(response: AgentApiResponse): { id: string; token: string; env: Record<string, string> } | undefined {
  return (response.body as { job?: { id: string; token: string; env: Record<string, string> } }).job;
}

/** Runs a job to the end through the HTTP routes with the job token, as the real agent does. */
function runJob(api: BuildkiteAgentApi, agent: Registered, exit: Record<string, unknown> = { exit_status: '0' }) {
  const job = pingedJob(call(api, 'GET', '/ping', agent.token));
  if (!job) throw new Error('expected a job on ping');
  expect(call(api, 'PUT', `/jobs/${job.id}/accept`, agent.token).status).toBe(200);
  expect(call(api, 'PUT', `/jobs/${job.id}/start`, job.token, { started_at: 'x' }).status).toBe(200);
  expect(call(api, 'POST', `/jobs/${job.id}/chunks?sequence=1&offset=0&size=6`, job.token, 'hello\n').status).toBe(201);
  expect(call(api, 'PUT', `/jobs/${job.id}/finish`, job.token, exit).status).toBe(200);
  return job;
}

describe('Function: createBuildkiteAgentApi', () => {
  it('takes a job from scheduled through assigned, accepted and running to finished with its exit status and log', () => {
    // Prepare
    const { api, events, advance } = world();
    const agent = connectAgent(api, 'host-1');
    api.addJob({ id: 'job-1', queue: 'default', durationSec: 300, command: 'make test', env: { EXTRA: 'yes' } });

    // Act
    const ping = call(api, 'GET', '/ping', agent.token);
    const job = pingedJob(ping);
    const assigned = api.jobs()[0];
    call(api, 'PUT', '/jobs/job-1/accept', agent.token);
    advance(1000);
    call(api, 'PUT', '/jobs/job-1/start', job?.token ?? '', {});
    const running = api.jobs()[0];
    call(api, 'POST', '/jobs/job-1/chunks?sequence=2&offset=6&size=6', job?.token ?? '', 'world\n');
    call(api, 'POST', '/jobs/job-1/chunks?sequence=1&offset=0&size=6', job?.token ?? '', 'hello\n');
    advance(5000);
    const finish = call(api, 'PUT', '/jobs/job-1/finish', job?.token ?? '', {
      exit_status: '0',
      chunks_failed_count: 0,
    });

    // Assess
    expect(job?.env).toMatchObject({
      BUILDKITE_JOB_ID: 'job-1',
      BUILDKITE_COMMAND: 'make test',
      SIMULATED_JOB_DURATION_SEC: '300',
      EXTRA: 'yes',
      BUILDKITE_AGENT_NAME: 'host-1',
    });
    expect(assigned).toMatchObject({ state: 'assigned', agentId: agent.id });
    expect(running?.state).toBe('running');
    expect(finish.status).toBe(200);
    expect(api.jobs()[0]).toMatchObject({
      state: 'finished',
      exitStatus: 0,
      interrupted: false,
      agentId: agent.id,
      log: 'hello\nworld\n',
      startedAt: 1_001_000,
      finishedAt: 1_006_000,
    });
    expect(api.agents()[0]).toMatchObject({ state: 'connected', busyJobIds: [], lastJobFinishedAt: 1_006_000 });
    expect(events.map((event) => event.type)).toEqual([
      'agent.connected',
      'job.scheduled',
      'job.started',
      'job.finished',
    ]);
  });

  it('records a job the agent stopped with a signal as interrupted, and one that failed on its own as not', () => {
    // Prepare
    const { api } = world();
    const agent = connectAgent(api, 'host-1');
    api.addJob({ id: 'killed', queue: 'default' });
    api.addJob({ id: 'failed', queue: 'default' });

    // Act
    runJob(api, agent, { exit_status: '-1', signal: 'SIGTERM', signal_reason: 'agent_stop' });
    runJob(api, agent, { exit_status: '3' });

    // Assess
    const byId = Object.fromEntries(api.jobs().map((job) => [job.id, job]));
    expect(byId.killed).toMatchObject({
      state: 'finished',
      interrupted: true,
      signal: 'SIGTERM',
      signalReason: 'agent_stop',
    });
    expect(byId.failed).toMatchObject({ state: 'finished', interrupted: false, exitStatus: 3 });
  });

  describe('dispatch', () => {
    it('gives a job to the idle agent that most recently finished a job, never-used agents last, whoever pings', () => {
      // Prepare
      const { api, advance } = world();
      const earlier = connectAgent(api, 'earlier');
      const recent = connectAgent(api, 'recent');
      const unused = connectAgent(api, 'unused');
      api.addJob({ id: 'warm-up-1', queue: 'default' });
      runJob(api, earlier);
      advance(1000);
      api.addJob({ id: 'warm-up-2', queue: 'default' });
      // Two jobs: `earlier` (the only one that ran a job) is first in line, `recent` second; `recent` finishes last.
      api.addJob({ id: 'hold', queue: 'default' });
      const first = pingedJob(call(api, 'GET', '/ping', earlier.token));
      const second = pingedJob(call(api, 'GET', '/ping', recent.token));
      expect(first?.id).toBe('warm-up-2');
      expect(second?.id).toBe('hold');
      call(api, 'PUT', '/jobs/hold/accept', recent.token);
      call(api, 'PUT', '/jobs/hold/start', second?.token ?? '', {});
      call(api, 'PUT', '/jobs/warm-up-2/accept', earlier.token);
      call(api, 'PUT', '/jobs/warm-up-2/start', first?.token ?? '', {});
      call(api, 'PUT', '/jobs/warm-up-2/finish', first?.token ?? '', { exit_status: '0' });
      advance(1000);
      call(api, 'PUT', '/jobs/hold/finish', second?.token ?? '', { exit_status: '0' });
      advance(1000);
      api.addJob({ id: 'next', queue: 'default' });

      // Act: the never-used agent pings first, then the one that finished earlier
      const unusedPing = call(api, 'GET', '/ping', unused.token);
      const earlierPing = call(api, 'GET', '/ping', earlier.token);
      const recentPing = call(api, 'GET', '/ping', recent.token);

      // Assess
      expect(unusedPing.body).toEqual({ action: 'idle' });
      expect(earlierPing.body).toEqual({ action: 'idle' });
      expect(pingedJob(recentPing)?.id).toBe('next');
      expect(api.jobs().find((job) => job.id === 'next')).toMatchObject({ state: 'assigned', agentId: recent.id });
    });

    it('prefers a higher-priority agent over the most recent one, and runs higher-priority jobs first', () => {
      // Prepare
      const { api } = world();
      const plain = connectAgent(api, 'plain');
      api.addJob({ id: 'first', queue: 'default' });
      runJob(api, plain); // `plain` is the most recent finisher, `preferred` never ran a job
      const preferred = connectAgent(api, 'preferred', ['queue=default'], '5');
      api.addJob({ id: 'low', queue: 'default', priority: 0 });
      api.addJob({ id: 'high', queue: 'default', priority: 10 });

      // Act
      const plainJob = pingedJob(call(api, 'GET', '/ping', plain.token));
      const preferredJob = pingedJob(call(api, 'GET', '/ping', preferred.token));

      // Assess
      expect(preferredJob?.id).toBe('high');
      expect(plainJob?.id).toBe('low');
    });

    it('never gives a job to an agent of another queue, nor to one that reported a graceful stop', () => {
      // Prepare
      const { api } = world();
      const other = connectAgent(api, 'other', ['queue=other']);
      const stopping = connectAgent(api, 'stopping');
      api.addJob({ id: 'job-1', queue: 'default' });

      // Act
      expect(call(api, 'POST', '/stop', stopping.token, {}).status).toBe(200);
      const otherPing = call(api, 'GET', '/ping', other.token);
      const stoppingPing = call(api, 'GET', '/ping', stopping.token);

      // Assess
      expect(otherPing.body).toEqual({ action: 'idle' });
      expect(stoppingPing.body).toEqual({ action: 'idle' });
      expect(api.jobs()[0]?.state).toBe('scheduled');
    });

    it('puts a job dispatched to an agent that disconnects before accepting it back on the queue for another agent', () => {
      // Prepare
      const { api, events } = world();
      const leaving = connectAgent(api, 'leaving');
      api.addJob({ id: 'job-1', queue: 'default' });
      expect(pingedJob(call(api, 'GET', '/ping', leaving.token))?.id).toBe('job-1');

      // Act
      call(api, 'POST', '/disconnect', leaving.token);
      const staying = connectAgent(api, 'staying');
      const handedOver = pingedJob(call(api, 'GET', '/ping', staying.token));

      // Assess
      expect(handedOver?.id).toBe('job-1');
      expect(api.agents().find((agent) => agent.id === leaving.id)?.state).toBe('disconnected');
      expect(events.filter((event) => event.type === 'job.scheduled')).toHaveLength(1);
      expect(api.jobs()[0]?.interrupted).toBe(false);
    });
  });

  describe('dependsOn', () => {
    it('keeps a job waiting until every job it depends on finished, then schedules it', () => {
      // Prepare
      const { api, events } = world();
      const agent = connectAgent(api, 'host-1');
      api.addJob({ id: 'build', queue: 'default' });
      api.addJob({ id: 'lint', queue: 'default' });
      api.addJob({ id: 'deploy', queue: 'default', dependsOn: ['build', 'lint'] });
      const before = api.queueState('default');

      // Act
      runJob(api, agent);
      const afterOne = api.jobs().find((job) => job.id === 'deploy')?.state;
      runJob(api, agent);

      // Assess
      expect(before).toMatchObject({ scheduled: 2, waiting: 1 });
      expect(afterOne).toBe('waiting');
      expect(api.jobs().find((job) => job.id === 'deploy')?.state).toBe('scheduled');
      expect(events.filter((event) => event.type === 'job.scheduled').map((event) => event.job?.id)).toEqual([
        'build',
        'lint',
        'deploy',
      ]);
    });

    it('cancels a job whose dependency was lost, and refuses unknown dependencies with the fix', () => {
      // Prepare
      const { api, advance } = world({ lostAgentAfterMs: 30_000 });
      const agent = connectAgent(api, 'host-1');
      api.addJob({ id: 'build', queue: 'default' });
      api.addJob({ id: 'deploy', queue: 'default', dependsOn: ['build'] });
      const job = pingedJob(call(api, 'GET', '/ping', agent.token));
      call(api, 'PUT', '/jobs/build/accept', agent.token);
      call(api, 'PUT', '/jobs/build/start', job?.token ?? '', {});

      // Act
      advance(30_000);
      const states = Object.fromEntries(api.jobs().map((entry) => [entry.id, entry.state]));

      // Assess
      expect(states).toEqual({ build: 'lost', deploy: 'canceled' });
      expect(() => api.addJob({ id: 'test', queue: 'default', dependsOn: ['nope'] })).toThrow(
        /depends on unknown job\(s\) nope: add them before/,
      );
    });
  });

  it('derives queue metrics from state: scheduled, running (assigned/accepted/running), waiting, idle and busy agents', () => {
    // Prepare
    const { api } = world();
    const busyAgent = connectAgent(api, 'busy');
    connectAgent(api, 'idle');
    const gone = connectAgent(api, 'gone');
    call(api, 'POST', '/disconnect', gone.token);
    connectAgent(api, 'elsewhere', ['queue=other']);
    api.addJob({ id: 'running', queue: 'default' });
    api.addJob({ id: 'queued-1', queue: 'default' });
    api.addJob({ id: 'queued-2', queue: 'default' });
    api.addJob({ id: 'blocked', queue: 'default', dependsOn: ['queued-1'] });

    // Act: one ping dispatches the two oldest jobs to the two idle agents of the queue
    const job = pingedJob(call(api, 'GET', '/ping', busyAgent.token));
    call(api, 'PUT', `/jobs/${job?.id}/accept`, busyAgent.token);
    call(api, 'PUT', `/jobs/${job?.id}/start`, job?.token ?? '', {});

    // Assess: `queued-1` is assigned to the second agent, so it counts as running and that agent as busy
    expect(api.queueState('default')).toEqual({ scheduled: 1, running: 2, waiting: 1, idle: 0, busy: 2, total: 2 });
    expect(api.queueState('other')).toEqual({ scheduled: 0, running: 0, waiting: 0, idle: 1, busy: 0, total: 1 });
    expect(api.queueState('nobody')).toBeUndefined();
  });

  describe('lost agents', () => {
    it('marks an agent silent for lostAgentAfterMs lost, its running job lost and interrupted, its unaccepted job requeued', () => {
      // Prepare
      const { api, events, advance } = world({ lostAgentAfterMs: 60_000 });
      const silent = connectAgent(api, 'silent');
      const chatty = connectAgent(api, 'chatty');
      api.addJob({ id: 'running', queue: 'default' });
      const job = pingedJob(call(api, 'GET', '/ping', silent.token));
      call(api, 'PUT', '/jobs/running/accept', silent.token);
      call(api, 'PUT', '/jobs/running/start', job?.token ?? '', {});

      // Act
      advance(59_999);
      call(api, 'POST', '/heartbeat', chatty.token, { sent_at: 'now' });
      const beforeDeadline = api.agents().map((agent) => agent.state);
      advance(1);
      const agents = Object.fromEntries(api.agents().map((agent) => [agent.name, agent.state]));

      // Assess
      expect(beforeDeadline).toEqual(['connected', 'connected']);
      expect(agents).toEqual({ silent: 'lost', chatty: 'connected' });
      expect(api.jobs()[0]).toMatchObject({ state: 'lost', interrupted: true, finishedAt: 1_060_000 });
      expect(events.filter((event) => event.type === 'agent.lost').map((event) => event.agent?.name)).toEqual([
        'silent',
      ]);
      expect(events.at(-2)).toMatchObject({ type: 'job.finished', job: { id: 'running', state: 'lost' } });
      expect(api.queueState('default')).toMatchObject({ running: 0, total: 1 });
      expect(call(api, 'PUT', '/jobs/running/finish', job?.token ?? '', { exit_status: '0' }).status).toBe(422);
    });

    it('counts a ping as a sign of life, so a polling agent is never lost', () => {
      // Prepare
      const { api, advance } = world({ lostAgentAfterMs: 10_000 });
      const agent = connectAgent(api, 'poller');

      // Act
      for (let tick = 0; tick < 10; tick += 1) {
        advance(9_000);
        call(api, 'GET', '/ping', agent.token);
      }

      // Assess
      expect(api.agents()[0]?.state).toBe('connected');
    });
  });

  describe('bad input', () => {
    it('answers 401 to a wrong registration token and to an unknown access token', () => {
      // Prepare
      const { api } = world({ registrationToken: 'right' });

      // Act
      const wrong = call(api, 'POST', '/register', 'wrong', { name: 'x' });
      const unknown = call(api, 'GET', '/ping', 'not-an-agent');

      // Assess
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(api.agents()).toEqual([]);
    });

    it('refuses a job without id or queue, a duplicate id and a negative duration, naming the job and the fix', () => {
      // Prepare
      const { api } = world();
      api.addJob({ id: 'job-1', queue: 'default' });

      // Act + Assess
      expect(() => api.addJob({ id: '', queue: 'default' })).toThrow(InvalidJobSpecError);
      expect(() => api.addJob({ id: 'job-2', queue: '' })).toThrow('Job job-2 needs a queue');
      expect(() => api.addJob({ id: 'job-1', queue: 'default' })).toThrow(/already exists: give every job its own id/);
      expect(() => api.addJob({ id: 'job-3', queue: 'default', durationSec: -1 })).toThrow(/use a number ≥ 0/);
      expect(api.jobs().map((job) => job.id)).toEqual(['job-1']);
    });

    it('answers 422 to a finish for a job that never started and 400 to a body that is not JSON', () => {
      // Prepare
      const { api } = world();
      const agent = connectAgent(api, 'host-1');
      api.addJob({ id: 'job-1', queue: 'default' });
      const job = pingedJob(call(api, 'GET', '/ping', agent.token));

      // Act
      const early = call(api, 'PUT', '/jobs/job-1/finish', job?.token ?? '', { exit_status: '0' });
      call(api, 'PUT', '/jobs/job-1/accept', agent.token);
      call(api, 'PUT', '/jobs/job-1/start', job?.token ?? '', {});
      const garbage = call(api, 'PUT', '/jobs/job-1/finish', job?.token ?? '', '{not json');

      // Assess
      expect(early.status).toBe(422);
      expect(garbage.status).toBe(400);
      expect(api.jobs()[0]?.state).toBe('running');
    });
  });

  it('cancels a running job through its agent: the job-state route says canceled and the finish marks it interrupted', () => {
    // Prepare
    const { api } = world();
    const agent = connectAgent(api, 'host-1');
    api.addJob({ id: 'job-1', queue: 'default' });
    const job = pingedJob(call(api, 'GET', '/ping', agent.token));
    call(api, 'PUT', '/jobs/job-1/accept', agent.token);
    call(api, 'PUT', '/jobs/job-1/start', job?.token ?? '', {});

    // Act
    api.cancelJob('job-1');
    const polled = call(api, 'GET', '/jobs/job-1', job?.token ?? '');
    call(api, 'PUT', '/jobs/job-1/finish', job?.token ?? '', {
      exit_status: '-1',
      signal: 'SIGTERM',
      signal_reason: 'cancel',
    });

    // Assess
    expect(polled.body).toEqual({ state: 'canceled' });
    expect(api.jobs()[0]).toMatchObject({ state: 'canceled', interrupted: true });
    expect(api.agents()[0]?.busyJobIds).toEqual([]);
  });
});
