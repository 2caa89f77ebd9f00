/** The part of `process` warning routing needs; tests pass a plain EventEmitter. */
export type WarningEmitter = Pick<NodeJS.EventEmitter, 'listeners' | 'on' | 'off'>;

/**
 * Replaces Node's default warning printer (several plain lines on stderr, which break line-by-line JSON parsing) with
 * `report`, so every warning reaches stderr through the program's own logger as one entry. Returns the undo.
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
 * so the notice matters when the SDK is upgraded at build time, not on every run of the program.
 */
export const isSdkNodeVersionNotice = (warning: Error): boolean =>
  warning.message.startsWith('NodeVersionSupportWarning');

/** A warning's fields for a log entry, its text folded onto one line. */
export function warningFields(warning: Error): { name: string; code?: string; message: string } {
  const code = (warning as { code?: unknown }).code;
  return {
    name: warning.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: warning.message.replace(/\s*\n\s*/g, ' ').trim(),
  };
}
