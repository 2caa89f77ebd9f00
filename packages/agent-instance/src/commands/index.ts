import type { Command } from './command.js';

/**
 * Every subcommand of `elastic-ci-instance`, one line each. Commands are loaded on demand so one command's
 * dependencies do not slow down (or break) another's start.
 */
export const commands: Readonly<Record<string, () => Promise<Command>>> = {
  boot: async () => (await import('./boot.js')).bootCommand,
  'start-agent-when-in-service': async () =>
    (await import('./start-agent-when-in-service.js')).startAgentWhenInServiceCommand,
  'job-started': async () => (await import('./job-started.js')).jobStartedCommand,
  'job-finished': async () => (await import('./job-finished.js')).jobFinishedCommand,
  'reconcile-protection': async () => (await import('./reconcile-protection.js')).reconcileProtectionCommand,
  terminate: async () => (await import('./terminate.js')).terminateCommand,
  'disk-check': async () => (await import('./disk-check.js')).diskCheckCommand,
  'fix-build-permissions': async () => (await import('./fix-build-permissions.js')).fixBuildPermissionsCommand,
};
