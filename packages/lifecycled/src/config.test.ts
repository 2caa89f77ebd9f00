import { isInstanceBrokerUrl } from '@elastic-ci/instance-broker/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConfigDependencies, envName, parseConfig } from './config';
import { formatDurationMs, parseDurationMs } from './duration';
import { ConfigError } from './errors';
import { parseTags } from './tags';

const dependencies: ConfigDependencies = {
  assertExecutable: (path) => {
    if (path !== '/usr/local/bin/handler') throw new Error(`ENOENT: no such file or directory, stat '${path}'`);
  },
  defaultHandler: { command: '/usr/bin/node', args: ['stop-agent-gracefully.js'], description: 'bundled' },
};

function run(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseConfig(argv, env, dependencies);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.config;
}

function problemsOf(argv: string[], env: Record<string, string> = {}): string[] {
  try {
    parseConfig(argv, env, dependencies);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('Function: parseConfig', () => {
  it('uses Buildkite lifecycled defaults plus ours when nothing is set', () => {
    // Act
    const config = run([]);

    // Assess
    expect(config).toMatchObject({
      handler: dependencies.defaultHandler,
      instanceId: undefined,
      snsTopicArn: undefined,
      spotListener: true,
      lifecycleStateListener: true,
      json: false,
      spotListenerIntervalMs: 5_000,
      lifecycleStateIntervalMs: 5_000,
      heartbeatIntervalMs: 10_000,
      sqsWaitTimeSeconds: 20,
      imdsEndpoint: 'http://169.254.169.254',
    });
  });

  it('keeps no lifecycle state across restarts unless --state-dir names an absolute directory', () => {
    // Act
    const unset = run([]);
    const fromEnv = run([], { LIFECYCLED_STATE_DIR: '/run/lifecycled' });
    const problems = problemsOf(['--state-dir=run/lifecycled']);

    // Assess
    expect(unset.stateDir).toBeUndefined();
    expect(fromEnv.stateDir).toBe('/run/lifecycled');
    expect(problems).toEqual(['--state-dir (LIFECYCLED_STATE_DIR): expected an absolute path like /run/lifecycled']);
  });

  it('reads LIFECYCLED_* variables and lets flags win over them', () => {
    // Prepare
    const env = {
      LIFECYCLED_HANDLER: '/usr/local/bin/handler',
      LIFECYCLED_INSTANCE_ID: 'i-0123456789abcdef0',
      LIFECYCLED_SNS_TOPIC: 'arn:aws:sns:us-east-1:123456789012:lifecycle',
      LIFECYCLED_NO_SPOT: 'true',
      LIFECYCLED_JSON: '1',
      LIFECYCLED_SPOT_LISTENER_INTERVAL: '2s',
      LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL: '1m30s',
      LIFECYCLED_TAGS: 'Team = platform, Env=prod',
      LIFECYCLED_CLOUDWATCH_GROUP: '/elastic-ci/lifecycled',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:8111/',
    };

    // Act
    const config = run(['--json=false', '--spot-listener-interval', '250ms'], env);

    // Assess
    expect(config).toMatchObject({
      handler: { command: '/usr/local/bin/handler', args: [] },
      instanceId: 'i-0123456789abcdef0',
      snsTopicArn: 'arn:aws:sns:us-east-1:123456789012:lifecycle',
      spotListener: false,
      json: false,
      spotListenerIntervalMs: 250,
      heartbeatIntervalMs: 90_000,
      queueTags: { Team: 'platform', Env: 'prod' },
      cloudwatchGroup: '/elastic-ci/lifecycled',
      imdsEndpoint: 'http://127.0.0.1:8111',
    });
  });

  it('reports every bad flag and variable in one error naming both spellings', () => {
    // Act
    const problems = problemsOf(['--bogus', '--handler=/missing', 'stray', '--instance-id'], {
      LIFECYCLED_SNS_TOPIC: 'not-an-arn',
      LIFECYCLED_NO_SPOT: 'maybe',
      LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL: '10',
      LIFECYCLED_TAGS: 'aws:reserved=1',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'ftp://x',
    });

    // Assess
    expect(problems).toHaveLength(9);
    expect(problems.join('\n')).toMatch(/unknown flag --bogus/);
    expect(problems.join('\n')).toMatch(/unexpected argument "stray"/);
    expect(problems.join('\n')).toMatch(/--instance-id \(LIFECYCLED_INSTANCE_ID\): needs a value/);
    expect(problems.join('\n')).toMatch(/--handler \(LIFECYCLED_HANDLER\): "\/missing" is not an executable file/);
    expect(problems.join('\n')).toMatch(/--sns-topic \(LIFECYCLED_SNS_TOPIC\)/);
    expect(problems.join('\n')).toMatch(/--no-spot \(LIFECYCLED_NO_SPOT\): "maybe" is not a boolean/);
    expect(problems.join('\n')).toMatch(/LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL\): "10" is not a duration/);
    expect(problems.join('\n')).toMatch(/reserved aws: prefix/);
    expect(problems.join('\n')).toMatch(/AWS_EC2_METADATA_SERVICE_ENDPOINT/);
  });

  it('answers --help and --version without validating anything else', () => {
    // Act
    const help = parseConfig(['--bogus', '--help'], {}, dependencies);
    const version = parseConfig(['--version'], { LIFECYCLED_NO_SPOT: 'maybe' }, dependencies);

    // Assess
    expect(help).toEqual({ kind: 'help' });
    expect(version).toEqual({ kind: 'version' });
  });

  it('uses the IPv6 metadata endpoint when the endpoint mode asks for it', () => {
    // Act
    const config = run([], { AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' });

    // Assess
    expect(config.imdsEndpoint).toBe('http://[fd00:ec2::254]');
  });

  it('derives variable names the way kingpin does', () => {
    expect(envName('autoscaling-heartbeat-interval')).toBe('LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL');
  });
});

describe('Function: parseConfig (--instance-broker-url)', () => {
  const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws/';

  it('is off by default: lifecycled calls Auto Scaling itself', () => {
    expect(run([]).instanceBrokerUrl).toBeUndefined();
  });

  it('reads the flag or LIFECYCLED_INSTANCE_BROKER_URL, the flag winning', () => {
    expect(run([], { LIFECYCLED_INSTANCE_BROKER_URL: url }).instanceBrokerUrl).toBe(url);
    expect(run([`--instance-broker-url=${url}`]).instanceBrokerUrl).toBe(url);
    expect(
      run(['--instance-broker-url', 'http://127.0.0.1:8123/'], { LIFECYCLED_INSTANCE_BROKER_URL: url })
        .instanceBrokerUrl,
    ).toBe('http://127.0.0.1:8123/');
  });

  it('refuses a URL the boot contract would refuse, naming both spellings and never echoing it', () => {
    // Prepare
    const secret = 'canary-7c1e-do-not-echo';

    // Act
    const problems = problemsOf([`--instance-broker-url=https://user:${secret}@broker.example.com/`]);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(
        /^--instance-broker-url \(LIFECYCLED_INSTANCE_BROKER_URL\): expected an https:\/\/ function URL/,
      ),
    ]);
    expect(problems.join('\n')).not.toContain(secret);
  });

  it("accepts exactly what the broker package's isInstanceBrokerUrl accepts (the boot contract checks the URL with it too)", () => {
    const candidate = fc.oneof(
      fc.webUrl({ validSchemes: ['https', 'http', 'ftp'], withQueryParameters: true, withFragments: true }),
      fc.constantFrom(
        'http://127.0.0.1:8123/',
        'http://localhost/',
        'http://[::1]:1/',
        'http://10.0.0.1/',
        'https://user:pw@host/',
        `https://host/${'u'.repeat(120)}`,
        'not a url',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(candidate, (text) => {
        const accepted = (() => {
          try {
            return run([`--instance-broker-url=${text}`]).instanceBrokerUrl === text.trim();
          } catch (error) {
            if (error instanceof ConfigError) return false;
            throw error;
          }
        })();
        // Blank means unset for every lifecycled flag; the contract never carries a blank URL.
        if (text.trim() === '') return;
        expect(accepted).toBe(isInstanceBrokerUrl(text.trim()));
      }),
    );
  });
});

describe('Function: parseDurationMs', () => {
  it('parses Go durations and rejects bare numbers', () => {
    expect(parseDurationMs('5s')).toBe(5_000);
    expect(parseDurationMs('100ms')).toBe(100);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(parseDurationMs('10')).toBeUndefined();
    expect(parseDurationMs('5 s')).toBeUndefined();
    expect(parseDurationMs('')).toBeUndefined();
  });

  it('round-trips whole durations through formatDurationMs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 }), (ms) => {
        expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
      }),
    );
  });
});

describe('Function: parseTags', () => {
  it('follows Buildkite lifecycled rules', () => {
    expect(parseTags('')).toEqual({ tags: undefined, problems: [] });
    expect(parseTags('key1')).toEqual({ tags: {}, problems: [] });
    expect(parseTags('=v')).toEqual({ tags: {}, problems: [] });
    expect(parseTags(' a = 1 ,b=x=y,a=2')).toEqual({ tags: { a: '2', b: 'x=y' }, problems: [] });
    expect(parseTags('myaws:key=1').tags).toEqual({ 'myaws:key': '1' });
    expect(parseTags('AWS:key=1').problems).toHaveLength(1);
    expect(parseTags(`${'k'.repeat(128)}=${'v'.repeat(256)}`).problems).toEqual([]);
    expect(parseTags(`${'k'.repeat(129)}=v`).problems).toHaveLength(1);
    expect(parseTags(`k=${'v'.repeat(257)}`).problems).toHaveLength(1);
    const fifty = Array.from({ length: 50 }, (_, index) => `k${index}=v`).join(',');
    expect(parseTags(fifty).problems).toEqual([]);
    expect(parseTags(`${fifty},k50=v`).problems).toEqual(['51 tags given, SQS allows at most 50']);
  });
});
