/**
 * Follows public-inbox v2 archives: each epoch (`<url>/git/N.git`) is mirrored with git, its new commits
 * read oldest first and their messages handed to the mail store in batches. The per-epoch cursor moves
 * strictly after its batch is stored, so a restart resumes where it stopped (a batch stored just before a
 * crash is read again and the store, unique on (project, msgid), keeps the first copy). A new epoch is
 * found by probing the next number; a rewritten epoch (the cursor is no longer an ancestor of the head)
 * stops that epoch with an error, a warning and an `archive-rewritten` event instead of re-ingesting it.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailArchive, mailArchiveEpoch, mailEvent, mailProject, type MailArchiveRow, type MailProjectRow } from '../../db/schema/index.js';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { runGit, runGitOk } from '../../sources/git-run.js';
import { assertGitUrl, publicUrl } from '../../sources/git-url.js';
import type { GitSource } from '../../sources/git.js';
import type { IncomingMail, MailStore } from '../store/mail-store.js';
import { newCommits, readMessages } from './read.js';

export interface FollowProgress {
  url: string;
  epoch: number;
  /** messages of this epoch read so far in this run, and how many it has to read */
  done: number;
  total: number;
  stored: number;
}

export interface FollowOptions {
  /** mails per store transaction */
  batchSize?: number;
  /** messages whose Date is older are skipped (the cursor still moves past them) */
  since?: Date;
  onProgress?: (p: FollowProgress) => void;
}

export interface EpochResult {
  epoch: number;
  /** messages read (deletions not counted) */
  read: number;
  stored: number;
  skipped: number;
  error?: string;
}

export interface ArchiveResult {
  archiveId: number;
  projectId: number;
  url: string;
  epochs: EpochResult[];
  error?: string;
}

/** The URL of epoch `n` of the v2 inbox at `base` (how public-inbox lays it out and public-inbox-httpd serves it). */
export function epochUrl(base: string, n: number): string {
  return `${base.replace(/\/+$/, '')}/git/${n}.git`;
}

/** Adds `url` to the archives `projectId` follows (nothing when it is there already); returns the row. */
export async function addArchive(db: Database, projectId: number, url: string): Promise<MailArchiveRow> {
  const clean = url.trim().replace(/\/+$/, '');
  assertGitUrl(clean, 'url');
  await db.insert(mailArchive).values({ projectId, url: clean }).onConflictDoNothing();
  const [row] = await db.select().from(mailArchive).where(and(eq(mailArchive.projectId, projectId), eq(mailArchive.url, clean)));
  return row!;
}

export class ArchiveFollower {
  constructor(
    private readonly deps: { db: Database; git: GitSource; store: MailStore; logger: Logger },
  ) {}

  /** Follows every archive of every project (one scheduler step); one archive's failure is only its own. */
  async followAll(options: FollowOptions = {}): Promise<ArchiveResult[]> {
    const archives = await this.deps.db.select().from(mailArchive).orderBy(asc(mailArchive.id));
    const results: ArchiveResult[] = [];
    for (const a of archives) results.push(await this.follow(a, options));
    return results;
  }

  async follow(archive: MailArchiveRow, options: FollowOptions = {}): Promise<ArchiveResult> {
    const result: ArchiveResult = { archiveId: archive.id, projectId: archive.projectId, url: publicUrl(archive.url), epochs: [] };
    try {
      const known = await this.deps.db.select().from(mailArchiveEpoch).where(eq(mailArchiveEpoch.archiveId, archive.id));
      const byEpoch = new Map(known.map((k) => [k.epoch, k]));
      const highestKnown = Math.max(-1, ...known.map((k) => k.epoch));
      for (let n = 0; ; n++) {
        const url = epochUrl(archive.url, n);
        if (n > highestKnown) {
          const probe = await this.deps.git.probe(url, 'url');
          if (!probe.ok) {
            if (n === 0) throw new AppError('archive_unreachable', `${publicUrl(url)} is not a readable git repository (is ${publicUrl(archive.url)} a public-inbox v2 archive?): ${probe.reason}`);
            break;
          }
        }
        result.epochs.push(await this.followEpoch(archive, n, byEpoch.get(n)?.lastCommit ?? null, byEpoch.get(n)?.error ?? null, options));
      }
    } catch (err) {
      result.error = errorMessage(err);
      this.deps.logger.warn({ archive: result.url, err: result.error }, 'following a public-inbox archive failed');
    }
    return result;
  }

  private async followEpoch(archive: MailArchiveRow, epoch: number, cursor: string | null, error: string | null, options: FollowOptions): Promise<EpochResult> {
    const res: EpochResult = { epoch, read: 0, stored: 0, skipped: 0 };
    // a rewritten epoch stays stopped until someone clears its error
    if (error) return { ...res, error };
    const url = epochUrl(archive.url, epoch);
    return this.deps.git.withMirror(url, async (mirror) => {
      const git = this.deps.git.gitOptions(mirror);
      const head = await headOf(git);
      if (!head) return res;
      if (cursor && cursor !== head) {
        const anc = await runGit(['merge-base', '--is-ancestor', cursor, head], git);
        if (anc.exitCode !== 0) return { ...res, error: await this.reportRewrite(archive, epoch, cursor, head) };
      }
      const commits = cursor === head ? [] : await newCommits(git, cursor, head);
      const size = options.batchSize ?? 500;
      let batch: IncomingMail[] = [];
      let last = cursor;
      let done = 0;
      // while one batch is stored (the database works in its own process), the next is read and parsed
      let pending: Promise<void> | null = null;
      const flush = async (upTo: string): Promise<void> => {
        const prepared = this.deps.store.prepare(batch);
        const kept = options.since ? prepared.filter((p) => !p.parsed.ok || !p.parsed.mail.date || new Date(p.parsed.mail.date) >= options.since!) : prepared;
        const count = batch.length;
        const doneThen = done;
        batch = [];
        last = upTo;
        if (pending) await pending;
        pending = (async () => {
          res.skipped += prepared.length - kept.length;
          if (kept.length) {
            const outcomes = await this.deps.store.store(kept);
            res.stored += outcomes.filter((o) => o.status !== 'dropped' && o.status !== 'duplicate').length;
          }
          // strictly after the batch is stored: a crash in between reads the batch again, never skips it
          await this.deps.db
            .insert(mailArchiveEpoch)
            .values({ archiveId: archive.id, epoch, lastCommit: upTo, messages: count })
            .onConflictDoUpdate({
              target: [mailArchiveEpoch.archiveId, mailArchiveEpoch.epoch],
              set: { lastCommit: upTo, messages: sql`${mailArchiveEpoch.messages} + ${count}`, updatedAt: new Date() },
            });
          options.onProgress?.({ url: publicUrl(archive.url), epoch, done: doneThen, total: commits.length, stored: res.stored });
        })();
        // a failure is seen at the next flush or at the end; until then it must not count as unhandled
        pending.catch(() => undefined);
      };
      for await (const m of readMessages(git, commits)) {
        done++;
        if (m.raw) {
          batch.push({ raw: m.raw });
          res.read++;
        }
        if (batch.length >= size || (done === commits.length && last !== m.commit)) await flush(m.commit);
      }
      if (pending) await pending;
      return res;
    });
  }

  private async reportRewrite(archive: MailArchiveRow, epoch: number, cursor: string, head: string): Promise<string> {
    const message =
      `epoch ${epoch} of ${publicUrl(archive.url)} was rewritten: the last ingested commit ${cursor} is not an ancestor of ` +
      `its head ${head}. Nothing more is read from this epoch until its cursor is reset.`;
    this.deps.logger.warn({ archive: publicUrl(archive.url), epoch, cursor, head }, 'public-inbox epoch rewritten');
    await this.deps.db.transaction(async (tx) => {
      await tx
        .update(mailArchiveEpoch)
        .set({ error: message, updatedAt: new Date() })
        .where(and(eq(mailArchiveEpoch.archiveId, archive.id), eq(mailArchiveEpoch.epoch, epoch)));
      await tx.insert(mailEvent).values({
        category: 'archive-rewritten',
        projectId: archive.projectId,
        payload: { url: publicUrl(archive.url), epoch, cursor, head },
      });
    });
    return message;
  }
}

/** The epoch's head: public-inbox writes `master`; any single branch will do. */
async function headOf(git: Parameters<typeof runGitOk>[1]): Promise<string | null> {
  const out = (await runGitOk(['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/'], git)).toString('utf8');
  const refs = out.split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
  return (refs.find(([r]) => r === 'refs/heads/master') ?? refs[0])?.[1] ?? null;
}

/** What one scheduler step did, for the cycle's log line. */
export function summarizeFollow(results: ArchiveResult[]): { archives: number; stored: number; errors: number } {
  const epochs = results.flatMap((r) => r.epochs);
  return {
    archives: results.length,
    stored: epochs.reduce((n, e) => n + e.stored, 0),
    errors: results.filter((r) => r.error).length + epochs.filter((e) => e.error).length,
  };
}

/** The project `mail follow --project` names (link name or id); without a name, the only project there is. */
export async function projectToFollowInto(db: Database, name: string | undefined): Promise<MailProjectRow> {
  const projects = await db.select().from(mailProject).orderBy(asc(mailProject.id));
  if (name === undefined) {
    if (projects.length === 1) return projects[0]!;
    throw new AppError('invalid_option', projects.length ? `--project is needed: there are ${projects.length} projects (${projects.map((p) => p.linkName).join(', ')})` : 'no project yet: add one with `patch-tracking project add`', { field: 'project' });
  }
  const hit = projects.find((p) => p.linkName === name || String(p.id) === name);
  if (!hit) throw new AppError('invalid_option', `--project ${JSON.stringify(name)}: no project has this link name or id`, { field: 'project' });
  return hit;
}
