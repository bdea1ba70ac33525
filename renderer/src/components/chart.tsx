import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';

/** Axis numbers with three significant digits: 0.001 and 0.0008 stay apart. */
function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 0.01 || a >= 1e5) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

export interface ChartSeries {
  label: string;
  color: string;
  /** Points only (validation values arrive every few hundred steps). */
  points?: boolean;
}

/**
 * One live uPlot chart. `data` is [x, ...series] and may grow by thousands of points; the
 * parent bumps `version` when it changed and the chart redraws at most once per frame.
 */
export function LiveChart({
  title,
  series,
  data,
  version,
  log,
  integerX,
  testId,
}: {
  title: string;
  series: ChartSeries[];
  data: (number | null)[][];
  version: number;
  log?: boolean;
  /** x is a count (recursion depth): ticks on whole numbers only. */
  integerX?: boolean;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = {
      stroke: '#8b93a7',
      grid: { stroke: '#242c3d', width: 1 },
      ticks: { stroke: '#242c3d', width: 1 },
      font: '10px Inter, system-ui, sans-serif',
      size: 38,
    };
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: Math.max(100, el.clientHeight - 4),
        legend: { show: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
        axes: [
          integerX ? { ...axis, incrs: [1, 2, 5, 10, 20, 50] } : axis,
          { ...axis, size: 50, values: (_u, ticks) => ticks.map(tick) },
        ],
        series: [
          { label: 'step' },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            spanGaps: true,
            points: s.points ? { show: true, size: 5, fill: s.color } : { show: false },
          })),
        ],
      },
      dataRef.current as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({
        width: Math.max(200, el.clientWidth),
        height: Math.max(100, el.clientHeight - 4),
      }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is built once; data arrives through setData below.
  }, []);

  useEffect(() => {
    const frame = requestAnimationFrame(() =>
      plot.current?.setData(dataRef.current as uPlot.AlignedData),
    );
    return () => cancelAnimationFrame(frame);
  }, [version]);

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>
        <span>{title}</span>
        {series.map((s) => (
          <span key={s.label} className="chart-key">
            <i style={{ background: s.color }} />
            {s.label}
          </span>
        ))}
      </figcaption>
      <div className="chart-box" ref={box} />
    </figure>
  );
}
