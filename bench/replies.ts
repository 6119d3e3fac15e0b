/**
 * The time from a post to its replies, as the sender sees them: replies are heard on the sender's
 * channel by the message they answer, with their arrival times (a reply may come before postMessage
 * has returned: the relay's outbox DELETE can be slower than an agent).
 */
import type { Message, PostMessageCommand } from '../lambdas/core/messages.ts';
import { postMessage } from '../lambdas/core/pipeline.ts';
import type { Role } from '../lambdas/core/roles.ts';
import type { LocalRuntime } from '../lambdas/local/runtime.ts';

export async function replyClock(runtime: LocalRuntime, sender: Role, timeoutMs: number) {
  const replies = new Map<string, { times: bigint[]; wake?: () => void }>();
  const entryOf = (id: string) => {
    const entry = replies.get(id) ?? { times: [] };
    replies.set(id, entry);
    return entry;
  };
  const subscription = await runtime.subscriber.subscribe([`messages:${sender}`], (_channel, payload) => {
    const at = process.hrtime.bigint();
    const inReplyTo = (payload as Message).metadata?.inReplyTo;
    if (!inReplyTo) return;
    const entry = entryOf(inReplyTo);
    entry.times.push(at);
    entry.wake?.();
  });
  return {
    /**
     * Posts `command`: the ms until `need` replies arrived (undefined past the timeout), once the
     * cascade has settled (the sender's own handling of the replies) so the next sample starts clean.
     */
    async untilReplies(
      command: PostMessageCommand,
      need: number,
    ): Promise<{ ms: number | undefined; id: string }> {
      const t0 = process.hrtime.bigint();
      const { message } = await postMessage(runtime.deps, command);
      const entry = entryOf(message.id);
      const complete = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        entry.wake = () => {
          if (entry.times.length < need) return;
          clearTimeout(timer);
          resolve(true);
        };
        entry.wake();
      });
      await runtime.bus.idle();
      replies.delete(message.id);
      return { ms: complete ? Number(entry.times[need - 1]! - t0) / 1e6 : undefined, id: message.id };
    },
    close: () => subscription.close(),
  };
}
