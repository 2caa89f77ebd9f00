import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_STATE_TAG,
  formatIdleSinceTag,
  IDLE_SINCE_TAG,
  parseAgentStateTag,
  parseIdleSinceTag,
} from './instance-state-tags.js';

describe('instance state tags', () => {
  it('names the tags the scaler reads', () => {
    expect(IDLE_SINCE_TAG).toBe('elastic-ci:idle-since');
    expect(AGENT_STATE_TAG).toBe('elastic-ci:agent-state');
  });

  it('formats idle-since as ISO-8601 UTC to the second', () => {
    expect(formatIdleSinceTag(Date.UTC(2026, 0, 5, 9, 0, 7, 999))).toBe('2026-01-05T09:00:07Z');
    expect(formatIdleSinceTag(new Date('2026-12-07T01:02:03.000Z'))).toBe('2026-12-07T01:02:03Z');
    expect(() => formatIdleSinceTag(Number.NaN)).toThrow(RangeError);
  });

  it('parses what it formats back to the same second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }), (time) => {
        expect(parseIdleSinceTag(formatIdleSinceTag(time))?.getTime()).toBe(Math.floor(time / 1000) * 1000);
      }),
    );
  });

  it('accepts fractional seconds and surrounding blanks', () => {
    expect(parseIdleSinceTag(' 2026-01-05T09:00:07.250Z ')?.toISOString()).toBe('2026-01-05T09:00:07.250Z');
  });

  it.each([
    undefined,
    null,
    '',
    'yesterday',
    '2026-01-05',
    '2026-01-05T09:00:07',
    '2026-01-05T09:00:07+01:00',
    '2026-02-30T09:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-05T24:00:00Z',
    '1767603607',
  ])('turns %j into undefined instead of throwing', (value) => {
    expect(parseIdleSinceTag(value)).toBeUndefined();
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseIdleSinceTag(value);
        expect(parsed === undefined || Number.isFinite(parsed.getTime())).toBe(true);
      }),
    );
  });

  it('parses the agent state tag tolerantly', () => {
    expect(parseAgentStateTag('running')).toBe('running');
    expect(parseAgentStateTag('stopped ')).toBe('stopped');
    expect(parseAgentStateTag('RUNNING')).toBeUndefined();
    expect(parseAgentStateTag(undefined)).toBeUndefined();
  });
});
