/**
 * Large arrays an addon call fills for a later backward pass (the output layer's P, the matmul LSTM's
 * workspace), kept for the next forward once that pass is done: a fresh array of several MB each step is
 * mapped page by page each time, and those page faults cost ~4–7 µs each on a VM (a fresh 28 MB P cost
 * `small` ~6,400 faults and ~30 ms of system time a step in float32). An array is taken for one forward and
 * given back by its backward; one whose backward never runs is simply collected.
 */
export class ArrayPool<T extends Float32Array | Int32Array> {
  private readonly spare: T[] = [];

  constructor(private readonly create: (length: number) => T, private readonly keep = 2) {}

  take(length: number): T {
    const index = this.spare.findIndex((array) => array.length === length);
    return index < 0 ? this.create(length) : this.spare.splice(index, 1)[0];
  }

  give(array: T): void {
    this.spare.unshift(array);
    this.spare.length = Math.min(this.spare.length, this.keep);
  }
}
