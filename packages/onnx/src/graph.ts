import { GraphError, type ConstData, type DType, type Shape, type SymTensor, formatShape } from './tensor.js';

/** Attribute values: a plain number is an INT; floats are wrapped so the type is explicit. */
export type AttrValue = number | number[] | string | { float: number } | { floats: number[] } | { tensor: ConstTensor };

export interface ConstTensor {
  dtype: DType;
  shape: readonly number[];
  data: ConstData;
}

export interface NodeDef {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
}

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Shape;
}

export interface Initializer extends ConstTensor {
  name: string;
}

/**
 * Accumulates an ONNX graph. Ops live in ops.ts and nn.ts as free functions over SymTensors;
 * this class only owns names, scopes, nodes, inputs, outputs and initializers.
 */
export class Graph {
  readonly nodes: NodeDef[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: Initializer[] = [];
  /** Every tensor made so far by name (inputs, constants, node outputs), for graph transforms such as autodiff. */
  readonly values = new Map<string, SymTensor>();
  private readonly scopes: string[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** The current layer path, e.g. "image_encoder.blocks.3.attn"; used in names and errors. */
  get scopeName(): string {
    return this.scopes.join('.');
  }

  /** Runs `fn` with `name` pushed on the layer path. */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Throws a GraphError prefixed with the current layer path. */
  fail(message: string): never {
    throw new GraphError(`${this.scopeName || this.name}: ${message}`);
  }

  uniqueName(base: string): string {
    const stem = this.scopeName ? `${this.scopeName}/${base}` : base;
    let name = stem;
    while (this.used.has(name)) name = `${stem}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: Shape): SymTensor {
    if (this.used.has(name)) this.fail(`duplicate input name ${name}`);
    this.used.add(name);
    this.inputs.push({ name, dtype, shape });
    const t = { name, dtype, shape };
    this.values.set(name, t);
    return t;
  }

  output(t: SymTensor, name: string, shape: Shape = t.shape): void {
    // Outputs get their public name through an Identity so internal names stay free.
    if (t.name !== name) {
      if (this.used.has(name)) this.fail(`duplicate output name ${name}`);
      this.used.add(name);
      this.nodes.push({ op: 'Identity', name: `${name}_identity`, inputs: [t.name], outputs: [name], attrs: {} });
    }
    this.outputs.push({ name, dtype: t.dtype, shape });
  }

  /** Adds a constant tensor as an initializer. `key` (e.g. a state-dict key) names it when given. */
  constant(data: ConstData, shape: readonly number[], dtype: DType, key?: string): SymTensor {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) {
      this.fail(`constant ${key ?? ''} has ${data.length} values, shape ${formatShape(shape)} needs ${expected}`);
    }
    const name = key !== undefined && !this.used.has(key) ? (this.used.add(key), key) : this.uniqueName(key ?? 'const');
    this.initializers.push({ name, dtype, shape: [...shape], data });
    const t = { name, dtype, shape: [...shape], value: data };
    this.values.set(name, t);
    return t;
  }

  /**
   * Appends a node and returns its output tensors with the shapes the caller inferred. `domain`
   * names an operator set other than the default ONNX one (e.g. "com.microsoft" for ONNX
   * Runtime's contrib ops); the writer imports it.
   */
  node(
    op: string,
    inputs: (SymTensor | null)[],
    outs: { dtype: DType; shape: Shape }[],
    attrs: Record<string, AttrValue> = {},
    domain?: string,
  ): SymTensor[] {
    const name = this.uniqueName(op);
    const outputs = outs.map((o, i) => ({ name: outs.length === 1 ? `${name}:0` : `${name}:${i}`, dtype: o.dtype, shape: o.shape }));
    const def: NodeDef = { op, name, inputs: inputs.map((t) => (t ? t.name : '')), outputs: outputs.map((o) => o.name), attrs };
    if (domain) def.domain = domain;
    this.nodes.push(def);
    for (const o of outputs) this.values.set(o.name, o);
    return outputs;
  }

  /** Single-output convenience over `node`. */
  node1(
    op: string,
    inputs: (SymTensor | null)[],
    dtype: DType,
    shape: Shape,
    attrs: Record<string, AttrValue> = {},
    domain?: string,
  ): SymTensor {
    const [out] = this.node(op, inputs, [{ dtype, shape }], attrs, domain);
    if (!out) throw new GraphError('unreachable: node without output');
    return out;
  }
}
