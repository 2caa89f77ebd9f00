import { request as httpRequest } from 'node:http';
import type { ConnectionConfig } from './config';

/**
 * The region this machine runs in: `AWS_REGION` / `AWS_DEFAULT_REGION`, else the instance metadata service (IMDSv2,
 * one second at most), else us-east-1.
 */
export async function currentRegion(connection: ConnectionConfig, environment: NodeJS.ProcessEnv): Promise<string> {
  if (connection.currentRegion) return connection.currentRegion;
  if (environment.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true') {
    // Asked once per process: several callers need the region, none should wait for IMDS twice.
    metadataRegion ??= regionFromInstanceMetadata().catch(() => undefined);
    const fromMetadata = await metadataRegion;
    if (fromMetadata) return fromMetadata;
  }
  return 'us-east-1';
}

let metadataRegion: Promise<string | undefined> | undefined;

function imdsCall(method: string, path: string, headers: Record<string, string>, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '169.254.169.254', method, path, headers, signal, timeout: 1_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          response.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`IMDS HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('IMDS timeout')));
    request.on('error', reject);
    request.end();
  });
}

async function regionFromInstanceMetadata(): Promise<string | undefined> {
  const signal = AbortSignal.timeout(1_000);
  const token = await imdsCall('PUT', '/latest/api/token', { 'X-aws-ec2-metadata-token-ttl-seconds': '60' }, signal);
  const region = await imdsCall(
    'GET',
    '/latest/meta-data/placement/region',
    { 'X-aws-ec2-metadata-token': token },
    signal,
  );
  return /^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region) ? region : undefined;
}
