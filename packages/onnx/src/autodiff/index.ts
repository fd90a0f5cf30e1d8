/**
 * Reverse-mode automatic differentiation over the graph IR. `gradients` appends the backward
 * pass of a built forward graph to the same graph: for a scalar `loss` and tensors `wrt` (graph
 * inputs: the trainable parameters), it returns d loss / d t for each, in t's shape. The result
 * is one ordinary ONNX graph (forward and backward), run like any other: no training runtime.
 *
 * Rules live one family per file (elementwise, shape, linalg, reduce, conv). Gradients of a
 * tensor used several times are summed. Paths through comparisons, casts from integers, shapes
 * and index results carry no gradient; an op on a parameter's path without a rule is an error
 * that names the op and node.
 */
import type { Graph } from '../graph.js';
import { add } from '../ops.js';
import { formatShape, type SymTensor } from '../tensor.js';
import { lit, type BackwardRule, type RuleContext } from './context.js';
import { convRules } from './conv.js';
import { NON_DIFFERENTIABLE, elementwiseRules } from './elementwise.js';
import { linalgRules } from './linalg.js';
import { reduceRules } from './reduce.js';
import { shapeRules } from './shape.js';

export type { BackwardRule, RuleContext } from './context.js';

export const BACKWARD_RULES: Readonly<Record<string, BackwardRule>> = {
  ...elementwiseRules,
  ...shapeRules,
  ...linalgRules,
  ...reduceRules,
  ...convRules,
};

/**
 * Emits the backward pass of `g` from the scalar `loss` (shape [] or [1]) into `g` and returns
 * name → gradient for every tensor of `wrt` that the loss depends on. A tensor missing from the
 * map does not reach the loss: its gradient is exactly zero.
 */
export function gradients(g: Graph, loss: SymTensor, wrt: readonly SymTensor[]): Map<string, SymTensor> {
  if (loss.shape.length > 1 || (loss.shape.length === 1 && loss.shape[0] !== 1))
    g.fail(`autodiff: the loss must be a scalar, got ${formatShape(loss.shape)}`);
  const nodes = [...g.nodes];
  // Tensors that depend differentiably on a wrt tensor, in forward order (comparisons, integer
  // casts and index results end a path: the IoU target built from logits > 0 is a constant).
  const live = new Set(wrt.map((t) => t.name));
  const isFloat = (name: string) => ['float32', 'float64'].includes(g.values.get(name)?.dtype ?? '');
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op) || !n.inputs.some((i) => live.has(i))) continue;
    for (const o of n.outputs) if (isFloat(o)) live.add(o);
  }
  if (!live.has(loss.name)) return new Map();

  const grads = new Map<string, SymTensor>();
  const accumulate = (name: string, grad: SymTensor) => {
    const prev = grads.get(name);
    grads.set(name, prev ? add(g, prev, grad) : grad);
  };
  g.scope('grad', () => {
    accumulate(
      loss.name,
      g.constant(loss.dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]), [...loss.shape] as number[], loss.dtype),
    );
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k];
      if (!node) continue;
      const gradOut = node.outputs.map((o) => grads.get(o) ?? null);
      if (gradOut.every((t) => t === null)) continue;
      if (NON_DIFFERENTIABLE.has(node.op)) continue;
      const rule = BACKWARD_RULES[node.op];
      if (!rule) g.fail(`autodiff: no backward rule for ${node.op} (node "${node.name}"), which lies between a parameter and the loss`);
      const value = (name: string) => (name === '' ? null : (g.values.get(name) ?? g.fail(`autodiff: unknown tensor "${name}"`)));
      const ctx: RuleContext = {
        g,
        node,
        inputs: node.inputs.map(value),
        outputs: node.outputs.map((o) => value(o) as SymTensor),
        needs: (i) => live.has(node.inputs[i] ?? ''),
      };
      const gradIn = g.scope(node.name.replace(/\//g, '.'), () => rule(ctx, gradOut));
      gradIn.forEach((grad, i) => {
        const name = node.inputs[i];
        if (grad && name && live.has(name)) accumulate(name, grad);
      });
      // Free what is no longer needed: an output's gradient is complete once its producer ran.
      for (const o of node.outputs) if (o !== loss.name) grads.delete(o);
    }
  });
  const out = new Map<string, SymTensor>();
  for (const t of wrt) {
    const grad = grads.get(t.name);
    if (grad) out.set(t.name, grad);
  }
  return out;
}

export { lit };
