import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoginFailedError, MissingProgramError } from './errors';
import { fakeProgramDirectory } from './fake-programs.test-support';
import { buildkiteAgentOidcTokenSource } from './oidc-token';

describe('Function: buildkiteAgentOidcTokenSource', () => {
  it('runs buildkite-agent oidc request-token with the audience and lifetime and returns the token', async () => {
    // Prepare
    const directory = await fakeProgramDirectory({
      'buildkite-agent': 'echo "$@" > "$(dirname "$0")/argv"; echo "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2IifQ.c2ln"',
    });
    const source = buildkiteAgentOidcTokenSource({ PATH: `${directory}:/usr/bin:/bin` });

    // Act
    const token = await source.requestToken({ audience: 'sts.amazonaws.com', lifetimeSeconds: 7200 });

    // Assess
    expect(token).toBe('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2IifQ.c2ln');
    expect(await readFile(join(directory, 'argv'), 'utf8')).toBe(
      'oidc request-token --audience sts.amazonaws.com --lifetime 7200\n',
    );
  });

  it('fails with the agent’s error when the request fails', async () => {
    // Prepare
    const directory = await fakeProgramDirectory({ 'buildkite-agent': 'echo "fatal: job not allowed" >&2; exit 1' });
    const source = buildkiteAgentOidcTokenSource({ PATH: `${directory}:/usr/bin:/bin` });

    // Act
    const request = source.requestToken({ audience: 'sts.amazonaws.com', lifetimeSeconds: 3600 });

    // Assess
    await expect(request).rejects.toBeInstanceOf(LoginFailedError);
    await expect(request).rejects.toThrow('buildkite-agent oidc request-token failed (exit 1): fatal: job not allowed');
  });

  it('rejects output that is not a JWT and never echoes it', async () => {
    const directory = await fakeProgramDirectory({ 'buildkite-agent': 'echo "canary not a token"' });
    const request = buildkiteAgentOidcTokenSource({ PATH: directory }).requestToken({
      audience: 'a',
      lifetimeSeconds: 900,
    });
    await expect(request).rejects.toThrow('printed something that is not a JWT');
    await expect(request).rejects.not.toThrow(/canary/);
  });

  it('names the missing program', async () => {
    const request = buildkiteAgentOidcTokenSource({ PATH: '/nonexistent' }).requestToken({
      audience: 'a',
      lifetimeSeconds: 900,
    });
    await expect(request).rejects.toBeInstanceOf(MissingProgramError);
  });
});
