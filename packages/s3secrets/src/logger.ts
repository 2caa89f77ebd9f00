/** Where human-readable progress goes: stderr, never stdout (stdout is the shell script the hook evaluates). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Registers values that must never be printed; any later message containing one has it masked. */
  protect(values: Iterable<string>): void;
}

const MASK = '[REDACTED]';
/** Shorter values would mask ordinary words in messages; they are still redacted by the agent. */
const SHORTEST_MASKED = 4;

export function createLogger(write: (text: string) => void = (text) => process.stderr.write(text)): Logger {
  const secrets = new Set<string>();
  const mask = (message: string): string => {
    let masked = message;
    for (const secret of secrets) masked = masked.replaceAll(secret, MASK);
    return masked;
  };
  return {
    info: (message) => write(`${mask(message)}\n`),
    warn: (message) => write(`${mask(message)}\n`),
    protect: (values) => {
      for (const value of values) {
        for (const candidate of [value, value.trim()]) {
          if (candidate.length >= SHORTEST_MASKED) secrets.add(candidate);
        }
      }
    },
  };
}
