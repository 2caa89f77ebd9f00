import type { EventEmitter } from 'node:events';

/**
 * A reader that stops early (`elastic-ci-sim generate … | head`) closes the pipe: the rest of the output is not
 * wanted, which is no error of ours. Node reports it as an `EPIPE` error event on the stream, and an error event
 * nobody listens to ends the process with a stack trace; `onClosed` runs instead. Any other stream error still is one.
 */
export function endQuietlyWhenPipeCloses(stream: EventEmitter, onClosed: () => void): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    onClosed();
  });
}
