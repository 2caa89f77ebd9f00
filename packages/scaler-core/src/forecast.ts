/**
 * A compact memory of a queue's demand, for forecasting recurring load (AWS predictive scaling's idea, sized for a
 * CI queue): one peak per 15-minute slot of the week, 672 slots, in quarter agents. Slots follow the clock the caller
 * gives: `decide` passes its zone's local time as if it were UTC (`forecast.timezone`), so office hours keep their
 * slots across daylight saving time. Entering a slot again a week later keeps `decay` × last week's peak as the
 * floor, so a weekly pattern is remembered over weeks and a one-off fades. Besides, the peak of the last few minutes
 * (held for a caller-given window) and a recurrence score: how much of what yesterday's slots showed came again
 * today, so a queue whose bursts land at random times (release storms) is not prepared for yesterday's bursts. The
 * size never grows: 676 integers, about 2 KB as the compact text of `serializeDemandHistory`.
 */

export const DEMAND_HISTORY_VERSION = 2;
export const SLOT_SEC = 900;
export const SLOTS_PER_DAY = 96;
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY;
/** Peaks are kept in quarter agents, so decayed small peaks do not round away at once. */
const UNITS_PER_AGENT = 4;
/** Three base64url characters per slot: up to 65,535.75 agents. */
const MAX_UNITS = 64 ** 3 - 1;
const SLOT_MS = SLOT_SEC * 1000;
/**
 * Share of the recurrence score a slot keeps when the next one starts: a slot's weight halves in about 8.5 hours, so
 * a burst of yesterday's that did not come again today still counts against the next one for most of the day. At 0.9
 * (halving in 1.6 hours) a storm missed in the morning was mostly forgotten by the afternoon, and yesterday's
 * afternoon storm was prepared for again.
 */
const RECURRENCE_DECAY = 0.98;
/** The score's sums stay below this (MAX_UNITS / (1 − RECURRENCE_DECAY), rounded up), whatever is recorded. */
const MAX_SCORE_UNITS = 50 * MAX_UNITS;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CHAR_VALUES: Readonly<Record<string, number>> = Object.fromEntries(
  [...ALPHABET].map((char, index) => [char, index]),
);

/**
 * Agents prepared for on one sighting even when yesterday's bursts did not recur: a wrong guess this small costs a
 * boot or two, while a lone job that finds no stopped instance waits a cold boot.
 */
export const ONE_SIGHTING_TRUSTED_AGENTS = 2;

/**
 * Below this recurrence score (yesterday's bursts did not come again lately: release storms at random times) a burst
 * seen once is not prepared for beyond `ONE_SIGHTING_TRUSTED_AGENTS`; demand seen on two days still is.
 */
export const MIN_RECURRENCE_FOR_ONE_SIGHTING = 0.7;

/**
 * Below this recurrence score not even demand seen on two days is prepared for (beyond `ONE_SIGHTING_TRUSTED_AGENTS`):
 * most of yesterday's load did not come today — a weekend, a holiday. Lower than `MIN_RECURRENCE_FOR_ONE_SIGHTING`
 * because a noisy weekday recurs at 60–70 % and its office hours should still be ready; a Saturday falls below it
 * within a few hours of Friday's office hours not coming.
 */
export const MIN_RECURRENCE_FOR_TWO_SIGHTINGS = 0.5;

export interface DemandHistory {
  version: typeof DEMAND_HISTORY_VERSION;
  /** Absolute slot number (`floor(epochMs / 900 000)`) of the latest record; -1 before the first. */
  lastSlot: number;
  /** Peak demand per slot of the week in quarter agents; index = absolute slot mod 672 (Thursday 00:00 UTC is 0). */
  peaks: number[];
  /** The highest demand (quarter agents) recorded since `recentSinceMs`, held for the window `recordDemand` is given. */
  recentPeak: number;
  /** When `recentPeak` was last reached (epoch ms). */
  recentSinceMs: number;
  /** Decayed sum of the peaks yesterday's slots showed (quarter agents), scored as each slot of today ends. */
  predicted: number;
  /** Decayed sum of how much of each of those peaks came again today (`min(today, yesterday)`). */
  confirmed: number;
}

export interface DemandForecast {
  /** The highest demand (agents) seen at these times yesterday or a week ago: worth a cheap warm pool. */
  expected: number;
  /** Demand seen both yesterday and the day before (or a week ago), i.e. recurring: worth running capacity. */
  confident: number;
  /** The peak of the recent window: instances just released will likely be needed again. */
  recent: number;
  /** Share (0–1) of yesterday's peaks that recurred today, lately; 1 before anything was predicted. */
  recurrence: number;
}

export function emptyDemandHistory(): DemandHistory {
  return {
    version: DEMAND_HISTORY_VERSION,
    lastSlot: -1,
    peaks: new Array<number>(SLOTS_PER_WEEK).fill(0),
    recentPeak: 0,
    recentSinceMs: 0,
    predicted: 0,
    confirmed: 0,
  };
}

const slotOf = (epochMs: number): number => Math.floor(epochMs / SLOT_MS);
const indexOf = (slot: number): number => ((slot % SLOTS_PER_WEEK) + SLOTS_PER_WEEK) % SLOTS_PER_WEEK;

/**
 * The history with `demand` (agents: scheduled + running + waiting jobs) recorded at `nowMs`. Pure: returns the same
 * object when nothing changes (the common case between slot boundaries), else a new one. Slots passed over since the
 * last record decay as if they were entered with no demand; after more than a week without records every slot has
 * decayed once, and a clock that went backwards only raises the peak of the slot it names. The recent peak is held
 * for `recentWindowSec` after it was last reached, then falls to the demand of the moment.
 */
export function recordDemand(
  history: DemandHistory,
  nowMs: number,
  demand: number,
  decay = 0.5,
  recentWindowSec = SLOT_SEC,
): DemandHistory {
  const slot = slotOf(nowMs);
  const units = Math.min(MAX_UNITS, Math.ceil(Math.max(0, demand) * UNITS_PER_AGENT));
  let { recentPeak, recentSinceMs } = history;
  if (units >= recentPeak || nowMs - recentSinceMs >= recentWindowSec * 1000 || nowMs < recentSinceMs) {
    recentPeak = units;
    recentSinceMs = Math.floor(nowMs);
  }
  if (slot <= history.lastSlot) {
    const index = indexOf(slot);
    const raised = (history.peaks[index] as number) < units;
    if (!raised && recentPeak === history.recentPeak && recentSinceMs === history.recentSinceMs) return history;
    let peaks = history.peaks;
    if (raised) {
      peaks = peaks.slice();
      peaks[index] = units;
    }
    return { ...history, peaks, recentPeak, recentSinceMs };
  }
  let { predicted, confirmed } = history;
  if (history.lastSlot >= 0) {
    // The slot that just ended against the same slot yesterday: did yesterday's load come again?
    const today = history.peaks[indexOf(history.lastSlot)] as number;
    const yesterday = history.peaks[indexOf(history.lastSlot - SLOTS_PER_DAY)] as number;
    predicted = Math.floor(predicted * RECURRENCE_DECAY) + yesterday;
    confirmed = Math.floor(confirmed * RECURRENCE_DECAY) + Math.min(today, yesterday);
  }
  const peaks = history.peaks.slice();
  const first = history.lastSlot < 0 ? slot : Math.max(history.lastSlot + 1, slot - SLOTS_PER_WEEK + 1);
  for (let passed = first; passed <= slot; passed++) {
    const index = indexOf(passed);
    peaks[index] = Math.floor((peaks[index] as number) * decay);
  }
  const index = indexOf(slot);
  if ((peaks[index] as number) < units) peaks[index] = units;
  return { version: DEMAND_HISTORY_VERSION, lastSlot: slot, peaks, recentPeak, recentSinceMs, predicted, confirmed };
}

/**
 * Demand expected in `[nowMs, nowMs + horizonSec]`, from the same times yesterday, the day before and a week ago.
 * `expected` takes one sighting (yesterday or a week ago); `confident` needs two (yesterday and the day before, or
 * yesterday and a week ago). The slot being recorded now is looked at only as "yesterday" and older, never as its
 * own current peak, so today's load does not predict itself. `recent` is the held recent peak, 0 once the last
 * record is more than a slot old.
 */
export function forecast(history: DemandHistory, nowMs: number, horizonSec: number): DemandForecast {
  let expected = 0;
  let confident = 0;
  const recurrence = history.predicted > 0 ? history.confirmed / history.predicted : 1;
  if (history.lastSlot < 0) return { expected, confident, recent: 0, recurrence };
  const from = slotOf(nowMs);
  const peaks = history.peaks;
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
    recent: recentPeakAgents(history, nowMs),
    recurrence,
  };
}

/** The held recent peak in agents, 0 before the first record or once the last one is more than a slot old. */
function recentPeakAgents(history: DemandHistory, nowMs: number): number {
  if (history.lastSlot < 0 || slotOf(nowMs) - history.lastSlot > 1) return 0;
  return history.recentPeak / UNITS_PER_AGENT;
}

/**
 * The recent peak as the warm pool should still hold it, `demand` being the demand of the moment: the excess over
 * `demand` is released gradually, from all of it when the peak was last reached down to half of it at the end of
 * `windowSec` (the window `recordDemand` was given), where the record drops the peak. Never longer than the window: a
 * stopped instance kept past a stopped instance's break-even costs more than the boot it saves. Within it, the longer
 * demand stays below its peak the less likely the peak comes back soon, so the pool gives instances back one by one
 * instead of holding all of them to the last second and then none (a step cost up to twice the best choice in
 * hindsight for every instance at once).
 */
export function releasedRecentPeak(history: DemandHistory, nowMs: number, demand: number, windowSec: number): number {
  const peak = recentPeakAgents(history, nowMs);
  if (peak <= demand) return Math.max(0, demand);
  const ageSec = Math.max(0, (nowMs - history.recentSinceMs) / 1000);
  if (windowSec <= 0 || ageSec >= windowSec) return demand;
  return demand + (peak - demand) * (1 - ageSec / (2 * windowSec));
}

/**
 * The history as compact text for a size-limited store:
 * `2.<lastSlot>.<recentPeak>.<recentSinceMs>.<predicted>.<confirmed>.<672 × 3 base64url characters>`.
 */
export function serializeDemandHistory(history: DemandHistory): string {
  let text = `${DEMAND_HISTORY_VERSION}.${history.lastSlot}.${history.recentPeak}.${history.recentSinceMs}.${history.predicted}.${history.confirmed}.`;
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
  const match = /^2\.(-1|0|[1-9]\d{0,15})\.(\d{1,6})\.(\d{1,16})\.(\d{1,8})\.(\d{1,8})\.([A-Za-z0-9_-]*)$/.exec(text);
  if (match === null || (match[6] as string).length !== SLOTS_PER_WEEK * 3) return undefined;
  const encoded = match[6] as string;
  const peaks = new Array<number>(SLOTS_PER_WEEK);
  for (let index = 0; index < SLOTS_PER_WEEK; index++) {
    const at = index * 3;
    peaks[index] =
      ((CHAR_VALUES[encoded[at] as string] as number) << 12) |
      ((CHAR_VALUES[encoded[at + 1] as string] as number) << 6) |
      (CHAR_VALUES[encoded[at + 2] as string] as number);
  }
  const history: DemandHistory = {
    version: DEMAND_HISTORY_VERSION,
    lastSlot: Number(match[1]),
    peaks,
    recentPeak: Number(match[2]),
    recentSinceMs: Number(match[3]),
    predicted: Number(match[4]),
    confirmed: Number(match[5]),
  };
  return isDemandHistory(history) ? history : undefined;
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
  const { recentPeak, recentSinceMs, predicted, confirmed } = candidate;
  return (
    Number.isInteger(recentPeak) &&
    (recentPeak as number) >= 0 &&
    (recentPeak as number) <= MAX_UNITS &&
    Number.isSafeInteger(recentSinceMs) &&
    (recentSinceMs as number) >= 0 &&
    Number.isInteger(predicted) &&
    (predicted as number) >= 0 &&
    (predicted as number) <= MAX_SCORE_UNITS &&
    Number.isInteger(confirmed) &&
    (confirmed as number) >= 0 &&
    (confirmed as number) <= (predicted as number)
  );
}
