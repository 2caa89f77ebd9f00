import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** One keep-alive agent pair per process: every request of a run, whichever client sends it, reuses the same sockets. */
let agents: { http: HttpAgent; https: HttpsAgent } | undefined;

export function keepAliveAgents(): { http: HttpAgent; https: HttpsAgent } {
  agents ??= {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };
  return agents;
}

/** Closes the keep-alive sockets so the process can exit at once. */
export function closeConnections(): void {
  agents?.http.destroy();
  agents?.https.destroy();
  agents = undefined;
}
