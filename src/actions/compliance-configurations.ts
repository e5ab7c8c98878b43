/** `stoa compliance-config`: what the compliance adapter writes and how often (01 §2.7). */
import {
  COMPLIANCE_CONFIGURATION_DEFAULTS,
  checkRunInterval,
  normaliseOutputDirectory,
  resolveOutputDirectory,
  parseAdapterType,
  type ComplianceConfiguration,
} from '../domain/settings.js';
import { normaliseText } from '../domain/names.js';
import { parseTimeSpan } from '../domain/timespan.js';
import { checkStylesheet } from '../domain/stylesheet.js';
import { presentComplianceConfiguration, type ComplianceConfigurationView } from './views.js';
import { scopedSettingsActions } from './scoped-settings.js';

export interface ComplianceConfigurationInput {
  adapterType?: string;
  adapterName?: string;
  adapterOutputDirectory?: string;
  /** `d.hh:mm:ss` (or `15m`, `1h`, ...). */
  runInterval?: string;
  oneChatRoomPerOutputFile?: boolean;
  addChatRoomDetails?: boolean;
  addUserDetails?: boolean;
  createFileAttachmentsManifest?: boolean;
  customConfiguration?: string;
}

const FLAGS = ['oneChatRoomPerOutputFile', 'addChatRoomDetails', 'addUserDetails', 'createFileAttachmentsManifest'] as const;

export const complianceConfigurations = scopedSettingsActions<
  ComplianceConfiguration,
  ComplianceConfigurationInput,
  ComplianceConfigurationView
>({
  noun: 'compliance configuration',
  command: 'compliance-config',
  store: (s) => s.complianceConfigurations,
  defaults: COMPLIANCE_CONFIGURATION_DEFAULTS,
  present: presentComplianceConfiguration,
  event: 'compliance_configuration.changed',
  apply(current, input, problems, services) {
    const next = { ...current };
    problems.check(() => {
      if (input.adapterType !== undefined) next.adapterType = parseAdapterType(input.adapterType);
    });
    problems.check(() => {
      if (input.adapterName !== undefined) next.adapterName = normaliseText(input.adapterName, 'AdapterName', 256) ?? '';
    });
    problems.check(() => {
      if (input.adapterOutputDirectory === undefined) return;
      next.adapterOutputDirectory = normaliseOutputDirectory(input.adapterOutputDirectory);
      if (services.paths !== undefined) resolveOutputDirectory(next.adapterOutputDirectory, services.paths.dataDir, services.paths.outputDirectories);
    });
    problems.check(() => {
      if (input.runInterval !== undefined) next.runIntervalSeconds = checkRunInterval(parseTimeSpan(input.runInterval, 'RunInterval'));
    });
    problems.check(() => {
      if (input.customConfiguration !== undefined) next.customConfiguration = checkStylesheet(input.customConfiguration);
    });
    for (const flag of FLAGS) if (input[flag] !== undefined) next[flag] = input[flag];
    return next;
  },
});
