import * as tf from '@tensorflow/tfjs';
import { CellState, RecurrentCell } from '../cells/cell';
import { deserializeCell } from '../cells';

/** Name, input shape and the other arguments every tfjs layer takes. */
type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface RecurrentArgs extends LayerArgs {
  cell: RecurrentCell;
  /** Carry the final state of one call into the next (truncated BPTT through the Layers API). */
  stateful?: boolean;
}

export interface RunOptions {
  /** State to start from; zeros when absent. It is treated as a constant: no gradient flows into it. */
  initialState?: CellState;
  /**
   * Multiplier for the h that enters the recurrent matmul at step t (recurrent dropout). Variational
   * dropout returns the same mask for every t (Gal & Ghahramani 2016); standard dropout a new one.
   */
  recurrentMask?: (t: number) => tf.Tensor2D;
}

export interface RunResult {
  /** h_t for every step, [batch, time, units]. */
  outputs: tf.Tensor3D;
  /** Final state, to seed the next window. */
  state: CellState;
}

/**
 * Cuts the gradient while keeping the value: the identity forward, zero backward. This is how a window of
 * truncated BPTT starts from the previous window's state without back-propagating into it.
 */
export const stopGradient = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/**
 * Runs a cell over a [batch, time, features] input.
 *
 * The input half of the fused affine (x·W_x + b) is one matmul over all batch·time rows; the loop then does
 * only the recurrent half and the gate equations, step by step (see `RecurrentCell.makeStep`).
 */
export class Recurrent extends tf.layers.Layer {
  static className = 'RnnlmRecurrent';
  readonly cell: RecurrentCell;
  private carried: CellState | null = null;
  /** States replaced by a newer carry; disposed on the next call, once any gradient through them is done. */
  private retired: CellState[] = [];

  constructor({ cell, stateful, ...layerArgs }: RecurrentArgs) {
    super(layerArgs);
    this.cell = cell;
    this._stateful = stateful ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (!this.cell.built) this.cell.build([shape[0], shape[shape.length - 1]]);
    this.built = true;
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
    const [batch, time, features] = x.shape;
    const cell = this.cell;
    let state = options.initialState ? options.initialState.map((s) => stopGradient(s)) : cell.zeroState(batch);
    const projected = cell.projectInput(x.reshape([batch * time, features])).reshape([batch, time, -1]);
    const perStep = tf.unstack(projected, 1) as tf.Tensor2D[];
    const step = cell.makeStep();
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < time; t++) {
      const h = state[0];
      const hFed = options.recurrentMask ? (tf.mul(h, options.recurrentMask(t)) as tf.Tensor2D) : h;
      state = step(perStep[t], state, hFed);
      outputs.push(state[0]);
    }
    return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, state };
  }

  /** Layers API: [batch, time, features] → [batch, time, units]; stateful layers carry their final state. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    this.disposeRetired();
    const initialState = this.stateful && this.carried ? this.carried : undefined;
    const { outputs, state } = tf.tidy(() => {
      const result = this.run(x, { initialState });
      return { outputs: result.outputs, state: result.state };
    });
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

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], shape[1], this.cell.units];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      stateful: this.stateful,
      cell: { className: this.cell.getClassName(), config: this.cell.getConfig() },
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const { cell, ...rest } = config as { cell: { className: string; config: tf.serialization.ConfigDict } };
    return new cls({ ...rest, cell: deserializeCell(cell.className, cell.config) });
  }
}
tf.serialization.registerClass(Recurrent);
