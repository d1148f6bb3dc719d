'use client';
import { useEffect, useState, type ComponentType, type ReactNode } from 'react';
import type { ChartSpec } from './chart-props';

type Live = ComponentType<{ spec: ChartSpec }>;

/**
 * ChartUpgrade shows its children (the server-drawn poster) until recharts, loaded after hydration
 * as its own chunk so it never holds up the first paint, has drawn the same chart on top; CSS then
 * hides the poster in the frame the recharts areas appear (.chart:has(...)), so the swap
 * never shows an empty or doubled chart.
 */
export function ChartUpgrade({ spec, children }: { spec: ChartSpec; children: ReactNode }) {
  const [Live, setLive] = useState<Live | null>(null);
  useEffect(() => {
    let live = true;
    import('./RechartsStacked')
      .then((m) => live && setLive(() => m.RechartsStacked))
      .catch((err: unknown) => console.error('Chart: recharts did not load; the drawn chart stays, without its read-out', err));
    return () => {
      live = false;
    };
  }, []);
  return (
    <>
      {children}
      {Live && (
        <div className="chart-live">
          <Live spec={spec} />
        </div>
      )}
    </>
  );
}
