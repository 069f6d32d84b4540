'use strict';
// A small micrograd port: scalar Values that record how they were computed
// and run reverse-mode differentiation over the recorded graph.
//
// Differences from micrograd: parents are an ordered array (sums into a
// shared node happen in the same order every time), the topological sort is
// iterative (deep graphs do not overflow the call stack), and every backward
// starts from zero gradients.  Float semantics are JavaScript's (IEEE 754
// double): exp overflow gives Infinity, log(0) gives -Infinity, sqrt(-1)
// gives NaN.  Conventions at kinks: relu'(0) = 0, abs'(0) = 0, max and min
// split a tie 1/2 and 1/2, sqrt'(0) = Infinity.
//
// The environment variable GRADORACLE_JS_FAULT injects one known bug, so the
// oracle's power can be tested against this port; see FAULTS.

const VERSION = '0.1.0';

const FAULTS = {
  'overwrite-grad': 'backward assigns a parent gradient instead of adding to it',
  'tanh-derivative': "tanh' is computed as 1 - t instead of 1 - t*t",
  'rsub': 'reflected subtraction c - x is computed as x - c',
};

const FAULT = process.env.GRADORACLE_JS_FAULT || '';
if (FAULT !== '' && !Object.prototype.hasOwnProperty.call(FAULTS, FAULT)) {
  throw new Error(
    `GRADORACLE_JS_FAULT=${JSON.stringify(FAULT)} is not a known fault; ` +
      `use one of ${Object.keys(FAULTS).join(', ')} or leave it unset`,
  );
}

function powerSlope(base, exponent) {
  // d(base**exponent)/d(base), exact at base 0 and exponent 0.
  if (exponent === 0) return 0;
  if (base === 0 && exponent === 1) return 1;
  if (base === 0) return exponent > 1 ? 0 : Infinity;
  return exponent * power(base, exponent - 1);
}

function exponentSlope(out, base, exponent) {
  // d(base**exponent)/d(exponent) = base**exponent * log(base).
  if (base > 0) return out * Math.log(base);
  return base === 0 && exponent > 0 ? 0 : NaN;
}

function power(base, exponent) {
  // NOTE: JavaScript's ** differs from C's pow: 1 ** NaN and (-1) ** Infinity are NaN.
  return exponent === 0 ? 1 : base ** exponent;
}

function sigmoid(x) {
  const e = Math.exp(-Math.abs(x));
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

class Value {
  constructor(data, parents = [], locals = [], op = '') {
    this.data = data;
    this.grad = 0;
    this.parents = parents; // ordered: backward sums in this order
    this.locals = locals; // d(this)/d(parent), one per parent
    this.op = op;
  }

  static lift(x) {
    return x instanceof Value ? x : new Value(x);
  }

  unary(data, slope, op) {
    return new Value(data, [this], [slope], op);
  }

  binary(other, data, slopes, op) {
    return new Value(data, [this, other], slopes, op);
  }

  // --- arithmetic; a number operand is lifted to a leaf ---------------------

  add(other) {
    other = Value.lift(other);
    return this.binary(other, this.data + other.data, [1, 1], 'add');
  }

  sub(other) {
    other = Value.lift(other);
    return this.binary(other, this.data - other.data, [1, -1], 'sub');
  }

  mul(other) {
    other = Value.lift(other);
    return this.binary(other, this.data * other.data, [other.data, this.data], 'mul');
  }

  div(other) {
    other = Value.lift(other);
    const out = this.data / other.data;
    return this.binary(other, out, [1 / other.data, -out / other.data], 'div');
  }

  neg() {
    return this.unary(-this.data, -1, 'neg');
  }

  // Reflected forms, c OP this, for a number c on the left.
  radd(c) {
    return Value.lift(c).add(this);
  }

  rsub(c) {
    if (FAULT === 'rsub') return this.sub(c);
    return Value.lift(c).sub(this);
  }

  rmul(c) {
    return Value.lift(c).mul(this);
  }

  rdiv(c) {
    return Value.lift(c).div(this);
  }

  // this ** c for a number c.
  pow(c) {
    return this.unary(power(this.data, c), powerSlope(this.data, c), 'pow');
  }

  // c ** this for a number c.
  rpow(c) {
    const out = power(c, this.data);
    return this.unary(out, exponentSlope(out, c, this.data), 'rpow');
  }

  // this ** other with both varying.
  powv(other) {
    other = Value.lift(other);
    const out = power(this.data, other.data);
    const slopes = [powerSlope(this.data, other.data), exponentSlope(out, this.data, other.data)];
    return this.binary(other, out, slopes, 'powv');
  }

  // --- functions ---------------------------------------------------------

  exp() {
    const out = Math.exp(this.data);
    return this.unary(out, out, 'exp');
  }

  log() {
    return this.unary(Math.log(this.data), 1 / this.data, 'log');
  }

  tanh() {
    const t = Math.tanh(this.data);
    // sech(x)**2 rather than micrograd's 1 - t*t, which cancels as |x| grows
    // (relative error 3e-13 at x = 5, 1e-8 at x = 10, and 0 instead of 2e-18 at x = 21).
    const cosh = Math.cosh(this.data);
    const slope = FAULT === 'tanh-derivative' ? 1 - t : 1 / (cosh * cosh);
    return this.unary(t, slope, 'tanh');
  }

  sigmoid() {
    const s = sigmoid(this.data);
    return this.unary(s, s * sigmoid(-this.data), 'sigmoid');
  }

  relu() {
    const positive = this.data > 0;
    return this.unary(positive ? this.data : 0, positive ? 1 : 0, 'relu');
  }

  sin() {
    return this.unary(Math.sin(this.data), Math.cos(this.data), 'sin');
  }

  cos() {
    return this.unary(Math.cos(this.data), -Math.sin(this.data), 'cos');
  }

  sqrt() {
    const out = Math.sqrt(this.data);
    return this.unary(out, 0.5 / out, 'sqrt');
  }

  abs() {
    const x = this.data;
    let slope = 0;
    if (x > 0) slope = 1;
    if (x < 0) slope = -1;
    return this.unary(Math.abs(x), slope, 'abs');
  }

  max(other) {
    other = Value.lift(other);
    const a = this.data;
    const b = other.data;
    const slopes = a > b ? [1, 0] : a < b ? [0, 1] : [0.5, 0.5];
    return this.binary(other, b > a ? b : a, slopes, 'max'); // NaN in a wins, as in Python
  }

  min(other) {
    other = Value.lift(other);
    const a = this.data;
    const b = other.data;
    const slopes = a < b ? [1, 0] : a > b ? [0, 1] : [0.5, 0.5];
    return this.binary(other, b < a ? b : a, slopes, 'min');
  }

  // --- backward ------------------------------------------------------------

  // Every node this one depends on, parents before children, without recursion.
  topologicalOrder() {
    const order = [];
    const visited = new Set();
    const stack = [[this, false]];
    while (stack.length > 0) {
      const [node, expanded] = stack.pop();
      if (expanded) {
        order.push(node);
        continue;
      }
      if (visited.has(node)) continue;
      visited.add(node);
      stack.push([node, true]);
      for (let i = node.parents.length - 1; i >= 0; i -= 1) {
        if (!visited.has(node.parents[i])) stack.push([node.parents[i], false]);
      }
    }
    return order;
  }

  // Set grad of every node to d(this)/d(node), starting from zero.
  backward() {
    const order = this.topologicalOrder();
    for (const node of order) node.grad = 0;
    this.grad = 1;
    for (let i = order.length - 1; i >= 0; i -= 1) {
      const node = order[i];
      node.parents.forEach((parent, k) => {
        if (FAULT === 'overwrite-grad') {
          parent.grad = node.locals[k] * node.grad;
        } else {
          parent.grad += node.locals[k] * node.grad;
        }
      });
    }
  }
}

module.exports = { Value, VERSION, FAULT, FAULTS };
