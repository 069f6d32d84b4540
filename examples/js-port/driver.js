#!/usr/bin/env node
'use strict';
// Serve the JavaScript micrograd port over the gradoracle.engine/1 protocol.
//
// Writes the handshake, then reads one JSON request per stdin line, builds a
// fresh graph of Values for it, runs forward and backward, and writes one
// reply line.  Exits 0 when stdin closes.  Diagnostics go to stderr.

const readline = require('node:readline');

const { Value, VERSION, FAULT } = require('./engine.js');
const { floatFromJson, floatToJson } = require('./wire.js');

const PROTOCOL = 'gradoracle.engine/1';

// Each op of the graph IR as a call on Values.  A constant operand is a
// plain number, so a constant on the left goes through the reflected method
// (radd, rsub, rmul, rdiv), as `2 - x` does in user code.
const APPLY = {
  add: (a, b) => (a instanceof Value ? a.add(b) : b.radd(a)),
  sub: (a, b) => (a instanceof Value ? a.sub(b) : b.rsub(a)),
  mul: (a, b) => (a instanceof Value ? a.mul(b) : b.rmul(a)),
  div: (a, b) => (a instanceof Value ? a.div(b) : b.rdiv(a)),
  neg: (a) => a.neg(),
  pow: (a, c) => a.pow(c),
  rpow: (c, a) => a.rpow(c),
  powv: (a, b) => a.powv(b),
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  tanh: (a) => a.tanh(),
  sigmoid: (a) => a.sigmoid(),
  relu: (a) => a.relu(),
  sin: (a) => a.sin(),
  cos: (a) => a.cos(),
  sqrt: (a) => a.sqrt(),
  abs: (a) => a.abs(),
  max: (a, b) => Value.lift(a).max(b),
  min: (a, b) => Value.lift(a).min(b),
};

class PhaseError extends Error {
  constructor(phase, cause) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.phase = phase;
    this.type = cause instanceof Error ? cause.name : 'Error';
  }
}

// Return the leaves and one Value per graph node, in node order.
function build(graph, point) {
  if (graph.format !== 'gradoracle.graph/1') {
    throw new Error(`graph format ${JSON.stringify(graph.format)} is not gradoracle.graph/1`);
  }
  const leaves = new Map();
  for (const name of graph.inputs) {
    if (!(name in point)) throw new Error(`point has no value for input ${JSON.stringify(name)}`);
    leaves.set(name, new Value(floatFromJson(point[name])));
  }
  const nodes = [];
  graph.nodes.forEach((node, index) => {
    const apply = APPLY[node.op];
    if (apply === undefined) throw new Error(`node ${index}: op ${JSON.stringify(node.op)} is not supported`);
    const args = node.args.map((arg) => {
      if (typeof arg === 'string') return leaves.get(arg);
      if (typeof arg === 'number') return nodes[arg];
      return floatFromJson(arg.const);
    });
    if (args.some((arg) => arg === undefined)) {
      throw new Error(`node ${index}: an operand names an unknown input or a later node`);
    }
    nodes.push(apply(...args));
  });
  return { leaves, nodes };
}

function run(request) {
  let built;
  try {
    built = build(request.graph, request.point);
  } catch (error) {
    throw new PhaseError('build', error);
  }
  const { leaves, nodes } = built;
  const output = nodes[nodes.length - 1];
  try {
    output.backward();
  } catch (error) {
    throw new PhaseError('backward', error);
  }
  const gradient = {};
  for (const [name, leaf] of leaves) gradient[name] = floatToJson(leaf.grad);
  return {
    id: request.id,
    value: floatToJson(output.data),
    gradient,
    node_values: nodes.map((node) => floatToJson(node.data)),
    node_adjoints: nodes.map((node) => floatToJson(node.grad)),
  };
}

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function main() {
  reply({
    protocol: PROTOCOL,
    engine: 'js-port',
    version: FAULT ? `${VERSION}+fault.${FAULT}` : VERSION,
    ops: Object.keys(APPLY),
    dtype: 'float64',
    node_adjoints: true,
  });

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let request;
    try {
      request = JSON.parse(line);
    } catch (error) {
      process.stderr.write(`driver.js: invalid request line (${error.message}): ${line.slice(0, 200)}\n`);
      process.exit(2);
    }
    try {
      reply(run(request));
    } catch (error) {
      const phase = error instanceof PhaseError ? error.phase : 'build';
      const type = error instanceof PhaseError ? error.type : error.name;
      reply({ id: request.id, error: { phase, type, message: error.message } });
    }
  });
  lines.on('close', () => {
    process.exitCode = 0;
  });
}

main();
