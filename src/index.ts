/** tfjs-rnnlm: the public API. */
export * from './config';
export * from './errors';
export * from './cells';
export { Recurrent } from './layers/recurrent';
export type { RecurrentArgs, RunOptions, RunResult } from './layers/recurrent';
export { dropoutMask, embeddingDropoutMask, recurrentMasks, sequenceDropout } from './layers/dropout';
export { availableBackends, bf16Support, currentBackend, nativeAvailability, describeBackend, howToGetNative, isBackendChoice, selectBackend } from './backend';
export type { BackendReport } from './backend';
export { backendInfo } from './backend/info';
export type { BackendInfo } from './backend/info';
export * from './data';
export { LanguageModel } from './model/lm';
export type { ForwardResult, ModelState } from './model/lm';
export { hiddenByVocab, outputCrossEntropy, outputLogits, tokenNll } from './model/loss';
export type { OutputLayer, OutputLayout } from './model/loss';
export { loadModel, saveModel } from './model/io';
export type { LoadedModel } from './model/io';
export { generateText } from './model/generate';
export { evaluatePerplexity } from './eval/perplexity';
export type { PerplexityResult } from './eval/perplexity';
export { evaluateModelOnCorpus, loadModelFromDirectory } from './eval/evaluate';
export { Trainer, initialProgress } from './train/trainer';
export type { BatchProgress, EpochMetrics, TrainHooks, TrainingProgress, TrainResult } from './train/trainer';
export { trainLanguageModel } from './train/run';
export type { TrainRunOptions, TrainRunResult } from './train/run';
export {
  describeModel, epochTable, readReport, reportCurveSvg, reportMarkdown, reportSummary, writeLearningCurve, writeReport,
} from './train/report';
export type { RunReport } from './train/report';
export { epochTicks, formatTick, learningCurveSvg, logTicks } from './train/curve';
export type { CurveLabels, CurvePoint } from './train/curve';
export { progressPrinter } from './train/progress';
export type { ProgressOutput } from './train/progress';
export { LEARNING_CURVE_FILE, runPaths } from './util/run-directory';
export type { RunPaths } from './util/run-directory';
export { PACKAGE_VERSION, runtimeVersions } from './package';
export type { RuntimeVersions } from './package';
