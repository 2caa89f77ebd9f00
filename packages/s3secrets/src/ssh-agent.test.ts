import { describe, expect, it } from 'vitest';
import { parseSshAgentOutput } from './ssh-agent';

describe('Function: parseSshAgentOutput', () => {
  it('reads the socket and pid from `ssh-agent -s` output', () => {
    // Prepare
    const output =
      'SSH_AUTH_SOCK=/path/to/socket; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=42; export SSH_AGENT_PID;\necho Agent pid 42;\n';

    // Act / Assess
    expect(parseSshAgentOutput(output)).toEqual({ socket: '/path/to/socket', pid: 42 });
  });

  it('returns undefined for anything else', () => {
    // Act / Assess
    expect(parseSshAgentOutput('setenv SSH_AUTH_SOCK /x;\n')).toBeUndefined();
    expect(
      parseSshAgentOutput('SSH_AUTH_SOCK=/x; export SSH_AUTH_SOCK;\nSSH_AGENT_PID=abc; export SSH_AGENT_PID;'),
    ).toBeUndefined();
  });
});
