import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerCommandLine } from './docker-cli';
import { LoginFailedError, MissingProgramError } from './errors';
import { fakeProgramDirectory } from './fake-programs.test-support';

const recordingDocker = `
here=$(dirname "$0")
echo "$@" >> "$here/argv"
echo "$DOCKER_CONFIG" >> "$here/docker-config"
cat >> "$here/stdin"
case "$*" in *fail-server*) echo "Error response from daemon: unauthorized: incorrect username or password" >&2; exit 1;; esac
`;

describe('Function: dockerCommandLine', () => {
  it('passes the password on stdin only, and DOCKER_CONFIG in the environment', async () => {
    // Prepare
    const directory = await fakeProgramDirectory({ docker: recordingDocker });
    const docker = dockerCommandLine({ PATH: `${directory}:/usr/bin:/bin` });

    // Act
    await docker.login({
      server: 'my-server',
      username: 'blah',
      password: 'canary-stdin-password',
      dockerConfigDir: '/tmp/job-config',
    });
    await docker.login({ server: '', username: 'blah', password: 'second', dockerConfigDir: '/tmp/job-config' });
    await docker.logout({ server: 'my-server', dockerConfigDir: '/tmp/job-config' });

    // Assess
    expect(await readFile(join(directory, 'argv'), 'utf8')).toBe(
      'login --username blah --password-stdin my-server\nlogin --username blah --password-stdin\nlogout my-server\n',
    );
    expect(await readFile(join(directory, 'stdin'), 'utf8')).toBe('canary-stdin-passwordsecond');
    expect(await readFile(join(directory, 'docker-config'), 'utf8')).toBe(
      '/tmp/job-config\n/tmp/job-config\n/tmp/job-config\n',
    );
  });

  it('reports a rejected login as final, with docker’s reason', async () => {
    // Prepare
    const directory = await fakeProgramDirectory({ docker: recordingDocker });
    const docker = dockerCommandLine({ PATH: directory });

    // Act
    const error = await docker
      .login({ server: 'fail-server', username: 'u', password: 'p', dockerConfigDir: '/tmp/x' })
      .catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(LoginFailedError);
    expect((error as LoginFailedError).retryable).toBe(false);
    expect((error as Error).message).toContain('incorrect username or password');
  });

  it('names the missing docker CLI', async () => {
    const login = dockerCommandLine({ PATH: '/nonexistent' }).login({
      server: '',
      username: 'u',
      password: 'p',
      dockerConfigDir: '/x',
    });
    await expect(login).rejects.toBeInstanceOf(MissingProgramError);
  });
});
