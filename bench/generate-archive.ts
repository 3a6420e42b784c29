/**
 * A mailing-list archive for the ingest benchmark, made from a real git history: a throwaway repository
 * gets a few thousand commits (through git fast-import), `git format-patch` turns them into patch mails,
 * and those are sent as series the way a list sees them: cover letters, numbered patches threaded under
 * them, v2/v3 re-sends some minutes later, and review replies carrying Reviewed-by/Acked-by/Tested-by.
 * Written as an mbox, streaming, so 100,000 messages do not need 100,000 messages of memory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_LIST_ID = 'bench.lists.example.org';

/** Deterministic pseudo-random numbers (mulberry32), so every run benchmarks the same archive. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PEOPLE = Array.from({ length: 40 }, (_, i) => ({ name: `Developer ${String.fromCharCode(65 + (i % 26))}${i}`, email: `dev${i}@example.org` }));
const WORDS = 'fix add remove refactor handle avoid check update split rework simplify document cache parse validate'.split(' ');
const THINGS = 'buffer overflow counter queue lock timeout parser driver allocator header checksum config scheduler socket'.split(' ');

interface Commit {
  subject: string;
  /** the commit message body and the diff, as format-patch wrote them after the Subject header */
  body: string;
}

/** Make a repository with `count` commits and return format-patch's mails for them. */
export function makeHistory(count: number, seed = 1): Commit[] {
  const rnd = random(seed);
  const dir = mkdtempSync(join(tmpdir(), 'pt-bench-git-'));
  try {
    execFileSync('git', ['init', '-q', '-b', 'main', dir]);
    const files = Array.from({ length: 200 }, (_, i) => ({
      path: `src/module${i % 20}/file${i}.c`,
      lines: Array.from({ length: 40 }, (_, j) => `int value_${i}_${j} = ${j};`),
    }));
    const chunks: string[] = [];
    let t = 1_700_000_000;
    for (let c = 1; c <= count; c++) {
      const who = PEOPLE[Math.floor(rnd() * PEOPLE.length)]!;
      const subject = `${WORDS[Math.floor(rnd() * WORDS.length)]} ${THINGS[Math.floor(rnd() * THINGS.length)]} handling in module ${c % 20} (${c})`;
      const message = `${subject}\n\nThe ${THINGS[c % THINGS.length]} code did the wrong thing when called twice;\nthis makes it idempotent.\n\nSigned-off-by: ${who.name} <${who.email}>\n`;
      chunks.push(`commit refs/heads/main\nmark :${c}\nauthor ${who.name} <${who.email}> ${t} +0000\ncommitter ${who.name} <${who.email}> ${t} +0000\ndata ${Buffer.byteLength(message)}\n${message}`);
      if (c > 1) chunks.push(`from :${c - 1}\n`);
      const touched = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < touched; k++) {
        const f = files[Math.floor(rnd() * files.length)]!;
        const at = Math.floor(rnd() * f.lines.length);
        f.lines[at] = `int value_${c}_${k} = ${Math.floor(rnd() * 1000)}; /* changed in ${c} */`;
        if (rnd() < 0.5) f.lines.splice(at, 0, `/* note ${c} */`);
        const content = f.lines.join('\n') + '\n';
        chunks.push(`M 100644 inline ${f.path}\ndata ${Buffer.byteLength(content)}\n${content}`);
      }
      chunks.push('\n');
      t += 600;
    }
    const imported = spawnSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: chunks.join(''), maxBuffer: 1 << 30 });
    if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`);
    const out = execFileSync('git', ['-C', dir, 'format-patch', '--stdout', '--no-numbered', '--no-signature', '--root', 'main'], { maxBuffer: 1 << 30, encoding: 'utf8' });
    return out
      .split(/^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\n/m)
      .filter(Boolean)
      .map((mail) => {
        const headerEnd = mail.indexOf('\n\n');
        const subject = /^Subject: \[PATCH\] (.*(?:\n .*)*)/m.exec(mail.slice(0, headerEnd))![1]!.replace(/\n /g, ' ');
        return { subject, body: mail.slice(headerEnd + 2) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

function asctime(ms: number): string {
  const d = new Date(ms);
  const day = d.toUTCString().slice(0, 3);
  const mon = d.toUTCString().slice(8, 11);
  return `${day} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} ${d.getUTCFullYear()}`;
}

export interface GenerateResult {
  path: string;
  messages: number;
  bytes: number;
  series: number;
}

/** Write an mbox of at least `target` messages to `path`. */
export async function generateArchive(path: string, target: number, commits: Commit[], seed = 7): Promise<GenerateResult> {
  const rnd = random(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  let messages = 0;
  let seriesCount = 0;
  let commitCursor = 0;
  let clock = Date.UTC(2024, 0, 1);
  const write = async (envelopeMs: number, headers: string[], body: string): Promise<void> => {
    // mboxrd: quote body lines that would read as envelopes
    const text = `From bench@example.org ${asctime(envelopeMs)}\n${headers.join('\n')}\n\n${body.replace(/^(>*From )/gm, '>$1')}\n`;
    bytes += Buffer.byteLength(text);
    messages++;
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const common = [`List-Id: Bench development <${BENCH_LIST_ID}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit'];

  while (messages < target) {
    const s = ++seriesCount;
    const r = rnd();
    const size = r < 0.35 ? 1 : r < 0.55 ? 2 : r < 0.7 ? 3 : r < 0.8 ? 4 : 5 + Math.floor(rnd() * 4);
    const author = PEOPLE[Math.floor(rnd() * PEOPLE.length)]!;
    const from = `${author.name} <${author.email}>`;
    const picked = Array.from({ length: size }, () => commits[commitCursor++ % commits.length]!);
    const versions = 1 + (rnd() < 0.3 ? 1 : 0) + (rnd() < 0.1 ? 1 : 0);
    const title = `Rework ${THINGS[s % THINGS.length]} handling, part ${s}`;
    for (let v = 1; v <= versions; v++) {
      clock += (5 + Math.floor(rnd() * 60)) * 60_000;
      const base = `s${s}.v${v}.${author.email.split('@')[0]}`;
      const prefix = (n: number) => `[PATCH${v > 1 ? ` v${v}` : ''}${size > 1 ? ` ${n}/${size}` : ''}]`;
      const cover = size > 1 ? `<${base}.0@bench.example.org>` : null;
      if (cover) {
        await write(
          clock,
          [`From: ${from}`, `Date: ${rfc2822(clock)}`, `Subject: ${prefix(0)} ${title}`, `Message-Id: ${cover}`, ...common],
          `This series reworks ${THINGS[s % THINGS.length]} handling.\n${v > 1 ? `\nChanges in v${v}:\n- addressed review comments\n` : ''}\n${picked.map((c, i) => `  ${i + 1}: ${c.subject}`).join('\n')}\n`,
        );
      }
      const first = `<${base}.1@bench.example.org>`;
      for (let i = 1; i <= size; i++) {
        const id = `<${base}.${i}@bench.example.org>`;
        const parent = cover ?? (i > 1 ? first : null);
        const when = clock + i * 1000;
        await write(
          when,
          [
            `From: ${from}`,
            `Date: ${rfc2822(when)}`,
            `Subject: ${prefix(i)} ${picked[i - 1]!.subject}`,
            `Message-Id: ${id}`,
            ...(parent ? [`In-Reply-To: ${parent}`, `References: ${parent}`] : []),
            ...common,
          ],
          picked[i - 1]!.body,
        );
        // reviews: some patches get one or two replies with trailers, some replies get an answer
        const replies = rnd() < 0.55 ? 1 + (rnd() < 0.3 ? 1 : 0) : 0;
        for (let k = 1; k <= replies; k++) {
          const reviewer = PEOPLE[Math.floor(rnd() * PEOPLE.length)]!;
          const rid = `<${base}.${i}.r${k}@bench.example.org>`;
          const rwhen = when + k * 3_600_000;
          const trailer = ['Reviewed-by', 'Acked-by', 'Tested-by'][Math.floor(rnd() * 3)]!;
          await write(
            rwhen,
            [
              `From: ${reviewer.name} <${reviewer.email}>`,
              `Date: ${rfc2822(rwhen)}`,
              `Subject: Re: ${prefix(i)} ${picked[i - 1]!.subject}`,
              `Message-Id: ${rid}`,
              `In-Reply-To: ${id}`,
              `References: ${[cover, id].filter(Boolean).join(' ')}`,
              ...common,
            ],
            `On ${rfc2822(when)}, ${author.name} wrote:\n> ${picked[i - 1]!.subject}\n\nLooks good to me.\n\n${trailer}: ${reviewer.name} <${reviewer.email}>\n`,
          );
          if (rnd() < 0.2) {
            const awhen = rwhen + 600_000;
            await write(
              awhen,
              [`From: ${from}`, `Date: ${rfc2822(awhen)}`, `Subject: Re: ${prefix(i)} ${picked[i - 1]!.subject}`, `Message-Id: <${base}.${i}.r${k}.a@bench.example.org>`, `In-Reply-To: ${rid}`, `References: ${[cover, id, rid].filter(Boolean).join(' ')}`, ...common],
              `> Looks good to me.\n\nThanks for the review!\n`,
            );
          }
        }
      }
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { path, messages, bytes, series: seriesCount };
}

export function benchOutDir(): string {
  const dir = join(import.meta.dirname, 'out');
  mkdirSync(dir, { recursive: true });
  return dir;
}
