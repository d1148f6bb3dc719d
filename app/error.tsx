'use client';

/** ErrorPage says what went wrong reading the data and offers a retry. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section className="panel empty" role="alert">
      <h1>Something went wrong reading the usage data</h1>
      <p>{error.message || 'The server could not answer.'}</p>
      {error.digest && <p className="muted small">Reference: {error.digest} (the full error is in the dashboard’s log).</p>}
      <button type="button" onClick={reset}>Try again</button>
    </section>
  );
}
