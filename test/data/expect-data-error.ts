import { DataError } from '../../src/errors';

/** Runs `action`, expecting a one-line DataError whose message contains every fragment. */
export function expectDataError(action: () => unknown, ...fragments: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataError);
  const message = (caught as DataError).message;
  expect(message).not.toContain('\n');
  for (const fragment of fragments) expect(message).toMatch(fragment);
}
