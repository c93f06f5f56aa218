/**
 * The named choices of the library, each listed once. The modules that implement them (cells, optimizers,
 * schedules, dropout, backends) type their registries by these lists, so the compiler keeps them in step.
 */

/** Recurrent cells: src/cells/{lstm,gru,peephole,rnn}.ts. */
export const CELL_KINDS = ['lstm', 'gru', 'peephole', 'rnn'] as const;
export type CellKind = (typeof CELL_KINDS)[number];

/**
 * The cells' initialisation (src/cells/initializers.ts): uniform(±initScale); `default`, Glorot-uniform input
 * kernel and orthogonal recurrent kernel; `torch`, PyTorch's nn.LSTM/GRU/RNN defaults.
 */
export const INIT_KINDS = ['uniform', 'default', 'torch'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

/** Variational: one mask per window (Gal & Ghahramani 2016); standard: a new mask per step (src/layers/dropout.ts). */
export const DROPOUT_KINDS = ['variational', 'standard'] as const;
export type DropoutKind = (typeof DROPOUT_KINDS)[number];

/** src/train/optimizers.ts; `ntasgd` is SGD that switches to averaging its iterates (src/train/asgd.ts). */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'ntasgd'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** src/train/schedule.ts. */
export const SCHEDULE_NAMES = ['fixed', 'plateau', 'none'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** Math engines, in the order `auto` tries them (src/backend.ts). */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export const BACKEND_CHOICES = ['auto', ...BACKEND_NAMES] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Arithmetic of the native backend's matmuls: fp32, or bf16 products with float32 accumulation (oneDNN's
 * BF16 fpmath mode on CPUs with AMX-BF16 / AVX512-BF16; tensors stay float32).
 */
export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * How a recurrent layer runs its time loop: our explicit gate equations (src/cells/), TensorFlow's fused
 * native kernels (src/layers/fused/) or oneDNN's recurrent primitives (src/layers/onednn/) where they compute
 * the same thing, or whichever is fastest (auto).
 */
export const KERNEL_CHOICES = ['auto', 'onednn', 'fused', 'explicit'] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];

/** The splits of a corpus directory (src/data/corpus.ts). */
export const SPLIT_NAMES = ['train', 'valid', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
