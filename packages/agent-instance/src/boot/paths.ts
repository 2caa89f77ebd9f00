import { join } from 'node:path';

/**
 * Every file and directory the instance-side commands use, under `root` ('' on an instance; a scratch directory in
 * tests, from `--root` / `ELASTIC_CI_ROOT`). Paths named by the boot contract are joined to the root too.
 */
export function instancePaths(root: string) {
  const at = (path: string) => (root === '' ? path : join(root, path));
  return {
    at,
    agentConfig: at('/etc/buildkite-agent/buildkite-agent.cfg'),
    signingJwks: at('/etc/buildkite-agent/signing-key.json'),
    verificationJwks: at('/etc/buildkite-agent/verification-key.json'),
    /** Environment of the agent process (`EnvironmentFile=` of buildkite-agent.service), from agent.envFileUrl. */
    agentProcessEnv: at('/var/lib/buildkite-agent/env'),
    elasticCiEtc: at('/etc/elastic-ci'),
    /** Stack settings for the hooks (KEY=value lines), written at boot. */
    stackEnv: at('/etc/elastic-ci/agent.env'),
    lifecycledEnv: at('/etc/lifecycled'),
    stateDir: at('/var/lib/elastic-ci'),
    /** Reboot safety: present once a first boot completed (JSON: instance id and time). */
    bootMarker: at('/var/lib/elastic-ci/boot-completed'),
    /** Written when a first boot begins: present without boot-completed, the first boot was interrupted. */
    bootStartedMarker: at('/var/lib/elastic-ci/boot-started'),
    /** The boot id of the last boot whose every-boot steps completed (so a second run on one boot skips them). */
    everyBootMarker: at('/var/lib/elastic-ci/every-boot-done'),
    /** Changes on every boot of the machine (kernel). */
    kernelBootId: at('/proc/sys/kernel/random/boot_id'),
    bootstrapScript: at('/var/lib/elastic-ci/bootstrap-script'),
    /** Docker config (ECR credentials) of the warm-pool image pre-pull; deleted after the pulls. */
    prePullDockerConfig: at('/var/lib/elastic-ci/pre-pull-docker-config'),
    dockerDaemonConfig: at('/etc/docker/daemon.json'),
    agentSlice: at('/etc/systemd/system/buildkite-agent.slice'),
    agentResourceLimitsDropIn: at('/etc/systemd/system/buildkite-agent.service.d/10-resource-limits.conf'),
    passwd: at('/etc/passwd'),
    additionalSudoers: at('/etc/sudoers.d/buildkite-agent-additional'),
  };
}

export type InstancePaths = ReturnType<typeof instancePaths>;

/** The login user of the Amazon Linux 2023 image (access.authorizedUsersUrl goes to its authorized_keys). */
export const LOGIN_USER = 'ec2-user';

/** The unix account the agent runs as (buildkite-agent.service `User=`). */
export const AGENT_USER = 'buildkite-agent';
