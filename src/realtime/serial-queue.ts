/** Runs async jobs one after another, in the order they were pushed. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Queues the job; the promise settles when it has run (its failure goes to onError). */
  push(job: () => Promise<void> | void): Promise<void> {
    this.tail = this.tail.then(job).catch(this.onError);
    return this.tail;
  }

  idle(): Promise<void> {
    return this.tail;
  }
}
