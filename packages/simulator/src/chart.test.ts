import { describe, expect, it } from 'vitest';
import { renderChart } from './chart.js';

const timeline = {
  bucketSec: 60,
  demand: [0, 3, 5, 1],
  capacity: [0, 1, 5, 2],
  maxWaitSec: [0, 120, 30, 0],
  starts: [0, 2, 3, 1],
};

describe('Function: renderChart', () => {
  it('draws one panel per policy plus the wait panel, with escaped names', () => {
    const svg = renderChart({
      title: 'micro <trace>',
      startEpochMs: Date.parse('2026-11-02T00:00:00Z'),
      series: [
        { policy: 'a&b', waitP95Sec: 120, instanceHours: 1.5, timeline },
        { policy: 'elastic-ci', waitP95Sec: 30, instanceHours: 1.2, timeline },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('micro &#60;trace&#62;');
    expect(svg).toContain('<title>micro &#60;trace&#62;</title>');
    expect(svg).toContain('a&#38;b');
    expect(svg).not.toContain('a&b');
    expect(svg).toContain('wait p95 30 s · 1.2 instance-hours');
    expect(svg.match(/<path /g)).toHaveLength(2 * 2 + 2);
  });

  it('wraps the SVG in an HTML page when asked', () => {
    const html = renderChart({ title: 't', startEpochMs: 0, series: [] }, 'html');
    expect(html).toMatch(/^<!doctype html>[\s\S]*<svg[\s\S]*<\/svg>[\s\S]*<\/html>\n$/);
  });
});
