import { Command } from 'commander';
import { ConfigError, REPORT_OPTIONS, ReportError, epochTable, readReport, reportCurveSvg, reportSummary, runPaths, writeLearningCurve } from '../../src';
import { flagName, addOptions } from '../options';

/** `--out -`: the picture goes to stdout, as with other tools that write files. */
const STDOUT = '-';

export function reportCommand(): Command {
  const command = new Command('report')
    .description('print the summary and epoch table of a run directory and write its learning curve (SVG, log scale)')
    .argument('<dir>', 'a run directory (train --save DIR)');
  addOptions(command, REPORT_OPTIONS);
  return command
    .option('--json', 'print report.json instead of the summary and table')
    .addHelpText('after', '\nExample:\n  rnnlm report runs/small --out small-curve.svg\n')
    .action((dir: string, options) => {
      if (options.out === STDOUT && options.json) {
        throw new ConfigError((option) => `${option('out')} - and --json would both write to stdout: give ${option('out')} FILE or drop --json`);
      }
      const report = readReport(dir);
      if (options.out === STDOUT) {
        process.stdout.write(reportCurveSvg(report));
        return;
      }
      const out: string = options.out ?? runPaths(dir).report.curve;
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${reportSummary(report)}\n\n${epochTable(report.epochs)}\n\n`);
      try {
        writeLearningCurve(out, report);
      } catch (error) {
        // The summary is printed either way; only a picture the user asked for by name makes the command fail.
        if (!(error instanceof ReportError) || options.out) throw error;
        process.stderr.write(`rnnlm: ${error.describe(flagName)}\n`);
        return;
      }
      if (!options.json) process.stdout.write(`learning curve: ${out}\n`);
    });
}
