import { Command } from 'commander';
import { REPORT_OPTIONS, epochTable, readReport, reportSummary, runPaths, writeLearningCurve } from '../../src';
import { optionsOf } from '../options';

export function reportCommand(): Command {
  const command = new Command('report')
    .description('print the summary and epoch table of a run directory and write its learning curve (SVG, log scale)')
    .argument('<dir>', 'a run directory (train --save DIR)');
  for (const option of optionsOf(REPORT_OPTIONS)) command.addOption(option);
  return command
    .option('--json', 'print report.json instead of the summary and table')
    .addHelpText('after', '\nExample:\n  rnnlm report runs/small --out small-curve.svg\n')
    .action((dir: string, options) => {
      const report = readReport(dir);
      const out: string = options.out ?? runPaths(dir).report.curve;
      writeLearningCurve(out, report);
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${reportSummary(report)}\n\n${epochTable(report.epochs)}\n\nlearning curve: ${out}\n`);
    });
}
