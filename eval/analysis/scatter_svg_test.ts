import {
  assert,
  assertEquals,
  assertMatch,
  assertNotStrictEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { DOMParser } from "@xmldom/xmldom";
import { escapeXml, groupColor, PALETTE, scatterSvg } from "./scatter_svg.ts";

function parse(svg: string) {
  return new DOMParser().parseFromString(svg, "image/svg+xml");
}

Deno.test("scatterSvg: parses as XML with one circle per point, a legend entry per group, one colour per group", () => {
  const x = [0, 1, 2, 3, 10, 11, 12];
  const y = [0, 1, 0, 1, 5, 6, 5];
  const groups = ["b<&>", "b<&>", "b<&>", "b<&>", "a", "a", "c"];
  const svg = scatterSvg(x, y, groups, {
    title: 't-SNE of e: "tasks" & more',
    subtitle: "7 points",
    legendTitle: "task",
    groupOrder: ["a", "zzz"],
    colors: { c: "#123456" },
  });
  const doc = parse(svg);
  const root = doc.documentElement!;
  assertEquals(root.tagName, "svg");
  assertEquals(root.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  const points = doc.getElementById("points")!;
  const circles = Array.from(points.getElementsByTagName("circle"));
  assertStrictEquals(circles.length, x.length);
  const legend = doc.getElementById("legend")!;
  const labels = Array.from(legend.getElementsByTagName("text")).map((t) => t.textContent);
  assertEquals(labels, ["task", "a (2)", "b<&> (4)", "c (1)"], "groupOrder first, then first appearance");
  const legendColors = Array.from(legend.getElementsByTagName("circle")).map((c) => c.getAttribute("fill"));
  // "zzz" has no point: no legend entry, but it keeps its palette slot; "c" has a fixed colour.
  assertEquals(legendColors, [PALETTE[0], PALETTE[2], "#123456"]);
  // Each point's colour is its group's; recover the groups from the positions (x grows left to right).
  const byX = circles.map((c) => [Number(c.getAttribute("cx")), c.getAttribute("fill")] as const).sort((p, q) =>
    p[0] - q[0]
  );
  assertEquals(byX.map((p) => p[1]), [2, 2, 2, 2, 0, 0].map((i) => PALETTE[i]).concat("#123456"));
  // Both axes share one scale: distances in the plot are proportional to the data's.
  const pos = circles.map((c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]);
  const width = Number(root.getAttribute("width"));
  const height = Number(root.getAttribute("height"));
  for (const [cx, cy] of pos) assert(cx > 0 && cx < width && cy > 0 && cy < height, "inside the canvas");
  const texts = Array.from(doc.getElementsByTagName("text")).map((t) => t.textContent);
  assert(texts.includes('t-SNE of e: "tasks" & more'));
});

Deno.test("scatterSvg: equal scales on both axes, and y upwards", () => {
  const svg = scatterSvg([0, 4, 0], [0, 0, 3], ["p", "q", "r"], { title: "t" });
  const circles = Array.from(parse(svg).getElementById("points")!.getElementsByTagName("circle"));
  const byGroup = new Map(
    circles.map((c) => [c.getAttribute("fill"), [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]]),
  );
  const [p, q, r] = [0, 1, 2].map((i) => byGroup.get(PALETTE[i])!);
  const sx = (q[0] - p[0]) / 4;
  const sy = (p[1] - r[1]) / 3;
  assert(sx > 0 && Math.abs(sx - sy) < 0.02, `scales ${sx} and ${sy}`);
  assert(Math.abs(q[1] - p[1]) < 0.01 && Math.abs(r[0] - p[0]) < 0.01);
});

Deno.test("scatterSvg: no points still makes a valid document; bad input is refused", () => {
  const doc = parse(scatterSvg([], [], [], { title: "empty" }));
  assertEquals(doc.getElementById("points")!.getElementsByTagName("circle").length, 0);
  assertMatch(
    assertThrows(() => scatterSvg([0, NaN], [0, 1], ["a", "a"], { title: "pca" }), Error).message,
    /scatterSvg \(pca\): point 1 is \(NaN, 1\)/,
  );
  assertMatch(
    assertThrows(() => scatterSvg([0], [0, 1], ["a"], { title: "x" }), Error).message,
    /1 x values, 2 y values and 1 groups/,
  );
  assertEquals(escapeXml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  assertNotStrictEquals(groupColor(10), groupColor(11));
  assertMatch(groupColor(12), /^hsl\(\d+, 55%, 48%\)$/);
});
