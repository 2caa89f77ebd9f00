import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

describe('Function: createLogger', () => {
  it('masks protected values, trimmed or not, in every later message', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger((text) => lines.push(text));
    logger.protect(['  hunter2-password\n', 'abc']);

    // Act
    logger.info('ssh-add said: hunter2-password is bad');
    logger.warn('value " hunter2-password\n" and short abc');

    // Assess
    expect(lines).toEqual(['ssh-add said: [REDACTED] is bad\n', 'value " [REDACTED]\n" and short abc\n']);
  });
});
