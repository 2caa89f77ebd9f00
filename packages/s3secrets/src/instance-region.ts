import type { ConnectionConfig } from './config';
import { InstanceMetadataClient, instanceRegion, metadataEndpoint } from './instance-metadata';

let metadataRegion: Promise<string | undefined> | undefined;

/**
 * The region this machine runs in: `AWS_REGION` / `AWS_DEFAULT_REGION`, else the instance metadata service (IMDSv2,
 * one second at most, asked once per process), else us-east-1.
 */
export async function currentRegion(connection: ConnectionConfig, environment: NodeJS.ProcessEnv): Promise<string> {
  if (connection.currentRegion) return connection.currentRegion;
  if (environment.AWS_EC2_METADATA_DISABLED?.toLowerCase() !== 'true') {
    metadataRegion ??= instanceRegion(new InstanceMetadataClient(metadataEndpoint(environment))).catch(() => undefined);
    const fromMetadata = await metadataRegion;
    if (fromMetadata) return fromMetadata;
  }
  return 'us-east-1';
}
