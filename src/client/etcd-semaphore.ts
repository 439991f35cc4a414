/**
 * etcd's concurrency recipe for a lock (max 1) or a semaphore (max N), on
 * the lease client: what `crucible demo-lock` holds.
 *
 * 1. Join the queue: put `<prefix>q/<lease>` attached to our lease, only
 *    if absent. Its create revision is our place.
 * 2. Rank: range `<prefix>q/` by create revision. Among the first `max` we
 *    may hold; else wait for a delete (of the predecessor for a lock, of
 *    any queue key for a semaphore, where any release moves us up) and
 *    rank again. A wait is bounded and re-ranks when it ends anyway.
 * 3. Claim a slot: the first free `<prefix>s/<i>` (i < max), put with our
 *    lease only if absent. Its create revision is the fencing token: it
 *    strictly increases for each slot across successions, since a slot key
 *    is created anew by every holder.
 *
 * Every request fails over from member to member (../client/etcd-lease.ts),
 * so a claim may be sent twice: a slot key already attached to our own
 * lease is ours. A watch broken by a member's death resumes on another.
 *
 * A release revokes the lease: the queue key and the slot key go at once,
 * and the next waiter by revision is promoted (its watch fires).
 */
import { type EtcdLeaseClient, EtcdRequestError } from "./etcd-lease.js";

export interface SlotHold {
  readonly lease: string;
  /** The queue key (`<prefix>q/<lease>`). */
  readonly queueKey: string;
  /** The queue key's create revision: the place in line. */
  readonly queueRevision: string;
  readonly slot: number;
  readonly slotKey: string;
  /** The slot key's create revision: the fencing token. */
  readonly token: string;
}

export interface AcquireOptions {
  readonly client: EtcdLeaseClient;
  /** Key prefix of this lock; keys go under `<prefix>q/` and `<prefix>s/`. */
  readonly prefix: string;
  readonly max: number;
  readonly lease: string;
  readonly value?: string;
  /** Give up at once when every slot is held (`--nonblock`): resolves `"busy"`. */
  readonly nonblock?: boolean;
  /** Abort the wait (lease lost, the wrapper told to stop): resolves `"aborted"`. */
  readonly signal: AbortSignal;
  /** Longest single wait before ranking again. Default 1,000 ms. */
  readonly waitMsMax?: number;
}

const compareRevisions = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/** Wait for one of `max` slots; a hold, `"busy"` (nonblock and full) or `"aborted"`. */
export async function acquireSlot(options: AcquireOptions): Promise<SlotHold | "busy" | "aborted"> {
  const { client, prefix, max, lease, signal } = options;
  if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`acquireSlot: max must be >= 1, got ${max}`);
  const queuePrefix = `${prefix}q/`;
  const queueKey = `${queuePrefix}${lease}`;
  const joined = await client.createIfAbsent(queueKey, options.value ?? "", lease, signal);
  const queueRevision = joined.createRevision;
  const waitMsMax = options.waitMsMax ?? 1_000;
  // Bounded by the caller's signal (the lease's loss aborts it) and by each wait's bound.
  while (!signal.aborted) {
    const { kvs, revision } = await client.rangePrefix(queuePrefix, signal);
    const ahead = kvs.filter((kv) => compareRevisions(kv.createRevision, queueRevision) < 0);
    if (!kvs.some((kv) => kv.key === queueKey)) {
      // Our key is gone: the lease expired or was revoked under us.
      throw new EtcdRequestError(`${queueKey} is gone: the lease was lost while waiting`, {
        maybeApplied: false,
      });
    }
    if (ahead.length < max) {
      const slot = await claimSlot(options);
      if (slot) return { lease, queueKey, queueRevision, ...slot };
      // Every slot key still held: a holder releasing right now. Rank again shortly.
    } else if (options.nonblock) {
      return "busy";
    }
    if (options.nonblock && ahead.length < max) return "busy";
    const next = String(BigInt(revision) + 1n);
    const watched =
      max === 1 && ahead.length > 0
        ? await client.watchDelete(ahead[ahead.length - 1]!.key, next, { timeoutMs: waitMsMax, signal })
        : await client.watchDelete(ahead.length < max ? `${prefix}s/` : queuePrefix, next, {
            timeoutMs: ahead.length < max ? 100 : waitMsMax,
            signal,
            prefix: true,
          });
    if (watched === "broken") await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return "aborted";
}

async function claimSlot(
  options: AcquireOptions,
): Promise<{ slot: number; slotKey: string; token: string } | undefined> {
  for (let slot = 0; slot < options.max; slot++) {
    const slotKey = `${options.prefix}s/${slot}`;
    const claimed = await options.client.createIfAbsent(
      slotKey,
      options.lease,
      options.lease,
      options.signal,
    );
    // Ours also when a create repeated after a failover finds the key its first attempt made.
    if (claimed.created || claimed.lease === options.lease)
      return { slot, slotKey, token: claimed.createRevision };
  }
  return undefined;
}
