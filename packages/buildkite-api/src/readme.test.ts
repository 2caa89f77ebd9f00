import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildkiteApiStandIn, startBuildkiteApiStandIn } from '@elastic-ci/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_AGENT_ENDPOINT, DEFAULT_USER_AGENT, MAX_REQUEST_TIMEOUT_MS } from './agent-metrics-client';
import { DEFAULT_REPLAY_WINDOW_SEC } from './webhook-verification';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const TOKEN = 'canary-readme-agent-token-9e41';

/** Runs the README's first ts block, importing this package's source instead of its published name. */
async function runReadmeExample(): Promise<{ logged: unknown[][]; errors: unknown[][] }> {
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const directory = mkdtempSync(join(tmpdir(), 'buildkite-api-readme-'));
  const file = join(directory, 'example.ts');
  writeFileSync(
    file,
    (example ?? '').replace(
      "'@elastic-ci/buildkite-api'",
      JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url))),
    ),
  );
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await import(file);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return { logged: log.mock.calls, errors: error.mock.calls };
}

describe('README', () => {
  let standIn: BuildkiteApiStandIn;

  beforeEach(async () => {
    standIn = await startBuildkiteApiStandIn({
      token: TOKEN,
      organizationSlug: 'acme',
      queues: { default: { scheduled: 3, running: 1, waiting: 0, idle: 0, busy: 1, total: 1 } },
    });
    vi.stubEnv('BUILDKITE_AGENT_ENDPOINT', standIn.endpoint);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await standIn.close();
  });

  it('has an example that runs and prints what it says', async () => {
    // Prepare
    vi.stubEnv('BUILDKITE_AGENT_TOKEN', TOKEN);

    // Act
    const { logged, errors } = await runReadmeExample();

    // Assess
    expect(logged).toEqual([['acme', 3, undefined], [{ statusCode: 200, body: 'job.scheduled' }], [401]]);
    expect(errors).toEqual([]);
    expect(readme).toContain('// → acme 3 undefined');
    expect(readme).toContain("// → { statusCode: 200, body: 'job.scheduled' }");
    expect(readme).toContain('// → 401');
    expect(standIn.requests.map((request) => request.headers['user-agent'])).toEqual(['my-scaler/1.0.0']);
  });

  it('has an example whose refused token takes the TokenRejectedError branch (and the token is in no output)', async () => {
    // Prepare
    vi.stubEnv('BUILDKITE_AGENT_TOKEN', 'canary-revoked-token-77aa');

    // Act
    const { logged, errors } = await runReadmeExample();

    // Assess
    expect(errors).toEqual([['the agent token was refused: refresh it and try again']]);
    expect(logged).toEqual([[{ statusCode: 200, body: 'job.scheduled' }], [401]]);
    expect(JSON.stringify([logged, errors])).not.toContain('canary-revoked-token');
  });

  it('documents the defaults the code has', () => {
    expect(readme).toContain(`| \`endpoint\`                         | \`${DEFAULT_AGENT_ENDPOINT}\``);
    expect(DEFAULT_USER_AGENT).toMatch(/^elastic-ci-buildkite-api\//);
    expect(readme).toContain('| `userAgent`                        | `elastic-ci-buildkite-api/<ver>`');
    expect(readme).toContain(`| \`timeoutMs\`                        | \`${MAX_REQUEST_TIMEOUT_MS}\``);
    expect(readme).toContain(`(0, ${MAX_REQUEST_TIMEOUT_MS}]`);
    expect(readme).toContain(`| \`verifyWebhook\` \`replayWindowSec\`  | \`${DEFAULT_REPLAY_WINDOW_SEC}\``);
  });
});
