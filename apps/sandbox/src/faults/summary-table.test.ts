import { describe, expect, it } from 'vitest';
import { formatFaultSummary } from './summary-table';

describe('formatFaultSummary', () => {
  it('prints one aligned row per fault under a header, and says when a fault never recovered', () => {
    const table = formatFaultSummary([
      {
        fault: 'spot interruption',
        jobsRun: 12,
        jobsInterrupted: 0,
        jobsLostToInjectedCrash: 0,
        recoveredAfterWorldSec: 95.4,
      },
      {
        fault: 'agent crash',
        jobsRun: 3,
        jobsInterrupted: 0,
        jobsLostToInjectedCrash: 1,
        recoveredAfterWorldSec: undefined,
      },
    ]);

    expect(table.split('\n')).toEqual([
      'fault              jobs run  jobs interrupted  lost to injected crash  recovered after (world s)',
      '-----------------  --------  ----------------  ----------------------  -------------------------',
      'spot interruption        12                 0                       0                         95',
      'agent crash               3                 0                       1              not recovered',
    ]);
  });
});
