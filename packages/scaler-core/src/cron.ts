import { CronExpressionError } from './errors.js';
import type { WallClock } from './time-zone.js';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = ['', 'JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  // 7 is accepted as Sunday, as in Vixie cron.
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES },
];

/**
 * A parsed 5-field cron expression (`minute hour day-of-month month day-of-week`), matched against wall-clock time.
 * Supports `*`, numbers, names (`JAN`, `MON`), ranges `a-b`, lists `a,b` and steps `*\/n`, `a-b/n`, `a/n`. When both
 * day fields are restricted a time matches if either matches (Vixie cron rule).
 */
export class CronSchedule {
  readonly expression: string;
  readonly #minutes: boolean[];
  readonly #hours: boolean[];
  readonly #daysOfMonth: boolean[];
  readonly #months: boolean[];
  readonly #daysOfWeek: boolean[];
  readonly #dayOfMonthRestricted: boolean;
  readonly #dayOfWeekRestricted: boolean;

  constructor(expression: string) {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5) {
      throw new CronExpressionError(
        `cron expression "${expression}" has ${fields.length} field(s); expected 5: minute hour day-of-month month day-of-week`,
      );
    }
    this.expression = expression;
    const [minutes, hours, daysOfMonth, months, daysOfWeek] = fields.map((field, index) =>
      parseField(field, FIELDS[index] as FieldSpec, expression),
    ) as [boolean[], boolean[], boolean[], boolean[], boolean[]];
    if (daysOfWeek[7]) daysOfWeek[0] = true;
    this.#minutes = minutes;
    this.#hours = hours;
    this.#daysOfMonth = daysOfMonth;
    this.#months = months;
    this.#daysOfWeek = daysOfWeek;
    this.#dayOfMonthRestricted = !(fields[2] as string).startsWith('*');
    this.#dayOfWeekRestricted = !(fields[4] as string).startsWith('*');
  }

  matches(time: WallClock): boolean {
    if (!(this.#minutes[time.minute] && this.#hours[time.hour] && this.#months[time.month])) return false;
    const dayOfMonth = this.#daysOfMonth[time.dayOfMonth] === true;
    const dayOfWeek = this.#daysOfWeek[time.dayOfWeek] === true;
    if (this.#dayOfMonthRestricted && this.#dayOfWeekRestricted) return dayOfMonth || dayOfWeek;
    return dayOfMonth && dayOfWeek;
  }

  /** Serialises as the expression, so decision logs stay readable. */
  toJSON(): string {
    return this.expression;
  }
}

/** Parses a 5-field cron expression; throws `CronExpressionError` naming the bad part. */
export function parseCronExpression(expression: string): CronSchedule {
  return new CronSchedule(expression);
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const byName = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value =
    byName > 0 || (byName === 0 && spec.names === DAY_NAMES) ? byName : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= spec.min && value <= spec.max)) {
    throw new CronExpressionError(
      `cron expression "${expression}": ${spec.name} value "${text}" is not in ${spec.min}-${spec.max}`,
    );
  }
  return value;
}

function parseField(field: string, spec: FieldSpec, expression: string): boolean[] {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of field.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '' || stepText === '') {
      throw new CronExpressionError(`cron expression "${expression}": malformed ${spec.name} item "${item}"`);
    }
    const step =
      stepText === undefined
        ? 1
        : parseValue(stepText, { name: `${spec.name} step`, min: 1, max: spec.max + 1 }, expression);
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const [lowText = '', highText, tooMany] = range.split('-');
      if (tooMany !== undefined) {
        throw new CronExpressionError(`cron expression "${expression}": malformed ${spec.name} range "${range}"`);
      }
      low = parseValue(lowText, spec, expression);
      // `a/n` means from a to the end of the field.
      high =
        highText === undefined ? (stepText === undefined ? low : spec.max) : parseValue(highText, spec, expression);
      if (high < low) {
        throw new CronExpressionError(`cron expression "${expression}": ${spec.name} range "${range}" is backwards`);
      }
    }
    for (let value = low; value <= high; value += step) allowed[value] = true;
  }
  return allowed;
}
