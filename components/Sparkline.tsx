/** A tiny inline SVG trend line (server-rendered, no script). */
export function Sparkline({ values, width = 96, height = 24, label }: { values: number[]; width?: number; height?: number; label: string }) {
  if (values.length < 2) return <svg className="spark" width={width} height={height} role="img" aria-label={label} />;
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const pts = values.map((v, i) => [i * step, height - 1 - (v / max) * (height - 2)] as const);
  const line = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
  const area = `${line}L${width},${height}L0,${height}Z`;
  return (
    <svg className="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
      <path className="area" d={area} />
      <path d={line} />
    </svg>
  );
}
