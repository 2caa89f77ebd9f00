import type { BrokerCall, BrokerSuccess, InstanceBrokerClient } from '../aws/instance-broker.js';

/** A broker client that records every call and answers from a script (unit tests). */
export class FakeInstanceBrokerClient implements InstanceBrokerClient {
  readonly calls: BrokerCall[] = [];
  /** Answers in order; an Error is thrown. When none is left: `done`. */
  readonly answers: Array<BrokerSuccess['outcome'] | Error> = [];
  constructor(readonly instanceId = 'i-0aaaabbbbccccdddd') {}

  async call(request: BrokerCall): Promise<BrokerSuccess> {
    this.calls.push(request);
    const answer = this.answers.shift() ?? 'done';
    if (answer instanceof Error) throw answer;
    return { outcome: answer, instanceId: this.instanceId };
  }
}
