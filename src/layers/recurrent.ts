import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell } from '../cells/cell';
import { deserializeCell } from '../cells';
import { KernelChoice } from '../config/names';
import { dropRecurrentKernel } from '../regularizers/weight-drop';
import { chooseWindow } from './choose-window';
import { kernelChoice } from './kernel-choice';
import { packSaved } from './window';

/** Name, input shape and the other arguments every tfjs layer takes. */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface RecurrentArgs extends LayerArgs {
  cell: RecurrentCell;
  /** Carry the final state of one call into the next (truncated BPTT through the Layers API). */
  stateful?: boolean;
  /**
   * Output [outputs, ...finalState] instead of outputs. With state inputs ([x, ...initialState]) this makes a
   * LayersModel whose caller carries the state (e.g. a web page sampling one token per call).
   */
  returnState?: boolean;
}

export interface RunOptions {
  /** State to start from; zeros when absent. It is treated as a constant: no gradient flows into it. */
  initialState?: CellState;
  /**
   * Multiplier for the h that enters the recurrent matmul at step t (recurrent dropout). Variational
   * dropout returns the same mask for every t (Gal & Ghahramani 2016); standard dropout a new one.
   */
  recurrentMask?: (t: number) => tf.Tensor2D;
  /** Weight drop: multiplier of W_h for the whole window (src/regularizers/weight-drop.ts). */
  weightMask?: tf.Tensor2D;
  /** Overrides the backend's kernel choice for this call (tests compare the two). */
  kernel?: KernelChoice;
  /**
   * No gradient will be taken through this call (evaluation, sampling): kernels that can free each step's
   * intermediates at once do so. Outputs and state are the same.
   */
  inference?: boolean;
  /**
   * The final state only seeds the next window (truncated BPTT): no gradient flows back through it, so the
   * window's op returns the outputs alone instead of outputs and state packed into one tensor (tf.customGrad
   * has one output) and sliced apart again — ~8 copies of [T, B, u] a layer and step spared.
   */
  cutFinalState?: boolean;
}

export interface RunResult {
  /** h_t for every step, [batch, time, units]. */
  outputs: tf.Tensor3D;
  /** Final state, to seed the next window. */
  state: CellState;
}

/**
 * Runs a cell over a [batch, time, features] input. The whole window is one differentiable op: its forward
 * and its back-propagation through time are a `WindowKernel` — our explicit gate equations
 * (explicit-window.ts, any backend) or TensorFlow's fused cells (fused/, native backend), chosen by the
 * backend's kernel setting (`auto`: the faster for the cell's size and the precision).
 */
export class Recurrent extends tf.layers.Layer {
  static className = 'RnnlmRecurrent';
  readonly cell: RecurrentCell;
  readonly returnState: boolean;
  private carried: CellState | null = null;
  /**
   * The window implementation of the last training call (of the last call if none has trained), e.g.
   * "explicit" or "fused LSTM": reports name the kernel that trained, not the one evaluation used after it.
   */
  lastKernel: string | null = null;
  /** States replaced by a newer carry; disposed on the next call, once any gradient through them is done. */
  private retired: CellState[] = [];

  constructor({ cell, stateful, returnState, ...layerArgs }: RecurrentArgs) {
    super(layerArgs);
    this.cell = cell;
    this._stateful = stateful ?? false;
    this.returnState = returnState ?? false;
    if (this._stateful && this.returnState) throw new Error('Recurrent: stateful and returnState exclude each other');
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    // Inside Layer.apply's name scope: a cell built here names its weights `<layer name>/kernel` etc.,
    // the names a LayersModel saves and loadWeights matches (a cell built beforehand would be plain `kernel`).
    if (!this.cell.built) this.cell.build([shape[0], shape[shape.length - 1]]);
    this.built = true;
  }

  /** loadLayersModel sets this on the model's layers; the cell is not one of them, so pass it on. */
  override setFastWeightInitDuringBuild(value: boolean): void {
    super.setFastWeightInitDuringBuild(value);
    this.cell.setFastWeightInitDuringBuild(value);
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return this.cell.trainableWeights;
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.cell.nonTrainableWeights;
  }

  /** Runs the time loop (no tidy here: callers such as a training step own the scope). */
  run(x: tf.Tensor3D, options: RunOptions = {}): RunResult {
    if (!this.built) this.build(x.shape);
    const [batch, time] = x.shape;
    const cell = this.cell;
    const { units, stateCount } = cell;
    // Truncated BPTT: the initial state enters the op with a zero gradient, and the masks are constants.
    const initialState = options.initialState ?? cell.zeroState(batch);
    const masks = options.recurrentMask ? Array.from({ length: time }, (_, t) => options.recurrentMask!(t)) : null;
    const settings = kernelChoice();
    const windowKernel = chooseWindow(cell, { ...settings, kernel: options.kernel ?? settings.kernel }, masks !== null);
    if (!options.inference || this.lastKernel === null) this.lastKernel = windowKernel.name;
    const [inputKernel, , bias] = cell.trainableWeights.map((w) => w.read());
    const recurrentWeights = dropRecurrentKernel(cell.recurrentWeights(), options.weightMask);
    // Between our [batch, time, ·] sequences and the kernel's layout: a time-major kernel's are transposed (the
    // transpose is its own inverse, so the one function serves both ways).
    const batchMajor = windowKernel.batchMajor ?? false;
    const relayout = (t: tf.Tensor3D): tf.Tensor3D => (batchMajor ? t : tf.transpose(t, [1, 0, 2]));

    if (options.inference && windowKernel.infer) {
      const inferred = windowKernel.infer({
        x: relayout(x), initialState, wx: inputKernel as tf.Tensor2D, b: bias as tf.Tensor1D, recurrent: recurrentWeights, masks,
      });
      return { outputs: relayout(inferred.outputs), state: inferred.state };
    }

    // Value: the outputs and the final state packed along the kernel's time axis ([time + stateCount] steps), so
    // that the one op also carries the gradient of the final state; with cutFinalState the outputs alone.
    const cutFinalState = options.cutFinalState ?? false;
    const timeAxis = batchMajor ? 1 : 0;
    /** Steps [from, from + count) of a sequence in the kernel's layout. */
    const steps = (t: tf.Tensor, from: number, count: number): tf.Tensor3D =>
      tf.slice(t, batchMajor ? [0, from, 0] : [from, 0, 0], batchMajor ? [batch, count, units] : [count, batch, units]) as tf.Tensor3D;
    let finalState: CellState = []; // with cutFinalState: kept out of customGrad's tidy, handed to the caller below
    const window = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [input, wx, b, ...rest] = args as tf.Tensor[];
      const forward = windowKernel.forward({
        x: relayout(input as tf.Tensor3D), initialState: rest.slice(recurrentWeights.length) as CellState,
        wx: wx as tf.Tensor2D, b: b as tf.Tensor1D, recurrent: rest.slice(0, recurrentWeights.length), masks,
      });
      const packed = packSaved(forward.saved);
      save(packed.tensors);
      if (cutFinalState) finalState = forward.state.map((s) => tf.keep(s));
      return {
        value: cutFinalState ? forward.outputs : tf.concat([forward.outputs, ...forward.state.map((s) => tf.expandDims(s, timeAxis))], timeAxis),
        gradFunc: (dy: tf.Tensor, savedTensors: tf.Tensor[]) => {
          const dOutputs = cutFinalState ? (dy as tf.Tensor3D) : steps(dy, 0, time);
          const dState = Array.from({ length: stateCount }, (_, k) => (cutFinalState
            ? tf.zeros([batch, units])
            : tf.reshape(steps(dy, time + k, 1), [batch, units])) as tf.Tensor2D);
          const gradients = windowKernel.backward(packed.rebuild(savedTensors), dOutputs, dState);
          const cut = gradients.dInitialState.map((d) => tf.zerosLike(d)); // the window boundary of truncated BPTT
          return [relayout(gradients.dx), gradients.dWx, gradients.dB, ...gradients.dRecurrent, ...cut];
        },
      };
    }) as unknown as (...tensors: tf.Tensor[]) => tf.Tensor3D;

    const packedOutput = window(x, inputKernel, bias, ...recurrentWeights, ...initialState);
    if (cutFinalState) {
      // A clone belongs to the caller's scope (it shares the kept tensor's buffer, which is then released).
      const state = finalState.map((s) => {
        const owned = tf.clone(s);
        s.dispose();
        return owned;
      });
      return { outputs: relayout(packedOutput), state };
    }
    const outputs = relayout(steps(packedOutput, 0, time));
    const state = Array.from({ length: stateCount }, (_, k) => tf.reshape(steps(packedOutput, time + k, 1), [batch, units]) as tf.Tensor2D);
    return { outputs, state };
  }

  /**
   * Layers API: [batch, time, features] → [batch, time, units]; stateful layers carry their final state.
   * Inputs may be [x, ...initialState] (zeros when absent); with `returnState` the outputs are [outputs, ...state].
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    const [x, ...given] = (Array.isArray(inputs) ? inputs : [inputs]) as tf.Tensor[];
    if (given.length !== 0 && given.length !== this.cell.stateCount) {
      throw new Error(`${this.name}: expected 0 or ${this.cell.stateCount} state inputs, got ${given.length}`);
    }
    this.disposeRetired();
    const initialState = given.length > 0 ? (given as CellState) : this.stateful && this.carried ? this.carried : undefined;
    const { outputs, state } = tf.tidy(() => {
      const result = this.run(x as tf.Tensor3D, { initialState });
      return { outputs: result.outputs, state: result.state };
    });
    if (this.returnState) return [outputs, ...state];
    if (this.stateful) {
      if (this.carried) this.retired.push(this.carried);
      this.carried = state.map((s) => tf.keep(s));
    } else {
      tf.dispose(state);
    }
    return outputs;
  }

  /** Forgets the carried state: the next call starts from zeros. */
  override resetStates(): void {
    this.disposeRetired();
    if (this.carried) tf.dispose(this.carried);
    this.carried = null;
  }

  /** The state the next stateful call will start from (null = zeros). */
  get carriedState(): CellState | null {
    return this.carried;
  }

  /** Frees the carried state and the cell's weights (also when never applied in a LayersModel). */
  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    this.resetStates();
    return this._refCount !== null ? super.dispose() : this.cell.dispose();
  }

  private disposeRetired(): void {
    for (const s of this.retired) tf.dispose(s);
    this.retired = [];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const sequence: tf.Shape = [shape[0], shape[1], this.cell.units];
    if (!this.returnState) return sequence;
    return [sequence, ...Array.from({ length: this.cell.stateCount }, (): tf.Shape => [shape[0], this.cell.units])];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      stateful: this.stateful,
      returnState: this.returnState,
      cell: { className: this.cell.getClassName(), config: this.cell.getConfig() },
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    // `customObjects` is added by tfjs' deserializer; it is not a layer argument.
    const { cell, customObjects: _unused, ...rest } = config as {
      cell: { className: string; config: tf.serialization.ConfigDict };
      customObjects?: unknown;
    };
    return new cls({ ...rest, cell: deserializeCell(cell.className, cell.config) });
  }
}
tf.serialization.registerClass(Recurrent);
