import type { BrokerCall, BrokerSuccess, InstanceBrokerClient } from '@elastic-ci/instance-broker/client';

/** A broker client that records every call (and whether it carried a signal) and answers from a script. */
export class FakeInstanceBrokerClient implements InstanceBrokerClient {
  readonly calls: BrokerCall[] = [];
  readonly signals: Array<AbortSignal | undefined> = [];
  /** Answers in order; an Error is thrown. When none is left: `done`. */
  readonly answers: Array<BrokerSuccess['outcome'] | Error> = [];
  constructor(readonly instanceId = 'i-0123456789abcdef0') {}

  async call(request: BrokerCall, options?: { signal?: AbortSignal }): Promise<BrokerSuccess> {
    this.calls.push(request);
    this.signals.push(options?.signal);
    const answer = this.answers.shift() ?? 'done';
    if (answer instanceof Error) throw answer;
    return { outcome: answer, instanceId: this.instanceId };
  }
}
