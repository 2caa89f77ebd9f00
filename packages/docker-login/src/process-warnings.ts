/** The part of `process` warning routing needs; tests pass a plain EventEmitter. */
export type WarningEmitter = Pick<NodeJS.EventEmitter, 'listeners' | 'on' | 'off'>;

/**
 * Replaces Node's default warning printer (`(node:PID) …` over several lines, in the middle of the job log) with
 * `report`. Returns the undo.
 */
export function routeProcessWarnings(emitter: WarningEmitter, report: (warning: Error) => void): () => void {
  const previous = emitter.listeners('warning') as ((warning: Error) => void)[];
  for (const listener of previous) emitter.off('warning', listener);
  emitter.on('warning', report);
  return () => {
    emitter.off('warning', report);
    for (const listener of previous) emitter.on('warning', listener);
  };
}

/**
 * The bundled AWS SDK's notice that SDK versions published after early 2027 need Node 22. The bundle pins its SDK,
 * so the notice concerns the next SDK upgrade at build time, not a job: it is not printed.
 */
export const isSdkNodeVersionNotice = (warning: Error): boolean =>
  warning.message.startsWith('NodeVersionSupportWarning');

/** `name [code]: message` on one line. */
export function oneLineWarning(warning: Error): string {
  const code = (warning as { code?: unknown }).code;
  const label = typeof code === 'string' ? `${warning.name} [${code}]` : warning.name;
  return `${label}: ${warning.message.replace(/\s*\n\s*/g, ' ').trim()}`;
}
