/** An EventBridge event as a rule's target receives it, from the `echo` source. */
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';

export function echoEvent<D>(detailType: string, detail: D, id: string = randomUUID()): EventEnvelope<D> {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'echo',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
