/**
 * Reverse-mode autodiff on a tape. Each op records, beside its forward, a closure that maps the output gradient to
 * input gradients using other ops; `backward()` walks the tape in reverse, accumulates gradients, and frees saved
 * tensors as it goes.
 * @module
 */
// ops/elementwise.ts records onto this tape, and backward sums gradients with its `add`: the two modules import each
// other, which is safe because neither uses the other's exports while it is being evaluated.
import { clone, onesLike } from "./ops/create.ts";
import { add as addTensors } from "./ops/elementwise.ts";
import { GradSum, type PartialGrad } from "./grad_sum.ts";
import { keep } from "./scope.ts";
import { fmtShape, type GradNode, type Tensor } from "./tensor.ts";

export type { MaskedGrad, PartialGrad, PartJoin } from "./grad_sum.ts";

/**
 * Maps the output gradient (and the tensors saved at forward time) to one gradient per input (null: none). `mask` is
 * given only to ops recorded with `acceptsMask`: the output gradient is then `grad` under that dropout mask (the
 * kernels' parameters `k0`, `k1`, `thr`, `scale`), which the op applies itself.
 */
export type BackwardFn = (grad: Tensor, saved: Tensor[], mask?: number[] | null) => (Tensor | PartialGrad | null)[];

interface Node extends GradNode {
  output: Tensor;
  inputs: Tensor[];
  saved: Tensor[];
  backward: BackwardFn;
  acceptsMask: boolean;
}

/** Options of {@link record}. */
export interface RecordOptions {
  /** The backward can take its output gradient under a dropout mask (see {@link BackwardFn}). */
  acceptsMask?: boolean;
}

let tape: Node[] = [];
let gradEnabled = true;

/** Whether ops currently record onto the tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording (evaluation, optimiser updates). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/** Number of nodes on the tape (for tests). */
export function tapeLength(): number {
  return tape.length;
}

/**
 * Records `output = op(inputs)` when any input requires a gradient. `save` lists tensors the backward needs; they
 * are kept alive (as aliases) until the node is processed or the tape cleared, even if the caller disposes them.
 */
export function record(
  op: string,
  output: Tensor,
  inputs: Tensor[],
  backward: BackwardFn,
  save: Tensor[] = [],
  options: RecordOptions = {},
): void {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return;
  const saved = save.map((t) => keep(t.view(t.shape)));
  const node: Node = { op, output, inputs, saved, backward, acceptsMask: options.acceptsMask ?? false };
  output.requiresGrad = true;
  output.node = node;
  tape.push(node);
}

function freeNode(node: Node): void {
  for (const t of node.saved) t.dispose();
  node.saved = [];
}

/** Drops the tape and everything it saved (call after a forward pass whose backward is not wanted). */
export function clearTape(): void {
  for (const node of tape) freeNode(node);
  tape = [];
}

/**
 * Back-propagates from `output` (a one-element tensor, or any tensor with `grad` given). Leaf tensors that require
 * gradients get `.grad` (accumulated across calls until zeroed). The tape is consumed.
 */
export function backward(output: Tensor, grad?: Tensor): void {
  if (!output.requiresGrad) {
    throw new Error(`backward: ${output.describe()} does not require a gradient (was it computed under noGrad()?)`);
  }
  if (!grad && output.size !== 1) {
    throw new Error(`backward: output ${fmtShape(output.shape)} is not a scalar; pass its gradient explicitly`);
  }
  if (grad && grad.size !== output.size) {
    throw new Error(`backward: gradient ${grad.describe()} does not match output ${output.describe()}`);
  }
  // Gradients are summed while recording is off (below), so the sums' `add`s record nothing.
  const nodes = tape;
  tape = [];
  const grads = new Map<Tensor, GradSum>();
  const leafSums = new Map<Tensor, GradSum>();
  const sumOf = (t: Tensor): GradSum => {
    const sums = t.node ? grads : leafSums;
    let sum = sums.get(t);
    if (!sum) sums.set(t, sum = new GradSum(t.shape, Boolean(t.node)));
    return sum;
  };
  // consumers of each tensor still to be processed: a contribution from the last one is not held back
  const uses = new Map<Tensor, number>();
  for (const node of nodes) for (const input of node.inputs) uses.set(input, (uses.get(input) ?? 0) + 1);
  const leaves = new Set<Tensor>();
  const before = gradEnabled;
  gradEnabled = false;
  try {
    const seed = grad ? grad.view(output.shape) : onesLike(output);
    sumOf(output).push(seed, () => "backward");
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const sum = grads.get(node.output);
      grads.delete(node.output);
      // an op that applies a dropout mask itself gets a masked gradient unmasked, with the mask's parameters
      const part = node.acceptsMask ? sum?.takeMasked() ?? null : null;
      const mask = part?.masked ?? null;
      const g = mask ? mask.grad.view(mask.grad.shape) : sum?.finish() ?? null;
      part?.dispose();
      if (!g) {
        for (const input of node.inputs) uses.set(input, uses.get(input)! - 1);
        freeNode(node);
        continue;
      }
      // A backward may pass the output gradient straight through; give each such input its own reference.
      const inputGrads = node.backward(g, node.saved, mask?.params ?? null).map((ig) =>
        ig === g ? g.view(g.shape) : ig
      );
      g.dispose();
      freeNode(node);
      for (let k = 0; k < node.inputs.length; k++) {
        const input = node.inputs[k];
        const left = uses.get(input)! - 1;
        uses.set(input, left);
        const ig = inputGrads[k];
        if (!ig || !input.requiresGrad) {
          ig?.dispose();
          continue;
        }
        sumOf(input).push(ig, () => `backward of ${node.op} (input ${input.describe()})`, left > 0);
      }
    }
    for (const [leaf, sum] of leafSums) {
      const g = sum.finish();
      if (g) addLeafGrad(leaf, g, addTensors, leaves);
    }
  } finally {
    gradEnabled = before;
    for (const sum of grads.values()) sum.dispose();
    for (const sum of leafSums.values()) sum.dispose();
    for (const node of nodes) freeNode(node);
  }
  // A pass-through backward (add, reshape) can leave two leaves' gradients, or a leaf's gradient and the caller's
  // `grad`, as views of one buffer; give each its own so that in-place updates (clipping) touch one gradient only.
  for (const leaf of leaves) {
    if (leaf.grad?.sharesStorage) {
      const own = keep(clone(leaf.grad));
      leaf.grad.dispose();
      leaf.grad = own;
    }
  }
}

function addLeafGrad(leaf: Tensor, g: Tensor, add: typeof addTensors, touched: Set<Tensor>): void {
  touched.add(leaf);
  if (leaf.grad) {
    const sum = keep(add(leaf.grad, g));
    leaf.grad.dispose();
    g.dispose();
    leaf.grad = sum;
  } else {
    leaf.grad = keep(g);
  }
}
