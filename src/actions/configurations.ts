/** `stoa config`: Persistent Chat service configuration (01 §2.6). */
import {
  CHAT_CONFIGURATION_DEFAULTS,
  CHAT_CONFIGURATION_RULES,
  type ChatConfiguration,
} from '../domain/settings.js';
import { presentConfiguration, type ConfigurationView } from './views.js';
import { scopedSettingsActions } from './scoped-settings.js';

export interface ConfigurationInput {
  defaultChatHistory?: number | string;
  maxFileSizeKB?: number | string;
  participantUpdateLimit?: number | string;
  roomManagementUrl?: string;
}

export const configurations = scopedSettingsActions<ChatConfiguration, ConfigurationInput, ConfigurationView>({
  noun: 'configuration',
  command: 'config',
  store: (s) => s.configurations,
  defaults: CHAT_CONFIGURATION_DEFAULTS,
  present: presentConfiguration,
  event: 'configuration.changed',
  apply(current, input, problems) {
    const next = { ...current };
    const rules = CHAT_CONFIGURATION_RULES;
    problems.check(() => {
      if (input.defaultChatHistory !== undefined) next.defaultChatHistory = rules.defaultChatHistory(input.defaultChatHistory);
    });
    problems.check(() => {
      if (input.maxFileSizeKB !== undefined) next.maxFileSizeKB = rules.maxFileSizeKB(input.maxFileSizeKB);
    });
    problems.check(() => {
      if (input.participantUpdateLimit !== undefined) next.participantUpdateLimit = rules.participantUpdateLimit(input.participantUpdateLimit);
    });
    problems.check(() => {
      if (input.roomManagementUrl !== undefined) next.roomManagementUrl = rules.roomManagementUrl(input.roomManagementUrl);
    });
    return next;
  },
});
