/**
 * Standalone SVG scatter plots of 2-D layouts (PCA, t-SNE) coloured by group, in the style of the paper's Figures 2–4:
 * no axes, a title, a legend with each group's colour and count, points drawn in a seeded random order so that no
 * group hides another, on a white background.
 * @module
 */
import { SeededRandom } from "./random.ts";

/** Tableau 10: distinct, readable on white. */
export const PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Colour of the i-th group: the palette, then golden-angle hues. */
export function groupColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  const hue = Math.round((i * 137.508) % 360);
  return `hsl(${hue}, 55%, 48%)`;
}

/** Options of {@link scatterSvg}. */
export interface ScatterOptions {
  /** Title above the plot. */
  title: string;
  /** Smaller line under the title (method, counts, explained variance …). */
  subtitle?: string;
  /** Heading of the legend. */
  legendTitle?: string;
  /** Order of the groups in the legend and palette (default: order of first appearance). A listed group that has no
   * point keeps its palette slot (so a label has the same colour in every plot) but gets no legend entry. */
  groupOrder?: readonly string[];
  /** Fixed colours of some groups (CSS colours), overriding the palette. */
  colors?: Readonly<Record<string, string>>;
  /** Width in px (default 760). */
  width?: number;
  /** Height in px (default 560). */
  height?: number;
  /** Point radius in px (default: 2.2–4.5 by point count). */
  radius?: number;
  /** Seed of the drawing order (default 0). */
  seed?: number;
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const FONT = "Helvetica, Arial, sans-serif";

function fmt(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/**
 * The SVG document of points (`x[i]`, `y[i]`) coloured by `groups[i]`. Both axes share one scale (distances are
 * comparable in every direction). Throws on a non-finite coordinate or mismatched lengths.
 */
export function scatterSvg(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  groups: readonly string[],
  options: ScatterOptions,
): string {
  const n = x.length;
  if (y.length !== n || groups.length !== n) {
    throw new Error(`scatterSvg: ${n} x values, ${y.length} y values and ${groups.length} groups; they must match`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new Error(`scatterSvg (${options.title}): point ${i} is (${x[i]}, ${y[i]})`);
    }
  }
  const width = options.width ?? 760;
  const height = options.height ?? 560;
  const counts = new Map<string, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  const slots = [...new Set(options.groupOrder ?? [])];
  for (const g of counts.keys()) if (!slots.includes(g)) slots.push(g);
  const color = new Map(slots.map((g, i) => [g, options.colors?.[g] ?? groupColor(i)]));
  const order = slots.filter((g) => counts.has(g));

  const legendItems = order.map((g) => `${g} (${counts.get(g)})`);
  const longest = Math.max(options.legendTitle?.length ?? 0, ...legendItems.map((s) => s.length), 4);
  const legendWidth = Math.min(Math.max(120, 24 + longest * 7), width / 2.5);
  const top = options.subtitle ? 66 : 48;
  const pad = 16;
  const plot = { left: pad, top, right: width - legendWidth - pad, bottom: height - pad };
  const radius = options.radius ?? Math.max(2.2, Math.min(4.5, 60 / Math.sqrt(Math.max(n, 1))));

  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, x[i]);
    maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]);
    maxY = Math.max(maxY, y[i]);
  }
  const inner = {
    w: plot.right - plot.left - 2 * radius,
    h: plot.bottom - plot.top - 2 * radius,
  };
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const scale = Math.min(inner.w / spanX, inner.h / spanY);
  const cx0 = (plot.left + plot.right) / 2;
  const cy0 = (plot.top + plot.bottom) / 2;
  const midX = n > 0 ? (minX + maxX) / 2 : 0;
  const midY = n > 0 ? (minY + maxY) / 2 : 0;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT}">`,
  );
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${pad}" y="30" font-size="17" font-weight="bold" fill="#222">${escapeXml(options.title)}</text>`);
  if (options.subtitle) {
    out.push(`<text x="${pad}" y="50" font-size="12" fill="#666">${escapeXml(options.subtitle)}</text>`);
  }
  out.push(`<g id="points" fill-opacity="0.78" stroke="#ffffff" stroke-width="0.5">`);
  const drawOrder = new SeededRandom(options.seed ?? 0).permutation(n);
  for (const i of drawOrder) {
    const px = cx0 + (x[i] - midX) * scale;
    const py = cy0 - (y[i] - midY) * scale; // SVG's y grows downwards
    out.push(`<circle cx="${fmt(px)}" cy="${fmt(py)}" r="${fmt(radius)}" fill="${color.get(groups[i])}"/>`);
  }
  out.push(`</g>`);
  if (n === 0) {
    out.push(`<text x="${fmt(cx0)}" y="${fmt(cy0)}" font-size="14" fill="#888" text-anchor="middle">no points</text>`);
  }
  const lx = width - legendWidth;
  let ly = top + 6;
  out.push(`<g id="legend" font-size="12" fill="#222">`);
  if (options.legendTitle) {
    out.push(`<text x="${lx}" y="${ly + 4}" font-weight="bold">${escapeXml(options.legendTitle)}</text>`);
    ly += 22;
  }
  order.forEach((g, i) => {
    out.push(`<circle cx="${lx + 6}" cy="${ly}" r="5.5" fill="${color.get(g)}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 4}">${escapeXml(legendItems[i])}</text>`);
    ly += 20;
  });
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
