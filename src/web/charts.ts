/**
 * Charts drawn on the server as inline SVG: no script, nothing the Content Security Policy forbids (colours
 * come from the stylesheet's classes, shapes from presentation attributes). Each series also has its own
 * fill pattern (solid, hatched, dotted…) shown in the legend, and bars carry their values as text, so the
 * chart reads without colour; the numbers are repeated in a table for screen readers.
 */
import { scaleBand, scaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { html, raw } from 'hono/html';
import type { Html } from './layout.js';

export interface ChartSeries {
  name: string;
  values: number[];
}

export interface ChartSpec {
  /** unique on the page (the SVG's ids derive from it) */
  id: string;
  title: string;
  /** what the chart is computed from, shown under it and read by screen readers */
  description: string;
  /** one label per bucket (x axis), oldest first */
  labels: string[];
  series: ChartSeries[];
  /** what one bucket is, heading the table's first column */
  bucket: 'Week' | 'Day';
  /** bars side by side, bars on top of each other, or one line per series */
  kind: 'grouped' | 'stacked' | 'line';
}

const WIDTH = 720;
const HEIGHT = 220;
const MARGIN = { top: 18, right: 12, bottom: 26, left: 40 };
/** fill patterns, one per series, so that series differ by texture as well as by colour */
const PATTERNS = ['solid', 'hatch', 'dots', 'cross', 'lines', 'open'] as const;
/** at most this many x labels, so they never overlap */
const MAX_X_LABELS = 8;

function patternDefs(id: string, count: number): Html {
  const defs = PATTERNS.slice(0, count).map((kind, i) => {
    const cls = `series-${i}`;
    switch (kind) {
      case 'solid':
        return '';
      case 'hatch':
        return html`<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" class="${cls} pattern-bg"/><path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" class="pattern-ink" stroke-width="1.5"/></pattern>`;
      case 'dots':
        return html`<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="5" height="5"><rect width="5" height="5" class="${cls} pattern-bg"/><circle cx="2.5" cy="2.5" r="1.2" class="pattern-dot"/></pattern>`;
      case 'cross':
        return html`<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="6" height="6"><rect width="6" height="6" class="${cls} pattern-bg"/><path d="M0,0 L6,6 M6,0 L0,6" class="pattern-ink" stroke-width="1"/></pattern>`;
      case 'lines':
        return html`<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="6" height="4"><rect width="6" height="4" class="${cls} pattern-bg"/><path d="M0,2 L6,2" class="pattern-ink" stroke-width="1.2"/></pattern>`;
      case 'open':
        return html`<pattern id="${id}-p${i}" patternUnits="userSpaceOnUse" width="4" height="4"><rect width="4" height="4" class="pattern-open"/></pattern>`;
    }
  });
  return raw(`<defs>${defs.join('')}</defs>`);
}

/** The fill of series i: its colour class, and its pattern beyond the first. */
function fillOf(id: string, i: number): { cls: string; fill?: string } {
  const n = i % PATTERNS.length;
  return n === 0 ? { cls: `series-${i}` } : { cls: `series-${i} patterned`, fill: `url(#${id}-p${n})` };
}

function bar(id: string, i: number, x: number, y: number, width: number, height: number, label: string): string {
  const f = fillOf(id, i);
  return `<rect class="${f.cls}"${f.fill ? ` fill="${f.fill}"` : ''} x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(width, 1).toFixed(1)}" height="${Math.max(height, 0).toFixed(1)}"><title>${escape(label)}</title></rect>`;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function chart(spec: ChartSpec): Html {
  const { id, labels, series } = spec;
  const stackedTotals = labels.map((_, b) => series.reduce((sum, s) => sum + (s.values[b] ?? 0), 0));
  const max = spec.kind === 'stacked' ? Math.max(0, ...stackedTotals) : Math.max(0, ...series.flatMap((s) => s.values));
  const x = scaleBand<string>().domain(labels).range([MARGIN.left, WIDTH - MARGIN.right]).paddingInner(0.2).paddingOuter(0.1);
  const y = scaleLinear()
    .domain([0, Math.max(max, 1)])
    .nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const band = x.bandwidth();
  const marks: string[] = [];
  // values are written on the bars while they have room for the digits
  const labelBars = band >= 14;

  if (spec.kind === 'line') {
    series.forEach((s, i) => {
      const at = (b: number) => (x(labels[b]!) ?? 0) + band / 2;
      const path = line<number>()
        .x((_, b) => at(b))
        .y((v) => y(v))(s.values);
      marks.push(`<path class="line line-${i}" d="${path ?? ''}" fill="none" stroke-width="2"/>`);
      s.values.forEach((v, b) => {
        marks.push(`<circle class="marker-${i}" cx="${at(b).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3"><title>${escape(`${labels[b]}: ${v} ${s.name}`)}</title></circle>`);
      });
      // the newest value and the highest one, written next to their points
      const last = s.values.length - 1;
      const peak = s.values.indexOf(Math.max(...s.values));
      for (const b of new Set([peak, last])) {
        const v = s.values[b];
        if (v === undefined || b < 0) continue;
        marks.push(`<text class="value" x="${at(b).toFixed(1)}" y="${(y(v) - 6).toFixed(1)}" text-anchor="middle">${v}</text>`);
      }
    });
  } else if (spec.kind === 'stacked') {
    labels.forEach((label, b) => {
      let base = 0;
      series.forEach((s, i) => {
        const v = s.values[b] ?? 0;
        if (!v) return;
        marks.push(bar(id, i, x(label) ?? 0, y(base + v), band, y(base) - y(base + v), `${label}: ${v} ${s.name}`));
        base += v;
      });
      if (labelBars && base) marks.push(`<text class="value" x="${((x(label) ?? 0) + band / 2).toFixed(1)}" y="${(y(base) - 4).toFixed(1)}" text-anchor="middle">${base}</text>`);
    });
  } else {
    const inner = scaleBand<number>()
      .domain(series.map((_, i) => i))
      .range([0, band])
      .paddingInner(0.1);
    labels.forEach((label, b) => {
      series.forEach((s, i) => {
        const v = s.values[b] ?? 0;
        const left = (x(label) ?? 0) + (inner(i) ?? 0);
        if (v) marks.push(bar(id, i, left, y(v), inner.bandwidth(), y(0) - y(v), `${label}: ${v} ${s.name}`));
        if (labelBars && v) marks.push(`<text class="value" x="${(left + inner.bandwidth() / 2).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle">${v}</text>`);
      });
    });
  }

  const yTicks = y.ticks(4).filter((t) => Number.isInteger(t));
  const axisY = yTicks
    .map((t) => `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}"/><text class="tick" x="${MARGIN.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`)
    .join('');
  // counted back from the newest bucket, which always has its label
  const every = Math.ceil(labels.length / MAX_X_LABELS);
  const axisX = labels
    .map((label, b) => ((labels.length - 1 - b) % every === 0 ? `<text class="tick" x="${((x(label) ?? 0) + band / 2).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">${escape(label.slice(5))}</text>` : ''))
    .join('');
  const empty = max === 0 ? `<text class="tick" x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">nothing in this period</text>` : '';
  const legend = series.map((s, i) => {
    const f = fillOf(id, i);
    const swatch =
      spec.kind === 'line'
        ? `<svg width="22" height="12" aria-hidden="true"><line class="line line-${i}" x1="1" x2="21" y1="6" y2="6" stroke-width="2"/><circle class="marker-${i}" cx="11" cy="6" r="3"/></svg>`
        : // the chart's own patterns: an url(#…) reaches any SVG of the document
          `<svg width="14" height="14" aria-hidden="true"><rect class="${f.cls}"${f.fill ? ` fill="${f.fill}"` : ''} x="0.5" y="0.5" width="13" height="13"/></svg>`;
    return html`<li>${raw(swatch)} ${s.name}</li>`;
  });

  return html`<figure class="chart" id="${id}">
<figcaption><strong>${spec.title}</strong></figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMinYMin meet">
<title id="${id}-title">${spec.title}</title><desc id="${id}-desc">${spec.description}</desc>
${patternDefs(id, series.length)}${raw(axisY)}<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}"/>${raw(marks.join(''))}${raw(axisX)}${raw(empty)}
</svg>
<ul class="legend">${raw(legend.join(''))}</ul>
<p class="muted">${spec.description}</p>
<details><summary>The numbers</summary><table><thead><tr><th scope="col">${spec.bucket} (from)</th>${raw(series.map((s) => html`<th scope="col">${s.name}</th>`).join(''))}</tr></thead><tbody>
${raw(labels.map((label, b) => html`<tr><th scope="row">${label}</th>${raw(series.map((s) => `<td>${s.values[b] ?? 0}</td>`).join(''))}</tr>`).join(''))}
</tbody></table></details>
</figure>`;
}
