import { LoginFailedError, MissingProgramError } from './errors';
import type { OidcTokenSource } from './ports';
import { findProgram, runProgram } from './processes';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * `buildkite-agent oidc request-token --audience … --lifetime …`. The agent prints the token on stdout; its stderr
 * is reported (it never contains the token) so a failed request explains itself.
 */
export function buildkiteAgentOidcTokenSource(env: Readonly<Record<string, string | undefined>>): OidcTokenSource {
  return {
    async requestToken({ audience, lifetimeSeconds }) {
      const agent = await findProgram('buildkite-agent', env.PATH ?? '');
      if (agent === undefined) {
        throw new MissingProgramError('buildkite-agent', 'assume-role oidc needs the Buildkite agent on PATH');
      }
      const result = await runProgram(
        agent,
        ['oidc', 'request-token', '--audience', audience, '--lifetime', String(lifetimeSeconds)],
        { env, timeoutMs: 60_000 },
      );
      if (result.exitCode !== 0) {
        const reason = result.stderr.trim().split('\n').slice(-3).join(' ').slice(0, 300);
        throw new LoginFailedError(
          `buildkite-agent oidc request-token failed (exit ${result.exitCode ?? result.signal}): ${reason}`,
          { retryable: true },
        );
      }
      const token = result.stdout.trim();
      if (!JWT.test(token)) {
        throw new LoginFailedError('buildkite-agent oidc request-token printed something that is not a JWT', {
          retryable: false,
        });
      }
      return token;
    },
  };
}
