/** Runs async jobs one after another, in the order they were pushed. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void) {}

  push(job: () => Promise<void> | void): Promise<void> {
    this.tail = this.tail.then(job).catch(this.onError);
    return Promise.resolve();
  }

  idle(): Promise<void> {
    return this.tail;
  }
}
