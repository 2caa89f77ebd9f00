import { LoginFailedError, MissingProgramError } from './errors';
import type { DockerCli } from './ports';
import { findProgram, runProgram } from './processes';

/**
 * Shells out to `docker login --password-stdin` (the password travels on stdin only) for users who want Docker's
 * own credential store. Requires the docker CLI; the daemon is not needed for login.
 */
export function dockerCommandLine(env: Readonly<Record<string, string | undefined>>): DockerCli {
  const docker = async () => {
    const path = await findProgram('docker', env.PATH ?? '');
    if (path === undefined) throw new MissingProgramError('docker', '--docker-login needs the docker CLI on PATH');
    return path;
  };
  const failure = (action: string, server: string, exitCode: number | null, stderr: string) => {
    const reason = stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
    const rejected = /unauthorized|denied|incorrect username or password/i.test(reason);
    return new LoginFailedError(`docker ${action} ${server || 'Docker Hub'} failed (exit ${exitCode}): ${reason}`, {
      retryable: !rejected,
    });
  };
  return {
    async login({ server, username, password, dockerConfigDir }) {
      const args = ['login', '--username', username, '--password-stdin', ...(server === '' ? [] : [server])];
      const result = await runProgram(await docker(), args, {
        env: { ...env, DOCKER_CONFIG: dockerConfigDir },
        stdin: password,
        timeoutMs: 120_000,
      });
      if (result.exitCode !== 0) throw failure('login', server, result.exitCode, result.stderr);
    },
    async logout({ server, dockerConfigDir }) {
      const args = ['logout', ...(server === '' ? [] : [server])];
      const result = await runProgram(await docker(), args, {
        env: { ...env, DOCKER_CONFIG: dockerConfigDir },
        timeoutMs: 60_000,
      });
      if (result.exitCode !== 0) throw failure('logout', server, result.exitCode, result.stderr);
    },
  };
}
