import { assertEquals, assertMatch, assertStrictEquals, assertThrows } from "@std/assert";
import { backward } from "../autograd.ts";
import { initEngine } from "../engine.ts";
import { checkOp } from "../_op_check.ts";
import { refGatedActivation, refGatedActivationGrad } from "../reference/gated_activation.ts";
import { ref } from "../reference/ref_tensor.ts";
import { scope } from "../scope.ts";
import { randomNormal } from "../testing.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { dropoutMul } from "./dropout.ts";
import { geluNew, mul, relu } from "./elementwise.ts";
import { gatedActivation, type GatedActivationName } from "./gated_activation.ts";

const engine = await initEngine();

const ACTIVATIONS: GatedActivationName[] = ["gelu_new", "relu"];
type Drop = { p: number; seed: number } | null;

Deno.test("gatedActivation: forward and both gradients vs float64 and finite differences on awkward shapes", async () => {
  const cases: [number[], Drop][] = [
    [[1], null],
    [[7, 3], { p: 0.1, seed: 1 }],
    [[3, 5, 33], null],
    [[257], { p: 0.5, seed: 2 ** 40 + 3 }],
    [[2, 129], { p: 0, seed: 4 }],
    [[5, 13], { p: 1, seed: 5 }],
  ];
  let k = 0;
  for (const activation of ACTIVATIONS) {
    for (const [shape, drop] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      k++;
      // gelu_new's inputs over its curved range; values near relu's kink (|x| < 1e-3) would break finite differences
      const a = Array.from(randomNormal(n, 10 + k, 2), (v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
      await checkOp({
        name: `gatedActivation ${activation} [${shape}] dropout ${JSON.stringify(drop)}`,
        inputs: [ref(a, shape), ref(randomNormal(n, 50 + k), shape)],
        gpu: ([x, l]) => gatedActivation(x, l, { activation, dropout: drop }),
        ref: ([x, l]) => refGatedActivation(activation, x, l, drop),
        refGrad: ([x, l], g) => refGatedActivationGrad(activation, x, l, g, drop),
      });
    }
  }
});

/** Output and input gradients (upstream gradient `w`) of the fused op or of the ops it replaces, same inputs. */
async function run(
  fused: boolean,
  activation: GatedActivationName,
  shape: number[],
  drop: Drop,
  needs: [boolean, boolean] = [true, true],
): Promise<{ y: Float32Array; da: Float32Array | null; db: Float32Array | null; dispatches: [number, number] }> {
  const n = shape.reduce((x, y) => x * y, 1);
  const a = tensor(randomNormal(n, 1, 2), shape);
  const b = tensor(randomNormal(n, 2), shape);
  a.requiresGrad = needs[0];
  b.requiresGrad = needs[1];
  const w = tensor(randomNormal(n, 3), shape);
  const d0 = engine.recorder.stats.dispatches;
  let d1 = 0;
  let d2 = 0;
  const y = scope(() => {
    const y = fused ? gatedActivation(a, b, { activation, dropout: drop }) : (() => {
      const gate = activation === "relu" ? relu(a) : geluNew(a);
      return drop && drop.p > 0 ? dropoutMul(gate, b, drop.p, drop.seed) : mul(gate, b);
    })();
    d1 = engine.recorder.stats.dispatches;
    backward(y, w);
    d2 = engine.recorder.stats.dispatches;
    return y;
  });
  const out = {
    y: await y.data() as Float32Array,
    da: a.grad ? await a.grad.data() as Float32Array : null,
    db: b.grad ? await b.grad.data() as Float32Array : null,
    dispatches: [d1 - d0, d2 - d1] as [number, number],
  };
  for (const t of [a, b, w, y] as Tensor[]) t.dispose();
  return out;
}

Deno.test("gatedActivation: the bits of geluNew/relu then dropoutMul (or mul), forward and both gradients", async () => {
  const drops: Drop[] = [null, { p: 0, seed: 9 }, { p: 0.1, seed: 5 }, { p: 0.5, seed: 2 ** 40 + 1 }];
  for (const activation of ACTIVATIONS) {
    for (const shape of [[3, 7, 33], [257], [1]]) {
      for (const drop of drops) {
        const what = `${activation} [${shape}] dropout ${JSON.stringify(drop)}`;
        const f = await run(true, activation, shape, drop);
        const u = await run(false, activation, shape, drop);
        assertEquals(f.y, u.y, `${what}: output`);
        assertEquals(f.da, u.da, `${what}: gradient of the gate's pre-activation`);
        assertEquals(f.db, u.db, `${what}: gradient of the linear branch`);
        assertEquals(f.dispatches, [1, 1], `${what}: one dispatch forward, one backward`);
        assertEquals(u.dispatches, [2, 3], `${what}: the unfused ops' dispatches`);
      }
    }
  }
});

Deno.test("gatedActivation: one input without a gradient gets none, the other the same bits", async () => {
  const drop = { p: 0.1, seed: 3 };
  for (const needs of [[true, false], [false, true]] as [boolean, boolean][]) {
    const f = await run(true, "gelu_new", [5, 31], drop, needs);
    const u = await run(false, "gelu_new", [5, 31], drop, needs);
    assertEquals(f.y, u.y);
    assertStrictEquals(f.da === null, !needs[0]);
    assertStrictEquals(f.db === null, !needs[1]);
    assertEquals(f.da, u.da);
    assertEquals(f.db, u.db);
  }
});

Deno.test("gatedActivation: bad shapes, activation, probability or seed throw naming the op", () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tensor([1, 2, 3], [3]);
  assertMatch(
    assertThrows(() => gatedActivation(a, b, { activation: "gelu_new" }), Error).message,
    /gatedActivation: the gate \[2, ?3\] f32 and the linear branch \[3\] f32 must have the same shape/,
  );
  assertMatch(
    assertThrows(() => gatedActivation(a, a, { activation: "tanh" as GatedActivationName }), Error).message,
    /gatedActivation: activation must be "gelu_new" or "relu", got "tanh"/,
  );
  assertMatch(
    assertThrows(() => gatedActivation(a, a, { activation: "relu", dropout: { p: 1.5, seed: 1 } }), Error).message,
    /gatedActivation: dropout probability must be in \[0, 1\], got 1.5/,
  );
  assertMatch(
    assertThrows(() => gatedActivation(a, a, { activation: "relu", dropout: { p: 0.1, seed: -1 } }), Error).message,
    /dropout: seed must be a non-negative safe integer/,
  );
  a.dispose();
  b.dispose();
});
