import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ListCommandInvocationsCommand, SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { ContinuationError, type SelfInvoker } from '@elastic-ci/custom-resource';
import type { CommandInvocation } from './drain-decision';
import { AwsCallError } from './errors';
import type { AgentGroup, AgentStopper } from './ports';

async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new AwsCallError(`${what} failed: ${detail}`, { cause: error });
  }
}

export function createAutoScalingAgentGroup(autoScaling: AutoScalingClient): AgentGroup {
  return {
    async describe(groupName) {
      const { AutoScalingGroups } = await call(`DescribeAutoScalingGroups(${groupName})`, () =>
        autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
      );
      const group = AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === groupName);
      if (!group) return { exists: false };
      return {
        exists: true,
        minSize: group.MinSize ?? 0,
        maxSize: group.MaxSize ?? 0,
        desiredCapacity: group.DesiredCapacity ?? 0,
        instances: (group.Instances ?? []).map((instance) => ({
          instanceId: instance.InstanceId ?? '',
          lifecycleState: instance.LifecycleState ?? 'Unknown',
        })),
      };
    },
    async zeroCapacity(groupName) {
      await call(`UpdateAutoScalingGroup(${groupName}, MinSize=0, DesiredCapacity=0)`, () =>
        autoScaling.send(
          new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, MinSize: 0, DesiredCapacity: 0 }),
        ),
      );
    },
  };
}

/** The tag Auto Scaling puts on every instance it launches; SSM resolves the targets from it at send time. */
const GROUP_TAG_TARGET = 'tag:aws:autoscaling:groupName';

export function createSsmAgentStopper(ssm: SSMClient): AgentStopper {
  return {
    async sendStop(groupName, command) {
      const { Command } = await call(`SendCommand(${command.documentName}, ${groupName})`, () =>
        ssm.send(
          new SendCommandCommand({
            DocumentName: command.documentName,
            Targets: [{ Key: GROUP_TAG_TARGET, Values: [groupName] }],
            Parameters: { commands: command.commands, executionTimeout: ['120'] },
            Comment: `elastic-ci stop-agents: drain ${groupName}`.slice(0, 100),
            // One instance failing (no SSM agent yet, say) must not stop delivery to the rest.
            MaxErrors: '100%',
            MaxConcurrency: '100%',
            TimeoutSeconds: 600,
          }),
        ),
      );
      if (!Command?.CommandId) throw new AwsCallError(`SendCommand(${groupName}) returned no CommandId`);
      return Command.CommandId;
    },
    async listInvocations(commandIds) {
      const invocations: CommandInvocation[] = [];
      for (const commandId of commandIds) {
        let nextToken: string | undefined;
        do {
          const page = await call(`ListCommandInvocations(${commandId})`, () =>
            ssm.send(
              new ListCommandInvocationsCommand({
                CommandId: commandId,
                MaxResults: 50,
                ...(nextToken ? { NextToken: nextToken } : {}),
              }),
            ),
          );
          for (const invocation of page.CommandInvocations ?? []) {
            invocations.push({
              commandId,
              instanceId: invocation.InstanceId ?? '',
              status: invocation.Status ?? 'Unknown',
            });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      }
      return invocations;
    },
  };
}

/** Queues an asynchronous (`Event`) invocation of this function; Lambda answers 202 when it accepted it. */
export function createLambdaSelfInvoker(lambda: LambdaClient): SelfInvoker {
  return {
    async invokeAsync(functionArn, payload, options) {
      let statusCode: number | undefined;
      try {
        // The runner aborts an Invoke that outlasts its share of the deadline (so CloudFormation is still answered):
        // the abort must reach the request, or it would keep going after the answer.
        ({ StatusCode: statusCode } = await lambda.send(
          new InvokeCommand({ FunctionName: functionArn, InvocationType: 'Event', Payload: Buffer.from(payload) }),
          options?.signal === undefined ? {} : { abortSignal: options.signal },
        ));
      } catch (error) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new ContinuationError(`Invoke(${functionArn}, Event) failed: ${detail}`, { cause: error });
      }
      if (statusCode !== 202) {
        throw new ContinuationError(`Invoke(${functionArn}, Event) answered ${statusCode}, expected 202`);
      }
    },
  };
}
