import { describe, expect, it } from 'vitest';
import { tallyInstanceBrokerRequests } from './broker-log';

// Lines as the broker's Powertools logger writes them (one JSON record per request), written out by hand.
const record = (fields: Record<string, unknown>) =>
  JSON.stringify({ level: 'INFO', message: 'instance broker request', service: 'instance-broker', ...fields });

describe('Function: tallyInstanceBrokerRequests', () => {
  it('counts requests by action, the instances acted for, and the refused ones', () => {
    const lines = [
      record({ action: 'set-instance-protection', instanceId: 'i-0aaa', status: 200, outcome: 'done' }),
      record({ action: 'set-instance-protection', instanceId: 'i-0aaa', status: 200, outcome: 'done' }),
      record({ action: 'terminate-instance', instanceId: 'i-0bbb', status: 200, outcome: 'done' }),
      record({
        action: 'complete-lifecycle-action',
        instanceId: 'i-0bbb',
        status: 200,
        outcome: 'no-pending-action',
      }),
      record({ instanceId: 'i-0ccc', status: 403, outcome: 'refused', reason: 'not a fleet group' }),
      'START RequestId: 1 Version: $LATEST',
      '{"message":"scaling decision","changed":true}',
      '{ not json "instance broker request"',
    ];

    expect(tallyInstanceBrokerRequests(lines)).toEqual({
      requests: 5,
      byAction: {
        'set-instance-protection': 2,
        'terminate-instance': 1,
        'complete-lifecycle-action': 1,
        'refused before an action was read': 1,
      },
      // i-0ccc was refused: not acted for.
      instances: 2,
      refused: 1,
    });
  });

  it('is empty for a log without broker requests', () => {
    expect(tallyInstanceBrokerRequests(['', 'INIT_START'])).toEqual({
      requests: 0,
      byAction: {},
      instances: 0,
      refused: 0,
    });
  });
});
