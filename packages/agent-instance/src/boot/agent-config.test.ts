import { describe, expect, it } from 'vitest';
import { parseBootContract } from '../boot-contract.js';
import { AgentTokenFormatError, renderAgentConfig } from './agent-config.js';

const base = {
  version: 1,
  stack: { name: 'ci-linux', region: 'eu-west-1', version: '1.2.3' },
  agent: { token: { kind: 'ssm-parameter', name: '/ci/token' }, queue: 'linux', tags: ['team=platform', 'os=linux'] },
};

const render = (contract: object, token = 'bkua_token0123') =>
  renderAgentConfig({
    contract: parseBootContract(JSON.stringify(contract)),
    instanceId: 'i-0abc1234def567890',
    token,
    signingJwksFile: '/etc/buildkite-agent/signing-key.json',
    verificationJwksFile: '/etc/buildkite-agent/verification-key.json',
  });

describe('renderAgentConfig', () => {
  it('writes the defaults of a minimal contract', () => {
    expect(render(base)).toBe(
      [
        '# Written by elastic-ci-boot from the boot contract. Holds the agent token: mode 0600, never print it.',
        'name="ci-linux-i-0abc1234def567890-%spawn"',
        'token="bkua_token0123"',
        'endpoint="https://agent-edge.buildkite.com/v3"',
        'tags="queue=linux,stack=ci-linux,stack-version=1.2.3,instance-id=i-0abc1234def567890,team=platform,os=linux"',
        'tags-from-ec2-meta-data=true',
        'spawn=1',
        'priority=%n',
        'disconnect-after-idle-timeout=600',
        'disconnect-after-job=false',
        'disconnect-after-uptime=0',
        'cancel-grace-period=60',
        'signal-grace-period-seconds=-1',
        'hooks-path="/etc/buildkite-agent/hooks"',
        'build-path="/var/lib/buildkite-agent/builds"',
        'plugins-path="/var/lib/buildkite-agent/plugins"',
        'no-color=true',
        '',
      ].join('\n'),
    );
  });

  it('writes every optional setting the contract turns on', () => {
    const text = render({
      ...base,
      agent: {
        ...base.agent,
        agentsPerInstance: 4,
        priority: 7,
        idleDisconnectTimeoutSeconds: 300,
        disconnectAfterJob: true,
        disconnectAfterUptimeSeconds: 3600,
        gitMirrorsEnabled: true,
        pluginsEnabled: false,
        localHooksEnabled: false,
        timestampLines: true,
        experiments: ['a', 'b'],
        tracingBackend: 'datadog',
      },
      signing: { jwksParameter: '/ci/jwks', jwksKeyId: 'k1', verificationJwksParameter: '/ci/vjwks' },
    });
    for (const line of [
      'spawn=4',
      'priority=7',
      'disconnect-after-idle-timeout=300',
      'disconnect-after-job=true',
      'disconnect-after-uptime=3600',
      'git-mirrors-path="/var/lib/buildkite-agent/git-mirrors"',
      'no-plugins=true',
      'no-local-hooks=true',
      'timestamp-lines=true',
      'no-ansi-timestamps=true',
      'experiment="a,b"',
      'tracing-backend=datadog',
      'signing-jwks-file="/etc/buildkite-agent/signing-key.json"',
      'signing-jwks-key-id="k1"',
      'verification-jwks-file="/etc/buildkite-agent/verification-key.json"',
      'verification-failure-behavior=block',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(text).not.toContain('signing-aws-kms-key');
  });

  it('names the KMS key when pipelines are signed with KMS', () => {
    const text = render({ ...base, signing: { kmsKeyId: 'alias/ci-signing', verificationFailureBehavior: 'warn' } });
    expect(text.split('\n')).toContain('signing-aws-kms-key="alias/ci-signing"');
    expect(text.split('\n')).toContain('verification-failure-behavior=warn');
    expect(text).not.toContain('jwks');
  });

  it.each(['', 'two words', 'line\nbreak', 'quo"te', 'back\\slash'])(
    'refuses a token that is not one printable word (%j) without echoing it',
    (token) => {
      expect(() => render(base, token)).toThrow(AgentTokenFormatError);
      try {
        render(base, token);
      } catch (error) {
        if (token !== '') expect((error as Error).message).not.toContain(token);
      }
    },
  );
});
