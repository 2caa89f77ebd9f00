import { CronExpressionError } from './errors.js';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
/**
 * On a memo miss the offset is probed this far either side. Real zones never change offset twice within it (DST
 * changes are months apart), so equal offsets at both ends mean the offset holds in between; otherwise the
 * transition is found to the second.
 */
const PROBE_WINDOW_MS = 3 * MS_PER_DAY;

/** Wall-clock fields of an instant in a zone: what a cron expression is matched against. */
export interface WallClock {
  minute: number;
  hour: number;
  dayOfMonth: number;
  month: number;
  /** 0 = Sunday … 6 = Saturday */
  dayOfWeek: number;
}

const floorMod = (value: number, modulus: number) => ((value % modulus) + modulus) % modulus;

/** Sets the date fields for a day counted from 1970-01-01 (Howard Hinnant's algorithm, no Date allocated). */
function setCivilDate(wallClock: WallClock, days: number): void {
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  wallClock.dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  wallClock.month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  // 1970-01-01 was a Thursday (4).
  wallClock.dayOfWeek = floorMod(days + 4, 7);
}

/** `true` when the runtime knows the IANA zone name (`Europe/Berlin`, `UTC`). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Converts instants to wall-clock time in one IANA zone. Pure: the answer depends only on the instant. The offset of
 * the interval around the last instant asked about is memoised on the instance, because
 * `Intl.DateTimeFormat#formatToParts` costs microseconds and `decide` runs a million times a second.
 */
export class ZoneClock {
  readonly timeZone: string;
  readonly #formatter: Intl.DateTimeFormat | undefined;
  // Memo (a cache, not state: a miss recomputes the same value): the offset over [validFrom, validTo), the local
  // day whose date fields are in #wallClock, and the wall clock itself, updated in place.
  #validFromMs = 0;
  #validToMs = 0;
  #offset = 0;
  #cachedDay = Number.NaN;
  readonly #wallClock: WallClock = { minute: 0, hour: 0, dayOfMonth: 1, month: 1, dayOfWeek: 4 };

  constructor(timeZone: string) {
    if (!isKnownTimeZone(timeZone)) throw new CronExpressionError(`unknown IANA time zone "${timeZone}"`);
    this.timeZone = timeZone;
    this.#formatter =
      timeZone === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** Serialises as the zone name, so decision logs stay readable. */
  toJSON(): string {
    return this.timeZone;
  }

  /** Milliseconds to add to a UTC instant to get local wall-clock time as if it were UTC. */
  offsetMs(epochMs: number): number {
    if (this.#formatter === undefined) return 0;
    if (epochMs >= this.#validFromMs && epochMs < this.#validToMs) return this.#offset;
    const offset = this.#exactOffsetMs(epochMs);
    let fromSec = Math.floor((epochMs - PROBE_WINDOW_MS) / 1000);
    let toSec = Math.floor((epochMs + PROBE_WINDOW_MS) / 1000);
    const nowSec = Math.floor(epochMs / 1000);
    if (this.#exactOffsetMs(fromSec * 1000) !== offset) fromSec = this.#transitionSec(fromSec, nowSec) + 1;
    if (this.#exactOffsetMs(toSec * 1000) !== offset) toSec = this.#transitionSec(nowSec, toSec) + 1;
    this.#validFromMs = fromSec * 1000;
    this.#validToMs = toSec * 1000;
    this.#offset = offset;
    return offset;
  }

  /**
   * The wall clock of an instant. The returned object is reused and overwritten by the next call on this clock, so
   * read it at once (as `decide` does) and copy it to keep it.
   */
  wallClock(epochMs: number): WallClock {
    const localMs = epochMs + this.offsetMs(epochMs);
    const day = Math.floor(localMs / MS_PER_DAY);
    const wallClock = this.#wallClock;
    if (day !== this.#cachedDay) {
      setCivilDate(wallClock, day);
      this.#cachedDay = day;
    }
    const minuteOfDay = Math.floor((localMs - day * MS_PER_DAY) / MS_PER_MINUTE);
    wallClock.hour = Math.floor(minuteOfDay / 60);
    wallClock.minute = minuteOfDay - wallClock.hour * 60;
    return wallClock;
  }

  /** The last second in [lowSec, highSec) with the offset of `lowSec`, when `highSec` has another one. */
  #transitionSec(lowSec: number, highSec: number): number {
    const lowOffset = this.#exactOffsetMs(lowSec * 1000);
    let low = lowSec;
    let high = highSec;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.#exactOffsetMs(middle * 1000) === lowOffset) low = middle;
      else high = middle;
    }
    return low;
  }

  #exactOffsetMs(epochMs: number): number {
    const wholeSecondMs = Math.floor(epochMs / 1000) * 1000;
    const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of (this.#formatter as Intl.DateTimeFormat).formatToParts(wholeSecondMs)) {
      if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
    }
    const localAsUtc = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
    return localAsUtc - wholeSecondMs;
  }
}
