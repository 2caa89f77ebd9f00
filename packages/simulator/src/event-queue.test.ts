import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.js';

describe('Class: EventQueue', () => {
  it('pops events in time order and, among equal times, in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        // Prepare
        const queue = new EventQueue<number>();
        times.forEach((time, index) => {
          queue.push(time, index);
        });

        // Act
        const popped: { time: number; payload: number }[] = [];
        for (let next = queue.pop(); next !== undefined; next = queue.pop()) popped.push(next);

        // Assess
        const expected = times.map((time, index) => ({ time, payload: index })).sort((a, b) => a.time - b.time);
        expect(popped).toEqual(expected);
        expect(queue.size).toBe(0);
      }),
    );
  });

  it('interleaves pushes and pops correctly', () => {
    const queue = new EventQueue<string>();
    queue.push(5, 'late');
    queue.push(1, 'early');
    expect(queue.peekTime()).toBe(1);
    expect(queue.pop()?.payload).toBe('early');
    queue.push(3, 'middle');
    expect(queue.pop()?.payload).toBe('middle');
    expect(queue.pop()?.payload).toBe('late');
    expect(queue.pop()).toBeUndefined();
    expect(queue.peekTime()).toBeUndefined();
  });
});
