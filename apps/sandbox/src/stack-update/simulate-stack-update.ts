import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AutoScalingClient, DeleteAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { LambdaFunction } from '../lambdas/lambda-function';
import { type AwsTarget, clientConfig } from '../world/aws-config';
import type { SandboxFunction, World } from '../world/build-world';
import { resourcesOfType } from '../world/template';
import {
  type CustomResourceAnswer,
  customResourceEvent,
  type ResponseRecorder,
  startResponseRecorder,
} from './custom-resource-events';

export interface StackUpdateStep {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly groupName: string;
  readonly answer: CustomResourceAnswer;
  readonly realMs: number;
}

export interface StackUpdateResult {
  readonly oldGroupName: string;
  readonly newGroupName: string;
  readonly steps: readonly StackUpdateStep[];
  /** CloudFormation deletes the old group only after stop-agents answered SUCCESS for it. */
  readonly oldGroupDeleted: boolean;
}

export interface StackCustomResourcesOptions {
  readonly world: World;
  readonly aws: AwsTarget;
  readonly logDir: string;
  readonly workDir: string;
  /** The Lambda environment of a function (template variables + sandbox AWS endpoint). */
  readonly lambdaEnvironment: (fn: SandboxFunction) => Record<string, string>;
  readonly trackChild: (child: ChildProcess) => void;
}

interface ManagedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly fn: SandboxFunction;
  readonly lambda: LambdaFunction;
  physicalId: string | undefined;
  properties: Record<string, unknown>;
}

/**
 * The stack's custom resources (stop-agents, the AZ-rebalancing suspender) answered as CloudFormation drives them:
 * `Create` at stack creation; on an update that replaces the group, `Update` with the new group, then — in the
 * cleanup phase, for a resource whose physical id changed — `Delete` of the old one, and the old group's deletion only
 * after that answered `SUCCESS`. Each event goes to the real bundle run as Lambda runs it, with a local ResponseURL.
 */
export class StackCustomResources {
  readonly #options: StackCustomResourcesOptions;
  readonly #resources: ManagedResource[] = [];
  #recorder: ResponseRecorder | undefined;
  readonly #steps: StackUpdateStep[] = [];

  constructor(options: StackCustomResourcesOptions) {
    this.#options = options;
    const { world } = options;
    const byType: [string, SandboxFunction | undefined][] = [
      ['Custom::AzRebalancingSuspender', world.functions.azRebalancingSuspender],
      ['Custom::StopAgents', world.functions.stopAgents],
    ];
    for (const [type, fn] of byType) {
      if (fn === undefined) continue;
      for (const [logicalId] of resourcesOfType(world.template, type)) {
        const lambda = new LambdaFunction({
          functionName: fn.functionName,
          functionArn: `arn:aws:lambda:${world.region}:123456789012:function:${fn.functionName}`,
          bundlePath: fn.bundlePath,
          handler: fn.handler,
          timeoutSec: fn.timeoutSec,
          memorySizeMb: fn.memorySizeMb,
          maxConcurrency: 2,
          environment: options.lambdaEnvironment(fn),
          logFile: join(options.logDir, `lambda-${type.replace('Custom::', '').toLowerCase()}.log`),
          workDir: options.workDir,
          onSpawn: options.trackChild,
        });
        this.#resources.push({
          logicalId,
          type,
          fn,
          lambda,
          physicalId: undefined,
          properties: world.resolveProperties(logicalId),
        });
      }
    }
  }

  steps(): readonly StackUpdateStep[] {
    return [...this.#steps];
  }

  logs(): string[] {
    return this.#resources.map((resource) => resource.lambda.logFile);
  }

  /** Stack creation: `Create` to every custom resource, in template order. */
  async create(groupName: string): Promise<readonly StackUpdateStep[]> {
    const steps: StackUpdateStep[] = [];
    for (const resource of this.#resources) {
      const step = await this.#send(resource, 'Create', groupName, { properties: resource.properties });
      resource.physicalId = step.answer.physicalResourceId;
      steps.push(step);
    }
    return steps;
  }

  /**
   * A stack update that replaces the group. `replaceGroup` creates the new group and points the scaler at it (what
   * CloudFormation does before it updates the resources that `Ref` the group).
   */
  async update(
    oldGroupName: string,
    replaceGroup: () => Promise<string>,
    retireGroup: (name: string) => void,
  ): Promise<StackUpdateResult> {
    const newGroupName = await replaceGroup();
    const steps: StackUpdateStep[] = [];
    const toDelete: {
      resource: ManagedResource;
      physicalId: string | undefined;
      properties: Record<string, unknown>;
    }[] = [];
    for (const resource of this.#resources) {
      const oldProperties = resource.properties;
      const properties = this.#options.world.resolveProperties(resource.logicalId, {
        [this.#options.world.groupLogicalId]: newGroupName,
      });
      const oldPhysicalId = resource.physicalId;
      const step = await this.#send(resource, 'Update', newGroupName, {
        properties,
        oldProperties,
        ...(oldPhysicalId === undefined ? {} : { physicalId: oldPhysicalId }),
      });
      steps.push(step);
      resource.properties = properties;
      if (step.answer.status === 'SUCCESS') {
        if (step.answer.physicalResourceId !== oldPhysicalId) {
          toDelete.push({ resource, physicalId: oldPhysicalId, properties: oldProperties });
        }
        resource.physicalId = step.answer.physicalResourceId;
      }
    }
    // Cleanup phase: the replaced resources' Deletes (stop-agents drains the old group here), then the old group.
    let drained = true;
    for (const { resource, physicalId, properties } of toDelete) {
      const step = await this.#send(resource, 'Delete', oldGroupName, {
        properties,
        ...(physicalId === undefined ? {} : { physicalId }),
      });
      steps.push(step);
      if (step.answer.status !== 'SUCCESS') drained = false;
    }
    let oldGroupDeleted = false;
    if (drained) {
      try {
        const autoScaling = new AutoScalingClient(clientConfig(this.#options.aws));
        await autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: oldGroupName }));
        oldGroupDeleted = true;
        retireGroup(oldGroupName);
      } catch {
        // CloudFormation would report DELETE_FAILED for the old group and keep it; so does the sandbox.
      }
    }
    return { oldGroupName, newGroupName, steps, oldGroupDeleted };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#resources.map((resource) => resource.lambda.stop()));
    await this.#recorder?.close();
  }

  async #send(
    resource: ManagedResource,
    requestType: 'Create' | 'Update' | 'Delete',
    groupName: string,
    input: { properties: Record<string, unknown>; oldProperties?: Record<string, unknown>; physicalId?: string },
  ): Promise<StackUpdateStep> {
    this.#recorder ??= await startResponseRecorder();
    const recorder = this.#recorder;
    const { requestId, event } = customResourceEvent({
      requestType,
      stackName: this.#options.world.stackName,
      region: this.#options.world.region,
      logicalResourceId: resource.logicalId,
      resourceType: resource.type,
      serviceToken: `arn:aws:lambda:${this.#options.world.region}:123456789012:function:${resource.fn.functionName}`,
      properties: input.properties,
      ...(input.oldProperties === undefined ? {} : { oldProperties: input.oldProperties }),
      ...(input.physicalId === undefined ? {} : { physicalResourceId: input.physicalId }),
      responseUrlFor: recorder.urlFor,
    });
    const started = Date.now();
    // CloudFormation invokes asynchronously and waits for the ResponseURL, not for the invocation's result.
    const invocation = resource.lambda.invoke(event);
    const answer = await Promise.race([
      recorder.answer(requestId),
      invocation.then(async (outcome) => {
        // An invocation that ended without answering (crash, timeout): CloudFormation waits until ServiceTimeout.
        const answered = recorder.answers().find((candidate) => candidate.requestId === requestId);
        if (answered) return answered;
        return {
          requestId,
          status: 'NO ANSWER',
          physicalResourceId: undefined,
          reason: `the invocation ended ${outcome.status} without answering`,
          data: undefined,
          raw: '',
        } satisfies CustomResourceAnswer;
      }),
    ]);
    const step: StackUpdateStep = {
      requestType,
      logicalResourceId: resource.logicalId,
      resourceType: resource.type,
      groupName,
      answer,
      realMs: Date.now() - started,
    };
    this.#steps.push(step);
    // Custom resources run once per stack operation: their idle containers would only hold memory on the shared machine.
    resource.lambda.retireIdleContainers();
    return step;
  }
}
