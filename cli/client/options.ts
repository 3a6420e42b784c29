/**
 * The flags shared by commands: the old CLI's spellings (`--version_control`, `--scm_repo`, …) with the
 * dashed spelling accepted too, the connection flags, and the conversions (`--enabled true|false`).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { usageError } from './errors.js';

export const TRACKING_FIELDS = ['version_control', 'scm_repo', 'scm_branch', 'scm_commit', 'repo', 'branch', 'enabled'] as const;
export type TrackingField = (typeof TRACKING_FIELDS)[number];

export interface ConnectionFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  ca?: string;
  insecure?: boolean;
}

export function parseBooleanFlag(value: string): boolean {
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new InvalidArgumentError('expected true or false');
}

const FIELD_HELP: Record<TrackingField, { value: string; help: string }> = {
  version_control: { value: '<kind>', help: 'kind of upstream: github, git or mail' },
  scm_repo: { value: '<repo>', help: 'upstream repository: owner/name on GitHub, or a git URL' },
  scm_branch: { value: '<branch>', help: 'upstream branch to track' },
  scm_commit: { value: '<sha>', help: 'upstream commit to start after (default: the current head)' },
  repo: { value: '<repo>', help: 'target repository: owner/name on Gitee, or its URL' },
  branch: { value: '<branch>', help: 'target branch' },
  enabled: { value: '<bool>', help: 'whether the service tracks it: true or false' },
};

/** Adds `--name` (the old spelling) and a hidden `--dashed-name` for each field. */
export function addFieldOptions(command: Command, fields: readonly TrackingField[], helpOverrides: Partial<Record<TrackingField, string>> = {}): Command {
  for (const field of fields) {
    const { value, help } = FIELD_HELP[field];
    const main = new Option(`--${field} ${value}`, helpOverrides[field] ?? help);
    if (field === 'enabled') main.argParser(parseBooleanFlag);
    command.addOption(main);
    if (field.includes('_')) {
      const dashed = new Option(`--${field.replace(/_/g, '-')} ${value}`).hideHelp();
      command.addOption(dashed);
    }
  }
  return command;
}

function camel(field: string): string {
  return field.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

/** The fields given on the command line, whichever spelling was used. */
export function readFields(options: Record<string, unknown>, fields: readonly TrackingField[]): Partial<Record<TrackingField, string | boolean>> {
  const out: Partial<Record<TrackingField, string | boolean>> = {};
  for (const field of fields) {
    const underscored = options[field] as string | boolean | undefined;
    const dashed = field.includes('_') ? (options[camel(field)] as string | boolean | undefined) : undefined;
    if (underscored !== undefined && dashed !== undefined && underscored !== dashed) {
      throw usageError(`--${field} and --${field.replace(/_/g, '-')} give different values`);
    }
    const value = underscored ?? dashed;
    if (value !== undefined) out[field] = value;
  }
  return out;
}

export function addConnectionOptions(command: Command, auth: 'write' | 'read'): Command {
  command
    .option('--server <address>', 'the service: host:port (https, or http when the server does not speak TLS) or an http(s):// URL (default: $PATCH_TRACKING_SERVER)')
    .option('--user <name>', "user name (USER in the server's settings.conf)", 'admin')
    .option('--password <password>', `password${auth === 'write' ? '' : ' (only needed when the server has READ_AUTH on)'} (default: $PATCH_TRACKING_PASSWORD, or asked on a terminal)`)
    .option('--token <token>', 'API token, sent as Bearer instead of a password (default: $PATCH_TRACKING_TOKEN)')
    .option('--ca <file>', "PEM certificate to trust for https (default: $PATCH_TRACKING_CA, else the local service's TLS_CERT)")
    .option('--insecure', "do not verify the server's TLS certificate");
  return command;
}
