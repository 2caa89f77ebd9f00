/**
 * Thrown by `parseBootContract` and `renderBootContract` when a boot contract is not valid. `problems` holds one line
 * per bad field (`path: what is wrong — how to fix it`); the message lists them all. Values that could be secrets are
 * never part of the message.
 */
export class BootContractError extends Error {
  override name = 'BootContractError';
  constructor(
    message: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
