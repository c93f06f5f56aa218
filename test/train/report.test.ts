import { cpusByEpoch } from '../../src/train/report';
import { EpochMetrics } from '../../src/train/trainer';

const epoch = (n: number, cpu?: string): EpochMetrics =>
  ({ epoch: n, lr: 1, trainPpl: 100, validPpl: 120, wordsPerSecond: 900, elapsedSeconds: 60 * n, backend: 'tensorflow', ...(cpu ? { cpu } : {}) });

test('the report names the CPU of each stretch of epochs, and says where it was not recorded', () => {
  const epochs = [epoch(1), epoch(2), epoch(3, 'not recorded + Xeon, 2 vCPUs'), epoch(4, 'Xeon, 2 vCPUs'), epoch(5, 'Xeon, 2 vCPUs'), epoch(6, 'EPYC, 2 vCPUs')];
  expect(cpusByEpoch(epochs)).toBe('not recorded (epochs 1–2); not recorded + Xeon, 2 vCPUs (epoch 3); Xeon, 2 vCPUs (epochs 4–5); EPYC, 2 vCPUs (epoch 6)');
  expect(cpusByEpoch([epoch(1, 'Xeon, 2 vCPUs')])).toBe('Xeon, 2 vCPUs (epoch 1)');
});
