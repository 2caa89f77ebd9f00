import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isSdkNodeVersionNotice, routeProcessWarnings, warningFields } from './process-warnings';

const SDK_NOTICE = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.`;

describe('Function: routeProcessWarnings', () => {
  it('replaces the default printer with the report, and the undo puts it back', () => {
    // Prepare
    const emitter = new EventEmitter();
    const printed: string[] = [];
    const reported: string[] = [];
    emitter.on('warning', (warning: Error) => printed.push(warning.message));

    // Act
    const undo = routeProcessWarnings(emitter, (warning) => reported.push(warning.message));
    emitter.emit('warning', new Error('while routed'));
    undo();
    emitter.emit('warning', new Error('after undo'));

    // Assess
    expect(reported).toEqual(['while routed']);
    expect(printed).toEqual(['after undo']);
  });

  it('folds a multi-line warning onto one line and recognises the SDK Node version notice', () => {
    // Prepare
    const notice = Object.assign(new Error(SDK_NOTICE), { name: 'Warning' });
    const other = Object.assign(new Error('first\n  second'), { name: 'DeprecationWarning', code: 'DEP0005' });

    // Act
    const fields = [warningFields(notice), warningFields(other)];

    // Assess
    expect(fields[0]?.message).not.toContain('\n');
    expect(fields[0]?.message).toMatch(/^NodeVersionSupportWarning: The AWS SDK .* node >=22\. You are running/);
    expect(fields[1]).toEqual({ name: 'DeprecationWarning', code: 'DEP0005', message: 'first second' });
    expect([isSdkNodeVersionNotice(notice), isSdkNodeVersionNotice(other)]).toEqual([true, false]);
  });
});
