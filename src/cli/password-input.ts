import { Writable } from 'node:stream';
import readline from 'node:readline';
import { UsageError } from './options.js';
import { cliEnvironment } from './environment.js';

/** Reads the whole of standard input; one trailing newline is not part of the password. */
export async function readPasswordFromStdin(): Promise<string> {
  const text = (await cliEnvironment().readStdin()).replace(/\r?\n$/, '');
  if (text.includes('\n')) throw new UsageError('--password-stdin expects the password on one line');
  return text;
}

function ask(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/** Asks twice on the terminal without echo. */
export async function promptPassword(): Promise<string> {
  const first = await ask('New password: ');
  const second = await ask('Repeat password: ');
  if (first !== second) throw new UsageError('the passwords do not match');
  return first;
}
