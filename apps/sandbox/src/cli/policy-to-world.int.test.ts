// The demo's policy → stack seam against moto: what the sandbox deploys for the simulator's elastic-ci preset, read
// back from the scheduled scaler's environment with agent-scaler's own parser, is the scaler the prediction runs —
// durations in real seconds, times the speed. A setting the prediction simulates but the stack drops fails here.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentScalerConfig } from '@elastic-ci/agent-scaler';
import { PRESETS, parsePolicy, scalerConfigOf } from '@elastic-ci/simulator';
import { awsClientConfig } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { buildWorld } from '../world/build-world';
import { policyToWorld } from './policy-to-world';

const SPEED = 60;

describe('policyToWorld deployed', () => {
  it("gives the sandbox's scaler the prediction's scale-in, pool and capacity settings, minIdleSec included", async () => {
    // Arrange
    const preset = PRESETS['elastic-ci'];
    if (preset === undefined) throw new Error("the simulator has no 'elastic-ci' preset");
    const mapped = policyToWorld(parsePolicy(preset, 'elastic-ci'), 'default', SPEED);
    const config = awsClientConfig();

    // Act
    const world = await buildWorld({
      aws: { endpoint: config.endpoint, region: config.region, credentials: config.credentials },
      workDir: await mkdtemp(join(tmpdir(), 'sandbox-policy-')),
      timeScale: SPEED,
      agentToken: 'canary-agent-token-policy',
      webhookSecret: 'canary-webhook-secret-policy',
      world: { stackName: 'policy-test', config: mapped.stackConfig },
    });
    const deployed = parseAgentScalerConfig({
      ...world.functions.scheduled.resolvedEnvironment,
      AWS_REGION: world.region,
    }).scaler;
    const predicted = scalerConfigOf(mapped.predictionPolicy);

    // Assess
    expect(deployed.scaleIn).toMatchObject({
      strategy: predicted.scaleIn.strategy,
      order: predicted.scaleIn.order,
      minRunningTimeSec: predicted.scaleIn.minRunningTimeSec,
    });
    // The preset drains after 45 s idle: 0.75 real seconds at 60×, deployed as 1, predicted as 60 world seconds.
    expect(predicted.scaleIn.minIdleSec).toBe(60);
    expect(deployed.scaleIn.minIdleSec * SPEED).toBe(predicted.scaleIn.minIdleSec);
    expect(deployed.warmPool).toMatchObject({
      enabled: predicted.warmPool.enabled,
      minSize: predicted.warmPool.minSize,
      prepareForWaitingJobs: predicted.warmPool.prepareForWaitingJobs,
    });
    for (const key of [
      'includeWaiting',
      'instanceBuffer',
      'availabilityThreshold',
      'scaleOutFactor',
      'scaleOutCooldownSec',
      'disableScaleIn',
    ] as const) {
      expect({ key, value: deployed[key] }).toEqual({ key, value: predicted[key] });
    }
    // Left out of both (the compressed world cannot feed their clocks): neither side learns.
    expect(deployed.forecast.enabled).toBe(false);
    expect(predicted.forecast.enabled).toBe(false);
    expect(deployed.dependencies.enabled).toBe(false);
    expect(predicted.dependencies.enabled).toBe(false);
  }, 180_000);
});
