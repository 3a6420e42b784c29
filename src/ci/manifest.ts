import { AppError } from '../errors.js';

/**
 * build2/brep manifest format: a `: 1` format-version line, then `name: value` pairs. A value that has
 * newlines or leading/trailing blanks is written in multi-line mode (`name:\`, the lines, then a line
 * holding only `\`); a line ending in a single `\` continues on the next line, so a value line that
 * really ends in backslashes gets one more. Comments (`#`) and blank lines between pairs are ignored.
 */
export interface ManifestValue {
  name: string;
  value: string;
}

/** A parsed pair with the line its name is on, for errors found after parsing. */
export interface ParsedManifestValue extends ManifestValue {
  line: number;
}

export class ManifestParseError extends AppError {
  constructor(
    readonly line: number,
    description: string,
  ) {
    super('manifest_parse', `line ${line}: ${description}`);
    this.name = 'ManifestParseError';
  }
}

// Tab (0x09), LF (0x0a), CR (0x0d) and printable ASCII 0x20–0x7e: the rule brep applies to CI values.
function firstInvalidValueChar(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c < 0x20 || c > 0x7e) return i;
  }
  return -1;
}

function describeChar(s: string, at: number): string {
  const cp = s.codePointAt(at) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} at position ${at + 1}`;
}

/** Throws an AppError naming `name` when the value holds anything but printable ASCII, tab, CR or LF. */
export function checkManifestValue(name: string, value: string): void {
  const at = firstInvalidValueChar(value);
  if (at >= 0) {
    throw new AppError(
      'manifest_invalid_value',
      `invalid value of '${name}': ${describeChar(value, at)} is not printable ASCII, tab, CR or LF`,
      { field: name },
    );
  }
}

/** Names are printable ASCII without whitespace or ':', and may not start with '#' (a comment). */
export function checkManifestName(name: string): void {
  const fail = (why: string) => {
    throw new AppError('manifest_invalid_name', `invalid manifest name '${name}': ${why}`, {
      field: name,
    });
  };
  if (name === '') fail('empty name');
  if (name.startsWith('#')) fail("starts with '#'");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x3a) fail("contains ':'");
    if (c <= 0x20 || c > 0x7e) fail(`${describeChar(name, i)} is not a printable non-space ASCII character`);
  }
}

// A physical line that ends in backslashes gets one more, so the parser does not read it as a continuation.
function escapeLineEnd(line: string): string {
  return line.endsWith('\\') ? `${line}\\` : line;
}

function serializeValue(value: string): string {
  if (value === '') return '';
  const needsMultiLine = /[\r\n]/.test(value) || /^[ \t]|[ \t]$/.test(value);
  if (!needsMultiLine) return ` ${escapeLineEnd(value)}`;
  // As brep's serializer: CR, LF and CRLF all separate lines, so CR does not survive a round trip.
  const lines = value.split(/\r\n|\r|\n/).map(escapeLineEnd);
  return `\\\n${lines.join('\n')}\n\\`;
}

/** Serializes one manifest (format version 1). Names and values are checked; errors name the field. */
export function serializeManifest(values: readonly ManifestValue[]): string {
  let out = ': 1\n';
  for (const { name, value } of values) {
    checkManifestName(name);
    checkManifestValue(name, value);
    out += `${name}:${serializeValue(value)}\n`;
  }
  return out;
}

const isBlank = (line: string) => /^[ \t]*$/.test(line);
const isComment = (line: string) => /^[ \t]*#/.test(line);

function trailingBackslashes(line: string): number {
  let n = 0;
  while (n < line.length && line[line.length - 1 - n] === '\\') n++;
  return n;
}

/**
 * Parses the first manifest in `text`. The `: 1` version line is optional (handlers written as
 * shell scripts often omit it); a later empty-name line (`:`) ends the manifest and the rest is ignored.
 */
export function parseManifest(text: string): ParsedManifestValue[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const values: ParsedManifestValue[] = [];
  let sawVersion = false;
  let i = 0;

  while (i < lines.length) {
    const lineNo = i + 1;
    const raw = lines[i] ?? '';
    if (isBlank(raw) || isComment(raw)) {
      i++;
      continue;
    }
    const line = raw.replace(/^[ \t]+/, '');
    const nameMatch = /^[^:\s]*/.exec(line);
    const name = nameMatch ? nameMatch[0] : '';
    let rest = line.slice(name.length).replace(/^[ \t]+/, '');
    if (!rest.startsWith(':')) {
      throw new ManifestParseError(lineNo, name ? `':' expected after name '${name}'` : "':' expected after name");
    }
    rest = rest.slice(1).replace(/^[ \t]+/, '');
    i++;
    if (name !== '') {
      try {
        checkManifestName(name);
      } catch (err) {
        throw new ManifestParseError(lineNo, (err as Error).message);
      }
    }

    if (name === '') {
      if (values.length > 0 || sawVersion) break; // end of this manifest
      if (rest !== '1') {
        throw new ManifestParseError(lineNo, rest === '' ? 'format version value expected' : `unsupported format version ${rest}`);
      }
      sawVersion = true;
      continue;
    }

    let value: string;
    const oldStyleMultiLine = rest === '\\';
    const newStyleMultiLine = rest === '' && lines[i] === '\\';
    if (oldStyleMultiLine || newStyleMultiLine) {
      if (newStyleMultiLine) i++;
      let v = '';
      let first = true;
      let joinNext = false;
      for (; i < lines.length; i++) {
        const l = lines[i] ?? '';
        if (l === '\\') {
          i++;
          break;
        }
        if (!first && !joinNext) v += '\n';
        first = false;
        const k = trailingBackslashes(l);
        joinNext = k === 1;
        v += k >= 1 ? l.slice(0, -1) : l;
      }
      value = v;
    } else {
      let v = '';
      let current = rest;
      for (;;) {
        const k = trailingBackslashes(current);
        if (k !== 1) {
          v += k >= 2 ? current.slice(0, -1) : current;
          break;
        }
        v += current.slice(0, -1);
        if (i >= lines.length) break;
        // After a continuation, a line holding only `\` stands for a newline inside a one-line value.
        if (lines[i] === '\\') {
          v += '\n';
          i++;
          if (i >= lines.length) break;
        }
        current = lines[i] ?? '';
        i++;
      }
      value = v.replace(/[ \t]+$/, '');
    }

    const at = firstInvalidValueChar(value);
    if (at >= 0) {
      throw new ManifestParseError(
        lineNo,
        `invalid value of '${name}': ${describeChar(value, at)} is not printable ASCII, tab, CR or LF`,
      );
    }
    values.push({ name, value, line: lineNo });
  }
  return values;
}

/** The CI request manifest brep writes as `request.manifest`, in brep's order of values. */
export interface CiRequestManifest {
  id: string;
  repository: string;
  /** `name` or `name/version`; may repeat. */
  packages: string[];
  timestamp: Date;
  clientIp?: string;
  userAgent?: string;
  /** Custom values, written after the standard ones. */
  custom: Record<string, string>;
}

/** Names the request manifest itself uses; a custom value may not take one of them. */
export const RESERVED_REQUEST_NAMES: ReadonlySet<string> = new Set([
  'id',
  'repository',
  'package',
  'timestamp',
  'simulate',
  'interactive',
  'client-ip',
  'user-agent',
]);

/** `YYYY-MM-DDThh:mm:ssZ`, always UTC, no fraction. */
export function formatManifestTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export function serializeRequestManifest(m: CiRequestManifest): string {
  const values: ManifestValue[] = [
    { name: 'id', value: m.id },
    { name: 'repository', value: m.repository },
    ...m.packages.map((p) => ({ name: 'package', value: p })),
    { name: 'timestamp', value: formatManifestTimestamp(m.timestamp) },
  ];
  if (m.clientIp !== undefined) values.push({ name: 'client-ip', value: m.clientIp });
  if (m.userAgent !== undefined) values.push({ name: 'user-agent', value: m.userAgent });
  for (const [name, value] of Object.entries(m.custom)) {
    if (RESERVED_REQUEST_NAMES.has(name)) {
      throw new AppError('manifest_reserved_name', `custom value '${name}' clashes with a request manifest value`, {
        field: name,
      });
    }
    values.push({ name, value });
  }
  return serializeManifest(values);
}

export function parseRequestManifest(text: string): CiRequestManifest {
  const values = parseManifest(text);
  const once = new Map<string, string>();
  const packages: string[] = [];
  const custom: Record<string, string> = {};
  for (const { name, value, line } of values) {
    if (name === 'package') packages.push(value);
    else if (RESERVED_REQUEST_NAMES.has(name)) {
      if (once.has(name)) throw new ManifestParseError(line, `'${name}' given twice`);
      once.set(name, value);
    } else custom[name] = value;
  }
  const required = (name: string): string => {
    const v = once.get(name);
    if (v === undefined || v === '') {
      throw new AppError('manifest_missing', `request manifest: '${name}' is required`, { field: name });
    }
    return v;
  };
  const timestamp = required('timestamp');
  if (!TIMESTAMP_RE.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    throw new AppError('manifest_invalid_timestamp', `request manifest: timestamp '${timestamp}' is not YYYY-MM-DDThh:mm:ssZ`, {
      field: 'timestamp',
    });
  }
  const result: CiRequestManifest = {
    id: required('id'),
    repository: required('repository'),
    packages,
    timestamp: new Date(timestamp),
    custom,
  };
  const clientIp = once.get('client-ip');
  const userAgent = once.get('user-agent');
  if (clientIp !== undefined) result.clientIp = clientIp;
  if (userAgent !== undefined) result.userAgent = userAgent;
  return result;
}

/** The CI result manifest a handler writes to stdout (and brep saves as `result.manifest`). */
export interface CiResultManifest {
  /** HTTP status, 100–599. */
  status: number;
  message: string;
  reference?: string;
  /** Further values the handler returned, in their order. */
  values: ManifestValue[];
}

export function serializeResultManifest(r: CiResultManifest): string {
  const values: ManifestValue[] = [
    { name: 'status', value: String(r.status) },
    { name: 'message', value: r.message },
  ];
  if (r.reference !== undefined) values.push({ name: 'reference', value: r.reference });
  return serializeManifest([...values, ...r.values]);
}

/** Parses a handler's result manifest: `status` first (three digits, 100–599), `message` required. */
export function parseResultManifest(text: string): CiResultManifest {
  const values = parseManifest(text);
  const first = values[0];
  if (first === undefined) throw new ManifestParseError(1, 'empty manifest');
  if (first.name !== 'status') throw new ManifestParseError(first.line, `'status' expected first, found '${first.name}'`);
  if (!/^[1-5]\d\d$/.test(first.value)) throw new ManifestParseError(first.line, `invalid HTTP status '${first.value}'`);
  let message: string | undefined;
  let reference: string | undefined;
  const extra: ManifestValue[] = [];
  for (const { name, value, line } of values.slice(1)) {
    const twice = () => new ManifestParseError(line, `'${name}' given twice`);
    if (name === 'status') throw twice();
    if (name === 'message') {
      if (message !== undefined) throw twice();
      message = value;
    } else if (name === 'reference') {
      if (reference !== undefined) throw twice();
      reference = value;
    } else extra.push({ name, value });
  }
  if (message === undefined) throw new ManifestParseError(first.line, "'message' is required");
  const result: CiResultManifest = { status: Number(first.value), message, values: extra };
  if (reference !== undefined) result.reference = reference;
  return result;
}
