/** What the instance broker did in a run, from its one log record per request. */
export interface InstanceBrokerTally {
  readonly requests: number;
  /** Requests by action; a request refused before its body was read counts under its own label. */
  readonly byAction: Readonly<Record<string, number>>;
  /** Distinct instances the broker acted for (the callers whose signatures it accepted). */
  readonly instances: number;
  /** Requests answered with an error (refused caller or body, or Auto Scaling's failure). */
  readonly refused: number;
}

const UNREAD_ACTION = 'refused before an action was read';

/** Tallies the broker's `instance broker request` records; other lines (Lambda's own, malformed ones) are skipped. */
export function tallyInstanceBrokerRequests(lines: readonly string[]): InstanceBrokerTally {
  const byAction: Record<string, number> = {};
  const instances = new Set<string>();
  let requests = 0;
  let refused = 0;
  for (const line of lines) {
    if (!line.includes('"instance broker request"')) continue;
    let record: { message?: unknown; action?: unknown; instanceId?: unknown; outcome?: unknown };
    try {
      record = JSON.parse(line.slice(line.indexOf('{')));
    } catch {
      continue;
    }
    if (record.message !== 'instance broker request') continue;
    requests += 1;
    const action = typeof record.action === 'string' ? record.action : UNREAD_ACTION;
    byAction[action] = (byAction[action] ?? 0) + 1;
    if (record.outcome === 'refused') refused += 1;
    else if (typeof record.instanceId === 'string') instances.add(record.instanceId);
  }
  return { requests, byAction, instances: instances.size, refused };
}
