import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { ResponseDeliveryError } from './errors';
import { createHttpResponder, redactUrl } from './responder';

describe('Function: createHttpResponder', () => {
  it('retries a refused connection and then gives up with the redacted URL', async () => {
    // Prepare: a port that was free a moment ago refuses connections.
    const server = createServer();
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolveClose) => server.close(resolveClose));
    const sleeps: number[] = [];
    const responder = createHttpResponder({
      attempts: 3,
      backoffMs: 10,
      clock: {
        now: () => 0,
        // Attempt timers (they come with a signal) wait for their attempt to end; backoff pauses are recorded.
        sleep: (ms, signal) =>
          signal
            ? new Promise((resolveSleep) => signal.addEventListener('abort', () => resolveSleep(), { once: true }))
            : Promise.resolve(void sleeps.push(ms)),
      },
    });

    // Act
    const sending = responder.send(`http://127.0.0.1:${port}/path?X-Amz-Signature=secret`, '{}');

    // Assess
    await expect(sending).rejects.toThrow(ResponseDeliveryError);
    await expect(sending).rejects.toThrow(
      new RegExp(`http://127.0.0.1:${port}/path did not accept the answer: .*ECONNREFUSED`),
    );
    await expect(sending).rejects.not.toThrow(/secret/);
    expect(sleeps).toEqual([10, 20]);
  });

  it('abandons an attempt that gets no answer within the attempt timeout (fake clock)', async () => {
    // Prepare
    const hanging = await startHangingServer();
    const clock = new FakeClock(0);
    const responder = createHttpResponder({ attempts: 1, attemptTimeoutMs: 100, clock });

    try {
      // Act
      const { error, settledAtMs } = await driveUntilSettled(clock, responder.send(hanging.url, '{}'));

      // Assess
      expect(error).toBeInstanceOf(ResponseDeliveryError);
      expect(String(error)).toMatch(/no answer within 100 ms/);
      expect(settledAtMs).toBe(100);
    } finally {
      await hanging.close();
    }
  });

  it('never tries or sleeps past withinMs: a hanging URL within a 25 s budget ends at 25 s, not 43.5 s', async () => {
    // Prepare: the defaults (4 attempts of 10 s, backoff 500 ms doubling) would take 43.5 s on a hanging URL.
    const hanging = await startHangingServer();
    const clock = new FakeClock(0);
    const responder = createHttpResponder({ clock });

    try {
      // Act
      const { error, settledAtMs } = await driveUntilSettled(
        clock,
        responder.send(hanging.url, '{}', { withinMs: 25_000 }),
      );

      // Assess: 10 s + 0.5 s + 10 s + 1 s, then the third attempt gets the 3.5 s left, and no fourth.
      expect(error).toBeInstanceOf(ResponseDeliveryError);
      expect(String(error)).toMatch(/no answer within 3500 ms; no time left for attempt 4/);
      expect(settledAtMs).toBe(25_000);
      expect(String(error)).not.toContain('canary-signature');
    } finally {
      await hanging.close();
    }
  });

  it('does not even try with no time left', async () => {
    // Prepare
    const hanging = await startHangingServer();
    const clock = new FakeClock(10_000);
    const responder = createHttpResponder({ clock });

    try {
      // Act
      const sending = responder.send(hanging.url, '{}', { withinMs: 0 });

      // Assess
      await expect(sending).rejects.toThrow(/did not accept the answer: no time left to try/);
      expect(hanging.requests).toBe(0);
    } finally {
      await hanging.close();
    }
  });
});

/** A stand-in ResponseURL that accepts connections and never answers. */
async function startHangingServer() {
  let requests = 0;
  const server = createServer(() => {
    requests += 1;
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hang?X-Amz-Signature=canary-signature-77`,
    get requests() {
      return requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolveClose) => server.close(resolveClose));
    },
  };
}

/**
 * Moves the fake clock while the responder waits on it (an attempt timer or a backoff), and records the clock time
 * at which the delivery settled. Only clock time is asserted: how long the real I/O takes does not matter.
 */
async function driveUntilSettled(clock: FakeClock, sending: Promise<void>) {
  let settled: { error: unknown; settledAtMs: number } | undefined;
  sending.then(
    () => {
      settled = { error: undefined, settledAtMs: clock.now() };
    },
    (error: unknown) => {
      settled = { error, settledAtMs: clock.now() };
    },
  );
  while (settled === undefined) {
    if (clock.pendingSleeps > 0) await clock.advance(50);
    else await new Promise((resolveTurn) => setImmediate(resolveTurn));
  }
  return settled;
}

describe('Function: redactUrl', () => {
  it('keeps origin and path and drops the signed query', () => {
    expect(redactUrl('https://bucket.s3.amazonaws.com/a/b?X-Amz-Signature=s&X-Amz-Credential=c')).toBe(
      'https://bucket.s3.amazonaws.com/a/b',
    );
    expect(redactUrl('::')).toBe('(unparseable URL)');
  });
});
