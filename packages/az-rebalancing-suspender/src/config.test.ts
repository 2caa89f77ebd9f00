import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { ConfigurationError } from './errors';

describe('Function: loadConfig', () => {
  it('applies the defaults', () => {
    expect(loadConfig({ AWS_REGION: 'eu-west-2' })).toEqual({
      ok: true,
      config: { region: 'eu-west-2', answerMarginMs: 5_000 },
    });
  });

  it('reads the answer margin in seconds', () => {
    const result = loadConfig({ AWS_REGION: 'us-east-1', ANSWER_MARGIN_SECONDS: '12' });

    expect(result.ok && result.config.answerMarginMs).toBe(12_000);
  });

  it('names every bad variable in one error', () => {
    const result = loadConfig({ ANSWER_MARGIN_SECONDS: '2.5' });

    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(/AWS_REGION is required .*export AWS_REGION=us-east-1/);
    expect(error?.message).toMatch(/ANSWER_MARGIN_SECONDS must be a whole number of seconds/);
  });

  it.each([
    ['AWS_REGION', 'US_EAST', /AWS_REGION must be an AWS region/],
    ['ANSWER_MARGIN_SECONDS', 'soon', /ANSWER_MARGIN_SECONDS must be a number of seconds/],
    ['ANSWER_MARGIN_SECONDS', '0', /ANSWER_MARGIN_SECONDS must be at least 1/],
    ['ANSWER_MARGIN_SECONDS', '600', /ANSWER_MARGIN_SECONDS must be at most 60/],
  ])('rejects %s=%s', (name, value, message) => {
    const result = loadConfig({ AWS_REGION: 'us-east-1', [name]: value });

    expect(result.ok ? '' : result.error.message).toMatch(message);
  });
});
