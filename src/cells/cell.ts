import * as tf from '@tensorflow/tfjs';
import { InitKind } from '../config/names';
import { DEFAULT_INIT, InitSpec, initializerFor, torchBias } from './initializers';
import { MatrixFactory } from './matrix';

/**
 * What every recurrent cell shares.
 *
 * Weights (the order of `getWeights()` for every cell, before any cell-specific extras):
 *   0. `kernel`           W_x, shape [inputDim, gates·units]
 *   1. `recurrent_kernel` W_h, shape [units, gates·units]
 *   2. `bias`             b,   shape [gates·units]
 * The gate pre-activations come from ONE fused affine z = x·W_x + h·W_h + b, i.e. [x, h]·[W_x; W_h] + b,
 * which is then sliced into `gates` blocks of `units` columns (the order is documented by each cell).
 *
 * The affine is split into its two halves on purpose: x·W_x + b does not depend on the recurrence, so the
 * time loop computes it for every step of a window in one matmul (`projectInput`) and only h·W_h stays
 * inside the loop (`makeStep`).
 */
export interface CellArgs {
  units: number;
  init?: InitKind;
  initScale?: number;
  seed?: number | null;
  name?: string;
}

/** State of a cell between steps: [h] for GRU/RNN, [h, c] for the LSTMs. `state[0]` is always h (the output). */
export type CellState = tf.Tensor2D[];

/**
 * One recurrence step on an input already projected by `projectInput`.
 * `hFed` is the h that enters the recurrent matmul: h itself, or h times a recurrent-dropout mask
 * (Gal & Ghahramani 2016 drop the inputs of the matmuls, not the carried state).
 */
export type StepFunction = (projectedInput: tf.Tensor2D, state: CellState, hFed: tf.Tensor2D) => CellState;

/** The intermediates a step keeps for its backward pass, by name. */
export type SavedTensors = Record<string, tf.Tensor>;

/** A step's new state and the intermediates its backward pass reads. */
export interface StepRecord<S extends SavedTensors = SavedTensors> {
  state: CellState;
  saved: S;
}

/** Gradients out of one step, given the gradient of its new state. */
export interface StepGradients {
  /** ∂L/∂(x·W_x + b) of this step, [batch, gates·units]. */
  dProjected: tf.Tensor2D;
  /** ∂L/∂hFed: the h that entered the recurrent matmul. */
  dHFed: tf.Tensor2D;
  /** ∂L/∂(previous state) along every path except hFed; null for none (the LSTMs' h reaches h' only via hFed). */
  dStatePrev: (tf.Tensor2D | null)[];
}

/**
 * A cell's equations for one window with its weights fixed: the forward step, and its hand-written backward
 * (back-propagation through time without per-op autodiff bookkeeping). `forward` is the single definition of
 * the cell's equations; `RecurrentCell.makeStep` and the time loop both use it.
 */
export interface CellKernel<S extends SavedTensors = SavedTensors> {
  forward(projectedInput: tf.Tensor2D, state: CellState, hFed: tf.Tensor2D): StepRecord<S>;
  backward(saved: S, dState: CellState): StepGradients;
  /** [∂L/∂W_h, ∂L/∂extras...] from every step's saved tensors and dProjected, in a few large matmuls. */
  weightGradients(saved: S[], dProjected: tf.Tensor2D[]): tf.Tensor[];
}

export abstract class RecurrentCell extends tf.layers.Layer {
  readonly units: number;
  protected readonly initSpec: InitSpec;
  protected kernel!: tf.LayerVariable;
  protected recurrentKernel!: tf.LayerVariable;
  protected bias!: tf.LayerVariable;

  /** Number of `units`-wide blocks in the fused affine. */
  abstract readonly gates: number;
  /** Number of [batch, units] tensors in the state. */
  abstract readonly stateCount: number;

  constructor(args: CellArgs) {
    super({ name: args.name });
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`units must be a positive integer, got ${args.units}`);
    }
    this.units = args.units;
    this.initSpec = {
      init: args.init ?? DEFAULT_INIT.init,
      initScale: args.initScale ?? DEFAULT_INIT.initScale,
      seed: args.seed ?? DEFAULT_INIT.seed,
    };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inputDim = xShape[xShape.length - 1];
    if (inputDim === null) throw new Error(`${this.getClassName()}: the input's last dimension must be known`);
    const width = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [inputDim, width], 'float32', initializerFor(this.initSpec, 'kernel', this.units));
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel', [this.units, width], 'float32', initializerFor(this.initSpec, 'recurrent', this.units));
    this.bias = this.addWeight('bias', [width], 'float32', initializerFor(this.initSpec, 'bias', this.units));
    if (this.initSpec.init === 'torch') {
      const bias = torchBias(this.initSpec, width, this.units);
      this.bias.write(bias);
      bias.dispose();
    }
    this.buildExtras();
    this.built = true;
  }

  /** Cell-specific weights beyond W_x, W_h, b, and bias adjustments (e.g. the LSTM forget bias). */
  protected buildExtras(): void {}

  /** Number of weights `buildExtras` adds. */
  protected extraWeightCount(): number {
    return 0;
  }

  /** Number of weights of this cell on inputs of `inputDim` features, known before it is built. */
  weightCount(inputDim: number): number {
    const width = this.gates * this.units;
    return (inputDim + this.units + 1) * width + this.extraWeightCount();
  }

  get inputDim(): number {
    return this.kernel.shape[0] as number;
  }

  /** x·W_x + b for any number of rows at once (all time steps of a window: one matmul instead of T). */
  projectInput(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel.read()), this.bias.read());
  }

  /**
   * The cell's kernel for `recurrentWeights` = [W_h, ...extras] (the trainable weights after W_x and b, as
   * `recurrentWeights()` returns them; the time loop passes its own copies so that gradients flow to them).
   * `matrix` makes the per-step products with W_h: tfjs matmuls by default (differentiable by autodiff), or
   * the time loop's faster native ones (src/layers/window-matrices.ts).
   */
  abstract makeKernel(recurrentWeights: tf.Tensor[], matrix?: MatrixFactory): CellKernel;

  /** [W_h, ...extras]: the weights the step uses besides the input projection. */
  recurrentWeights(): tf.Tensor[] {
    const [, recurrent, , ...extras] = this.trainableWeights.map((w) => w.read());
    return [recurrent, ...extras];
  }

  /** The step function with weights read once (per window, not per step); differentiable by autodiff. */
  makeStep(): StepFunction {
    const kernel = this.makeKernel(this.recurrentWeights());
    return (projectedInput, state, hFed) => kernel.forward(projectedInput, state, hFed).state;
  }

  /** A full step on a raw input x: the fused affine [x, h]·W + b followed by the gate equations. */
  step(x: tf.Tensor2D, state: CellState): CellState {
    return this.makeStep()(this.projectInput(x), state, state[0]);
  }

  /** A zero state for `batch` sequences. */
  zeroState(batch: number): CellState {
    return Array.from({ length: this.stateCount }, () => tf.zeros([batch, this.units]) as tf.Tensor2D);
  }

  /** Layer API: inputs are [x, ...state]; outputs are [h', ...state'] (h' is also the output). */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const [x, ...state] = list as tf.Tensor2D[];
    if (state.length !== this.stateCount) {
      throw new Error(`${this.getClassName()} expects ${this.stateCount} state tensor(s), got ${state.length}`);
    }
    return tf.tidy(() => this.step(x, state));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape[] {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return Array.from({ length: this.stateCount }, () => [xShape[0], this.units]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      init: this.initSpec.init,
      initScale: this.initSpec.initScale,
      seed: this.initSpec.seed,
    };
  }

  /** Frees the weights; unlike Layer.dispose() this also works for a cell never applied in a LayersModel. */
  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    if (this._refCount !== null) return super.dispose();
    return { refCountAfterDispose: 0, numDisposedVariables: this.disposeWeights() };
  }

  /**
   * Sets the slice [from, from+size) of the bias to `value` (gate-specific biases), or adds `value` to it under
   * the `torch` init, whose drawn bias PyTorch users shift rather than overwrite.
   */
  protected setBiasSlice(from: number, size: number, value: number): void {
    tf.tidy(() => {
      const b = this.bias.read();
      const slice = this.initSpec.init === 'torch' ? tf.add(b.slice(from, size), value) : tf.fill([size], value);
      this.bias.write(tf.concat([b.slice(0, from), slice, b.slice(from + size)]));
    });
  }
}

/** Splits z [batch, k·units] into k gate pre-activations of [batch, units] (one op, not k). */
export function sliceGates(z: tf.Tensor2D, gates: number): tf.Tensor2D[] {
  return tf.split(z, gates, 1) as tf.Tensor2D[];
}

/** σ'(z) written with s = σ(z): s⊙(1−s). */
export function sigmoidSlope(s: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(s, tf.sub(1, s));
}

/** tanh'(z) written with t = tanh(z): 1−t². */
export function tanhSlope(t: tf.Tensor2D): tf.Tensor2D {
  return tf.sub(1, tf.square(t));
}

/** Σ_t hFed_tᵀ·dz_t as one matmul over all steps stacked (for cells whose whole W_h multiplies hFed). */
export function stackedProduct(left: tf.Tensor2D[], right: tf.Tensor2D[]): tf.Tensor2D {
  return tf.matMul(tf.concat(left, 0), tf.concat(right, 0), true, false);
}
