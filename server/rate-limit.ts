/**
 * A token bucket for failed sign-in attempts. It is one bucket for the whole server, not
 * one per address: every local user arrives from 127.0.0.1, so a per-address limit would
 * limit nothing. While the bucket is empty every attempt is refused unchecked (429), so
 * guessing gains nothing from the refusals either.
 */
export interface Bucket {
  /** take removes one token; false when none is left. */
  take(): boolean;
  /** retryAfterSec is how long until one token is back (whole seconds, at least 1). */
  retryAfterSec(): number;
  /** available says whether a token is left, without taking it. */
  available(): boolean;
}

/** tokenBucket holds up to `burst` tokens and refills `perSec` tokens per second. */
export function tokenBucket(opts: { burst: number; perSec: number; clock?: () => number }): Bucket {
  const clock = opts.clock ?? (() => performance.now() / 1000);
  let tokens = opts.burst;
  let last = clock();
  const refill = (): void => {
    const now = clock();
    tokens = Math.min(opts.burst, tokens + (now - last) * opts.perSec);
    last = now;
  };
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    available() {
      refill();
      return tokens >= 1;
    },
    retryAfterSec() {
      refill();
      return Math.max(1, Math.ceil((1 - tokens) / opts.perSec));
    },
  };
}
