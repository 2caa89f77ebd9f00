import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { findProgram } from './processes';

const execFileAsync = promisify(execFile);

/**
 * Test support for the real-registry check: Debian's `docker-registry` with htpasswd auth on a free loopback port,
 * and a minimal OCI image built from scratch for `skopeo` to push. Missing programs fail loudly: never a skip.
 */
export async function requirePrograms(programs: Record<string, string>): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const [program, debianPackage] of Object.entries(programs)) {
    const path = await findProgram(program, process.env.PATH ?? '');
    if (path === undefined) missing.push(`${program} (Debian package ${debianPackage})`);
    else found[program] = path;
  }
  if (missing.length > 0) {
    throw new Error(
      `missing programs for the real-registry test: ${missing.join(', ')}. Run \`make test\` at the repository root ` +
        '(it installs scripts/system-packages.txt), or apt-get install them.',
    );
  }
  return found;
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>`: the registry host skopeo and config.json use. */
  host: string;
  logs: () => string;
  stop: () => Promise<void>;
}

export async function startRegistry(options: {
  registryBinary: string;
  htpasswdBinary: string;
  username: string;
  password: string;
}): Promise<RunningRegistry> {
  const directory = await mkdtemp(join(tmpdir(), 'docker-registry-'));
  // bcrypt (-B): the only hash docker-registry's htpasswd backend accepts.
  const { stdout: htpasswdLine } = await execFileAsync(options.htpasswdBinary, [
    '-Bbn',
    options.username,
    options.password,
  ]);
  await writeFile(join(directory, 'htpasswd'), htpasswdLine);
  const port = await freeLoopbackPort();
  const host = `127.0.0.1:${port}`;
  await writeFile(
    join(directory, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(directory, 'data')}`,
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: elastic-ci-test',
      `    path: ${join(directory, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(options.registryBinary, ['serve', join(directory, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    logs += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Only turns a registry that never starts into a clear failure; a loaded machine may take many seconds.
  const deadline = Date.now() + 45_000;
  for (;;) {
    try {
      const response = await fetch(`http://${host}/v2/`);
      if (response.status === 401) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not start on ${host}: ${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host, logs: () => logs, stop };
}

/** A POSIX ustar archive holding one regular file. */
function tarWithOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512, 0);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(content.length, 12));
  field(136, 12, octal(0, 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let checksum = 0;
  for (const byte of header) checksum += byte;
  field(148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Builds an OCI image layout with one tiny layer and returns its `oci:<dir>:<tag>` reference for skopeo. */
export async function buildTinyOciImage(tag: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'oci-layout-'));
  const blobs = join(directory, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const writeBlob = async (data: Buffer) => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layerTar = tarWithOneFile('hello.txt', Buffer.from('hello from elastic-ci\n'));
  const layer = await writeBlob(gzipSync(layerTar));
  const config = await writeBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
        config: {},
      }),
    ),
  );
  const manifest = await writeBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    ),
  );
  await writeFile(
    join(directory, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  await writeFile(join(directory, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return `oci:${directory}:${tag}`;
}

export interface SkopeoResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs skopeo with an environment that cannot leak in other credentials (no REGISTRY_AUTH_FILE, a fresh HOME). */
export async function skopeo(binary: string, args: string[]): Promise<SkopeoResult> {
  const home = await mkdtemp(join(tmpdir(), 'skopeo-home-'));
  try {
    const { stdout, stderr } = await execFileAsync(binary, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: home },
      timeout: 60_000,
    });
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      exitCode: typeof failure.code === 'number' ? failure.code : 1,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? '',
    };
  }
}
