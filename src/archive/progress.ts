/**
 * Progress of a long export or import on a terminal: objects and messages per second and
 * an estimate of the time left, redrawn at most a few times a second on one line.
 * Quiet when output is not a terminal or `--no-progress` is given.
 */
export interface Progress {
  /** A new phase (e.g. `messages`), with the number of items it will count when known. */
  phase(name: string, total?: number): void;
  /** A better estimate of the current phase's total, once known. */
  total?(n: number): void;
  /** Items done in the current phase. */
  add(n: number): void;
  /** Ends the line. */
  done(): void;
}

export const NO_PROGRESS: Progress = { phase: () => undefined, add: () => undefined, done: () => undefined };

const REDRAW_MS = 250;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class TerminalProgress implements Progress {
  private name = '';
  private totalCount: number | undefined;
  private count = 0;
  private started = Date.now();
  private drawn = 0;
  private width = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  phase(name: string, total?: number): void {
    this.done();
    this.name = name;
    this.totalCount = total;
    this.count = 0;
    this.started = this.clock();
    this.draw(true);
  }

  total(n: number): void {
    this.totalCount = n;
  }

  add(n: number): void {
    this.count += n;
    this.draw(false);
  }

  done(): void {
    if (this.name === '') return;
    this.draw(true);
    this.write('\n');
    this.name = '';
  }

  /** The line as it reads now (tests look at it). */
  line(): string {
    const seconds = Math.max((this.clock() - this.started) / 1000, 0.001);
    const rate = this.count / seconds;
    const total = this.totalCount === undefined ? undefined : Math.max(this.totalCount, this.count);
    const of = total === undefined ? '' : ` of ${total}`;
    const eta = total === undefined || rate === 0 ? '' : `, ${duration((total - this.count) / rate)} left`;
    return `${this.name}: ${this.count}${of} (${Math.round(rate)}/s${eta})`;
  }

  private draw(force: boolean): void {
    const now = this.clock();
    if (!force && now - this.drawn < REDRAW_MS) return;
    this.drawn = now;
    const text = this.line();
    this.write(`\r${text.padEnd(this.width)}`);
    this.width = text.length;
  }
}
