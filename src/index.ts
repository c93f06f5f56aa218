/** tfjs-rnnlm: the public API. */
export * from './cells';
export { Recurrent } from './layers/recurrent';
export type { RecurrentArgs, RunOptions, RunResult } from './layers/recurrent';
export { dropoutMask, embeddingDropoutMask, recurrentMasks, sequenceDropout } from './layers/dropout';
export type { DropoutKind } from './layers/dropout';
export { BACKEND_NAMES, availableBackends, currentBackend, describeBackend, howToGetNative, selectBackend } from './backend';
export type { BackendChoice, BackendName, BackendReport } from './backend';
export { backendInfo } from './backend/info';
export type { BackendInfo } from './backend/info';
export * from './data';
export { ConfigError, NO_DROPOUT, validateModelConfig } from './model/config';
export type { DropoutConfig, ModelConfig } from './model/config';
export { DEFAULT_HYPER, loadPreset, presetNames, resolveHyper, toModelConfig, toTrainConfig } from './model/hyper';
export type { HyperParameters, Preset } from './model/hyper';
export { LanguageModel } from './model/lm';
export type { ForwardResult, ModelState } from './model/lm';
export { hiddenByVocab, outputCrossEntropy, outputLogits, tokenNll } from './model/loss';
export type { OutputLayer, OutputLayout } from './model/loss';
export { ModelFileError, loadModel, saveModel } from './model/io';
export type { LoadedModel } from './model/io';
export { generateText } from './model/generate';
export type { GenerateOptions } from './model/generate';
export { evaluatePerplexity } from './eval/perplexity';
export type { PerplexityResult } from './eval/perplexity';
export { evaluateModelOnCorpus, loadModelFromDirectory } from './eval/evaluate';
export { DivergenceError, Trainer, initialProgress } from './train/trainer';
export type { BatchProgress, EpochMetrics, TrainConfig, TrainHooks, TrainingProgress, TrainResult } from './train/trainer';
export { trainLanguageModel } from './train/run';
export type { TrainRunOptions, TrainRunResult } from './train/run';
export {
  LEARNING_CURVE_FILE, ReportError, describeModel, epochTable, readReport, reportCurveSvg, reportMarkdown, reportPaths,
  reportSummary, writeLearningCurve, writeReport,
} from './train/report';
export type { RunReport } from './train/report';
export { epochTicks, formatTick, learningCurveSvg, logTicks } from './train/curve';
export type { CurveLabels, CurvePoint } from './train/curve';
export { progressPrinter } from './train/progress';
export type { ProgressOutput } from './train/progress';
export { PACKAGE_VERSION } from './package';
