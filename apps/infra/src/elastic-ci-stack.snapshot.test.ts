import { expect, it } from 'vitest';
import { MINIMAL_PROPS, synthesizeStack } from './test-support/synthesize';

/** Asset hashes change with every bundle rebuild; the template around them is what the snapshot guards. */
function normalizeAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>'));
}

it('default template (construct ids are a contract: a changed logical id replaces a resource)', () => {
  const { json } = synthesizeStack(MINIMAL_PROPS, 'elastic-ci');
  expect(normalizeAssetHashes(json)).toMatchSnapshot();
}, 300_000);
