import * as tf from '@tensorflow/tfjs';
import { CellState, createCell } from '../cells';
import { Recurrent } from '../layers/recurrent';
import { MaskSeeds, embeddingDropoutMask, offsetSeeds, recurrentMasks, sequenceDropout } from '../layers/dropout';
import { ActivationPenalties, activationPenalty, temporalActivationPenalty } from '../regularizers/activation';
import { weightDropMask } from '../regularizers/weight-drop';
import { ModelConfig, NO_DROPOUT, validateModelConfig } from '../config/model';
import { OutputLayer, outputCrossEntropy, outputLogits, outputNll } from './loss';
import { tiedGradientAvailable, tiedVariableGrads } from './tied-gradient';

/** The carried state of every layer: [h] or [h, c] each. */
export interface ModelState {
  layers: CellState[];
}

export interface ForwardResult {
  /** [batch·time, vocab], rows in [batch, time] order. */
  logits: tf.Tensor2D;
  state: ModelState;
}

/** `inference: true` promises that no gradient is taken through the call (evaluation, sampling, scoring). */
export interface InferenceOption {
  inference?: boolean;
}

/** `lookup`: E[inputs], made by the caller (`variableGrads` makes it off the tape for a tied model). */
export interface FeatureOptions extends InferenceOption {
  lookup?: tf.Tensor3D;
}

/** Offsets that give each dropout mask of a window its own seed. */
const SEED_OFFSET = { input: 1, output: 2, embedding: 3, hidden: 10, recurrent: 100, weight: 1000 };

/**
 * Word/character language model: embedding → dropout → N stacked recurrent layers (dropout between) →
 * dropout → linear projection to the vocabulary (tied to the embedding or its own matrix) → logits.
 */
export class LanguageModel {
  readonly config: ModelConfig;
  /** [vocab, embedding]; also the output projection (transposed) when tied. */
  readonly embedding: tf.Variable;
  readonly layers: Recurrent[];
  /** [lastHidden, vocab]; null when tied. */
  readonly projection: tf.Variable | null;
  readonly outputBias: tf.Variable;

  constructor(config: ModelConfig) {
    validateModelConfig(config);
    this.config = config;
    const { vocabSize, embeddingSize, hiddenSizes, initScale, seed } = config;
    // A variable keeps its own copy: the initial values are freed by the tidy.
    const uniform = (shape: number[], offset: number, name: string): tf.Variable =>
      tf.tidy(() => tf.variable(tf.randomUniform(shape, -initScale, initScale, 'float32', seed * 7919 + offset), true, uniqueName(name)));
    this.embedding = uniform([vocabSize, embeddingSize], 1, 'embedding');
    let inputSize = embeddingSize;
    this.layers = hiddenSizes.map((units, k) => {
      const cell = createCell(config.cell, {
        units, init: config.init, initScale, forgetBias: config.forgetBias, seed: seed * 101 + k + 1,
      });
      cell.build([null, inputSize]);
      inputSize = units;
      return new Recurrent({ cell });
    });
    const last = hiddenSizes[hiddenSizes.length - 1];
    this.projection = config.tied ? null : uniform([last, vocabSize], 2, 'projection');
    this.outputBias = tf.tidy(() => tf.variable(tf.zeros([vocabSize]), true, uniqueName('output_bias')));
  }

  /** Every trainable weight with a stable name, in a fixed order (used for saving and for the optimizer). */
  namedWeights(): { name: string; variable: tf.Variable }[] {
    const weights = [{ name: 'embedding', variable: this.embedding }];
    this.layers.forEach((layer, k) => {
      const names = ['kernel', 'recurrent_kernel', 'bias', 'peephole'];
      layer.cell.trainableWeights.forEach((w, j) => weights.push({ name: `layer${k}/${names[j]}`, variable: w.read() as tf.Variable }));
    });
    if (this.projection) weights.push({ name: 'projection', variable: this.projection });
    weights.push({ name: 'output_bias', variable: this.outputBias });
    return weights;
  }

  variables(): tf.Variable[] {
    return this.namedWeights().map((w) => w.variable);
  }

  get parameterCount(): number {
    return this.variables().reduce((sum, v) => sum + v.size, 0);
  }

  /** The number of weights a model of `config` has, computed without allocating any (to check a file against it first). */
  static weightCount(config: ModelConfig): number {
    const { vocabSize, embeddingSize, hiddenSizes } = config;
    let inputSize = embeddingSize;
    let count = vocabSize * embeddingSize + vocabSize; // embedding, output bias
    for (const units of hiddenSizes) {
      count += createCell(config.cell, { units }).weightCount(inputSize);
      inputSize = units;
    }
    return count + (config.tied ? 0 : inputSize * vocabSize);
  }

  zeroState(batch: number): ModelState {
    return { layers: this.layers.map((layer) => layer.cell.zeroState(batch)) };
  }

  /**
   * Runs a window up to the output layer: the last layer's outputs after output dropout, [batch·time, hidden]
   * (rows in [batch, time] order), and before it, [batch, time, hidden]. `dropoutSeed` null means evaluation
   * (no dropout); otherwise it seeds this window's masks (one seed per window, so a resumed run draws the
   * same masks as an uninterrupted one), or with one seed per replica, seeds a batch that stacks K replicas of
   * the same streams, each with the masks it would draw alone (`MaskSeeds`). With `inference` (no gradient
   * taken, e.g. perplexity) the time loops free each step's intermediates as they go (dynamic evaluation, which
   * differentiates, does not set it).
   */
  features(
    inputs: tf.Tensor2D, state: ModelState | null, dropoutSeed: MaskSeeds | null, { inference = false, lookup }: FeatureOptions = {},
  ): { hidden: tf.Tensor2D; undropped: tf.Tensor3D; state: ModelState } {
    const [batch] = inputs.shape;
    const dropout = dropoutSeed === null ? NO_DROPOUT : this.config.dropout;
    const seeds = dropoutSeed ?? 0;
    const seedsAt = (offset: number): MaskSeeds => offsetSeeds(seeds, offset);
    const weightRate = dropout.weight ?? 0;
    // Weight drop masks W_h itself, one matrix for the whole batch: replicas cannot each have their own.
    const weightSeed = typeof seeds === 'number' ? seeds : seeds[0];
    if (weightRate > 0 && typeof seeds !== 'number' && seeds.length > 1) {
      throw new Error('weight drop masks W_h for the whole batch: replicas with their own masks cannot share a batch');
    }
    let x = lookup ?? (tf.gather(this.embedding, inputs) as tf.Tensor3D); // [batch, time, embedding]
    if (dropout.embedding > 0) {
      x = tf.mul(x, embeddingDropoutMask(inputs, this.config.vocabSize, dropout.embedding, seedsAt(SEED_OFFSET.embedding)));
    }
    x = sequenceDropout(x, dropout.input, dropout.kind, seedsAt(SEED_OFFSET.input));
    const states: CellState[] = [];
    this.layers.forEach((layer, k) => {
      const result = layer.run(x, {
        initialState: state?.layers[k],
        recurrentMask: recurrentMasks(batch, layer.cell.units, dropout.recurrent, dropout.kind, seedsAt(SEED_OFFSET.recurrent + k)),
        weightMask: weightDropMask(layer.cell.recurrentWeights()[0].shape, weightRate, weightSeed + SEED_OFFSET.weight + k),
        inference,
        cutFinalState: true, // it seeds the next window only
      });
      states.push(result.state);
      x = result.outputs;
      if (k < this.layers.length - 1) x = sequenceDropout(x, dropout.hidden, dropout.kind, seedsAt(SEED_OFFSET.hidden + k));
    });
    const undropped = x;
    x = sequenceDropout(x, dropout.output, dropout.kind, seedsAt(SEED_OFFSET.output));
    return { hidden: tf.reshape(x, [-1, x.shape[2]]) as tf.Tensor2D, undropped, state: { layers: states } };
  }

  /** The output layer: the embedding matrix when tied (Press & Wolf 2017), else the projection; plus the bias. */
  get output(): OutputLayer {
    return this.projection
      ? { weight: this.projection as tf.Tensor2D, layout: 'vocab-columns', bias: this.outputBias as tf.Tensor1D }
      : { weight: this.embedding as tf.Tensor2D, layout: 'vocab-rows', bias: this.outputBias as tf.Tensor1D };
  }

  /** Runs a window to the logits, [batch·time, vocab]; see `features` for `dropoutSeed` and `inference`. */
  forward(inputs: tf.Tensor2D, state: ModelState | null, dropoutSeed: MaskSeeds | null, options: InferenceOption = {}): ForwardResult {
    const { hidden, state: next } = this.features(inputs, state, dropoutSeed, options);
    return { logits: outputLogits(hidden, this.output), state: next };
  }

  /**
   * Per-token negative log-likelihood of a window's targets, [batch·time] (rows in [batch, time] order), and the
   * state after it; see `features` for `dropoutSeed` and `inference`. Evaluation's path: the logits are not kept.
   */
  tokenNll(
    inputs: tf.Tensor2D, targets: tf.Tensor1D, state: ModelState | null, dropoutSeed: MaskSeeds | null, options: InferenceOption = {},
  ): { nll: tf.Tensor1D; state: ModelState } {
    const { hidden, state: next } = this.features(inputs, state, dropoutSeed, options);
    return { nll: outputNll(hidden, this.output, targets), state: next };
  }

  /**
   * Training loss of a window: `nll`, the mean cross-entropy over its `count` targets, with the output layer
   * and softmax fused into one op (see `outputCrossEntropy`); `loss` adds AR and TAR when `penalties` asks.
   * `lookup` as in `features`.
   */
  loss(
    inputs: tf.Tensor2D, targets: tf.Tensor1D, state: ModelState | null, dropoutSeed: number, count: number,
    penalties: ActivationPenalties = { alpha: 0, beta: 0 }, lookup?: tf.Tensor3D,
  ): { loss: tf.Scalar; nll: tf.Scalar; state: ModelState } {
    const { hidden, undropped, state: next } = this.features(inputs, state, dropoutSeed, { lookup });
    const nll = outputCrossEntropy(hidden, this.output, targets, null, count);
    let loss = nll;
    if (penalties.alpha > 0) loss = tf.add(loss, activationPenalty(hidden, penalties.alpha));
    if (penalties.beta > 0) loss = tf.add(loss, temporalActivationPenalty(undropped, penalties.beta));
    return { loss, nll, state: next };
  }

  /**
   * `tf.variableGrads` over the model's weights of `loss(lookup)`, where `lookup` = E[inputs] is what `loss`
   * must run `features` on. A tied model's ∂L/∂E then takes one pass instead of two (tied-gradient.ts).
   */
  variableGrads(inputs: tf.Tensor2D, loss: (lookup: tf.Tensor3D) => tf.Scalar): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    if (this.config.tied && tiedGradientAvailable()) return tiedVariableGrads(this.embedding, inputs, loss, this.variables());
    return tf.variableGrads(() => loss(tf.gather(this.embedding, inputs) as tf.Tensor3D), this.variables());
  }

  dispose(): void {
    tf.dispose([this.embedding, this.outputBias]);
    if (this.projection) this.projection.dispose();
    this.layers.forEach((layer) => layer.dispose());
  }
}

let nameCounter = 0;
/** tfjs variable names are global; two models in one process must not collide. */
function uniqueName(base: string): string {
  nameCounter += 1;
  return `rnnlm_${base}_${nameCounter}`;
}
