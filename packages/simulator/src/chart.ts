import type { TimelineSeries } from './timeline.js';

export type ChartFormat = 'svg' | 'html';

export interface ChartSeries {
  readonly policy: string;
  readonly waitP95Sec: number;
  readonly instanceHours: number;
  readonly timeline: TimelineSeries;
}

export interface ChartOptions {
  readonly title: string;
  /** Wall-clock time of t = 0 (epoch ms), for the time axis labels. */
  readonly startEpochMs: number;
  readonly series: readonly ChartSeries[];
}

const WIDTH = 1200;
const MARGIN_LEFT = 70;
const MARGIN_RIGHT = 24;
const PANEL_HEIGHT = 150;
const PANEL_GAP = 46;
const TOP = 86;
const PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
const POLICY_COLOURS = ['#d9480f', '#7048e8', '#1971c2', '#2f9e44', '#c2255c', '#0c8599'];
const DEMAND_FILL = '#ced4da';
const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A "nice" axis maximum and tick step (1, 2, 5 × 10^k) covering `value`. */
function niceScale(value: number, ticks = 4): { max: number; step: number } {
  if (value <= 0) return { max: 1, step: 1 };
  const rough = value / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) as number;
  return { max: Math.ceil(value / step) * step, step };
}

function timeTicks(spanSec: number): { stepSec: number; label: (epochMs: number) => string } {
  const pad = (value: number) => String(value).padStart(2, '0');
  if (spanSec > 3 * 86_400) {
    return { stepSec: 86_400, label: (epochMs) => DAY_NAMES[new Date(epochMs).getUTCDay()] as string };
  }
  const stepSec = spanSec > 12 * 3600 ? 3 * 3600 : spanSec > 4 * 3600 ? 3600 : spanSec > 3600 ? 900 : 300;
  return {
    stepSec,
    label: (epochMs) => {
      const date = new Date(epochMs);
      return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
    },
  };
}

/** A step line through the bucket values: flat across each bucket, vertical between them. */
function stepPath(values: readonly number[], x: (bucket: number) => number, y: (value: number) => number): string {
  const parts: string[] = [];
  values.forEach((value, bucket) => {
    const yValue = y(value).toFixed(1);
    parts.push(
      `${bucket === 0 ? 'M' : 'L'}${x(bucket).toFixed(1)},${yValue}`,
      `L${x(bucket + 1).toFixed(1)},${yValue}`,
    );
  });
  return parts.join(' ');
}

/**
 * Draws, per policy, demand (scheduled + running jobs, grey area) against in-service capacity (registered agents,
 * coloured line), then one panel with the longest wait of the jobs started in each time bucket, one line per policy.
 * Hand-written SVG: no dependencies, readable in any browser.
 */
export function renderChart(options: ChartOptions, format: ChartFormat = 'svg'): string {
  const { series } = options;
  const buckets = Math.max(1, ...series.map((entry) => entry.timeline.demand.length));
  const bucketSec = series[0]?.timeline.bucketSec ?? 60;
  const spanSec = buckets * bucketSec;
  const x = (bucket: number) => MARGIN_LEFT + (bucket / buckets) * PLOT_WIDTH;
  const peak = Math.max(1, ...series.flatMap((entry) => [...entry.timeline.demand, ...entry.timeline.capacity]));
  const countScale = niceScale(peak);
  const waitScale = niceScale(Math.max(1, ...series.flatMap((entry) => entry.timeline.maxWaitSec)));
  const panels = series.length + 1;
  const height = TOP + panels * (PANEL_HEIGHT + PANEL_GAP) + 10;
  const ticks = timeTicks(spanSec);
  const out: string[] = [];

  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    // A title element is the SVG's accessible name (screen readers, and the tooltip browsers show).
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN_LEFT}" y="24" font-size="17" font-weight="bold" fill="#212529">${escapeXml(options.title)}</text>`,
    `<rect x="${MARGIN_LEFT}" y="36" width="14" height="10" fill="${DEMAND_FILL}"/>`,
    `<text x="${MARGIN_LEFT + 20}" y="45" fill="#495057">demand: scheduled + running jobs</text>`,
    `<line x1="${MARGIN_LEFT + 240}" y1="41" x2="${MARGIN_LEFT + 262}" y2="41" stroke="#495057" stroke-width="2"/>`,
    `<text x="${MARGIN_LEFT + 268}" y="45" fill="#495057">in-service capacity: registered agents (colour = policy)</text>`,
  );

  const grid = (top: number, scale: { max: number; step: number }, unit: string) => {
    const y = (value: number) => top + PANEL_HEIGHT - (value / scale.max) * PANEL_HEIGHT;
    for (let value = 0; value <= scale.max + 1e-9; value += scale.step) {
      out.push(
        `<line x1="${MARGIN_LEFT}" y1="${y(value).toFixed(1)}" x2="${WIDTH - MARGIN_RIGHT}" y2="${y(value).toFixed(1)}" stroke="#e9ecef"/>`,
        `<text x="${MARGIN_LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end" fill="#495057">${value}${unit}</text>`,
      );
    }
    for (let second = 0; second <= spanSec; second += ticks.stepSec) {
      const tickX = MARGIN_LEFT + (second / spanSec) * PLOT_WIDTH;
      out.push(
        `<line x1="${tickX.toFixed(1)}" y1="${top}" x2="${tickX.toFixed(1)}" y2="${top + PANEL_HEIGHT}" stroke="#f1f3f5"/>`,
        `<text x="${tickX.toFixed(1)}" y="${top + PANEL_HEIGHT + 15}" text-anchor="middle" fill="#868e96">${ticks.label(options.startEpochMs + second * 1000)}</text>`,
      );
    }
    out.push(
      `<rect x="${MARGIN_LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#adb5bd"/>`,
    );
    return y;
  };

  series.forEach((entry, index) => {
    const top = TOP + index * (PANEL_HEIGHT + PANEL_GAP);
    const colour = POLICY_COLOURS[index % POLICY_COLOURS.length] as string;
    out.push(
      `<text x="${MARGIN_LEFT}" y="${top - 8}" font-size="14" font-weight="bold" fill="${colour}">${escapeXml(entry.policy)}</text>`,
      `<text x="${WIDTH - MARGIN_RIGHT}" y="${top - 8}" text-anchor="end" fill="#495057">wait p95 ${entry.waitP95Sec.toFixed(0)} s · ${entry.instanceHours.toFixed(1)} instance-hours</text>`,
    );
    const y = grid(top, countScale, '');
    const demand = stepPath(entry.timeline.demand, x, y);
    out.push(
      `<path d="${demand} L${x(entry.timeline.demand.length).toFixed(1)},${y(0).toFixed(1)} L${x(0).toFixed(1)},${y(0).toFixed(1)} Z" fill="${DEMAND_FILL}" stroke="none"/>`,
      `<path d="${stepPath(entry.timeline.capacity, x, y)}" fill="none" stroke="${colour}" stroke-width="1.6"/>`,
    );
  });

  const waitTop = TOP + series.length * (PANEL_HEIGHT + PANEL_GAP);
  out.push(
    `<text x="${MARGIN_LEFT}" y="${waitTop - 8}" font-size="14" font-weight="bold" fill="#212529">longest wait of jobs started in each ${Math.round(bucketSec / 60)}-minute bucket (dashed: p95 over the run)</text>`,
  );
  const waitY = grid(waitTop, waitScale, ' s');
  series.forEach((entry, index) => {
    const colour = POLICY_COLOURS[index % POLICY_COLOURS.length] as string;
    out.push(
      `<path d="${stepPath(entry.timeline.maxWaitSec, x, waitY)}" fill="none" stroke="${colour}" stroke-width="1.4" stroke-opacity="0.85"/>`,
      // The p95 of the whole run as a dashed reference line: the number the comparison is about.
      `<line x1="${MARGIN_LEFT}" y1="${waitY(entry.waitP95Sec).toFixed(1)}" x2="${WIDTH - MARGIN_RIGHT}" y2="${waitY(entry.waitP95Sec).toFixed(1)}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN_LEFT + 4}" y="${(waitY(entry.waitP95Sec) - 4).toFixed(1)}" fill="${colour}" font-weight="bold" stroke="#ffffff" stroke-width="3" paint-order="stroke">p95 ${entry.waitP95Sec.toFixed(0)} s</text>`,
      `<line x1="${WIDTH - MARGIN_RIGHT - 170}" y1="${waitTop + 14 + index * 16}" x2="${WIDTH - MARGIN_RIGHT - 150}" y2="${waitTop + 14 + index * 16}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${WIDTH - MARGIN_RIGHT - 144}" y="${waitTop + 18 + index * 16}" fill="#212529" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(entry.policy)}</text>`,
    );
  });
  out.push('</svg>');
  const svg = out.join('\n');
  if (format === 'svg') return `${svg}\n`;
  return `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>${escapeXml(options.title)}</title></head>\n<body style="margin:0;background:#fff">\n${svg}\n</body>\n</html>\n`;
}
