import * as tf from '@tensorflow/tfjs';
import { CellArgs, RecurrentCell } from './cell';
import { GRUCell } from './gru';
import { LSTMCell, LSTMCellArgs } from './lstm';
import { PeepholeLSTMCell } from './peephole';
import { SimpleRNNCell } from './rnn';

export { RecurrentCell } from './cell';
export type { CellArgs, CellState, StepFunction } from './cell';
export type { InitKind, InitSpec } from './initializers';
export type { LSTMCellArgs };
export { GRUCell, LSTMCell, PeepholeLSTMCell, SimpleRNNCell };

export const CELL_KINDS = ['lstm', 'gru', 'peephole', 'rnn'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

export function isCellKind(name: string): name is CellKind {
  return (CELL_KINDS as readonly string[]).includes(name);
}

/** Builds a cell by its short name, as the CLI and model configs spell it. */
export function createCell(kind: CellKind, args: LSTMCellArgs): RecurrentCell {
  switch (kind) {
    case 'lstm':
      return new LSTMCell(args);
    case 'peephole':
      return new PeepholeLSTMCell(args);
    case 'gru':
      return new GRUCell(args);
    case 'rnn':
      return new SimpleRNNCell(args);
  }
}

const CELL_CLASSES: Record<string, new (args: LSTMCellArgs) => RecurrentCell> = {
  [LSTMCell.className]: LSTMCell,
  [PeepholeLSTMCell.className]: PeepholeLSTMCell,
  [GRUCell.className]: GRUCell,
  [SimpleRNNCell.className]: SimpleRNNCell,
};

/** Re-creates a cell from `{className, config}` as written by `getConfig`. */
export function deserializeCell(className: string, config: tf.serialization.ConfigDict): RecurrentCell {
  const cls = CELL_CLASSES[className];
  if (!cls) throw new Error(`unknown cell class "${className}" (known: ${Object.keys(CELL_CLASSES).join(', ')})`);
  return new cls(config as unknown as CellArgs);
}
