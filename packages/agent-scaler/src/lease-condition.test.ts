import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LEASE_ACQUIRE_CONDITION,
  LEASE_RELEASE_CONDITION,
  leaseAcquireInput,
  leaseReleaseInput,
  scalingLeaseKey,
} from './aws-adapters';

/**
 * Why this file exists: moto's threaded server does not apply a conditional write atomically (two concurrent
 * PutItems can both see "no item" and both succeed; see "Lease guarantees" in the README), so the moto test can only
 * prove the conditions one request at a time. Here the lease's exact DynamoDB requests run against an item store
 * that evaluates DynamoDB condition-expression semantics and applies each write atomically, as DynamoDB does.
 */

type AttributeValue = { S: string } | { N: string };
type Item = Record<string, AttributeValue>;

class ConditionalCheckFailed extends Error {
  override name = 'ConditionalCheckFailedException';
}

/**
 * The DynamoDB condition grammar the lease needs: `attribute_not_exists(path)`, `operand < operand`,
 * `operand = operand`, joined by `OR` / `AND` (AND binds tighter), with `#name` and `:value` placeholders.
 */
function evaluateCondition(
  expression: string,
  item: Item | undefined,
  names: Record<string, string> = {},
  values: Record<string, AttributeValue> = {},
): boolean {
  const attribute = (token: string) => (token.startsWith('#') ? names[token] : token);
  const operand = (token: string): AttributeValue | undefined =>
    token.startsWith(':') ? values[token] : item?.[attribute(token) ?? ''];
  const scalar = (value: AttributeValue | undefined) =>
    value === undefined ? undefined : 'N' in value ? Number(value.N) : value.S;
  const term = (text: string): boolean => {
    const notExists = /^attribute_not_exists\((\S+)\)$/.exec(text);
    if (notExists) return item?.[attribute(notExists[1] ?? '') ?? ''] === undefined;
    const comparison = /^(\S+) (<|=) (\S+)$/.exec(text);
    if (!comparison) throw new Error(`condition term this store does not know: ${text}`);
    const left = scalar(operand(comparison[1] ?? ''));
    const right = scalar(operand(comparison[3] ?? ''));
    // DynamoDB: a comparison with a missing attribute is false.
    if (left === undefined || right === undefined) return false;
    return comparison[2] === '<' ? left < right : left === right;
  };
  return expression.split(' OR ').some((alternative) => alternative.split(' AND ').every((part) => term(part.trim())));
}

/** One DynamoDB table in memory: each write checks its condition and applies in one synchronous step. */
class AtomicItemStore {
  readonly items = new Map<string, Item>();

  async putItem(input: ReturnType<typeof leaseAcquireInput>): Promise<void> {
    await Promise.resolve(); // a network hop: concurrent callers interleave here, never inside the write
    const key = input.Item.pk.S;
    if (!evaluateCondition(input.ConditionExpression, this.items.get(key), {}, input.ExpressionAttributeValues)) {
      throw new ConditionalCheckFailed();
    }
    this.items.set(key, input.Item);
  }

  async deleteItem(input: ReturnType<typeof leaseReleaseInput>): Promise<void> {
    await Promise.resolve();
    const key = input.Key.pk.S;
    const names = input.ExpressionAttributeNames;
    if (!evaluateCondition(input.ConditionExpression, this.items.get(key), names, input.ExpressionAttributeValues)) {
      throw new ConditionalCheckFailed();
    }
    this.items.delete(key);
  }

  /** The lease port's acquire, done with the adapter's exact request. */
  acquire(groupName: string, owner: string, ttlMs: number, nowMs: number): Promise<boolean> {
    return this.putItem(leaseAcquireInput('locks', groupName, owner, ttlMs, nowMs)).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ConditionalCheckFailed) return false;
        throw error;
      },
    );
  }

  release(groupName: string, owner: string): Promise<void> {
    return this.deleteItem(leaseReleaseInput('locks', groupName, owner)).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailed)) throw error;
    });
  }
}

const GROUP = 'agents';
const TTL_MS = 30_000;
const START_MS = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('Lease requests (the exact DynamoDB conditions) on an atomic item store', () => {
  it('states the conditions the README documents', () => {
    // Assess
    expect(LEASE_ACQUIRE_CONDITION).toBe('attribute_not_exists(pk) OR expiresAtMs < :now');
    expect(LEASE_RELEASE_CONDITION).toBe('#owner = :owner');
    expect(leaseAcquireInput('locks', GROUP, 'a#1', TTL_MS, START_MS)).toEqual({
      TableName: 'locks',
      Item: {
        pk: { S: scalingLeaseKey(GROUP) },
        owner: { S: 'a#1' },
        expiresAtMs: { N: String(START_MS + TTL_MS) },
        expiresAt: { N: String(Math.ceil((START_MS + TTL_MS) / 1000)) },
      },
      ConditionExpression: LEASE_ACQUIRE_CONDITION,
      ExpressionAttributeValues: { ':now': { N: String(START_MS) } },
    });
  });

  it('grants a live lease to exactly one of many concurrent acquirers', async () => {
    // Prepare
    const store = new AtomicItemStore();
    const owners = Array.from({ length: 16 }, (_, index) => `container-${index}#1`);

    // Act
    const granted = await Promise.all(owners.map((owner) => store.acquire(GROUP, owner, TTL_MS, START_MS)));

    // Assess
    expect(granted.filter(Boolean)).toHaveLength(1);
    expect(store.items.get(scalingLeaseKey(GROUP))?.owner).toEqual({ S: owners[granted.indexOf(true)] });
  });

  it('grants the lease exactly when it is free or expired, and frees it only for its owner, for any schedule', async () => {
    // Requests of one step are sent together; the atomic store applies them one by one in the order they arrive.
    const step = fc.record({
      afterMs: fc.oneof(
        fc.constant(0),
        fc.constant(TTL_MS),
        fc.constant(TTL_MS + 1),
        fc.integer({ min: 1, max: 2 * TTL_MS }),
      ),
      requests: fc.array(
        fc.record({ kind: fc.constantFrom('acquire', 'release'), container: fc.integer({ min: 0, max: 3 }) }),
        { minLength: 1, maxLength: 4 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const store = new AtomicItemStore();
        // The specification, kept apart from the store: who holds the lease and until when.
        let holder: { owner: string; expiresAtMs: number } | undefined;
        let nowMs = START_MS;
        for (const { afterMs, requests } of steps) {
          nowMs += afterMs;
          const granted = await Promise.all(
            requests.map(({ kind, container }) =>
              kind === 'acquire'
                ? store.acquire(GROUP, `c${container}`, TTL_MS, nowMs)
                : store.release(GROUP, `c${container}`).then(() => undefined),
            ),
          );
          requests.forEach(({ kind, container }, index) => {
            const owner = `c${container}`;
            if (kind === 'release') {
              if (holder?.owner === owner) holder = undefined;
              return;
            }
            // Safety and liveness in one: granted if and only if nobody holds a lease that is still live.
            const free = holder === undefined || holder.expiresAtMs < nowMs;
            expect(granted[index]).toBe(free);
            if (free) holder = { owner, expiresAtMs: nowMs + TTL_MS };
          });
          expect(store.items.get(scalingLeaseKey(GROUP))?.owner).toEqual(holder && { S: holder.owner });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('lets only the owner release: a stranger, or a former owner after a takeover, leaves the lease in place', async () => {
    // Prepare
    const store = new AtomicItemStore();
    await store.acquire(GROUP, 'a#1', TTL_MS, START_MS);

    // Act
    await store.release(GROUP, 'b#1');
    const whileHeld = await store.acquire(GROUP, 'b#2', TTL_MS, START_MS + TTL_MS);
    const afterExpiry = await store.acquire(GROUP, 'b#3', TTL_MS, START_MS + TTL_MS + 1);
    await store.release(GROUP, 'a#1');

    // Assess
    expect(whileHeld).toBe(false);
    expect(afterExpiry).toBe(true);
    expect(store.items.get(scalingLeaseKey(GROUP))?.owner).toEqual({ S: 'b#3' });
  });
});
