/**
 * Tracking definitions from YAML files, in the old program's format (one mapping of tracking fields per
 * file), and also several documents per file (`---`) or a list of mappings. Everything is validated with the
 * same schema the server uses before anything is sent, and every problem names its file and line.
 *
 * Files are read with the failsafe schema (every scalar is a string) so that `scm_branch: 1.10` stays "1.10"
 * and `scm_commit: 0123456` keeps its leading zero, instead of becoming numbers as PyYAML or YAML 1.2 would
 * make them. `enabled` is then converted from true/false (also yes/no/on/off, which PyYAML read as
 * booleans, and quoted strings), and an empty or null `scm_commit` means null.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode, type YAMLMap } from 'yaml';
import { z } from '@hono/zod-openapi';
import { firstIssue, trackingInputSchema, type TrackingInputBody } from '../../src/input.js';

export interface TrackingItem {
  input: TrackingInputBody;
  /** "dir/file.yaml:12": where the item starts */
  location: string;
  /** whether the file named an scm_commit (a starting point) */
  hasCommit: boolean;
}

export interface LoadResult {
  items: TrackingItem[];
  /** "file:line: message", in file order */
  problems: string[];
}

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const TRUE_WORDS = /^(true|yes|on)$/i;
const FALSE_WORDS = /^(false|no|off)$/i;
const NULL_WORDS = /^(|null|~|none)$/i;

/** The *.yaml and *.yml files of a folder (not its subfolders), sorted by name. */
export function listYamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => /\.ya?ml$/i.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && statSync(path.join(dir, entry.name)).isFile())))
    .map((entry) => path.join(dir, entry.name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export function loadTrackingFiles(files: string[]): LoadResult {
  const result: LoadResult = { items: [], problems: [] };
  for (const file of files) {
    let text: string;
    try {
      if (statSync(file).size > MAX_FILE_BYTES) {
        result.problems.push(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
        continue;
      }
      text = readFileSync(file, 'utf8');
    } catch (err) {
      result.problems.push(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    const { items, problems } = parseTrackingYaml(text, file);
    result.items.push(...items);
    result.problems.push(...problems);
  }
  result.problems.push(...duplicateProblems(result.items));
  return result;
}

export function parseTrackingYaml(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  const items: TrackingItem[] = [];
  const problems: string[] = [];
  const docs = parseAllDocuments(text, { lineCounter, schema: 'failsafe', uniqueKeys: true, prettyErrors: false });
  // a file without any document parses to an empty list: nothing to import from it
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) problems.push(`${file}:${lineOf(error.pos[0])}: YAML: ${error.message.split('\n')[0]}`);
      continue;
    }
    const contents = doc.contents as YamlNode | null;
    if (contents === null || (isScalar(contents) && (contents.value === '' || contents.value === null))) continue;
    const mappings = isSeq(contents) ? contents.items : [contents];
    for (const node of mappings) {
      const start = lineOf((node as YamlNode | null)?.range?.[0] ?? contents.range?.[0] ?? 0);
      if (!isMap(node)) {
        problems.push(`${file}:${start}: expected a mapping of tracking fields (version_control, scm_repo, scm_branch, repo, branch, enabled)`);
        continue;
      }
      const checked = checkItem(node, (key) => {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
        const offset = (pair?.key as YamlNode | undefined)?.range?.[0];
        return offset === undefined ? start : lineOf(offset);
      });
      if ('problems' in checked) problems.push(...checked.problems.map(({ line, message }) => `${file}:${line}: ${message}`));
      else items.push({ input: checked.input, hasCommit: checked.hasCommit, location: `${file}:${start}` });
    }
  }
  return { items, problems };
}

function checkItem(
  node: YAMLMap,
  lineOfKey: (key: string) => number,
): { input: TrackingInputBody; hasCommit: boolean } | { problems: { line: number; message: string }[] } {
  const raw = node.toJSON() as Record<string, unknown>;
  const hasCommit = Object.hasOwn(raw, 'scm_commit');
  const item = normalizeItem(raw);
  const parsed = trackingInputSchema.safeParse(item);
  if (parsed.success) return { input: parsed.data, hasCommit };
  const problems = parsed.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ line: lineOfKey(key), message: `unknown field: ${key}` }));
    }
    const field = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    const { message } = firstIssue(new z.ZodError([issue]));
    // a missing field has no line of its own: point at the item
    return [{ line: field && Object.hasOwn(raw, field) ? lineOfKey(field) : lineOfKey(''), message }];
  });
  return { problems };
}

/** The tolerated spellings turned into what the schema expects. */
export function normalizeItem(raw: Record<string, unknown>): Record<string, unknown> {
  const item = { ...raw };
  if (typeof item.enabled === 'string') {
    if (TRUE_WORDS.test(item.enabled.trim())) item.enabled = true;
    else if (FALSE_WORDS.test(item.enabled.trim())) item.enabled = false;
  }
  if (typeof item.scm_commit === 'string' && NULL_WORDS.test(item.scm_commit.trim())) item.scm_commit = null;
  return item;
}

/** Two items for the same (repo, branch) would silently overwrite each other: name both places. */
function duplicateProblems(items: TrackingItem[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const item of items) {
    const key = `${item.input.repo}\u0000${item.input.branch}`;
    const earlier = seen.get(key);
    if (earlier) problems.push(`${item.location}: repo ${item.input.repo} branch ${item.input.branch} is defined already at ${earlier}`);
    else seen.set(key, item.location);
  }
  return problems;
}
