import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { EXPORT_OPTIONS, ExportOptions, checkOptions, withDefaults } from '../config';
import { ConfigError } from '../errors';
import { loadModelFromDirectory } from '../eval/evaluate';
import { PACKAGE_ROOT } from '../package';
import { writeDirectoryAtomically } from '../util/atomic-files';
import { toLayersModel } from './layers-model';

/** Built by `npm run build` (scripts/build-web.js): the browser bundle and the demo page. */
export const WEB_BUILD_DIR = path.join(PACKAGE_ROOT, 'dist', 'web');
export const WEB_FORMAT = 'tfjs-rnnlm-web';
/** tfjs's WebAssembly backend, which the page loads only for ?backend=wasm (on a CPU it is the fastest). */
const WASM_BACKEND_FILES = ['tf-backend-wasm.min.js', 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** model.json and weights.bin of a LayersModel, as `tf.loadLayersModel` reads them (without tfjs-node's file://). */
async function layersModelFiles(model: tf.LayersModel, metadata: object): Promise<Record<string, string | Buffer>> {
  let files: Record<string, string | Buffer> = {};
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    const json: tf.io.ModelJSON = {
      format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      modelTopology: artifacts.modelTopology as object,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      userDefinedMetadata: { rnnlm: metadata },
    };
    files = { 'model.json': JSON.stringify(json), 'weights.bin': weights };
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
  }));
  return files;
}

function readBuilt(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new ConfigError(`${file} is missing: build the browser bundle first (npm run build)`);
  }
}

/**
 * Writes what a web page needs to sample from a trained model into `out`: index.html (the demo page),
 * model.json + weights.bin (a LayersModel, see toLayersModel), vocab.json, rnnlm-web.js (our layers and
 * sampler), tf.min.js and tfjs's WebAssembly backend (from this package's dependencies, so no CDN is needed). Serve the directory over
 * http (`rnnlm serve`): browsers do not let a page fetch its model from file://.
 */
export async function exportForBrowser(modelDir: string, given: Partial<ExportOptions> & Pick<ExportOptions, 'out'>): Promise<string[]> {
  checkOptions(EXPORT_OPTIONS, given);
  const { out, force } = withDefaults(EXPORT_OPTIONS, given);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0) && !force) {
    throw new ConfigError((option) => `${option('out')} ${out} already exists: choose another directory or add ${option('force')} to replace it`);
  }
  const page = readBuilt(path.join(WEB_BUILD_DIR, 'index.html'));
  const bundle = readBuilt(path.join(WEB_BUILD_DIR, 'rnnlm-web.js'));
  const { model, vocab } = loadModelFromDirectory(modelDir);
  const layersModel = toLayersModel(model);
  try {
    const files = {
      ...(await layersModelFiles(layersModel, { format: WEB_FORMAT, version: 1, modelConfig: model.config })),
      'vocab.json': JSON.stringify(vocab.toJSON()),
      'index.html': page,
      'rnnlm-web.js': bundle,
      'tf.min.js': fs.readFileSync(require.resolve('@tensorflow/tfjs/dist/tf.min.js')),
      ...Object.fromEntries(WASM_BACKEND_FILES.map((file) => [file, fs.readFileSync(require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`))])),
    };
    writeDirectoryAtomically(out, files);
    return Object.keys(files).sort();
  } finally {
    layersModel.dispose();
    model.dispose();
  }
}
