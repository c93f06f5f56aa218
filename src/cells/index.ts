import * as tf from '@tensorflow/tfjs';
import { CellKind } from '../config/names';
import { CellArgs, RecurrentCell } from './cell';
import { GRUCell } from './gru';
import { LSTMCell, LSTMCellArgs } from './lstm';
import { PeepholeLSTMCell } from './peephole';
import { SimpleRNNCell } from './rnn';

export { RecurrentCell } from './cell';
export type { CellArgs, CellKernel, CellState, SavedTensors, StepFunction, StepGradients, StepRecord } from './cell';
export type { InitSpec } from './initializers';
export { CELL_KINDS } from '../config/names';
export type { CellKind, InitKind } from '../config/names';
export type { LSTMCellArgs };
export { GRUCell, LSTMCell, PeepholeLSTMCell, SimpleRNNCell };

/** The cell class of each kind, as the CLI, presets and model configs name them. */
const CELL_CLASSES: Record<CellKind, new (args: LSTMCellArgs) => RecurrentCell> = {
  lstm: LSTMCell,
  gru: GRUCell,
  peephole: PeepholeLSTMCell,
  rnn: SimpleRNNCell,
};

/** Builds a cell by its short name. */
export function createCell(kind: CellKind, args: LSTMCellArgs): RecurrentCell {
  return new CELL_CLASSES[kind](args);
}

/** Re-creates a cell from `{className, config}` as written by `getConfig`. */
export function deserializeCell(className: string, config: tf.serialization.ConfigDict): RecurrentCell {
  const classes = Object.values(CELL_CLASSES);
  const cls = classes.find((c) => (c as unknown as { className: string }).className === className);
  if (!cls) throw new Error(`unknown cell class "${className}" (known: ${classes.map((c) => (c as unknown as { className: string }).className).join(', ')})`);
  return new cls(config as unknown as CellArgs);
}
