import { UNARY } from "@hyperdecoders/kernels";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refAffine, refBinary, refBinaryGrad, refUnary, refUnaryGrad } from "../reference/elementwise.ts";
import { ref } from "../reference/ref_tensor.ts";
import { randomNormal, randomUniform } from "../testing.ts";
import { add, affine, div, mul, sub, unary } from "./elementwise.ts";
import { assertMatch, assertThrows } from "@std/assert";

await initEngine();

const AWKWARD = [1, 7, 33, 65, 257];

function inputFor(op: string, n: number, seed: number): Float64Array {
  if (op === "log" || op === "sqrt" || op === "rsqrt") return randomUniform(n, seed, 0.5, 3);
  // keep away from relu's kink so finite differences are exact
  const x = randomNormal(n, seed);
  return op === "relu" ? x.map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v)) : x;
}

for (const op of Object.keys(UNARY)) {
  Deno.test(`unary ${op}: forward and backward vs float64 reference on awkward sizes`, async () => {
    for (const n of [...AWKWARD, 70_001]) {
      await checkOp({
        name: `${op} n=${n}`,
        inputs: [ref(inputFor(op, n, n), [n])],
        gpu: ([x]) => unary(op, x),
        ref: ([x]) => refUnary(op, x),
        refGrad: ([x], g) => [refUnaryGrad(op, x, g)],
        skipFiniteDifference: n > 300,
        tol: 2e-5,
      });
    }
  });
}

const BINARY_OPS = { add, sub, mul, div };
const SHAPE_PAIRS: [number[], number[]][] = [
  [[7], [7]],
  [[33, 65], [33, 65]],
  [[3, 1, 5], [1, 4, 1]],
  [[2, 3, 7], [7]],
  [[65, 1], [1, 33]],
  [[1], [2, 3]],
  [[2, 1, 3, 1, 2, 2], [1, 5, 1, 2, 1, 2]],
];

for (const [name, fn] of Object.entries(BINARY_OPS)) {
  Deno.test(`binary ${name}: broadcasting forward and backward vs float64 reference`, async () => {
    for (const [sa, sb] of SHAPE_PAIRS) {
      const na = sa.reduce((x, y) => x * y, 1);
      const nb = sb.reduce((x, y) => x * y, 1);
      const b = name === "div" ? randomUniform(nb, 2, 0.5, 2) : randomNormal(nb, 2);
      await checkOp({
        name: `${name} [${sa}] [${sb}]`,
        inputs: [ref(randomNormal(na, 1), sa), ref(b, sb)],
        gpu: ([x, y]) => fn(x, y),
        ref: ([x, y]) => refBinary(name, x, y),
        refGrad: ([x, y], g) => refBinaryGrad(name, x, y, g),
      });
    }
  });
}

Deno.test("affine: x*s + t forward and backward", async () => {
  await checkOp({
    name: "affine",
    inputs: [ref(randomNormal(257, 5), [257])],
    gpu: ([x]) => affine(x, -1.5, 0.25),
    ref: ([x]) => refAffine(x, -1.5, 0.25),
    refGrad: (_xs, g) => [refAffine(g, -1.5, 0)],
  });
});

Deno.test("binary ops name the op and both shapes when shapes cannot broadcast", async () => {
  const { tensor } = await import("../tensor.ts");
  const a = tensor(new Float32Array(6), [2, 3]);
  const b = tensor(new Float32Array(4), [4]);
  assertMatch(assertThrows(() => add(a, b), Error).message, /add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  a.dispose();
  b.dispose();
});
