/**
 * The message for a sandbox that could not start because of its input or the machine, not the code — a policy the
 * stack refuses, moto missing, a port in use — naming the fix; `undefined` for anything else (an internal error).
 */
export function explainStartFailure(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; depth += 1) {
    // These messages already say what to run (make test / make demo); SandboxStartError names the bad setting.
    if (['MotoUnavailableError', 'ProductNotBuiltError', 'SandboxStartError'].includes(current.name)) {
      return current.message;
    }
    if (current.name === 'StackConfigError') {
      return `the policy cannot be deployed as a stack (apps/infra refuses its config): ${current.message}\n  change the policy setting behind that field (see apps/sandbox/README.md, "Policies")`;
    }
    const code = (current as { code?: unknown }).code;
    if (code === 'EADDRINUSE') {
      const { address, port } = current as { address?: unknown; port?: unknown };
      const where =
        port === undefined ? 'a port the sandbox needs' : `${String(address ?? '127.0.0.1')}:${String(port)}`;
      return `${where} is already in use: stop the process listening there (find it with \`ss -ltnp\`), e.g. a sandbox left over from an earlier run, or choose another --moto-port (leave it out for a free port), then run again`;
    }
    if (code === 'ENOENT' && /moto_server/.test(current.message)) {
      return `moto is missing (${current.message}): run \`make test\` or \`make deps\` at the repository root; it creates .venv with the pinned moto[server]`;
    }
    current = current.cause;
  }
  return undefined;
}
