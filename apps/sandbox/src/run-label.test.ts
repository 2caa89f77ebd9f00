import { describe, expect, it } from 'vitest';
import { SANDBOX_RUN_ID_VARIABLE, sandboxRunId } from './run-label';

describe('sandboxRunId', () => {
  it("takes the run's label from the sandbox's environment when set", () => {
    expect(sandboxRunId({ [SANDBOX_RUN_ID_VARIABLE]: 'nightly-42' })).toBe('nightly-42');
  });

  it('gives each sandbox a fresh UUID when the environment names none (or a blank one)', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const first = sandboxRunId({});
    const second = sandboxRunId({ [SANDBOX_RUN_ID_VARIABLE]: '  ' });
    expect(first).toMatch(uuid);
    expect(second).toMatch(uuid);
    expect(second).not.toBe(first);
  });
});
