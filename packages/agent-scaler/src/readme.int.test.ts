import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  awsClientConfig,
  awsEnvironment,
  type BuildkiteApiStandIn,
  createMotoAutoScalingGroup,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as agentScaler from './index';
import { captureOutput } from './testing-fakes';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const AGENT_TOKEN = 'canary-agent-token-readme-0b7d52';
const HANDLER_LINE = /^await createScheduledHandler\(runtime\)\(.*\);\n/m;

describe('README example', () => {
  let standIn: BuildkiteApiStandIn;

  beforeEach(async () => {
    standIn = await startBuildkiteApiStandIn({ token: AGENT_TOKEN, queues: { default: { scheduled: 3 } } });
    await createMotoAutoScalingGroup({ name: 'buildkite-agents', desiredCapacity: 0 });
    await new SSMClient(awsClientConfig()).send(
      new PutParameterCommand({ Name: '/buildkite/agent-token', Type: 'SecureString', Value: AGENT_TOKEN }),
    );
    for (const [name, value] of Object.entries({ ...awsEnvironment(), BUILDKITE_AGENT_ENDPOINT: standIn.endpoint })) {
      vi.stubEnv(name, value);
    }
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await standIn.close();
  });

  it('runs one pass against an account (moto) and prints the outcome its comment states', async () => {
    // Prepare: the first ts block, importing this package's source. Its last line polls for LAMBDA_TIMEOUT (50 s of
    // wall clock); the names it uses are checked below, the polling itself by the scheduled handler's own tests.
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(example).toMatch(HANDLER_LINE);
    expect(agentScaler.createScheduledHandler).toBeTypeOf('function');
    const directory = mkdtempSync(join(tmpdir(), 'agent-scaler-readme-'));
    const file = join(directory, 'example.ts');
    writeFileSync(
      file,
      example
        .replace("'@elastic-ci/agent-scaler'", JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url))))
        .replace(HANDLER_LINE, ''),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);

    // Act
    let lines: string[];
    try {
      ({ lines } = await captureOutput(() => import(file)));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }

    // Assess
    const printed = log.mock.calls.find(([value]) => typeof value === 'object')?.[0];
    expect(printed).toMatchObject({ status: 'applied', action: 'scale-out', previousDesired: 0, desired: 3 });
    expect(lines.some((line) => line.includes('"message":"scaling decision"'))).toBe(true);
    expect(JSON.stringify([lines, log.mock.calls])).not.toContain(AGENT_TOKEN);
    expect(example).toContain(
      "console.log(outcome); // { status: 'applied', action: 'scale-out', previousDesired: 0, desired: 3, … }",
    );
  });
});
