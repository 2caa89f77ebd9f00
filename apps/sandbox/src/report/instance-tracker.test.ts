import { describe, expect, it } from 'vitest';
import { InstanceTracker } from './instance-tracker';

describe('InstanceTracker', () => {
  it('opens and closes intervals halfway between looks, several per instance when it comes back', () => {
    // Arrange
    const tracker = new InstanceTracker();

    // Act: looks every 60 world s.
    tracker.observe(0, []);
    tracker.observe(60, ['i-a']); // i-a appeared between 0 and 60 → from 30
    tracker.observe(120, ['i-a', 'i-b']); // i-b from 90
    tracker.observe(180, ['i-b']); // i-a left between 120 and 180 → to 150
    tracker.observe(240, ['i-b', 'i-a']); // i-a back (warm-pool resume) from 210

    // Assess
    expect(tracker.instances()).toEqual([
      { id: 'i-a', running: [{ fromSec: 30, toSec: 150 }, { fromSec: 210 }] },
      { id: 'i-b', running: [{ fromSec: 90 }] },
    ]);
  });

  it('starts an instance seen at the first look at that look', () => {
    const tracker = new InstanceTracker();
    tracker.observe(100, ['i-a']);
    expect(tracker.instances()).toEqual([{ id: 'i-a', running: [{ fromSec: 100 }] }]);
  });
});
