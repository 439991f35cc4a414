/**
 * Sleep, cut short by the signal; at once when the signal is already aborted
 * (an abort listener added after the abort never fires) or `ms` is not
 * positive. The listener is removed either way: a strobe, a recovery wait or
 * a keepalive loop sleeps many times on one long-lived signal.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted || !(ms > 0)) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
