/**
 * Jest runs each test file in its own vm context with its own typed-array classes, but tfjs-node's native
 * addon creates its arrays in Node's main realm, so tfjs's `instanceof Float32Array` checks fail inside jest
 * ("Unsupported TypedArray subtype"). Sharing the main realm's typed arrays with the tests removes the mismatch.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = ['ArrayBuffer', 'Uint8Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8ClampedArray', 'DataView'];

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArrayEnvironment;
