import { DEFAULT_HYPER, TrainConfig, toTrainConfig } from '../../src/config';
import { RunReport, cpusByEpoch, reportMarkdown, reportSummary } from '../../src/train/report';
import { EpochMetrics } from '../../src/train/trainer';

const epoch = (n: number, cpu?: string): EpochMetrics =>
  ({ epoch: n, lr: 1, trainPpl: 100, validPpl: 120, wordsPerSecond: 900, elapsedSeconds: 60 * n, backend: 'tensorflow', ...(cpu ? { cpu } : {}) });

test('the report names the CPU of each stretch of epochs, and says where it was not recorded', () => {
  const epochs = [epoch(1), epoch(2), epoch(3, 'not recorded + Xeon, 2 vCPUs'), epoch(4, 'Xeon, 2 vCPUs'), epoch(5, 'Xeon, 2 vCPUs'), epoch(6, 'EPYC, 2 vCPUs')];
  expect(cpusByEpoch(epochs)).toBe('not recorded (epochs 1–2); not recorded + Xeon, 2 vCPUs (epoch 3); Xeon, 2 vCPUs (epochs 4–5); EPYC, 2 vCPUs (epoch 6)');
  expect(cpusByEpoch([epoch(1, 'Xeon, 2 vCPUs')])).toBe('Xeon, 2 vCPUs (epoch 1)');
});

const runReport = (trainConfig: TrainConfig, resumes: string[] = []): RunReport => ({
  status: 'stopped', command: 'rnnlm train --save r', start: undefined, preset: null, resumes,
  corpus: { dir: 'c', level: 'word', vocabSize: 10, tokens: { train: 100, valid: 10, test: 10 } },
  modelConfig: { cell: 'lstm', hiddenSizes: [8], tied: false } as RunReport['modelConfig'], trainConfig,
  parameters: 100, backend: 'cpu', versions: { tfjsRnnlm: '0.1.0', tfjs: '4.22.0', tensorflow: null, node: 'v20' },
  epochs: [epoch(1, 'Xeon, 2 vCPUs')], bestValidPpl: 120, bestEpoch: 1, testPpl: null, wallSeconds: 60,
});

/** The training settings report.md's Configuration block lists. */
function listedTrainSettings(report: RunReport): string[] {
  const block = /```json\n([\s\S]*?)```/.exec(reportMarkdown(report));
  return Object.keys((JSON.parse(block![1]) as { train: object }).train);
}

test("report.md's configuration lists only the settings the run's schedule and optimizer read", () => {
  const plateauSgd = toTrainConfig(DEFAULT_HYPER);
  expect(plateauSgd).toMatchObject({ schedule: 'plateau', optimizer: 'sgd' });
  const plateauListed = listedTrainSettings(runReport(plateauSgd));
  expect(plateauListed).toEqual(expect.arrayContaining(['lr', 'schedule', 'clip', 'epochs', 'weightDecay']));
  for (const unused of ['lrDecay', 'decayStart', 'nonmono', 'averageAfter']) expect(plateauListed).not.toContain(unused);

  const fixedNtasgd = { ...plateauSgd, schedule: 'fixed', optimizer: 'ntasgd' } as const;
  expect(listedTrainSettings(runReport(fixedNtasgd))).toEqual(Object.keys(fixedNtasgd));
});

test('the summary lists a resume command repeated session after session once, with its count', () => {
  const report = runReport({} as TrainConfig, [
    'rnnlm train --save r --resume', 'rnnlm train --save r --resume', 'rnnlm train --save r --resume --lr 5', 'rnnlm train --save r --resume',
  ]);
  expect(reportSummary(report).split('\n').filter((line) => line.startsWith('- resumed with'))).toEqual([
    '- resumed with: `rnnlm train --save r --resume` (2 times in a row)',
    '- resumed with: `rnnlm train --save r --resume --lr 5`',
    '- resumed with: `rnnlm train --save r --resume`',
  ]);
  expect(reportSummary(report)).toContain('\n- CPU: Xeon, 2 vCPUs (epoch 1)\n');
});

test('the status of a run with epochs to go says how far it is and how long is left at its last epoch\'s time', () => {
  const config = { ...toTrainConfig(DEFAULT_HYPER), epochs: 60 };
  const status = (report: RunReport): string => reportSummary(report).split('\n')[0];
  // Epoch 8 ended 245 s after epoch 7: 52 epochs to go at 4m05s.
  const running = { ...runReport(config), status: 'running' as const, epochs: [epoch(7), { ...epoch(8), elapsedSeconds: 60 * 7 + 245 }] };
  expect(status(running)).toBe('- status: running (epoch 8 of 60 done; about 3h32m of training to go at the 4m05s its last epoch took)');
  expect(status({ ...running, status: 'stopped' })).toMatch(/^- status: stopped \(epoch 8 of 60 done; about 3h32m/);
  expect(status({ ...running, epochs: [epoch(1)] })).toBe('- status: running (epoch 1 of 60 done; about 59m00s of training to go at the 1m00s its last epoch took)');
  for (const ended of ['finished', 'diverged'] as const) expect(status({ ...running, status: ended })).toBe(`- status: ${ended}`);
  expect(status({ ...running, trainConfig: { ...config, epochs: 8 } })).toBe('- status: running');
  expect(status({ ...running, epochs: [] })).toBe('- status: running');
});
