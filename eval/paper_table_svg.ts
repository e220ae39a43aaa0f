/**
 * A paper table as an SVG bar chart: one group of bars per row, one bar per column (our mean, with a ±sd whisker
 * when several runs share the cell), the paper's published number as a black tick on the bar, "no run" under an
 * empty row.
 * @module
 */
import { escapeXml, groupColor } from "./analysis/scatter_svg.ts";
import type { PaperTableReport } from "./paper_table.ts";

const FONT = "Helvetica, Arial, sans-serif";

function r2(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** A step of 1, 2 or 5 × 10^k giving about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** The SVG document of a filled paper table. */
export function paperTableSvg(report: PaperTableReport, options: { title?: string; subtitle?: string } = {}): string {
  const rows = report.rows;
  const cols = report.columns;
  const values = report.cells.flatMap((c) => [
    ...(c.mean === null ? [] : [c.mean + (c.sd ?? 0), c.mean - (c.sd ?? 0)]),
    ...(c.paper === null ? [] : [c.paper]),
  ]);
  const lo = Math.min(0, ...values);
  const hiRaw = Math.max(1, ...values);
  const step = niceStep(hiRaw - lo, 5);
  const hi = Math.ceil(hiRaw / step) * step;
  const yMin = Math.floor(lo / step) * step;

  const barW = Math.max(6, Math.min(28, 160 / Math.max(1, cols.length)));
  const groupW = barW * cols.length + 24;
  const legendW = Math.max(120, 30 + Math.max(...cols.map((c) => c.length), 6) * 7);
  const left = 52, top = options.subtitle ? 70 : 52, bottom = 60, right = legendW + 16;
  const width = Math.max(420, left + rows.length * groupW + right);
  const height = 360;
  const plotH = height - top - bottom;
  const y = (v: number) => top + plotH * (1 - (v - yMin) / (hi - yMin));

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}">`,
  );
  const title = options.title ?? `Table ${report.table}: ${report.spec.about}`;
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="28" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`);
  if (options.subtitle) {
    out.push(`<text x="16" y="48" font-size="12" fill="#666">${escapeXml(options.subtitle)}</text>`);
  }
  out.push(`<g id="axis" font-size="11" fill="#555" stroke="#ddd">`);
  for (let v = yMin; v <= hi + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${width - right}" y1="${r2(y(v))}" y2="${r2(y(v))}"/>`);
    out.push(`<text x="${left - 6}" y="${r2(y(v) + 4)}" text-anchor="end" stroke="none">${r2(v)}</text>`);
  }
  out.push(`</g>`);
  out.push(`<g id="bars">`);
  rows.forEach((row, i) => {
    const x0 = left + i * groupW + 12;
    const ran = (report.runsPerRow[row] ?? 0) > 0;
    cols.forEach((col, j) => {
      const c = report.cells.find((x) => x.row === row && x.column === col)!;
      const x = x0 + j * barW;
      if (c.mean !== null) {
        const top0 = y(Math.max(c.mean, 0)), base = y(Math.min(c.mean, 0));
        out.push(
          `<rect x="${r2(x + 1)}" y="${r2(top0)}" width="${r2(barW - 2)}" height="${r2(Math.max(0.5, base - top0))}" ` +
            `fill="${groupColor(j)}"><title>${escapeXml(`${row} / ${col}: ${c.mean.toFixed(2)}`)}</title></rect>`,
        );
        if (c.sd !== null) {
          const xm = r2(x + barW / 2);
          out.push(
            `<line x1="${xm}" x2="${xm}" y1="${r2(y(c.mean - c.sd))}" y2="${r2(y(c.mean + c.sd))}" stroke="#333"/>`,
          );
        }
      }
      if (c.paper !== null) {
        out.push(
          `<line x1="${r2(x)}" x2="${r2(x + barW)}" y1="${r2(y(c.paper))}" y2="${r2(y(c.paper))}" stroke="#000" ` +
            `stroke-width="2.5"><title>${escapeXml(`paper: ${c.paper}`)}</title></line>`,
        );
      }
    });
    const cx = r2(x0 + (barW * cols.length) / 2);
    out.push(
      `<text x="${cx}" y="${height - bottom + 18}" font-size="12" text-anchor="middle" fill="#222">${
        escapeXml(row)
      }</text>`,
    );
    if (!ran) {
      out.push(`<text x="${cx}" y="${r2(y(yMin) - 8)}" font-size="11" text-anchor="middle" fill="#999">no run</text>`);
    }
  });
  out.push(`</g>`);
  const lx = width - legendW;
  out.push(`<g id="legend" font-size="12" fill="#222">`);
  cols.forEach((col, j) => {
    const ly = top + 8 + j * 20;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${groupColor(j)}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 2}">${escapeXml(col)}</text>`);
  });
  const ly = top + 8 + cols.length * 20 + 6;
  out.push(`<line x1="${lx}" x2="${lx + 12}" y1="${ly - 3}" y2="${ly - 3}" stroke="#000" stroke-width="2.5"/>`);
  out.push(`<text x="${lx + 18}" y="${ly + 2}">paper</text>`);
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
