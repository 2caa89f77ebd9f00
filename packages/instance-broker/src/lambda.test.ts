import { captureProcessOutput } from '@elastic-ci/custom-resource/testing';
import { lambdaContext } from '@elastic-ci/testing';
import type { LambdaFunctionURLResult } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { functionUrlEvent, INSTANCE_ROLE_NAME, instanceUserArn } from './test-support/function-url-events';

/** Loads the entry point afresh (it parses its configuration at cold start) with exactly `environment`. */
async function coldStart(environment: Record<string, string | undefined>) {
  for (const name of ['AWS_REGION', 'INSTANCE_ROLE_NAME', 'FLEET_ID']) vi.stubEnv(name, environment[name]);
  vi.resetModules();
  let entry: typeof import('./lambda') | undefined;
  const printed = await captureProcessOutput(async () => {
    entry = await import('./lambda');
  });
  if (!entry) throw new Error('the entry point did not load');
  return { handler: entry.handler, printed };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Lambda entry: lambda.handler', () => {
  it('answers 500 naming the bad variables to every request instead of failing the cold start', async () => {
    // Arrange
    const { handler, printed: coldStartLog } = await coldStart({ AWS_REGION: 'us-east-1', FLEET_ID: 'ci' });

    // Act
    const answers: LambdaFunctionURLResult[] = [];
    const printed = await captureProcessOutput(async () => {
      answers.push(await handler(functionUrlEvent({ body: '{}' }), lambdaContext()));
      answers.push(await handler(functionUrlEvent({ body: '{}' }), lambdaContext()));
    });

    // Assess
    expect(answers).toEqual([
      expect.objectContaining({ statusCode: 500 }),
      expect.objectContaining({ statusCode: 500 }),
    ]);
    for (const answer of answers) {
      const body = JSON.parse(typeof answer === 'string' ? answer : (answer.body ?? ''));
      expect(body).toEqual({ error: expect.stringMatching(/INSTANCE_ROLE_NAME is required/), retryable: false });
    }
    expect(JSON.parse(coldStartLog.trim())).toMatchObject({ level: 'ERROR', message: 'invalid configuration' });
    const records = printed
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      service: 'instance-broker',
      status: 500,
      function_name: 'elastic-ci-test-function',
    });
  });

  it('checks the caller with the configuration from the environment', async () => {
    // Arrange
    const { handler } = await coldStart({ AWS_REGION: 'us-east-1', INSTANCE_ROLE_NAME, FLEET_ID: 'ci' });
    const event = functionUrlEvent({
      body: '{}',
      userArn: instanceUserArn('i-0123456789abcdef0', 'not-the-fleet-role'),
    });

    // Act
    let answer: LambdaFunctionURLResult | undefined;
    await captureProcessOutput(async () => {
      answer = await handler(event, lambdaContext());
    });

    // Assess
    expect(answer).toMatchObject({ statusCode: 403 });
  });
});
