/** `stoa compliance-config` — *-CsPersistentChatComplianceConfiguration. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { complianceConfigurations } from '../../actions/compliance-configurations.js';
import { registerScopedSettings } from './scoped-settings.js';
import { UsageError, booleanOption, readBoolean } from '../options.js';
import { cliEnvironment } from '../environment.js';

const FLAGS = [
  ['one-chat-room-per-output-file', 'oneChatRoomPerOutputFile', 'one output file per room'],
  ['add-chat-room-details', 'addChatRoomDetails', 'add room details to the output'],
  ['add-user-details', 'addUserDetails', 'add user details to the output'],
  ['create-file-attachments-manifest', 'createFileAttachmentsManifest', 'write .ATTACH manifests of file transfers'],
] as const;

function readStylesheet(opts: Record<string, unknown>): string | undefined {
  if (opts.customConfiguration !== undefined && opts.customConfigurationFile !== undefined) {
    throw new UsageError('--custom-configuration and --custom-configuration-file cannot be used together');
  }
  if (opts.customConfigurationFile === undefined) return opts.customConfiguration as string | undefined;
  // A command run in the server reads no server files (D9): the CLI that forwards it
  // reads the file where it runs and sends its content (cli/forward.ts).
  if (cliEnvironment().inServer !== undefined) {
    throw new UsageError('--custom-configuration-file names a file on the machine that runs the command; send the stylesheet itself with --custom-configuration');
  }
  const file = opts.customConfigurationFile as string;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

export function registerComplianceConfig(program: Command): void {
  registerScopedSettings(program, {
    name: 'compliance-config',
    description: 'compliance adapter settings (*-CsPersistentChatComplianceConfiguration)',
    actions: complianceConfigurations,
    columns: ['identity', 'adapterType', 'runInterval', 'adapterOutputDirectory', 'oneChatRoomPerOutputFile'],
    addOptions: (cmd) => {
      cmd
        .option('--adapter-type <type>', 'Xml, JsonLines, module:<name> (a module in the server configuration\'s complianceAdapters), or empty for no output')
        .option('--adapter-name <name>', 'a friendly name')
        .option('--adapter-output-directory <dir>', 'where output goes (relative: inside the data dir)')
        .option('--run-interval <d.hh:mm:ss>', 'time between runs, 00:01:00 to 30.00:00:00')
        .option('--custom-configuration <xslt>', 'an XSLT 1.0 stylesheet applied to the XML (empty: none)')
        .option('--custom-configuration-file <file>', 'read the stylesheet from a file');
      for (const [flag, , what] of FLAGS) cmd.addOption(booleanOption(flag, what));
      return cmd;
    },
    readInput: (opts) => {
      const stylesheet = readStylesheet(opts);
      return {
        ...(opts.adapterType === undefined ? {} : { adapterType: opts.adapterType as string }),
        ...(opts.adapterName === undefined ? {} : { adapterName: opts.adapterName as string }),
        ...(opts.adapterOutputDirectory === undefined ? {} : { adapterOutputDirectory: opts.adapterOutputDirectory as string }),
        ...(opts.runInterval === undefined ? {} : { runInterval: opts.runInterval as string }),
        ...(stylesheet === undefined ? {} : { customConfiguration: stylesheet }),
        ...(Object.fromEntries(FLAGS.map(([flag, key]) => [key, readBoolean(opts, flag)]).filter(([, v]) => v !== undefined)) as Record<
          (typeof FLAGS)[number][1],
          boolean
        >),
      };
    },
  });
}
