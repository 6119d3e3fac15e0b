/**
 * Lambda's timeout, for the local runtime. In AWS an agent that runs past its function's timeout is
 * stopped and its database session dies with it, so its transaction rolls back and the async invoke
 * retries. Locally nothing would stop it: a handler stuck on a model that never answers would hold its
 * transaction (and on PGlite, the one session) forever. This wrapper gives the behaviour a deadline
 * while it thinks and inside the transaction that completes the delivery: past it the behaviour's
 * promise is abandoned, and when it was acting the transaction rolls back, so nothing the stuck
 * handler did or does later is committed (its transaction executor refuses statements once the
 * transaction has ended). The delivery stays pending: retried by the bus, then dead-lettered, then
 * taken by catch-up, exactly once.
 */
import type { Behaviour } from '../core/agent.ts';
import { EchoError } from '../core/errors.ts';

/** A handler ran past its timeout (as Lambda reports "Task timed out after N seconds"). */
export class HandlerTimeoutError extends EchoError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, what: string) {
    super('HandlerTimeout', `Task timed out after ${timeoutMs} ms (${what})`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Both steps under the deadline: thinking (no transaction; an abandoned thought is never acted on)
 * and acting (in the delivery's transaction, rolled back at the deadline).
 */
export function withHandlerTimeout(behaviour: Behaviour, timeoutMs: number): Behaviour {
  const deadline = <T>(what: string, work: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HandlerTimeoutError(timeoutMs, what)), timeoutMs);
      // Settled once: whatever the abandoned step does after its deadline is ignored here (and an
      // abandoned act fails on its own, its transaction being over).
      work.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  const think = behaviour.think;
  return {
    ...(think
      ? { think: (ctx) => deadline(`${ctx.role} thinking on message ${ctx.message.id}`, think(ctx)) }
      : {}),
    act: (ctx) => deadline(`${ctx.role} on message ${ctx.message.id}`, behaviour.act(ctx)),
  };
}
