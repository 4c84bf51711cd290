// A small inline chart of a score against k (silhouette, Davies-Bouldin, elbow cost), with the
// k in use marked; each point is a button, so a k can be picked from the curve itself.
export function LineChart({
  title,
  hint,
  points,
  current,
  onPick,
}: {
  title: string;
  /** Which way is better, in words. */
  hint: string;
  points: { k: number; value: number }[];
  current: number;
  onPick(k: number): void;
}) {
  const W = 220;
  const H = 70;
  const pad = 6;
  if (points.length === 0) {
    return (
      <figure className="chart">
        <figcaption>
          {title} <span className="muted">not computed</span>
        </figcaption>
      </figure>
    );
  }
  const ks = points.map((p) => p.k);
  const values = points.map((p) => p.value);
  const kMin = Math.min(...ks);
  const kMax = Math.max(...ks);
  const vMin = Math.min(...values);
  const vMax = Math.max(...values);
  const x = (k: number) => pad + ((k - kMin) / Math.max(1, kMax - kMin)) * (W - 2 * pad);
  const y = (v: number) => H - pad - ((v - vMin) / (vMax - vMin || 1)) * (H - 2 * pad);
  const line = points.map((p) => `${x(p.k).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const here = points.find((p) => p.k === current);
  return (
    <figure className="chart">
      <figcaption>
        {title}
        {here && <strong> {here.value.toFixed(3)}</strong>}
        <span className="muted"> · {hint}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="group" aria-label={`${title} by number of clusters`}>
        <line className="chart-current" x1={x(current)} x2={x(current)} y1={0} y2={H} />
        <polyline points={line} className="chart-line" />
        {points.map((p) => (
          <circle
            key={p.k}
            cx={x(p.k)}
            cy={y(p.value)}
            r={p.k === current ? 4 : 2.6}
            className={p.k === current ? 'chart-point current' : 'chart-point'}
            role="button"
            tabIndex={-1}
            aria-label={`k = ${p.k}: ${p.value.toFixed(3)}`}
            onClick={() => onPick(p.k)}
          >
            <title>{`k = ${p.k}: ${p.value.toFixed(3)}`}</title>
          </circle>
        ))}
      </svg>
      <div className="chart-axis muted" aria-hidden="true">
        <span>k = {kMin}</span>
        <span>{kMax}</span>
      </div>
    </figure>
  );
}
