/**
 * Reader for the settings.conf format of openEuler's patch-tracking. That file was loaded by Flask's
 * `config.from_pyfile`, so values are Python literals: quoted strings, numbers, True/False. We accept that
 * subset (plus bare words) and remember where every key came from, so a bad value can be reported with
 * its file and line.
 */
import { AppError } from './errors.js';

export interface RawSetting {
  key: string;
  /** every value given for the key, in order (a repeated key such as CI_HANDLER_ARGUMENT accumulates) */
  values: string[];
  /** "settings.conf:12", "environment" — where the last value came from */
  origin: string;
}

const LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

export function parseSettingsFile(text: string, fileName: string): Map<string, RawSetting> {
  const settings = new Map<string, RawSetting>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const origin = `${fileName}:${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = LINE.exec(trimmed);
    if (!match) {
      throw new AppError('settings_syntax', `${origin}: expected KEY = value, got: ${truncate(trimmed)}`);
    }
    const key = match[1]!;
    const value = parseValue(match[2]!, origin, key);
    const existing = settings.get(key);
    if (existing) {
      existing.values.push(value);
      existing.origin = origin;
    } else {
      settings.set(key, { key, values: [value], origin });
    }
  });
  return settings;
}

function parseValue(source: string, origin: string, key: string): string {
  const text = source.trim();
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\\' && i + 1 < text.length) {
        const next = text[++i]!;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        continue;
      }
      if (ch === quote) {
        const rest = text.slice(i + 1).trim();
        if (rest !== '' && !rest.startsWith('#')) {
          throw new AppError('settings_syntax', `${origin}: ${key}: unexpected text after the closing quote`);
        }
        return out;
      }
      out += ch;
    }
    throw new AppError('settings_syntax', `${origin}: ${key}: the value has no closing ${quote}`);
  }
  // Unquoted: a number, True/False, or a bare word; a trailing comment is dropped.
  const hash = text.indexOf('#');
  const bare = (hash >= 0 ? text.slice(0, hash) : text).trim();
  if (bare === 'True') return 'true';
  if (bare === 'False') return 'false';
  if (bare === 'None') return '';
  return bare;
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
