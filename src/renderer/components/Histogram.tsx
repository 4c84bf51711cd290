// The similarity histogram drawn under the threshold slider: the pairs of photos at each
// cosine similarity, with the bins at or above the threshold (the ones that form groups) lit.
// Counts span orders of magnitude (most pairs are far apart), so heights are logarithmic.
import type { SimilarityHistogram } from '../../shared/domain.ts';
import { formatCount } from '../format.ts';

export function Histogram({
  histogram,
  threshold,
}: {
  histogram: SimilarityHistogram;
  threshold: number;
}) {
  const { from, to, counts } = histogram;
  const bins = counts.length;
  const width = (to - from) / Math.max(1, bins);
  const top = Math.log1p(Math.max(1, ...counts));
  const total = counts.reduce((a, b) => a + b, 0);
  const above = counts.reduce(
    (sum, c, i) => (from + i * width >= threshold - 1e-9 ? sum + c : sum),
    0,
  );
  return (
    <figure className="histogram" data-testid="histogram">
      <svg
        viewBox={`0 0 ${bins} 40`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Similarity of ${formatCount(total)} photo pairs from ${from.toFixed(2)} to ${to.toFixed(2)}; ${formatCount(above)} at or above the threshold`}
      >
        {counts.map((count, i) => {
          const h = count > 0 ? Math.max(1.5, (Math.log1p(count) / top) * 40) : 0;
          const lit = from + i * width >= threshold - 1e-9;
          return (
            <rect
              key={i}
              x={i + 0.08}
              width={0.84}
              y={40 - h}
              height={h}
              className={lit ? 'lit' : ''}
            >
              <title>
                {`${(from + i * width).toFixed(3)}–${(from + (i + 1) * width).toFixed(3)}: ${formatCount(count)} pairs`}
              </title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}
