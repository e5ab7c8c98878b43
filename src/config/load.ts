import fs from 'node:fs';
import { configSchema, ENVIRONMENT, type Config, type ConfigInput } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function readFile(file: string): ConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read config file ${file}: ${(err as Error).message}`]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    return parsed;
  } catch (err) {
    throw new ConfigError([`config file ${file} is not valid JSON: ${(err as Error).message}`]);
  }
}

function fromEnvironment(env: NodeJS.ProcessEnv): ConfigInput {
  const out: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== '') out[key] = value;
  }
  const sip = sipSettings(env.STOA_SIP_PORT, env.STOA_SIP_TRUSTED_NETWORKS);
  if (sip !== undefined) out.sip = sip;
  return out;
}

/**
 * The SIP endpoint's port and trusted networks as `--sip-port` / `--sip-trusted-networks`
 * (or STOA_SIP_PORT / STOA_SIP_TRUSTED_NETWORKS) give them: a port turns the endpoint on.
 */
export function sipSettings(port: string | undefined, trusted: string | undefined): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (port !== undefined && port !== '') Object.assign(out, { enabled: true, port });
  if (trusted !== undefined && trusted !== '') out.trustedNetworks = trusted.split(',').map((r) => r.trim()).filter((r) => r !== '');
  return Object.keys(out).length === 0 ? undefined : out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Later layers win key by key; nested sections (sip, limits, metrics) merge rather than replace. */
function merge(base: Record<string, unknown>, layer: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    out[key] = isObject(value) && isObject(out[key]) ? merge(out[key], value) : value;
  }
  return out;
}

/** Layers defaults, the file, the environment and explicit options (later wins). */
export function loadConfig(options: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigInput;
}): Config {
  const layers = [options.file === undefined ? {} : readFile(options.file), fromEnvironment(options.env ?? process.env), options.overrides ?? {}].reduce<Record<string, unknown>>(
    (all, layer) => merge(all, layer),
    {},
  );
  const result = configSchema.safeParse(layers);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const where = issue.path.join('.') || 'config';
        return issue.code === 'unrecognized_keys' ? `unknown setting(s): ${issue.keys.join(', ')}` : `${where}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}
