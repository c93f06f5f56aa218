/**
 * seedrandom's lib/alea.js on its own: the generator behind tfjs-core's seeded randomUniform. Importing it
 * instead of the package keeps seedrandom's other generators out of the browser bundle.
 */
declare module 'seedrandom/lib/alea' {
  import seedrandom = require('seedrandom');
  const alea: seedrandom.seedrandom_prng['alea'];
  export = alea;
}
