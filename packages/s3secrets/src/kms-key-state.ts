import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { ConnectionConfig } from './config';
import { classifyError, describeOutcome } from './secret-store';

/**
 * One line per KMS key: its state, so `doctor` can point at a disabled or deleted key. Loaded lazily: only doctor needs
 * the KMS client. `kms:DescribeKey` is optional; without it the line says so.
 */
export async function describeKmsKeys(
  keyIds: readonly string[],
  region: string,
  connection: ConnectionConfig,
  signal: AbortSignal,
): Promise<string[]> {
  const endpoint = process.env.AWS_ENDPOINT_URL_KMS ?? connection.endpoint;
  const client = new KMSClient({ region, maxAttempts: connection.maxAttempts, ...(endpoint ? { endpoint } : {}) });
  try {
    return await Promise.all(
      keyIds.map(async (keyId) => {
        try {
          const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: signal });
          return `${keyId}: ${KeyMetadata?.KeyState ?? 'unknown state'}${KeyMetadata?.Enabled === false ? ' (disabled)' : ''}`;
        } catch (error) {
          const outcome = classifyError(error);
          return outcome.status === 'access-denied'
            ? `${keyId}: kms:DescribeKey not granted (optional)`
            : `${keyId}: ${describeOutcome(outcome)}`;
        }
      }),
    );
  } finally {
    client.destroy();
  }
}
