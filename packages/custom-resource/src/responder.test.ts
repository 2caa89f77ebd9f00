import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
      clock: { now: () => 0, sleep: async (ms) => void sleeps.push(ms) },
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

  it('abandons an attempt that gets no answer within the attempt timeout', async () => {
    const server = createServer(() => {});
    await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
    const { port } = server.address() as AddressInfo;
    const responder = createHttpResponder({ attempts: 1, attemptTimeoutMs: 100 });

    try {
      await expect(responder.send(`http://127.0.0.1:${port}/slow`, '{}')).rejects.toThrow(/no answer within 100 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolveClose) => server.close(resolveClose));
    }
  });
});

describe('Function: redactUrl', () => {
  it('keeps origin and path and drops the signed query', () => {
    expect(redactUrl('https://bucket.s3.amazonaws.com/a/b?X-Amz-Signature=s&X-Amz-Credential=c')).toBe(
      'https://bucket.s3.amazonaws.com/a/b',
    );
    expect(redactUrl('::')).toBe('(unparseable URL)');
  });
});
