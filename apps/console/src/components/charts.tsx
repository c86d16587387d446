import type { StatsPoint } from '../api';

const W = 720;
const H = 180;
const PAD = { left: 44, right: 8, top: 10, bottom: 24 };

const SERIES = [
  { key: 'delivered', label: 'Delivered', cls: 'fill-green' },
  { key: 'retrying', label: 'Retrying', cls: 'fill-orange' },
  { key: 'failed', label: 'Failed', cls: 'fill-red' },
  { key: 'discarded', label: 'Discarded', cls: 'fill-grey' },
] as const;

const hhmm = (iso: string) => iso.slice(11, 16);

function Axis({ max, unit, points }: { max: number; unit: string; points: StatsPoint[] }) {
  const innerH = H - PAD.top - PAD.bottom;
  return (
    <g className="axis" aria-hidden="true">
      <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} />
      <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={H - PAD.bottom} />
      <text x={PAD.left - 4} y={PAD.top + 4} textAnchor="end">
        {max}
        {unit}
      </text>
      <text x={PAD.left - 4} y={PAD.top + innerH} textAnchor="end">
        0
      </text>
      {points.length > 0 ? (
        <>
          <text x={PAD.left} y={H - 6}>
            {hhmm(points[0].at)}
          </text>
          <text x={(PAD.left + W - PAD.right) / 2} y={H - 6} textAnchor="middle">
            {hhmm(points[Math.floor(points.length / 2)].at)}
          </text>
          <text x={W - PAD.right} y={H - 6} textAnchor="end">
            {hhmm(points[points.length - 1].at)} UTC
          </text>
        </>
      ) : null}
    </g>
  );
}

const niceMax = (v: number) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
};

/** Deliveries per minute by status: stacked bars, one per bucket (the bucket's average per minute). */
export function DeliveriesChart({ points, bucketMinutes }: { points: StatsPoint[]; bucketMinutes: number }) {
  const perMin = points.map((p) => SERIES.map((s) => p[s.key] / bucketMinutes));
  const max = niceMax(Math.max(0, ...perMin.map((v) => v.reduce((a, b) => a + b, 0))));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const bw = innerW / Math.max(1, points.length);
  const totals = SERIES.map((s) => points.reduce((n, p) => n + p[s.key], 0));
  const summary = SERIES.map((s, i) => `${s.label} ${totals[i]}`).join(', ');
  return (
    <figure className="chart" data-chart="deliveries">
      <figcaption>Deliveries per minute by status (last 24 h, {bucketMinutes}-minute buckets)</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Attempts in the last 24 hours: ${summary}`} preserveAspectRatio="none">
        <Axis max={max} unit="/min" points={points} />
        {perMin.map((vals, i) => {
          let y = H - PAD.bottom;
          return (
            <g key={points[i].at}>
              {vals.map((v, j) => {
                if (v <= 0) return null;
                const h = (v / max) * innerH;
                y -= h;
                return <rect key={SERIES[j].key} className={SERIES[j].cls} x={PAD.left + i * bw + 0.5} y={y} width={Math.max(1, bw - 1)} height={h} />;
              })}
            </g>
          );
        })}
      </svg>
      <ul className="legend">
        {SERIES.map((s, i) => (
          <li key={s.key}>
            <span className={`swatch ${s.cls}`} aria-hidden="true" />
            {s.label}: {totals[i]}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Latency p50 and p99 per bucket (ms), as two lines; buckets without attempts are gaps. */
export function LatencyChart({ points }: { points: StatsPoint[] }) {
  const max = niceMax(Math.max(0, ...points.map((p) => p.p99Ms ?? 0)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (i + 0.5) * (innerW / Math.max(1, points.length));
  const y = (v: number) => H - PAD.bottom - (v / max) * innerH;
  const path = (key: 'p50Ms' | 'p99Ms') => {
    let d = '';
    let pen = false;
    points.forEach((p, i) => {
      const v = p[key];
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    });
    return d.trim();
  };
  const last = [...points].reverse().find((p) => p.p50Ms !== null);
  return (
    <figure className="chart" data-chart="latency">
      <figcaption>Latency p50 and p99 (last 24 h)</figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={last ? `Latest bucket: p50 ${last.p50Ms} ms, p99 ${last.p99Ms} ms` : 'No attempts in the last 24 hours'}
        preserveAspectRatio="none"
      >
        <Axis max={max} unit=" ms" points={points} />
        <path className="line line-p50" d={path('p50Ms')} />
        <path className="line line-p99" d={path('p99Ms')} />
        {points.map((p, i) =>
          p.p50Ms !== null && (i === 0 || points[i - 1].p50Ms === null) && (i === points.length - 1 || points[i + 1].p50Ms === null) ? (
            <g key={p.at}>
              <circle className="dot-p50" cx={x(i)} cy={y(p.p50Ms)} r={2.5} />
              <circle className="dot-p99" cx={x(i)} cy={y(p.p99Ms ?? p.p50Ms)} r={2.5} />
            </g>
          ) : null,
        )}
      </svg>
      <ul className="legend">
        <li>
          <span className="swatch line-p50-swatch" aria-hidden="true" />
          p50
        </li>
        <li>
          <span className="swatch line-p99-swatch" aria-hidden="true" />
          p99
        </li>
      </ul>
    </figure>
  );
}
