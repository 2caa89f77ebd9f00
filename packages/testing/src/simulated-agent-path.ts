import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the built `elastic-ci-simulated-agent` program (`dist/simulated-agent.js`), for spawning it with
 * `node` (`spawn(process.execPath, [simulatedAgentPath(), ...flags])`) without relying on a `.bin` link.
 */
export function simulatedAgentPath(): string {
  // This module is bundled into dist/index.js, next to dist/simulated-agent.js.
  return fileURLToPath(new URL('./simulated-agent.js', import.meta.url));
}
