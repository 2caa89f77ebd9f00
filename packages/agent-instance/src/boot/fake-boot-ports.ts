// Test support: in-memory ports for the boot (not part of the bundle; imported by tests only).
import { FakeClock } from '@elastic-ci/testing';
import type { InstanceAws } from '../aws/aws-ports.js';
import type { InstanceMetadata } from '../aws/imds-client.js';
import { createLogger } from '../logger.js';
import type { DockerImages } from './image-pre-pull.js';
import { type BootFileSystem, type BootPorts, CommandFailedError, type WriteOptions } from './ports.js';

export interface FakeFile {
  content: string;
  mode: number;
  owner: WriteOptions['owner'];
}

export function createFakeBootPorts(
  options: {
    files?: Record<string, string>;
    parameters?: Record<string, string>;
    s3?: Record<string, string>;
    lifecycleState?: string | undefined;
    instanceId?: string;
    failCommand?: (command: string, args: readonly string[]) => boolean;
    /** Lets a test play a command's effect on the files (what `tar -x` extracts). */
    onCommand?: (command: string, args: readonly string[], files: Map<string, FakeFile>, directories: string[]) => void;
    failWrite?: (path: string) => NodeJS.ErrnoException | undefined;
    imdsDown?: boolean;
    /** Entries of `/dev/disk/by-id` (instance-store volumes). */
    diskLinks?: Array<{ name: string; target: string }>;
    /** What CompleteLifecycleAction does: default completes; `no-pending` / `fail` as Auto Scaling would answer. */
    lifecycleAction?: 'complete' | 'no-pending' | 'fail';
    /** Docker calls that fail (`login <host>` / `pull <image>`). */
    failDocker?: (call: string) => boolean;
    /** How long each pull takes on the fake clock. */
    pullTakesMs?: number;
  } = {},
) {
  const files = new Map<string, FakeFile>(
    Object.entries(options.files ?? {}).map(([path, content]) => [path, { content, mode: 0o644, owner: undefined }]),
  );
  const directories: string[] = [];
  /** The owner each `mkdir` with an owner gave its directory, last one wins. */
  const owners = new Map<string, WriteOptions['owner']>();
  const commands: string[] = [];
  /** Commands and lifecycle-action completions in the order they happened. */
  const timeline: string[] = [];
  const unhealthy: string[] = [];
  /** The group each unhealthy call named (the instance broker needs it). */
  const unhealthyGroups: Array<string | undefined> = [];
  const awsCalls: string[] = [];
  /** Each AWS port made: its region and where its Auto Scaling writes go. */
  const awsPorts: Array<{ region: string; instanceBrokerUrl: string | undefined }> = [];
  const logLines: string[] = [];
  const clock = new FakeClock();
  let lifecycleState = options.lifecycleState;
  const fs: BootFileSystem = {
    async readText(path) {
      return files.get(path)?.content;
    },
    async writeFile(path, content, write) {
      const failure = options.failWrite?.(path);
      if (failure !== undefined) throw failure;
      files.set(path, { content, mode: write.mode, owner: write.owner });
    },
    async mkdir(path, owner) {
      directories.push(path);
      if (owner !== undefined) owners.set(path, owner);
    },
    async remove(path) {
      files.delete(path);
    },
    async removeTree(path) {
      for (const file of [...files.keys()]) if (file === path || file.startsWith(`${path}/`)) files.delete(file);
      for (let index = directories.length - 1; index >= 0; index--) {
        const directory = directories[index] as string;
        if (directory === path || directory.startsWith(`${path}/`)) directories.splice(index, 1);
      }
    },
    async kindOf(path) {
      if (files.has(path)) return 'file';
      const under = (entry: string) => entry === path || entry.startsWith(`${path}/`);
      return directories.some(under) || [...files.keys()].some((file) => file.startsWith(`${path}/`))
        ? 'directory'
        : undefined;
    },
    async listDir(path) {
      const names = new Set<string>();
      for (const entry of [...files.keys(), ...directories]) {
        if (entry.startsWith(`${path}/`)) names.add(entry.slice(path.length + 1).split('/')[0] as string);
      }
      return [...names].sort();
    },
    async rename(from, to) {
      for (const [file, value] of [...files.entries()]) {
        if (file === from || file.startsWith(`${from}/`)) {
          files.delete(file);
          files.set(to + file.slice(from.length), value);
        }
      }
      directories.forEach((directory, index) => {
        if (directory === from || directory.startsWith(`${from}/`))
          directories[index] = to + directory.slice(from.length);
      });
    },
    async listLinks() {
      return options.diskLinks ?? [];
    },
    async isMountPoint() {
      return false;
    },
  };
  const metadata: InstanceMetadata = {
    async instanceId() {
      if (options.imdsDown) throw new Error('IMDS down');
      return options.instanceId ?? 'i-0123456789abcdef0';
    },
    async targetLifecycleState() {
      if (options.imdsDown) throw new Error('IMDS down');
      return lifecycleState;
    },
    async region() {
      return 'eu-west-1';
    },
  };
  const aws: InstanceAws = {
    async getParameter(name) {
      awsCalls.push(`getParameter ${name}`);
      const value = options.parameters?.[name];
      if (value === undefined)
        throw Object.assign(new Error(`Parameter ${name} not found.`), { name: 'ParameterNotFound' });
      return value;
    },
    async getParametersByPath(path) {
      awsCalls.push(`getParametersByPath ${path}`);
      return Object.entries(options.parameters ?? {})
        .filter(([name]) => name.startsWith(`${path}/`))
        .map(([name, value]) => ({ name, value }));
    },
    async getSecretString(id) {
      awsCalls.push(`getSecretString ${id}`);
      throw new Error('no secret');
    },
    async getS3Object(bucket, key) {
      awsCalls.push(`getS3Object ${bucket}/${key}`);
      const value = options.s3?.[`${bucket}/${key}`];
      if (value === undefined)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      return value;
    },
    async listS3Keys(bucket, prefix) {
      awsCalls.push(`listS3Keys ${bucket}/${prefix}`);
      return Object.keys(options.s3 ?? {})
        .filter((path) => path.startsWith(`${bucket}/${prefix}`))
        .map((path) => path.slice(bucket.length + 1))
        .sort();
    },
    async downloadS3Object(bucket, key, path) {
      awsCalls.push(`downloadS3Object ${bucket}/${key} ${path}`);
      const value = options.s3?.[`${bucket}/${key}`];
      if (value === undefined)
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      files.set(path, { content: value, mode: 0o600, owner: undefined });
    },
    async setInstanceUnhealthy(instanceId, groupName) {
      unhealthy.push(instanceId);
      unhealthyGroups.push(groupName);
    },
    async completeLifecycleAction({ instanceId, hookName, result, groupName }) {
      const call = `completeLifecycleAction ${hookName} ${instanceId} ${result}${groupName ? ` ${groupName}` : ''}`;
      awsCalls.push(call);
      timeline.push(call);
      if (options.lifecycleAction === 'fail') throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return options.lifecycleAction === 'no-pending' ? 'no-pending-action' : 'completed';
    },
  };
  const docker: DockerImages = {
    async ecrLogin(registry, { dockerConfig }) {
      const call = `docker login ${registry.host} (${registry.accountId} ${registry.region}) config=${dockerConfig}`;
      timeline.push(call);
      if (options.failDocker?.(`login ${registry.host}`))
        throw new CommandFailedError('elastic-ci-docker-login ecr exited with status 1');
    },
    async pull(image, { dockerConfig, timeoutMs }) {
      timeline.push(`docker pull ${image} config=${dockerConfig} timeout=${timeoutMs}`);
      if (options.failDocker?.(`pull ${image}`)) throw new CommandFailedError('docker pull exited with status 1');
      if (options.pullTakesMs !== undefined) await clock.advance(options.pullTakesMs);
    },
  };
  const ports: BootPorts = {
    fs,
    docker,
    commands: {
      async run(command, args) {
        commands.push([command, ...args].join(' '));
        timeline.push([command, ...args].join(' '));
        if (options.failCommand?.(command, args)) throw new CommandFailedError(`${command} exited with status 1`);
        options.onCommand?.(command, args, files, directories);
      },
    },
    metadata,
    aws: (region, awsOptions) => {
      awsPorts.push({ region, instanceBrokerUrl: awsOptions?.instanceBrokerUrl });
      return aws;
    },
    httpsGet: async () => {
      throw new Error('no https in tests');
    },
    clock,
    log: createLogger({ json: false, write: (line) => logLines.push(line) }),
  };
  return {
    ports,
    files,
    directories,
    owners,
    commands,
    timeline,
    unhealthy,
    unhealthyGroups,
    awsCalls,
    awsPorts,
    logLines,
    clock,
    setLifecycleState: (state: string | undefined) => {
      lifecycleState = state;
    },
  };
}
