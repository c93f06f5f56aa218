import { Command } from 'commander';
import {
  BACKEND_OPTIONS, EVALUATE_OPTIONS, MODEL_DIRECTORY_OPTIONS, TuningTrial, adaptationOf, describeBackend, describeSettings,
  evaluateModelOnCorpus, evaluationWindow, loadModelFromDirectory, passProgressPrinter, selectBackend, tuningEdges,
} from '../../src';
import { givenOptions, optionValues, addOptions } from '../options';

export function evaluateCommand(): Command {
  const command = new Command('evaluate').description('exact perplexity of a saved model on one split of a corpus');
  addOptions(command, MODEL_DIRECTORY_OPTIONS, EVALUATE_OPTIONS, BACKEND_OPTIONS);
  return command
    .option('--json', 'print a JSON object with perplexity, tokens, nll, split, batchSize, bptt, backend and adapted (the test-time method and its settings, or null)')
    .addHelpText('after', '\nExample:\n  rnnlm evaluate --model runs/small --data ../shared/data/ptb --split test\n')
    .action(async (parsed) => {
      const options = optionValues(EVALUATE_OPTIONS, parsed);
      const adaptation = adaptationOf(options);
      const backendLine = describeBackend(await selectBackend(givenOptions(BACKEND_OPTIONS, parsed)));
      const { model, vocab } = loadModelFromDirectory(parsed.model);
      const batchSize = options.batchSize ?? (options.split === 'test' ? 1 : 10);
      const bptt = evaluationWindow(options);
      const tuning = options.tune
        ? {
          dir: options.tuneDir,
          jobs: options.tuneJobs,
          onTrial: (trial: TuningTrial) => process.stderr.write(`tune: ${describeSettings(trial.adaptation)}: valid perplexity ` +
            `${trial.perplexity.toFixed(2)} (${trial.screen ? 'screen, first' : trial.beyond ? 'beyond the grid, all' : 'finalist, all'} ` +
            `${trial.tokens} tokens${trial.resumed ? ', recorded' : ''})\n`),
        }
        : null;
      const result = await evaluateModelOnCorpus(model, vocab, options.data, options.split, batchSize, bptt, adaptation, tuning, passProgressPrinter());
      const edges = result.tuned ? tuningEdges(result.tuned.best, result.tuned.trials, bptt) : [];
      for (const edge of edges) process.stderr.write(`tune: ${edge}; a wider grid may do better\n`);
      if (parsed.json) process.stdout.write(`${JSON.stringify({ ...result, backend: backendLine })}\n`);
      else {
        process.stdout.write(`perplexity: ${result.perplexity.toFixed(2)}\n`);
        const { adapted, tuned } = result;
        if (adapted) {
          const settings = `${describeSettings(adapted)}${tuned ? ', chosen on valid' : ''}`;
          process.stdout.write(`${adapted.method} perplexity: ${adapted.perplexity.toFixed(2)} (${settings})\n`);
        }
      }
    });
}
