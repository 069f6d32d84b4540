'use strict';
// Floats on the gradoracle.engine/1 wire.
//
// The oracle sends every float as {"decimal": "...", "hex": "..."}.  The hex
// form (Python's float.hex, e.g. "-0x1.8000000000000p+1") is exact, so it is
// decoded here bit for bit; the decimal form is checked against it.  Replies
// use plain JSON numbers, which JSON.stringify writes as the shortest decimal
// that reads back to the same double, plus strings for non-finite values
// and an object for -0, which a JSON number cannot carry.

const HEX_FLOAT = /^([+-])?0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?\d+)$/i;

// Multiply by 2**exponent in steps, so no intermediate power overflows or underflows.
function scaleByPowerOfTwo(value, exponent) {
  let result = value;
  let remaining = exponent;
  while (remaining > 1000) {
    result *= 2 ** 1000;
    remaining -= 1000;
  }
  while (remaining < -1000) {
    result *= 2 ** -1000;
    remaining += 1000;
  }
  return result * 2 ** remaining;
}

// Decode hex float text such as "0x1.8p+1", "nan", "inf" or "-inf".
function parseHexFloat(text) {
  const special = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity };
  if (Object.prototype.hasOwnProperty.call(special, text)) return special[text];
  const match = HEX_FLOAT.exec(text);
  if (match === null) throw new Error(`hex float ${JSON.stringify(text)} is not of the form 0x1.8p+1`);
  const [, sign, whole, fraction = '', exponentText] = match;
  // The digits form one integer; fraction digits shift the binary exponent.
  let mantissa = BigInt(`0x${whole}${fraction}`);
  let exponent = Number(exponentText) - 4 * fraction.length;
  // Python writes at most 53 significant bits, so the mantissa fits a double
  // exactly after trailing zero bits are dropped.
  while (mantissa > 0n && (mantissa & 1n) === 0n) {
    mantissa >>= 1n;
    exponent += 1;
  }
  if (mantissa >= 2n ** 53n) throw new Error(`hex float ${JSON.stringify(text)} has more than 53 significant bits`);
  // For a subnormal result, scale in two steps: the first product stays normal
  // and exact, and the second rounds nothing because the result is a double.
  let value = Number(mantissa);
  if (exponent < -1022) {
    value = scaleByPowerOfTwo(value, exponent + 104);
    value = scaleByPowerOfTwo(value, -104);
  } else {
    value = scaleByPowerOfTwo(value, exponent);
  }
  return sign === '-' ? -value : value;
}

// Decode a wire float: a JSON number, "nan"/"inf"/"-inf", or {"decimal", "hex"}.
function floatFromJson(data) {
  if (typeof data === 'number') return data;
  if (typeof data === 'string') return parseHexFloat(data);
  if (data === null || typeof data !== 'object') throw new Error(`float ${JSON.stringify(data)} is not a number`);
  const fromHex = typeof data.hex === 'string' ? parseHexFloat(data.hex) : undefined;
  const fromDecimal = typeof data.decimal === 'string' ? Number(data.decimal) : undefined;
  if (fromHex === undefined && fromDecimal === undefined) {
    throw new Error(`float ${JSON.stringify(data)} has neither decimal nor hex text`);
  }
  const bothNaN = Number.isNaN(fromHex) && Number.isNaN(fromDecimal);
  if (fromHex !== undefined && fromDecimal !== undefined && fromHex !== fromDecimal && !bothNaN) {
    throw new Error(`float ${JSON.stringify(data)}: decimal and hex forms disagree`);
  }
  return fromHex !== undefined ? fromHex : fromDecimal;
}

// Encode a double for a reply without losing NaN, infinities or the sign of zero.
function floatToJson(value) {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return { decimal: '-0.0', hex: '-0x0.0p+0' };
  return value;
}

module.exports = { parseHexFloat, floatFromJson, floatToJson };
