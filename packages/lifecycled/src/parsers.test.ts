import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseRebalanceRecommendation,
  parseRfc3339,
  parseSpotInstanceAction,
  parseSpotTerminationTime,
  parseTargetLifecycleState,
} from './metadata-parsers';
import { parseLifecycleHookBody } from './sqs-message';

/** When the notice is read (the parsers are pure: the caller gives the time). */
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('Function: parseTargetLifecycleState', () => {
  it('accepts documented states and rejects garbage bodies', () => {
    for (const state of ['InService', 'Terminated', 'Warmed:Stopped', 'Warmed:Hibernated', 'Warmed:Terminated']) {
      expect(parseTargetLifecycleState(`${state}\n`)).toEqual({ ok: true, value: state });
    }
    for (const garbage of ['', '<html>oops</html>', '{"state":"InService"}', 'in service', '\u0000\u0001']) {
      expect(parseTargetLifecycleState(garbage).ok).toBe(false);
    }
  });

  it('never throws on arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.string(), (body) => {
        expect(typeof parseTargetLifecycleState(body).ok).toBe('boolean');
      }),
    );
  });
});

describe('Function: parseSpotInstanceAction', () => {
  it('reads the action and time, keeping the time text', () => {
    expect(parseSpotInstanceAction('{"action":"terminate","time":"2026-11-23T12:02:00Z"}', NOW)).toEqual({
      ok: true,
      value: { action: 'terminate', time: '2026-11-23T12:02:00Z', deadlineMs: Date.UTC(2026, 10, 23, 12, 2, 0) },
    });
    expect(parseSpotInstanceAction('{"action":"hibernate","time":"2026-11-23T14:02:00+02:00"}', NOW)).toMatchObject({
      ok: true,
      value: { action: 'hibernate', deadlineMs: Date.UTC(2026, 10, 23, 12, 2, 0) },
    });
  });

  it('rejects garbage and unknown actions', () => {
    for (const body of [
      'not json',
      '<html>nope</html>',
      '{"action":"reboot","time":"2026-11-23T12:02:00Z"}',
      '{"time":"2026-11-23T12:02:00Z"}',
      '[]',
    ]) {
      expect(parseSpotInstanceAction(body, NOW).ok).toBe(false);
    }
  });

  it('takes a known action with an unreadable time as a notice due two minutes from now', () => {
    // EC2 acts two minutes after its notice: ignoring the notice would leave the agent taking jobs until the reclaim.
    for (const body of [
      '{"action":"stop","time":"tomorrow"}',
      '{"action":"stop","time":""}',
      '{"action":"stop","time":42}',
      '{"action":"stop"}',
    ]) {
      const parsed = parseSpotInstanceAction(body, NOW);
      expect(parsed).toMatchObject({
        ok: true,
        value: { action: 'stop', time: '2026-11-23T12:02:00.000Z', deadlineMs: Date.UTC(2026, 10, 23, 12, 2, 0) },
      });
      expect(parsed.ok && parsed.value.timeUnreadable).toEqual(expect.any(String));
    }
  });

  it('never throws on arbitrary bodies', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (body) => {
        expect(typeof parseSpotInstanceAction(body, NOW).ok).toBe('boolean');
        expect(typeof parseRebalanceRecommendation(body).ok).toBe('boolean');
        expect(typeof parseLifecycleHookBody(body).ok).toBe('boolean');
      }),
    );
  });
});

describe('Function: parseSpotTerminationTime', () => {
  it('reads a bare RFC 3339 time and rejects an empty body', () => {
    expect(parseSpotTerminationTime('2026-11-23T12:02:00Z\n')).toMatchObject({
      ok: true,
      value: { action: 'terminate' },
    });
    expect(parseSpotTerminationTime('').ok).toBe(false);
    expect(parseSpotTerminationTime('2026-11-23 12:02').ok).toBe(false);
  });
});

describe('Function: parseRfc3339', () => {
  it('rejects impossible dates', () => {
    expect(parseRfc3339('2026-13-45T99:00:00Z').ok).toBe(false);
  });
});

describe('Function: parseRebalanceRecommendation', () => {
  it('reads noticeTime', () => {
    expect(parseRebalanceRecommendation('{"noticeTime":"2026-11-23T12:00:00Z"}')).toEqual({
      ok: true,
      value: { noticeTime: '2026-11-23T12:00:00Z' },
    });
    expect(parseRebalanceRecommendation('{"noticeTime":5}').ok).toBe(false);
  });
});

describe('Function: parseLifecycleHookBody', () => {
  const notification = {
    Origin: 'AutoScalingGroup',
    Destination: 'EC2',
    Time: '2026-11-23T12:00:00.000Z',
    AutoScalingGroupName: 'agents',
    EC2InstanceId: 'i-0123456789abcdef0',
    LifecycleActionToken: '71514b9d-6a40-4b26-8523-05e7ee35fa40',
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    LifecycleHookName: 'drain',
  };

  it('unwraps an SNS envelope', () => {
    // Act
    const parsed = parseLifecycleHookBody(
      JSON.stringify({ Type: 'Notification', Message: JSON.stringify(notification) }),
    );

    // Assess
    expect(parsed).toEqual({
      ok: true,
      value: {
        autoScalingGroupName: 'agents',
        instanceId: 'i-0123456789abcdef0',
        lifecycleActionToken: '71514b9d-6a40-4b26-8523-05e7ee35fa40',
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        lifecycleHookName: 'drain',
        time: '2026-11-23T12:00:00.000Z',
      },
    });
  });

  it('accepts raw message delivery and test notifications, rejects non-notifications', () => {
    expect(parseLifecycleHookBody(JSON.stringify(notification)).ok).toBe(true);
    expect(
      parseLifecycleHookBody(JSON.stringify({ Event: 'autoscaling:TEST_NOTIFICATION', AutoScalingGroupName: 'a' })),
    ).toMatchObject({
      ok: true,
      value: { lifecycleTransition: 'autoscaling:TEST_NOTIFICATION', instanceId: undefined },
    });
    expect(parseLifecycleHookBody('{"Type":"Notification","Message":"not json"}').ok).toBe(false);
    expect(parseLifecycleHookBody('"a string"').ok).toBe(false);
    expect(parseLifecycleHookBody('{"EC2InstanceId":42}').ok).toBe(false);
  });
});
