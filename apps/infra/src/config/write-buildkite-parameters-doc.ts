// Rewrites apps/infra/docs/buildkite-parameters.md from the mapping rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildkiteParametersDoc } from './buildkite-parameters-doc.js';

const docPath = fileURLToPath(new URL('../../docs/buildkite-parameters.md', import.meta.url));
const before = (() => {
  try {
    return readFileSync(docPath, 'utf8');
  } catch {
    return '';
  }
})();
const after = buildkiteParametersDoc();
if (after !== before) writeFileSync(docPath, after);
console.log(after === before ? `${docPath} is up to date` : `${docPath} regenerated`);
