import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { brokerRequestSchema } from './broker-protocol';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const source = (name: string) => JSON.stringify(fileURLToPath(new URL(`./${name}`, import.meta.url)));

/** Runs the README's ts block, importing this package's sources instead of its published names. */
async function runReadmeExample(): Promise<unknown[][]> {
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const directory = mkdtempSync(join(tmpdir(), 'instance-broker-readme-'));
  const file = join(directory, 'example.ts');
  writeFileSync(
    file,
    (example ?? '')
      .replace("'@elastic-ci/instance-broker/client'", source('client.ts'))
      .replace("'@elastic-ci/instance-broker/local-function-url'", source('local-function-url.ts'))
      .replace("'@elastic-ci/instance-broker'", source('index.ts')),
  );
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    await import(file);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return log.mock.calls;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README', () => {
  it('has an example that runs and prints what its comments say', async () => {
    // Act
    const logged = await runReadmeExample();

    // Assess
    expect(logged).toEqual([
      [{ outcome: 'done', instanceId: 'i-0123456789abcdef0' }],
      [['i-0123456789abcdef0']],
      [403, false],
    ]);
  });

  it('lists every action of the protocol', () => {
    const actions = brokerRequestSchema.options.map((option) => option.shape.action.value);

    for (const action of actions) expect(readme).toContain(`| \`${action}\``);
    expect(actions).toHaveLength(5);
  });

  it('documents every variable the configuration reads', () => {
    const config = readFileSync(fileURLToPath(new URL('./config.ts', import.meta.url)), 'utf8');
    const variables = [...config.matchAll(/^ {2}([A-Z][A-Z_]+): z/gm)].map((match) => match[1]);

    expect(variables).toEqual(['AWS_REGION', 'INSTANCE_ROLE_NAME', 'FLEET_ID']);
    for (const variable of variables) expect(readme).toContain(`| \`${variable}\``);
  });
});
