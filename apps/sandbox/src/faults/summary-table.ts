/** One fault scenario's outcome, as the suite's summary table shows it. */
export interface FaultOutcome {
  readonly fault: string;
  /** Jobs that finished with their own exit status during the scenario. */
  readonly jobsRun: number;
  /** Jobs interrupted by elastic-ci's own action (must be 0). */
  readonly jobsInterrupted: number;
  /** Jobs lost to a crash the test injected on purpose (attributed to the crash, not to us). */
  readonly jobsLostToInjectedCrash: number;
  /** World seconds from the end of the fault until the queue drained and capacity was back; undefined = never. */
  readonly recoveredAfterWorldSec: number | undefined;
}

const HEADERS = ['fault', 'jobs run', 'jobs interrupted', 'lost to injected crash', 'recovered after (world s)'];

/** The suite's closing table: one row per fault, plain text with aligned columns. */
export function formatFaultSummary(outcomes: readonly FaultOutcome[]): string {
  const rows = outcomes.map((outcome) => [
    outcome.fault,
    String(outcome.jobsRun),
    String(outcome.jobsInterrupted),
    String(outcome.jobsLostToInjectedCrash),
    outcome.recoveredAfterWorldSec === undefined ? 'not recovered' : String(Math.round(outcome.recoveredAfterWorldSec)),
  ]);
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(HEADERS), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
