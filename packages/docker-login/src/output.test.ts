import { describe, expect, it } from 'vitest';
import { capturedOutput } from './test-doubles.test-support';

describe('Function: redactingOutput', () => {
  it('replaces registered secrets and their base64 form on both streams', () => {
    // Prepare
    const { output, captured } = capturedOutput();
    output.addSecret('canary-password-123');

    // Act
    output.info('stdout canary-password-123 here');
    output.warn(`stderr ${Buffer.from('canary-password-123').toString('base64')}`);

    // Assess
    expect(captured.stdout).toEqual(['stdout [REDACTED] here\n']);
    expect(captured.stderr).toEqual(['stderr [REDACTED]\n']);
  });

  it('ignores very short "secrets" that would garble every line', () => {
    const { output, captured } = capturedOutput();
    output.addSecret('AWS');
    output.info('AWS ECR');
    expect(captured.stdout).toEqual(['AWS ECR\n']);
  });
});
