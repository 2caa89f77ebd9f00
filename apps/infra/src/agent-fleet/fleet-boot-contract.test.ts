import { parseBootContract, renderBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { AgentFleetOptions } from './agent-fleet-options.js';
import {
  BOOT_CONTRACT_PATH,
  bootContractFromUserData,
  bootContractInputFor,
  type FleetBootContext,
  userDataScript,
} from './fleet-boot-contract.js';

const context: FleetBootContext = {
  stackName: 'ci-linux',
  region: 'eu-central-1',
  stackVersion: '1.2.3',
  agentTokenParameterName: '/aws/reference/secretsmanager/elastic-ci/ci-linux/agent-token',
  secretsBucketName: 'ci-linux-secrets',
  secretsBucketRegion: 'eu-central-1',
  signingKmsKeyId: undefined,
  logGroupPrefix: '/elastic-ci/ci-linux/',
  warmPoolEnabled: false,
};

const roundTrip = (options: AgentFleetOptions, overrides: Partial<FleetBootContext> = {}) =>
  parseBootContract(
    bootContractFromUserData(
      userDataScript(renderBootContract(bootContractInputFor(options, { ...context, ...overrides }))),
    ),
  );

describe('Function: bootContractInputFor', () => {
  it('leaves unset options to the contract defaults', () => {
    const contract = roundTrip({});
    expect(contract.agent).toMatchObject({
      queue: 'default',
      agentsPerInstance: 1,
      idleDisconnectTimeoutSeconds: 600,
      token: { kind: 'ssm-parameter', name: context.agentTokenParameterName },
    });
    expect(contract.stack).toEqual({ name: 'ci-linux', region: 'eu-central-1', version: '1.2.3' });
    expect(contract.signing).toBeUndefined();
    expect(contract.artifacts).toBeUndefined();
    expect(contract.resourceLimits).toBeUndefined();
    expect(contract.logs.retentionDays).toBeUndefined();
  });

  it('carries every agent, docker, disk, registry and access option', () => {
    const contract = roundTrip({
      queue: 'deploy',
      agentsPerInstance: 3,
      agentTags: { arch: 'arm64' },
      agentEndpoint: 'https://agent.example.com/v3',
      agentTimestampLines: true,
      agentExperiments: ['normalised-upload-paths'],
      agentTracingBackend: 'opentelemetry',
      agentCancelGracePeriod: Duration.seconds(30),
      agentSignalGracePeriodSeconds: 10,
      agentDisconnectAfterIdleTimeout: Duration.minutes(5),
      agentDisconnectAfterJob: true,
      agentDisconnectAfterUptime: Duration.hours(12),
      agentGitMirrorsEnabled: true,
      gitMirrorSeedBucketName: 'ci-seeds',
      agentPluginsEnabled: false,
      agentLocalHooksEnabled: false,
      agentEnvFileUrl: 's3://ci-config/agent.env',
      bootstrapScriptUrl: 'https://example.com/bootstrap.sh',
      authorizedUsersUrl: 's3://ci-config/authorized_keys',
      agentAdditionalSudoPermissions: '/usr/bin/systemctl restart docker',
      artifactsBucketName: 'ci-artifacts',
      artifactsBucketRegion: 'us-west-2',
      artifactsS3Acl: 'bucket-owner-full-control',
      secretsPluginSkipSshKeyNotFoundWarning: true,
      dockerNetworkingProtocol: 'dualstack',
      dockerFixedCidrV4: '172.17.0.0/16',
      dockerIpv6AddressPool: '2001:db8:3::/104',
      dockerFixedCidrV6: '2001:db8:4::/64',
      dockerPruneUntil: Duration.minutes(90),
      dockerBuilderPruneEnabled: true,
      preExitDiskCleanupEnabled: true,
      ecrAccessPolicy: 'poweruser',
      ecrPluginEnabled: false,
      ecrCredentialHelperEnabled: true,
      dockerLoginPluginEnabled: false,
      instanceStorageEnabled: true,
      mountTmpfsAtTmp: false,
      terminateInstanceOnDiskFull: true,
      purgeBuildsOnDiskFull: true,
      resourceLimitsEnabled: true,
      resourceLimitsMemoryMax: '80%',
      resourceLimitsCpuWeight: 500,
      instanceLogRetention: RetentionDays.ONE_MONTH,
      agentVerificationJwksSsmParameterName: '/ci/verify-jwks',
      pipelineVerificationFailureBehavior: 'warn',
    });
    expect(contract.agent).toMatchObject({
      queue: 'deploy',
      agentsPerInstance: 3,
      tags: ['arch=arm64'],
      endpoint: 'https://agent.example.com/v3',
      timestampLines: true,
      experiments: ['normalised-upload-paths'],
      tracingBackend: 'opentelemetry',
      cancelGracePeriodSeconds: 30,
      signalGracePeriodSeconds: 10,
      idleDisconnectTimeoutSeconds: 300,
      disconnectAfterJob: true,
      disconnectAfterUptimeSeconds: 43_200,
      gitMirrorsEnabled: true,
      gitMirrorSeedBucket: 'ci-seeds',
      pluginsEnabled: false,
      localHooksEnabled: false,
      envFileUrl: 's3://ci-config/agent.env',
      bootstrapScriptUrl: 'https://example.com/bootstrap.sh',
    });
    expect(contract.access).toEqual({
      authorizedUsersUrl: 's3://ci-config/authorized_keys',
      additionalSudoPermissions: '/usr/bin/systemctl restart docker',
    });
    expect(contract.artifacts).toEqual({
      bucket: 'ci-artifacts',
      region: 'us-west-2',
      acl: 'bucket-owner-full-control',
    });
    expect(contract.secrets).toMatchObject({ bucket: 'ci-linux-secrets', skipSshKeyNotFoundWarning: true });
    expect(contract.docker).toMatchObject({
      networkingProtocol: 'dualstack',
      fixedCidrV4: '172.17.0.0/16',
      ipv6AddressPool: '2001:db8:3::/104',
      fixedCidrV6: '2001:db8:4::/64',
      pruneUntil: '90m',
      builderPruneEnabled: true,
      preExitDiskCleanup: true,
    });
    expect(contract.registries).toEqual({
      ecrPolicy: 'poweruser',
      ecrLoginEnabled: false,
      ecrCredentialHelper: true,
      dockerLoginEnabled: false,
    });
    expect(contract.storage).toMatchObject({ instanceStoreRaid0: true, mountTmpfsAtTmp: false });
    expect(contract.disk).toMatchObject({ terminateInstanceOnDiskFull: true, purgeBuildsOnDiskFull: true });
    expect(contract.resourceLimits).toMatchObject({ memoryMax: '80%', cpuWeight: 500, memoryHigh: '90%' });
    expect(contract.logs.retentionDays).toBe(30);
    expect(contract.logs.groups).toEqual({
      boot: '/elastic-ci/ci-linux/boot',
      agent: '/elastic-ci/ci-linux/buildkite-agent',
      lifecycled: '/elastic-ci/ci-linux/lifecycled',
      system: '/elastic-ci/ci-linux/system',
      docker: '/elastic-ci/ci-linux/docker',
    });
    expect(contract.signing).toEqual({
      verificationJwksParameter: '/ci/verify-jwks',
      verificationFailureBehavior: 'warn',
    });
  });

  it('passes the KMS signing key the fleet resolved', () => {
    const keyArn = 'arn:aws:kms:eu-central-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100';
    expect(roundTrip({}, { signingKmsKeyId: keyArn }).signing).toMatchObject({ kmsKeyId: keyArn });
  });

  it('writes Go-style prune durations in the largest whole unit', () => {
    const pruneUntil = (duration: Duration) => roundTrip({ dockerPruneUntil: duration }).docker.pruneUntil;
    expect(pruneUntil(Duration.hours(4))).toBe('4h');
    expect(pruneUntil(Duration.days(2))).toBe('48h');
    expect(pruneUntil(Duration.seconds(45))).toBe('45s');
  });

  it('hands the instance the launch hook it must complete, and none without one', () => {
    expect(roundTrip({}, { warmPoolEnabled: true, launchHookName: 'elastic-ci-launch' }).lifecycle).toMatchObject({
      warmPoolEnabled: true,
      launchHookName: 'elastic-ci-launch',
    });
    expect(roundTrip({}).lifecycle.launchHookName).toBeUndefined();
  });

  it("hands the instance the broker's URL when it has one, and none without (direct Auto Scaling calls)", () => {
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws/';
    expect(roundTrip({}, { instanceBrokerUrl: url }).lifecycle.instanceBrokerUrl).toBe(url);
    expect(roundTrip({}).lifecycle.instanceBrokerUrl).toBeUndefined();
  });

  it('renders the deploy-time function URL token through the token-tolerant schema', () => {
    // Prepare: a CDK token stands in for the URL, which CloudFormation knows only once the function URL exists.
    const token = Lazy.string({ produce: () => 'resolved at synth' });
    const isToken = (value: unknown) => Token.isUnresolved(value);

    // Act
    const rendered = renderBootContract(bootContractInputFor({}, { ...context, instanceBrokerUrl: token }), {
      isToken,
    });

    // Assess: the strict schema would refuse the token; the token-tolerant one keeps it for synth to resolve.
    expect(JSON.parse(rendered).lifecycle.instanceBrokerUrl).toBe(token);
    expect(() => renderBootContract(bootContractInputFor({}, { ...context, instanceBrokerUrl: token }))).toThrow(
      /instanceBrokerUrl/,
    );
  });

  it('hands the instance the images to pull while warmed', () => {
    const images = ['public.ecr.aws/docker/library/node:22', '123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:1'];
    expect(roundTrip({ dockerPrePullImages: images }).docker.prePullImages).toEqual(images);
    expect(roundTrip({}).docker.prePullImages).toEqual([]);
  });

  it('treats "never expire" log retention as no retention setting', () => {
    expect(roundTrip({ instanceLogRetention: RetentionDays.INFINITE }).logs.retentionDays).toBeUndefined();
  });
});

describe('Function: userDataScript', () => {
  it('writes the contract with a quoted heredoc and hands over to the boot program', () => {
    const script = userDataScript('{"version":1}');
    expect(script).toBe(
      [
        '#!/bin/bash',
        'set -euo pipefail',
        'install -d -m 0755 /etc/elastic-ci',
        `cat > ${BOOT_CONTRACT_PATH} <<'ELASTIC_CI_BOOT_CONTRACT'`,
        '{"version":1}',
        'ELASTIC_CI_BOOT_CONTRACT',
        `exec /usr/local/bin/elastic-ci-boot --contract ${BOOT_CONTRACT_PATH}`,
        '',
      ].join('\n'),
    );
    expect(bootContractFromUserData(script)).toBe('{"version":1}');
  });

  it('says so when user data holds no contract', () => {
    expect(() => bootContractFromUserData('#!/bin/bash\necho hi\n')).toThrow(/no boot contract/);
  });
});
