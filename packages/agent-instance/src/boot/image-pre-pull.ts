import type { BootContract } from '../boot-contract.js';
import type { InstancePaths } from './paths.js';
import type { BootPorts, CommandRunner } from './ports.js';

/** A private ECR registry an image lives in. */
export interface EcrRegistry {
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
}

/** Docker, as the boot's image pre-pull uses it (a port: tests assert the calls). */
export interface DockerImages {
  /** Logs in to one ECR registry (`elastic-ci-docker-login ecr`), writing the credentials to `dockerConfig`. */
  ecrLogin(registry: EcrRegistry, options: { readonly dockerConfig: string }): Promise<void>;
  /** `docker pull <image>` with the credentials in `dockerConfig`, killed after `timeoutMs`. */
  pull(image: string, options: { readonly dockerConfig: string; readonly timeoutMs: number }): Promise<void>;
}

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(?:\.cn)?$/;

/** The private ECR registry of an image reference, or undefined (Docker Hub, public.ecr.aws, any other registry). */
export function ecrRegistryOf(image: string): EcrRegistry | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const host = image.slice(0, slash);
  const match = ECR_HOST.exec(host);
  if (match === null) return undefined;
  return { host, accountId: match[1] as string, region: match[2] as string };
}

/** Pure: one login per ECR registry the images live in (in first-seen order), then the pulls in the given order. */
export function planImagePrePull(images: readonly string[]): { logins: EcrRegistry[]; pulls: string[] } {
  const logins = new Map<string, EcrRegistry>();
  for (const image of images) {
    const registry = ecrRegistryOf(image);
    if (registry !== undefined && !logins.has(registry.host)) logins.set(registry.host, registry);
  }
  return { logins: [...logins.values()], pulls: [...new Set(images)] };
}

/** All pulls together may take this long: the launch hook's heartbeat timeout covers the bootstrap script and them. */
export const PRE_PULL_BUDGET_MS = 10 * 60_000;

function reason(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.replace(/\s*\n\s*/g, '; ') : String(error);
}

/**
 * Pulls `docker.prePullImages` while the instance is warmed, so jobs find them in the daemon. A cache, like the git
 * mirrors: a failed login or pull is logged as an error and the boot goes on. The ECR credentials go to a private
 * Docker config directory that is deleted afterwards (jobs log in with their own, per-job configuration).
 */
export async function prePullImages(contract: BootContract, ports: BootPorts, paths: InstancePaths): Promise<void> {
  const plan = planImagePrePull(contract.docker.prePullImages);
  if (plan.pulls.length === 0) return;
  const dockerConfig = paths.prePullDockerConfig;
  try {
    await ports.fs.mkdir(dockerConfig);
    for (const registry of plan.logins) {
      try {
        await ports.docker.ecrLogin(registry, { dockerConfig });
      } catch (error) {
        ports.log.error(
          `image pre-pull: ECR login to ${registry.host} failed (${reason(error)}); its images are tried without it (check registries.ecrPolicy)`,
        );
      }
    }
    const deadline = ports.clock.now() + PRE_PULL_BUDGET_MS;
    for (const image of plan.pulls) {
      const timeoutMs = deadline - ports.clock.now();
      if (timeoutMs <= 0) {
        ports.log.error(
          `image pre-pull: ${image} skipped: the ${PRE_PULL_BUDGET_MS / 60_000} minutes for pulls are used up`,
        );
        continue;
      }
      try {
        await ports.docker.pull(image, { dockerConfig, timeoutMs });
        ports.log.info('image pre-pull: pulled', { image });
      } catch (error) {
        ports.log.error(`image pre-pull: ${image} not pulled (${reason(error)}); jobs pull it themselves`);
      }
    }
  } catch (error) {
    ports.log.error(`image pre-pull: skipped (${reason(error)})`);
  } finally {
    await ports.fs.removeTree(dockerConfig).catch((error: unknown) => {
      ports.log.error(`image pre-pull: could not remove ${dockerConfig} (${reason(error)})`);
    });
  }
}

/** The real Docker port: our ECR login CLI and the docker CLI, through the boot's command runner. */
export function commandDockerImages(commands: CommandRunner): DockerImages {
  return {
    ecrLogin(registry, { dockerConfig }) {
      return commands.run('elastic-ci-docker-login', ['ecr'], {
        timeoutMs: 120_000,
        env: {
          DOCKER_CONFIG: dockerConfig,
          BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: registry.accountId,
          BUILDKITE_PLUGIN_ECR_REGION: registry.region,
        },
      });
    },
    pull(image, { dockerConfig, timeoutMs }) {
      return commands.run('docker', ['--config', dockerConfig, 'pull', '--quiet', '--', image], { timeoutMs });
    },
  };
}
