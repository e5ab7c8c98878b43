import { describe, expect, it } from 'vitest';
import { cliEnvironment, processEnvironment, runInEnvironment, setProcessEnvironment, type CliEnvironment } from './environment.js';

function captured(name: string): CliEnvironment & { lines: string[] } {
  const lines: string[] = [];
  return { ...processEnvironment(['node', 'stoa', name]), out: (t) => lines.push(t), err: (t) => lines.push(t), lines };
}

describe('the environment of a command', () => {
  it('is the command’s own while it runs, even when commands overlap, and the process’s after', async () => {
    const own = processEnvironment(['node', 'stoa', 'serve']);
    setProcessEnvironment(own);
    const a = captured('a');
    const b = captured('b');
    const step = () => new Promise<void>((resolve) => setImmediate(resolve));
    let releaseA!: () => void;
    const aWaits = new Promise<void>((resolve) => (releaseA = resolve));
    const runA = runInEnvironment(a, async () => {
      await aWaits;
      cliEnvironment().out('from a');
    });
    await runInEnvironment(b, async () => {
      await step();
      cliEnvironment().out('from b');
    });
    // b ended while a still runs: a keeps its environment.
    releaseA();
    await runA;
    expect(a.lines).toEqual(['from a']);
    expect(b.lines).toEqual(['from b']);
    // Nothing runs: the process's command line.
    expect(cliEnvironment()).toBe(own);
    await step();
    expect(cliEnvironment()).toBe(own);
  });

  it('is the process’s again after a command that failed', async () => {
    const own = processEnvironment(['node', 'stoa', 'room', 'get']);
    setProcessEnvironment(own);
    await expect(runInEnvironment(captured('c'), () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cliEnvironment()).toBe(own);
  });
});
