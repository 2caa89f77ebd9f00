import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  type Instance,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AwsTarget } from '../world/aws-config';
import { clientConfig } from '../world/aws-config';
import { type HostEvent, type HostSummary, SimulatedHost, type SimulatedHostOptions } from './simulated-host';

/** What every host of the fleet shares; the instance id, root and boot are per host. */
export type HostTemplate = Omit<SimulatedHostOptions, 'instanceId' | 'root' | 'onSpawn' | 'onEvent'>;

export interface HostFleetOptions {
  readonly aws: AwsTarget;
  /** Groups whose instances get hosts: the stack's group, plus a replaced one during a stack update. */
  readonly groupNames: () => readonly string[];
  readonly hostTemplate: HostTemplate;
  /**
   * Environment of one instance on top of the template's: its own credentials, as each instance profile session is
   * its own (the instance broker tells callers apart by them).
   */
  readonly hostAwsEnvironment?: (instanceId: string) => Readonly<Record<string, string>>;
  readonly rootDir: string;
  /**
   * At most this many hosts run processes at once (each is an agent, lifecycled and an IMDS stand-in): instances
   * beyond it wait, unbooted, until a host finishes. @default 12
   */
  readonly maxConcurrentHosts?: number;
  /** The group whose warm pool is simulated (the stack's current group). */
  readonly currentGroup: () => string;
  /**
   * Real milliseconds from "taken from the warm pool" to "agent starts" (a stopped instance starting; the first boot
   * already ran when it entered the pool). @default the host template's boot delay
   */
  readonly resumeDelayMs?: number;
  /** Real milliseconds between looks at moto's group. @default 500 */
  readonly pollIntervalMs?: number;
  readonly onSpawn: (child: ChildProcess, role: string) => void;
  readonly onEvent?: (event: HostEvent) => void;
}

/**
 * Keeps one simulated host per instance of moto's group and drives each host's target lifecycle state from moto.
 * Stand-ins for what moto does not do (each named where it happens): the termination lifecycle wait, replacing
 * unhealthy or powered-off instances, and running SSM Run Command scripts on the instances.
 */
export class HostFleet {
  readonly #options: HostFleetOptions;
  readonly #autoScaling: AutoScalingClient;
  readonly #ssm: SSMClient;
  readonly #hosts = new Map<string, SimulatedHost>();
  readonly #finished: HostSummary[] = [];
  readonly #waiting = new Set<string>();
  readonly #deliveredCommands = new Set<string>();
  readonly #invocations: {
    commandId: string;
    instanceId: string;
    status: 'Pending' | 'InProgress' | 'Success' | 'Failed';
    requestedAt: number;
    documentName: string;
  }[] = [];
  readonly #replacing = new Set<string>();
  readonly #events: HostEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;
  #lastGroups: { name: string; desired: number; instances: Instance[] }[] = [];
  /**
   * moto gap: moto keeps a warm pool's configuration (PutWarmPool/DescribeWarmPool) but never launches its instances.
   * The sandbox keeps the pool AWS would: each entry is a stopped instance whose first boot has run (`readyAt`); a
   * launch takes a ready one and only resumes it. Stopped instances run no process, so entries are just times.
   */
  #warm: { readyAt: number }[] = [];
  readonly #placement = new Map<string, { groupName: string; availabilityZone: string }>();
  #resumed = 0;

  constructor(options: HostFleetOptions) {
    this.#options = options;
    this.#autoScaling = new AutoScalingClient(clientConfig(options.aws));
    this.#ssm = new SSMClient(clientConfig(options.aws));
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#polling = this.poll()
        .catch(() => {
          // moto busy or restarting: the next look catches up.
        })
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#options.pollIntervalMs ?? 500);
        });
    };
    tick();
  }

  /** The group(s) as last seen. */
  groups(): readonly { name: string; desired: number; instances: readonly Instance[] }[] {
    return this.#lastGroups;
  }

  hosts(): readonly HostSummary[] {
    return [...this.#finished, ...[...this.#hosts.values()].map((host) => host.summary())];
  }

  host(instanceId: string): SimulatedHost | undefined {
    return this.#hosts.get(instanceId);
  }

  activeHosts(): readonly SimulatedHost[] {
    return [...this.#hosts.values()];
  }

  events(): readonly HostEvent[] {
    return [...this.#events];
  }

  logs(): string[] {
    return this.hosts().flatMap((host) => host.logs);
  }

  /** What the fleet did with SSM Run Commands (moto runs none), per command and instance. */
  commandInvocations(commandId: string | undefined) {
    return this.#invocations.filter((invocation) => commandId === undefined || invocation.commandId === commandId);
  }

  /**
   * Instances moto has removed whose host still drains (lifecycled has not completed the lifecycle action): what AWS
   * lists as `Terminating:Wait`.
   */
  terminatingInstances(): { instanceId: string; groupName: string; availabilityZone: string }[] {
    return [...this.#hosts.values()]
      .filter((host) => host.summary().targetLifecycleState === 'Terminated' && !host.finished)
      .flatMap((host) => {
        const placement = this.#placement.get(host.instanceId);
        return placement === undefined ? [] : [{ instanceId: host.instanceId, ...placement }];
      });
  }

  /** Instances in the simulated warm pool (ready or still on their first boot). */
  warmCount(): number {
    return this.#warm.length;
  }

  /** Warm-pool instances whose first boot has finished (a launch would only resume them). */
  warmReadyCount(): number {
    return this.#warm.filter((entry) => entry.readyAt <= Date.now()).length;
  }

  /** Launches served from the warm pool so far. */
  resumedFromWarmPool(): number {
    return this.#resumed;
  }

  /** Instances waiting for a free host slot (over `maxConcurrentHosts`). */
  waitingInstances(): readonly string[] {
    return [...this.#waiting];
  }

  /** One look at moto: start, drive and retire hosts. */
  async poll(): Promise<void> {
    const names = [...new Set(this.#options.groupNames())];
    const answer = await this.#autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
    const groups = (answer.AutoScalingGroups ?? []).map((group) => ({
      name: group.AutoScalingGroupName as string,
      desired: group.DesiredCapacity ?? 0,
      maxSize: group.MaxSize ?? 0,
      instances: group.Instances ?? [],
    }));
    this.#lastGroups = groups;
    const seen = new Map<string, { instance: Instance; group: string }>();
    for (const group of groups) {
      for (const instance of group.instances) seen.set(instance.InstanceId as string, { instance, group: group.name });
    }

    for (const [instanceId, { instance, group }] of seen) {
      const host = this.#hosts.get(instanceId);
      if (host === undefined) {
        if (this.#finishedIds().has(instanceId)) continue;
        if (this.#hosts.size >= (this.#options.maxConcurrentHosts ?? 12)) {
          this.#waiting.add(instanceId);
          continue;
        }
        this.#waiting.delete(instanceId);
        const readyIndex = this.#warm.findIndex((entry) => entry.readyAt <= Date.now());
        const fromWarmPool = group === this.#options.currentGroup() && readyIndex >= 0;
        if (fromWarmPool) {
          this.#warm.splice(readyIndex, 1);
          this.#resumed += 1;
        }
        this.#placement.set(instanceId, { groupName: group, availabilityZone: instance.AvailabilityZone ?? '' });
        await this.#startHost(instanceId, group, fromWarmPool);
        continue;
      }
      host.setTargetLifecycleState(targetStateFor(instance.LifecycleState));
      // moto gap: a real group replaces an unhealthy instance (through the termination hook); moto never does.
      if (instance.HealthStatus?.toUpperCase() === 'UNHEALTHY') await this.#replace(instanceId);
      // moto gap: a powered-off instance fails its EC2 status checks and is replaced by the group.
      if (host.poweredOff) await this.#replace(instanceId);
    }

    for (const [instanceId, host] of this.#hosts) {
      // moto terminates at once (no Terminating:Wait): an instance gone from the group is terminating; its host
      // keeps running, as the lifecycle hook would hold it, until lifecycled has drained and completed.
      if (!seen.has(instanceId)) {
        host.setTargetLifecycleState(undefined);
        if (host.finished) await this.#retire(instanceId, host);
      }
    }
    for (const instanceId of this.#waiting) if (!seen.has(instanceId)) this.#waiting.delete(instanceId);
    await this.#refillWarmPool(groups.find((group) => group.name === this.#options.currentGroup()));
    await this.#deliverRunCommands();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#polling?.catch(() => undefined);
    await Promise.all([...this.#hosts.values()].map((host) => host.stop()));
    for (const [instanceId, host] of this.#hosts) {
      this.#finished.push(host.summary());
      this.#hosts.delete(instanceId);
    }
  }

  /** Pids of every live host process. */
  pids(): number[] {
    return [...this.#hosts.values()].flatMap((host) => host.pids());
  }

  #finishedIds(): Set<string> {
    return new Set(this.#finished.map((host) => host.instanceId));
  }

  /** The pool size AWS keeps: max(MinSize, MaxGroupPreparedCapacity (default: the group's MaxSize) − desired). */
  async #refillWarmPool(group: { name: string; desired: number; maxSize: number } | undefined): Promise<void> {
    if (group === undefined) return;
    let pool: { MinSize?: number | undefined; MaxGroupPreparedCapacity?: number | undefined } | undefined;
    try {
      pool = (await this.#autoScaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group.name })))
        .WarmPoolConfiguration;
    } catch {
      pool = undefined;
    }
    if (pool === undefined) {
      this.#warm = [];
      return;
    }
    const prepared =
      pool.MaxGroupPreparedCapacity === undefined || pool.MaxGroupPreparedCapacity < 0
        ? group.maxSize
        : pool.MaxGroupPreparedCapacity;
    const target = Math.max(pool.MinSize ?? 0, prepared - group.desired);
    while (this.#warm.length < target)
      this.#warm.push({ readyAt: Date.now() + this.#options.hostTemplate.bootDelayMs });
    // Shrinking: the pool gives up its youngest (least prepared) instances first.
    if (this.#warm.length > target) {
      this.#warm.sort((a, b) => a.readyAt - b.readyAt);
      this.#warm.length = target;
    }
  }

  async #startHost(instanceId: string, group: string, fromWarmPool = false): Promise<void> {
    const host = new SimulatedHost({
      ...this.#options.hostTemplate,
      bootDelayMs: fromWarmPool
        ? (this.#options.resumeDelayMs ?? this.#options.hostTemplate.bootDelayMs)
        : this.#options.hostTemplate.bootDelayMs,
      fromWarmPool,
      lifecycled: { ...this.#options.hostTemplate.lifecycled, groupName: group },
      awsEnvironment: {
        ...this.#options.hostTemplate.awsEnvironment,
        ...this.#options.hostAwsEnvironment?.(instanceId),
      },
      agent: {
        ...this.#options.hostTemplate.agent,
        name: this.#options.hostTemplate.agent.name.replace('%instance', instanceId),
        tags: [...this.#options.hostTemplate.agent.tags, `instance-id=${instanceId}`],
      },
      instanceId,
      root: join(this.#options.rootDir, instanceId),
      onSpawn: this.#options.onSpawn,
      onEvent: (event) => {
        this.#events.push(event);
        this.#options.onEvent?.(event);
      },
    });
    this.#hosts.set(instanceId, host);
    await host.start();
  }

  async #retire(instanceId: string, host: SimulatedHost): Promise<void> {
    this.#hosts.delete(instanceId);
    await host.stop();
    this.#finished.push(host.summary());
  }

  async #replace(instanceId: string): Promise<void> {
    if (this.#replacing.has(instanceId)) return;
    this.#replacing.add(instanceId);
    try {
      await this.#autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: false,
        }),
      );
    } catch {
      this.#replacing.delete(instanceId);
    }
  }

  /**
   * moto gap: SSM Run Command is recorded by moto but never runs. Scripts of `AWS-RunShellScript` commands sent to the
   * fleet's instances (stop-agents' `systemctl stop --no-block buildkite-agent`) are run on the simulated instances.
   */
  async #deliverRunCommands(): Promise<void> {
    const answer = await this.#ssm.send(new ListCommandsCommand({}));
    for (const command of answer.Commands ?? []) {
      const id = command.CommandId as string;
      if (this.#deliveredCommands.has(id) || command.DocumentName !== 'AWS-RunShellScript') continue;
      this.#deliveredCommands.add(id);
      const script = (command.Parameters?.commands ?? []).join('\n');
      const groupTargets = (command.Targets ?? [])
        .filter((target) => target.Key === 'tag:aws:autoscaling:groupName')
        .flatMap((target) => target.Values ?? []);
      const targets = new Set(command.InstanceIds ?? []);
      for (const group of this.#lastGroups) {
        if (groupTargets.includes(group.name))
          for (const instance of group.instances) targets.add(instance.InstanceId as string);
      }
      for (const instanceId of targets) {
        const host = this.#hosts.get(instanceId);
        const invocation = {
          commandId: id,
          instanceId,
          status: host === undefined ? ('Failed' as const) : ('InProgress' as const),
          requestedAt: command.RequestedDateTime?.getTime() ?? Date.now(),
          documentName: 'AWS-RunShellScript',
        };
        this.#invocations.push(invocation);
        void host?.runShell(script).then((code) => {
          (invocation as { status: string }).status = code === 0 ? 'Success' : 'Failed';
        });
      }
    }
  }
}

/** moto's LifecycleState → IMDS `autoscaling/target-lifecycle-state`. */
function targetStateFor(lifecycleState: string | undefined): string | undefined {
  if (lifecycleState === undefined) return undefined;
  if (lifecycleState.startsWith('Terminating') || lifecycleState === 'Terminated') return 'Terminated';
  if (lifecycleState.startsWith('Warmed:')) return lifecycleState.replace(/:(Pending|Wait|Proceed)$/, '') || undefined;
  if (lifecycleState === 'Standby' || lifecycleState === 'Detached') return lifecycleState;
  return 'InService';
}
