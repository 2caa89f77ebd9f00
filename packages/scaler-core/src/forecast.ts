/**
 * A compact memory of a queue's demand, for forecasting recurring load (AWS predictive scaling's idea, sized for a
 * CI queue): one peak per 15-minute slot of the week (UTC), 672 slots, in quarter agents. Entering a slot again a
 * week later keeps `decay` × last week's peak as the floor, so a weekly pattern is remembered over weeks and a
 * one-off fades. The size never grows: 672 integers, about 2 KB as the compact text of `serializeDemandHistory`.
 */

export const DEMAND_HISTORY_VERSION = 1;
export const SLOT_SEC = 900;
export const SLOTS_PER_DAY = 96;
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY;
/** Peaks are kept in quarter agents, so decayed small peaks do not round away at once. */
const UNITS_PER_AGENT = 4;
/** Three base64url characters per slot: up to 65,535.75 agents. */
const MAX_UNITS = 64 ** 3 - 1;
const SLOT_MS = SLOT_SEC * 1000;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CHAR_VALUES: Readonly<Record<string, number>> = Object.fromEntries(
  [...ALPHABET].map((char, index) => [char, index]),
);

export interface DemandHistory {
  version: typeof DEMAND_HISTORY_VERSION;
  /** Absolute slot number (`floor(epochMs / 900 000)`) of the latest record; -1 before the first. */
  lastSlot: number;
  /** Peak demand per slot of the week in quarter agents; index = absolute slot mod 672 (Thursday 00:00 UTC is 0). */
  peaks: number[];
}

export interface DemandForecast {
  /** The highest demand (agents) seen at these times yesterday or a week ago: worth a cheap warm pool. */
  expected: number;
  /** Demand seen both yesterday and the day before (or a week ago), i.e. recurring: worth running capacity. */
  confident: number;
  /** The peak of the current and the previous slot: instances just released will likely be needed again. */
  recent: number;
}

export function emptyDemandHistory(): DemandHistory {
  return { version: DEMAND_HISTORY_VERSION, lastSlot: -1, peaks: new Array<number>(SLOTS_PER_WEEK).fill(0) };
}

const slotOf = (epochMs: number): number => Math.floor(epochMs / SLOT_MS);
const indexOf = (slot: number): number => ((slot % SLOTS_PER_WEEK) + SLOTS_PER_WEEK) % SLOTS_PER_WEEK;

/**
 * The history with `demand` (agents: scheduled + running + waiting jobs) recorded at `nowMs`. Pure: returns the same
 * object when nothing changes (the common case between slot boundaries), else a new one. Slots passed over since the
 * last record decay as if they were entered with no demand; after more than a week without records every slot has
 * decayed once, and a clock that went backwards only raises the peak of the slot it names.
 */
export function recordDemand(history: DemandHistory, nowMs: number, demand: number, decay = 0.5): DemandHistory {
  const slot = slotOf(nowMs);
  const units = Math.min(MAX_UNITS, Math.ceil(Math.max(0, demand) * UNITS_PER_AGENT));
  if (slot <= history.lastSlot) {
    const index = indexOf(slot);
    if ((history.peaks[index] as number) >= units) return history;
    const peaks = history.peaks.slice();
    peaks[index] = units;
    return { version: DEMAND_HISTORY_VERSION, lastSlot: history.lastSlot, peaks };
  }
  const peaks = history.peaks.slice();
  const first = history.lastSlot < 0 ? slot : Math.max(history.lastSlot + 1, slot - SLOTS_PER_WEEK + 1);
  for (let passed = first; passed <= slot; passed++) {
    const index = indexOf(passed);
    peaks[index] = Math.floor((peaks[index] as number) * decay);
  }
  const index = indexOf(slot);
  if ((peaks[index] as number) < units) peaks[index] = units;
  return { version: DEMAND_HISTORY_VERSION, lastSlot: slot, peaks };
}

/**
 * Demand expected in `[nowMs, nowMs + horizonSec]`, from the same times yesterday, the day before and a week ago.
 * `expected` takes one sighting (yesterday or a week ago); `confident` needs two (yesterday and the day before, or
 * yesterday and a week ago). The slot being recorded now is looked at only as "yesterday" and older, never as its
 * own current peak, so today's load does not predict itself.
 */
export function forecast(history: DemandHistory, nowMs: number, horizonSec: number): DemandForecast {
  let expected = 0;
  let confident = 0;
  if (history.lastSlot < 0) return { expected, confident, recent: 0 };
  const from = slotOf(nowMs);
  const peaks = history.peaks;
  const recent =
    from - history.lastSlot > 1
      ? 0
      : Math.max(peaks[indexOf(history.lastSlot)] as number, peaks[indexOf(history.lastSlot - 1)] as number);
  const to = slotOf(nowMs + horizonSec * 1000);
  for (let slot = from; slot <= to; slot++) {
    // A slot not yet entered this week still holds last week's (decayed) peak.
    const weekAgo = slot > history.lastSlot ? (peaks[indexOf(slot)] as number) : 0;
    const yesterday = peaks[indexOf(slot - SLOTS_PER_DAY)] as number;
    const dayBefore = peaks[indexOf(slot - 2 * SLOTS_PER_DAY)] as number;
    expected = Math.max(expected, weekAgo, yesterday);
    confident = Math.max(confident, Math.min(yesterday, dayBefore), Math.min(yesterday, weekAgo));
  }
  return {
    expected: expected / UNITS_PER_AGENT,
    confident: confident / UNITS_PER_AGENT,
    recent: recent / UNITS_PER_AGENT,
  };
}

/** The history as compact text for a size-limited store: `1.<lastSlot>.<672 × 3 base64url characters>`. */
export function serializeDemandHistory(history: DemandHistory): string {
  let text = `${DEMAND_HISTORY_VERSION}.${history.lastSlot}.`;
  for (const units of history.peaks) {
    text += ALPHABET.charAt(units >> 12) + ALPHABET.charAt((units >> 6) & 63) + ALPHABET.charAt(units & 63);
  }
  return text;
}

/**
 * The history from `serializeDemandHistory`'s text, or `undefined` for anything else (another version, a
 * truncated or edited text): the caller drops it and starts a new one.
 */
export function parseDemandHistory(text: unknown): DemandHistory | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^1\.(-1|0|[1-9]\d{0,15})\.([A-Za-z0-9_-]*)$/.exec(text);
  if (match === null || (match[2] as string).length !== SLOTS_PER_WEEK * 3) return undefined;
  const encoded = match[2] as string;
  const peaks = new Array<number>(SLOTS_PER_WEEK);
  for (let index = 0; index < SLOTS_PER_WEEK; index++) {
    const at = index * 3;
    peaks[index] =
      ((CHAR_VALUES[encoded[at] as string] as number) << 12) |
      ((CHAR_VALUES[encoded[at + 1] as string] as number) << 6) |
      (CHAR_VALUES[encoded[at + 2] as string] as number);
  }
  return { version: DEMAND_HISTORY_VERSION, lastSlot: Number(match[1]), peaks };
}

/** Whether a value is a usable in-memory history (the shape `decide` keeps in `state.demandHistory`). */
export function isDemandHistory(value: unknown): value is DemandHistory {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<DemandHistory>;
  if (candidate.version !== DEMAND_HISTORY_VERSION) return false;
  if (!Number.isSafeInteger(candidate.lastSlot) || (candidate.lastSlot as number) < -1) return false;
  const peaks = candidate.peaks;
  if (!Array.isArray(peaks) || peaks.length !== SLOTS_PER_WEEK) return false;
  for (const units of peaks) if (!Number.isInteger(units) || units < 0 || units > MAX_UNITS) return false;
  return true;
}
