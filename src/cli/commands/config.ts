/** `stoa config` — *-CsPersistentChatConfiguration. */
import type { Command } from 'commander';
import { configurations } from '../../actions/configurations.js';
import { registerScopedSettings } from './scoped-settings.js';
import { parseInteger } from '../options.js';

export function registerConfig(program: Command): void {
  registerScopedSettings(program, {
    name: 'config',
    description: 'Persistent Chat service settings (*-CsPersistentChatConfiguration)',
    actions: configurations,
    columns: ['identity', 'defaultChatHistory', 'maxFileSizeKB', 'participantUpdateLimit', 'roomManagementUrl'],
    addOptions: (cmd) =>
      cmd
        .option('--default-chat-history <n>', 'messages handed to a user joining a room (1–500)')
        .option('--max-file-size-kb <n>', 'largest file uploaded or downloaded, in KB')
        .option('--participant-update-limit <n>', 'above this many participants roster updates stop')
        .option('--room-management-url <url>', 'a custom room management site (empty: the built-in one)'),
    readInput: (opts) => ({
      ...(opts.defaultChatHistory === undefined ? {} : { defaultChatHistory: parseInteger(opts.defaultChatHistory as string, '--default-chat-history') }),
      ...(opts.maxFileSizeKb === undefined ? {} : { maxFileSizeKB: parseInteger(opts.maxFileSizeKb as string, '--max-file-size-kb') }),
      ...(opts.participantUpdateLimit === undefined
        ? {}
        : { participantUpdateLimit: parseInteger(opts.participantUpdateLimit as string, '--participant-update-limit') }),
      ...(opts.roomManagementUrl === undefined ? {} : { roomManagementUrl: opts.roomManagementUrl as string }),
    }),
  });
}
