import { describe, expect, it } from 'vitest';
import { TraceParseError } from './errors.js';
import { parseTrace } from './trace.js';

const HEADER = '{"trace":"t","start":"2026-11-02T00:00:00Z","spanSec":600,"description":"d"}';
const job = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ job: id, build: 'b', queue: 'default', createdAt: 1, durationSec: 10, dependsOn: [], ...extra });

function issuesOf(text: string): { line: number; message: string }[] {
  try {
    parseTrace(text, 'test.jsonl');
  } catch (error) {
    if (error instanceof TraceParseError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a TraceParseError');
}

describe('Function: parseTrace', () => {
  it('parses the header and resolves dependencies to indices, in any line order', () => {
    const trace = parseTrace([HEADER, job('test', { dependsOn: ['build'] }), job('build')].join('\n'));
    expect(trace.name).toBe('t');
    expect(trace.startEpochMs).toBe(Date.parse('2026-11-02T00:00:00Z'));
    expect(trace.spanSec).toBe(600);
    expect(trace.jobs.map((entry) => entry.dependsOn)).toEqual([[1], []]);
    expect(trace.queues).toEqual(['default']);
  });

  it('names the line of bad JSON', () => {
    const issues = issuesOf([HEADER, job('a'), '{"job": "b",'].join('\n'));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.line).toBe(3);
    expect(issues[0]?.message).toContain('not valid JSON');
  });

  it('names the line and the field of a missing or mistyped field', () => {
    const issues = issuesOf([HEADER, job('a'), '{"job":"b","build":"b","queue":"q","durationSec":"ten"}'].join('\n'));
    expect(issues[0]?.line).toBe(3);
    expect(issues[0]?.message).toContain('createdAt');
    expect(issues[0]?.message).toContain('durationSec');
  });

  it('rejects a dependency on an unknown job with its line', () => {
    const issues = issuesOf([HEADER, job('a'), job('b', { dependsOn: ['ghost'] })].join('\n'));
    expect(issues).toEqual([{ line: 3, message: 'job "b" depends on unknown job "ghost"' }]);
  });

  it('rejects a dependency cycle, naming the jobs in it', () => {
    const issues = issuesOf(
      [HEADER, job('a', { dependsOn: ['c'] }), job('b', { dependsOn: ['a'] }), job('c', { dependsOn: ['b'] })].join(
        '\n',
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/dependency cycle: "(a|b|c)" → "(a|b|c)" → "(a|b|c)" → "(a|b|c)"/);
    expect([2, 3, 4]).toContain(issues[0]?.line);
  });

  it('rejects a job that depends on itself and duplicate ids', () => {
    const issues = issuesOf([HEADER, job('a', { dependsOn: ['a'] }), job('a')].join('\n'));
    expect(issues.map((issue) => issue.line)).toEqual([2, 3]);
    expect(issues[0]?.message).toContain('depends on itself');
    expect(issues[1]?.message).toContain('duplicate job id "a" (first on line 2)');
  });

  it('collects every problem into one error message with line numbers', () => {
    const text = [HEADER, 'nope', job('a', { durationSec: -1 }), job('b', { dependsOn: ['x'] })].join('\n');
    expect(() => parseTrace(text, 'bad.jsonl')).toThrow(
      /bad\.jsonl: 3 problems[\s\S]*line 2:[\s\S]*line 3:[\s\S]*line 4:/,
    );
  });

  it('names a header line that is not JSON, and still checks every job line', () => {
    const issues = issuesOf(
      ['{"trace":"t","start":"2026-11-02T00:00:00Z"', job('a'), job('b', { durationSec: -1 })].join('\n'),
    );
    expect(issues.map((issue) => issue.line)).toEqual([1, 3]);
    expect(issues[0]?.message).toContain('not valid JSON');
    expect(issues[0]?.message).toContain('header');
    expect(issues[1]?.message).toContain('durationSec');
  });

  it('rejects a header without any job line: nothing to simulate', () => {
    expect(issuesOf(HEADER)).toEqual([{ line: 1, message: 'no job lines after the header: nothing to simulate' }]);
  });

  it('takes a blank line before the header as blank', () => {
    expect(parseTrace(['', HEADER, job('a')].join('\n')).jobs).toHaveLength(1);
  });

  it('rejects a bad header, an empty file and a job count that does not match the header', () => {
    expect(issuesOf(['{"trace":"t"}', job('a')].join('\n'))[0]?.message).toContain('bad header');
    expect(issuesOf('')[0]?.message).toContain('empty trace');
    const counted = '{"trace":"t","start":"2026-11-02T00:00:00Z","spanSec":60,"jobs":2}';
    expect(issuesOf([counted, job('a')].join('\n'))[0]?.message).toBe('header says 2 jobs but the file has 1');
  });
});
