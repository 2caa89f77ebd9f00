import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing/imds-stand-in';
import { SANDBOX_RUN_ID_VARIABLE } from '../run-label';

/** What one simulated instance runs, and where. */
export interface SimulatedHostOptions {
  readonly instanceId: string;
  readonly region: string;
  /** Scratch root of this instance (`ELASTIC_CI_ROOT`, the agent's pid file, logs). */
  readonly root: string;
  readonly timeScale: number;
  /** Real milliseconds from "the group launched it" to "the agent starts" (the world boot delay / timeScale). */
  readonly bootDelayMs: number;
  /** Taken from the (simulated) warm pool: its boot delay is the resume delay. */
  readonly fromWarmPool?: boolean;
  /** Environment pointing AWS SDKs at the sandbox's AWS (moto behind the gap proxy). */
  readonly awsEnvironment: Readonly<Record<string, string>>;
  /** The sandbox run's label (`ELASTIC_CI_SANDBOX_RUN_ID`, see src/run-label.ts), in every process the host starts. */
  readonly runId: string;
  readonly programs: {
    readonly lifecycled: string;
    readonly elasticCiInstance: string;
    /** argv prefix that starts `elastic-ci-simulated-agent` (node + script, or node + tsx + source). */
    readonly simulatedAgent: readonly string[];
  };
  readonly agent: {
    readonly endpoint: string;
    readonly token: string;
    readonly name: string;
    readonly tags: readonly string[];
    readonly spawn: number;
    /** World seconds, as `disconnect-after-idle-timeout` (0 = never). */
    readonly idleTimeoutWorldSec: number;
  };
  readonly lifecycled: {
    readonly groupName: string;
    readonly hookName: string | undefined;
    /** World seconds between heartbeats (the contract's `lifecycled.heartbeatIntervalSeconds`). */
    readonly heartbeatWorldSec: number;
    /**
     * The contract's `lifecycle.instanceBrokerUrl`, as the boot writes it into `/etc/lifecycled`
     * (`LIFECYCLED_INSTANCE_BROKER_URL`): heartbeats and completions go through the broker.
     */
    readonly instanceBrokerUrl?: string | undefined;
  };
  /** The boot contract of the template, written where user data writes it. */
  readonly bootContract: Readonly<Record<string, unknown>>;
  readonly onSpawn: (child: ChildProcess, role: string) => void;
  readonly onEvent: (event: HostEvent) => void;
}

export type HostState = 'booting' | 'running' | 'draining' | 'agent-exited' | 'stopped';

export interface HostEvent {
  readonly instanceId: string;
  readonly type:
    | 'booted'
    | 'agent-exited'
    | 'terminate-finished'
    | 'lifecycled-exited'
    | 'target-lifecycle-state'
    | 'powered-off';
  readonly at: number;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface HostSummary {
  readonly instanceId: string;
  readonly state: HostState;
  readonly launchedAt: number;
  readonly bootedAt: number | undefined;
  readonly fromWarmPool: boolean;
  readonly agentExit: { code: number | null; signal: string | null } | undefined;
  readonly terminateExitCode: number | undefined;
  readonly targetLifecycleState: string | undefined;
  readonly root: string;
  readonly logs: readonly string[];
}

/** World seconds → a Go duration of real milliseconds, at least `floorMs`. */
export function scaledDuration(worldSec: number, timeScale: number, floorMs = 100): string {
  return `${Math.max(floorMs, Math.round((worldSec * 1000) / timeScale))}ms`;
}

/**
 * `systemctl` on a simulated instance, for the product programs that call it (`elastic-ci-instance` reads
 * `is-active buildkite-agent` and runs `poweroff` when every AWS call failed; stop-agents' command runs
 * `stop --no-block buildkite-agent`; lifecycled's `stop-agent-gracefully` reads `show --property=MainPID --value`,
 * runs `stop --no-block` and, near a spot deadline, `kill --kill-who=main --signal=SIGQUIT`). The unit
 * `buildkite-agent` is the simulated agent whose pid is in `run/agent.pid`. The machine running the sandbox must never
 * act on them.
 */
function systemctlShim(root: string): string {
  const pidFile = join(root, 'run', 'agent.pid');
  return `#!/bin/sh
# systemctl of a simulated instance (sandbox): never touches the machine running the sandbox.
echo "systemctl $*" >> "${join(root, 'var', 'log', 'systemctl.log')}"
pid=$(cat "${pidFile}" 2>/dev/null)
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
case "$*" in
  *is-active*) if alive; then echo active; exit 0; else echo inactive; exit 3; fi ;;
  *poweroff*) touch "${join(root, 'run', 'powered-off')}"; exit 0 ;;
  show*MainPID*buildkite-agent*) if alive; then echo "$pid"; else echo 0; fi; exit 0 ;;
  kill*--signal=SIGQUIT*buildkite-agent*) if alive; then kill -QUIT "$pid" 2>/dev/null; fi; exit 0 ;;
  *stop*buildkite-agent*)
    # As systemd: one stop job per unit, whose SIGTERM goes to the main process once; later stops join it (a second
    # SIGTERM would make the agent cancel its job). mkdir is atomic, so of concurrent stops exactly one signals.
    if alive && mkdir "${join(root, 'run', 'stop-job-')}$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; fi
    case "$*" in
      *--no-block*) ;;
      *) while alive; do sleep 0.1; done ;;
    esac
    exit 0 ;;
esac
exit 0
`;
}

/**
 * One simulated instance: after the boot delay its agent (the simulated agent process) and the real `lifecycled`
 * with the real `stop-agent-gracefully`; the agent's job hooks are the real `elastic-ci-instance job-started` and
 * `job-finished`, its exit runs the real `elastic-ci-instance terminate`. IMDS is a per-instance stand-in whose
 * target lifecycle state the fleet drives from moto.
 */
export class SimulatedHost {
  readonly #options: SimulatedHostOptions;
  readonly launchedAt = Date.now();
  #imds: RunningImdsStandIn | undefined;
  #state: HostState = 'booting';
  #bootedAt: number | undefined;
  #bootTimer: NodeJS.Timeout | undefined;
  #agent: ChildProcess | undefined;
  #lifecycled: ChildProcess | undefined;
  readonly #children = new Set<ChildProcess>();
  #agentExit: { code: number | null; signal: string | null } | undefined;
  #terminateExitCode: number | undefined;
  #targetState: string | undefined = 'InService';
  readonly #logs: string[] = [];
  #terminating = false;
  #stopped = false;
  #poweredOff = false;

  constructor(options: SimulatedHostOptions) {
    this.#options = options;
  }

  get instanceId(): string {
    return this.#options.instanceId;
  }

  get imds(): RunningImdsStandIn | undefined {
    return this.#imds;
  }

  /** True once nothing of this host runs any more. */
  get finished(): boolean {
    return this.#stopped || (this.#state !== 'booting' && this.#children.size === 0 && this.#terminating);
  }

  summary(): HostSummary {
    return {
      instanceId: this.instanceId,
      state: this.#state,
      launchedAt: this.launchedAt,
      bootedAt: this.#bootedAt,
      fromWarmPool: this.#options.fromWarmPool === true,
      agentExit: this.#agentExit,
      terminateExitCode: this.#terminateExitCode,
      targetLifecycleState: this.#targetState,
      root: this.#options.root,
      logs: [...this.#logs],
    };
  }

  logs(): readonly string[] {
    return [...this.#logs];
  }

  pids(): number[] {
    return [...this.#children].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  async start(): Promise<void> {
    const { root } = this.#options;
    await Promise.all(
      ['bin', 'run/lifecycled', 'var/log', 'etc/elastic-ci', 'var/lib/elastic-ci/protection'].map((dir) =>
        mkdir(join(root, dir), { recursive: true }),
      ),
    );
    await writeFile(join(root, 'bin', 'systemctl'), systemctlShim(root));
    await chmod(join(root, 'bin', 'systemctl'), 0o755);
    await writeFile(
      join(root, 'etc', 'elastic-ci', 'boot-contract.json'),
      `${JSON.stringify(this.#options.bootContract)}\n`,
    );
    await writeFile(join(root, 'etc', 'elastic-ci', 'agent.env'), bootRecord(this.instanceId));
    this.#imds = await startImdsStandIn({ instanceId: this.instanceId, region: this.#options.region });
    this.#imds.setTargetLifecycleState('InService');
    this.#bootTimer = setTimeout(() => this.#boot(), this.#options.bootDelayMs);
  }

  /** Called by the fleet with what moto says of the instance (undefined = gone from the group). */
  setTargetLifecycleState(state: string | undefined): void {
    const next = state ?? 'Terminated';
    if (next === this.#targetState || this.#stopped) return;
    this.#targetState = next;
    this.#imds?.setTargetLifecycleState(next);
    this.#emit('target-lifecycle-state', { state: next });
    if (next === 'Terminated' || next === 'Warmed:Terminated') {
      this.#terminating = true;
      if (this.#state === 'booting') {
        // Terminated before it booted: no agent ever ran, nothing to drain.
        clearTimeout(this.#bootTimer);
        this.#state = 'stopped';
        void this.stop();
      } else if (this.#state === 'running') {
        this.#state = 'draining';
      }
    }
  }

  /** Signals the agent process (faults: SIGKILL = a crash mid-job). False when no agent runs. */
  signalAgent(signal: NodeJS.Signals): boolean {
    const agent = this.#agent;
    if (agent === undefined || agent.exitCode !== null || agent.signalCode !== null) return false;
    return agent.kill(signal);
  }

  /** Runs a shell command as the instance would (its PATH, root and AWS), e.g. an SSM Run Command script. */
  runShell(script: string, logName = 'ssm-run-command.log'): Promise<number> {
    return new Promise((resolve) => {
      if (this.#stopped) {
        resolve(-1);
        return;
      }
      const child = this.#spawn('ssm-run-command', ['sh', '-c', script], this.#env(), logName);
      child.once('exit', (code) => resolve(code ?? -1));
    });
  }

  /** `systemctl poweroff` ran (every AWS call of terminate failed). */
  get poweredOff(): boolean {
    return this.#poweredOff;
  }

  /** True while lifecycled runs. */
  get lifecycledRunning(): boolean {
    const child = this.#lifecycled;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Kills every process of this host and closes its IMDS (the sandbox is stopping, or the instance is gone). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#bootTimer);
    const exits = [...this.#children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once('exit', () => resolve());
        }),
    );
    for (const child of this.#children) killTree(child);
    await Promise.all(exits);
    await this.#imds?.close();
    this.#state = 'stopped';
  }

  #emit(type: HostEvent['type'], detail?: Record<string, unknown>): void {
    this.#options.onEvent({ instanceId: this.instanceId, type, at: Date.now(), ...(detail ? { detail } : {}) });
  }

  #log(name: string): number {
    const path = join(this.#options.root, 'var', 'log', name);
    if (!this.#logs.includes(path)) this.#logs.push(path);
    return openSync(path, 'a');
  }

  #env(extra: Record<string, string> = {}): Record<string, string> {
    const { root } = this.#options;
    return {
      PATH: `${join(root, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: root,
      ...this.#options.awsEnvironment,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: this.#imds?.endpoint ?? '',
      ELASTIC_CI_ROOT: root,
      // Sandbox bookkeeping, not an instance setting: lifecycled, the agent, hooks and Run Command scripts (and their
      // children, which inherit it) can be found by the run's label when something is left behind.
      [SANDBOX_RUN_ID_VARIABLE]: this.#options.runId,
      ...extra,
    };
  }

  #spawn(role: string, argv: readonly string[], env: Record<string, string>, logName: string): ChildProcess {
    const fd = this.#log(logName);
    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, { env, stdio: ['ignore', fd, fd], detached: true });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    this.#options.onSpawn(child, role);
    return child;
  }

  #boot(): void {
    if (this.#stopped || this.#terminating) return;
    this.#bootedAt = Date.now();
    this.#state = 'running';
    this.#startLifecycled();
    this.#startAgent();
    this.#emit('booted');
  }

  #startLifecycled(): void {
    const { root, timeScale, programs, lifecycled } = this.#options;
    const argv = [
      process.execPath,
      programs.lifecycled,
      '--json',
      // Instance polling intervals are world durations too (5 s each by default), but at least 500 ms real: a dozen
      // hosts polling their IMDS faster would take the shared CPU from the product processes.
      `--lifecycle-state-interval=${scaledDuration(5, timeScale, 500)}`,
      `--spot-listener-interval=${scaledDuration(5, timeScale, 500)}`,
      `--autoscaling-heartbeat-interval=${scaledDuration(lifecycled.heartbeatWorldSec, timeScale)}`,
      // moto has no lifecycle actions: once it has removed the instance, DescribeAutoScalingInstances no longer
      // finds it, so the group and hook are given (both are lifecycled's documented flags).
      `--autoscaling-group-name=${lifecycled.groupName}`,
      ...(lifecycled.hookName === undefined ? [] : [`--lifecycle-hook-name=${lifecycled.hookName}`]),
      ...(lifecycled.instanceBrokerUrl === undefined ? [] : [`--instance-broker-url=${lifecycled.instanceBrokerUrl}`]),
    ];
    const child = this.#spawn(
      'lifecycled',
      argv,
      this.#env({
        // The production path: the agent is the unit `buildkite-agent` of the instance's (simulated) systemctl, so
        // lifecycled's stop and stop-agents' Run Command meet in one stop job, as on a real instance.
        STOP_AGENT_SYSTEMD_UNIT: 'buildkite-agent',
        STOP_AGENT_STATE_DIR: join(root, 'run', 'lifecycled'),
        STOP_AGENT_POLL_INTERVAL: scaledDuration(1, timeScale),
        STOP_AGENT_SIGQUIT_LEAD: scaledDuration(20, timeScale),
      }),
      'lifecycled.log',
    );
    this.#lifecycled = child;
    child.once('exit', (code, signal) => this.#emit('lifecycled-exited', { code, signal }));
  }

  #startAgent(): void {
    const { root, programs, agent, timeScale } = this.#options;
    const instance = `${shellQuote(process.execPath)} ${shellQuote(programs.elasticCiInstance)} --root ${shellQuote(root)}`;
    const argv = [
      ...programs.simulatedAgent,
      '--endpoint',
      agent.endpoint,
      '--name',
      agent.name,
      '--tags',
      agent.tags.join(','),
      '--spawn',
      String(agent.spawn),
      '--pid-file',
      join(root, 'run', 'agent.pid'),
      '--time-scale',
      String(timeScale),
      '--disconnect-after-idle-timeout',
      String(agent.idleTimeoutWorldSec),
      // The hooks of the agent image: BUILDKITE_AGENT_PID is the agent (the hook shell's parent).
      '--on-job-started',
      `BUILDKITE_AGENT_PID=$PPID ${instance} job-started`,
      '--on-job-finished',
      `BUILDKITE_AGENT_PID=$PPID ${instance} job-finished`,
    ];
    // The token goes by environment, never on a command line another process could list.
    const child = this.#spawn('agent', argv, this.#env({ BUILDKITE_AGENT_TOKEN: agent.token }), 'buildkite-agent.log');
    this.#agent = child;
    // The agent unit queues a protection reconcile when it starts (agent-state=running for the zombie check).
    setTimeout(() => this.#runInstance(['reconcile-protection'], 'reconcile.log'), 0);
    child.once('exit', (code, signal) => {
      this.#agentExit = { code, signal };
      if (this.#state === 'running') this.#state = 'agent-exited';
      this.#emit('agent-exited', { code, signal });
      if (this.#stopped) return;
      // ExecStopPost of buildkite-agent.service, with what systemd passes.
      const serviceResult = signal !== null ? 'signal' : code === 0 ? 'success' : 'exit-code';
      const exitStatus = signal ?? String(code);
      void this.#runInstance(
        [
          'terminate',
          '--service-result',
          serviceResult,
          '--exit-status',
          exitStatus,
          '--agent-log',
          join(root, 'var', 'log', 'buildkite-agent.log'),
        ],
        'terminate.log',
      ).then((exitCode) => {
        this.#terminateExitCode = exitCode;
        this.#emit('terminate-finished', { exitCode });
        if (existsSync(join(root, 'run', 'powered-off'))) {
          this.#poweredOff = true;
          this.#emit('powered-off');
        }
      });
    });
  }

  #runInstance(args: readonly string[], logName: string): Promise<number> {
    return new Promise((resolve) => {
      if (this.#stopped) {
        resolve(-1);
        return;
      }
      const child = this.#spawn(
        `elastic-ci-instance ${args[0]}`,
        [process.execPath, this.#options.programs.elasticCiInstance, '--root', this.#options.root, ...args],
        this.#env(),
        logName,
      );
      child.once('exit', (code) => resolve(code ?? -1));
    });
  }
}

/**
 * The line of `/etc/elastic-ci/agent.env` the job hooks read: the instance id the first boot read from IMDS (the
 * sandbox does not run the boot, whose other steps — users, sudoers, systemd units — are the image's). Without it,
 * every job-started and job-finished asks the IMDS stand-in again, which a booted instance never does.
 */
export function bootRecord(instanceId: string): string {
  return `# Written by the sandbox where elastic-ci-boot writes it: the instance id the job hooks read.\nELASTIC_CI_INSTANCE_ID="${instanceId}"\n`;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** SIGKILL a child and its process group (hooks the agent started run in it). */
function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/** Used by tests: the pids of a process group still alive. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
