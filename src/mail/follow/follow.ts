/**
 * Follows public-inbox archives. A v2 inbox keeps its messages in epochs (`<url>/git/N.git`), a v1 inbox in
 * one repository (the inbox URL itself, followed as epoch 0); which one is found out once and kept on the
 * archive. Each repository is mirrored with git, its new commits read oldest first and their messages handed
 * to the mail store in batches. The per-epoch cursor moves strictly after its batch is stored, so a restart
 * resumes where it stopped (a batch stored just before a crash is read again and the store, unique on
 * (project, msgid), keeps the first copy). Epochs are listed by the inbox's grokmirror manifest when it
 * serves one (an epoch whose fingerprint has not moved is not even fetched), else found by probing the next
 * number. A rewritten epoch (the cursor is no longer an ancestor of the head) stops with an error, a
 * warning and an `archive-rewritten` event instead of re-ingesting it, until acceptRewrite clears it.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailArchive, mailArchiveEpoch, mailEvent, mailProject, type MailArchiveRow, type MailProjectRow } from '../../db/schema/index.js';
import { AppError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { runGit, runGitOk, type GitRunOptions } from '../../sources/git-run.js';
import { assertGitUrl, publicUrl } from '../../sources/git-url.js';
import type { GitSource } from '../../sources/git.js';
import type { IncomingMail, MailStore } from '../store/mail-store.js';
import { fetchInboxLayout, type InboxLayout, type ManifestEntry } from './manifest.js';
import { countMessages, newMessages, readMessages, type InboxFormat } from './read.js';

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
  /** the manifest's fingerprint has not moved since the epoch was last read to its head: not fetched */
  unchanged?: true;
  error?: string;
}

export interface ArchiveResult {
  archiveId: number;
  projectId: number;
  url: string;
  /** known once the archive could be read */
  format?: InboxFormat;
  epochs: EpochResult[];
  error?: string;
}

/** The URL of epoch `n` of the v2 inbox at `base` (how public-inbox lays it out and public-inbox-httpd serves it). */
export function epochUrl(base: string, n: number): string {
  return `${base.replace(/\/+$/, '')}/git/${n}.git`;
}

/** The git repository holding epoch `n`: a v1 inbox is one repository, the inbox itself (epoch 0). */
function repositoryUrl(base: string, format: InboxFormat, n: number): string {
  return format === 'v1' ? base : epochUrl(base, n);
}

export interface AcceptedRewrite {
  epoch: number;
  /** the cursor before, in the history that was replaced */
  previous: string | null;
  /** the new cursor: the head, or with `reingest` the last commit both histories share (null: none) */
  cursor: string | null;
  head: string;
  /** messages of the new history past the last shared commit: read on the next follow only with `reingest` */
  rewritten: number;
  reingest: boolean;
}

/** Adds the inbox `url` to the archives `projectId` follows (nothing when it is there already); returns the row. */
export async function addArchive(db: Database, projectId: number, url: string): Promise<MailArchiveRow> {
  const clean = url.trim().replace(/\/+$/, '');
  assertGitUrl(clean, 'url');
  // lore shows an inbox's epochs as clone URLs (`…/LIST/0`, `…/LIST/git/0.git`): followed alone, the next epoch would be missed
  const epochOf = /^(.*?)\/(?:git\/)?(\d+)(?:\.git)?$/.exec(clean);
  if (epochOf) {
    throw new AppError('invalid_option', `${publicUrl(clean)} is epoch ${epochOf[2]} of the v2 inbox ${publicUrl(epochOf[1]!)}: follow the inbox URL, its epochs come with it`, { field: 'url' });
  }
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
      const layout = await fetchInboxLayout(this.deps.git.policy, archive.url, this.deps.logger);
      const format = archive.format === 'v1' || archive.format === 'v2' ? archive.format : await this.findFormat(archive, layout);
      result.format = format;
      if (layout && layout.format !== format) {
        throw new AppError('archive_format_changed', `${publicUrl(archive.url)} is now a public-inbox ${layout.format} inbox, but it was followed as ${format} (public-inbox-convert?): the cursor kept for it does not apply, so nothing is read from it`);
      }
      const followOne = async (n: number, entry: ManifestEntry | undefined) => {
        const row = byEpoch.get(n);
        result.epochs.push(await this.followEpoch(archive, format, n, { cursor: row?.lastCommit ?? null, error: row?.error ?? null, fingerprint: row?.fingerprint ?? null }, entry, options));
      };
      if (format === 'v1') {
        await followOne(0, layout?.format === 'v1' ? layout.repo : undefined);
      } else if (layout?.format === 'v2') {
        // the manifest lists the epochs; one we followed and it no longer lists is still read (it may be gone: its error says so)
        const numbers = [...new Set([...layout.epochs.keys(), ...byEpoch.keys()])].sort((a, b) => a - b);
        for (const n of numbers) await followOne(n, layout.epochs.get(n));
      } else {
        const highestKnown = Math.max(-1, ...byEpoch.keys());
        for (let n = 0; ; n++) {
          if (n > highestKnown && n > 0 && !(await this.deps.git.probe(epochUrl(archive.url, n), 'url')).ok) break;
          await followOne(n, undefined);
        }
      }
    } catch (err) {
      result.error = errorMessage(err);
      this.deps.logger.warn({ archive: result.url, err: result.error }, 'following a public-inbox archive failed');
    }
    return result;
  }

  /**
   * v1 or v2, from the manifest or else by asking git: a v2 inbox answers at `<url>/git/0.git`, a v1 inbox is
   * a repository at `<url>` itself (public-inbox-httpd serves both so). Kept on the archive: a cursor
   * belongs to one layout.
   */
  private async findFormat(archive: MailArchiveRow, layout: InboxLayout | null): Promise<InboxFormat> {
    let format: InboxFormat | undefined = layout?.format;
    if (!format) {
      const v2 = await this.deps.git.probe(epochUrl(archive.url, 0), 'url');
      if (v2.ok) format = 'v2';
      else {
        const v1 = await this.deps.git.probe(archive.url, 'url');
        if (!v1.ok || v1.branches === 0) {
          throw new AppError(
            'archive_unreachable',
            `${publicUrl(archive.url)} is not a public-inbox archive with messages: neither ${publicUrl(epochUrl(archive.url, 0))} (v2) nor the URL itself (v1) is a readable git repository with a branch (${v2.reason.split('\n')[0]})`,
          );
        }
        format = 'v1';
      }
    }
    await this.deps.db.update(mailArchive).set({ format }).where(eq(mailArchive.id, archive.id));
    return format;
  }

  private async followEpoch(
    archive: MailArchiveRow,
    format: InboxFormat,
    epoch: number,
    state: { cursor: string | null; error: string | null; fingerprint: string | null },
    manifest: ManifestEntry | undefined,
    options: FollowOptions,
  ): Promise<EpochResult> {
    const res: EpochResult = { epoch, read: 0, stored: 0, skipped: 0 };
    const { cursor } = state;
    // a rewritten epoch stays stopped until its rewrite is accepted
    if (state.error) return { ...res, error: state.error };
    if (manifest?.fingerprint && manifest.fingerprint === state.fingerprint) return { ...res, unchanged: true };
    const url = repositoryUrl(archive.url, format, epoch);
    return this.deps.git.withMirror(url, async (mirror) => {
      const git = this.deps.git.gitOptions(mirror);
      const head = await headOf(git);
      if (!head) return res;
      if (cursor && cursor !== head) {
        const anc = await runGit(['merge-base', '--is-ancestor', cursor, head], git);
        if (anc.exitCode !== 0) return { ...res, error: await this.reportRewrite(archive, epoch, cursor, head) };
      }
      const refs = cursor === head ? [] : await newMessages(git, format, cursor, head);
      const size = options.batchSize ?? 500;
      let batch: IncomingMail[] = [];
      let done = 0;
      // while one batch is stored (the database works in its own process), the next is read and parsed
      let pending: Promise<void> | null = null;
      const flush = async (upTo: string): Promise<void> => {
        const prepared = this.deps.store.prepare(batch);
        const kept = options.since ? prepared.filter((p) => !p.parsed.ok || !p.parsed.mail.date || new Date(p.parsed.mail.date) >= options.since!) : prepared;
        const count = batch.length;
        const doneThen = done;
        batch = [];
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
          options.onProgress?.({ url: publicUrl(archive.url), epoch, done: doneThen, total: refs.length, stored: res.stored });
        })();
        // a failure is seen at the next flush or at the end; until then it must not count as unhandled
        pending.catch(() => undefined);
      };
      for await (const m of readMessages(git, refs)) {
        done++;
        if (m.raw) {
          batch.push({ raw: m.raw });
          res.read++;
        }
        // the cursor names a commit: a batch ends only where a commit's messages end (v1 commits may add several)
        const commitEnds = refs[done]?.commit !== m.commit;
        if (commitEnds && (batch.length >= size || done === refs.length)) await flush(m.commit);
      }
      if (pending) await pending;
      // read to the head the manifest described (or a later one): until the manifest moves, nothing is new
      const fingerprint = manifest?.fingerprint ?? null;
      if (fingerprint !== state.fingerprint) {
        await this.deps.db
          .update(mailArchiveEpoch)
          .set({ fingerprint })
          .where(and(eq(mailArchiveEpoch.archiveId, archive.id), eq(mailArchiveEpoch.epoch, epoch)));
      }
      return res;
    });
  }

  /**
   * Clears a reported rewrite of `epoch`: the cursor moves to the new head (nothing of the rewritten part is
   * read), or with `reingest` to the last commit the old and new histories share, so the next follow reads
   * the rewritten part again through the store, which keeps one copy per Message-ID. Recorded as an
   * `archive-rewrite-accepted` event.
   */
  async acceptRewrite(archive: MailArchiveRow, epoch: number, options: { reingest: boolean }): Promise<AcceptedRewrite> {
    const [row] = await this.deps.db
      .select()
      .from(mailArchiveEpoch)
      .where(and(eq(mailArchiveEpoch.archiveId, archive.id), eq(mailArchiveEpoch.epoch, epoch)));
    const format = archive.format === 'v1' || archive.format === 'v2' ? archive.format : null;
    if (!row?.error || !format) {
      throw new AppError('invalid_option', `--accept-rewrite ${epoch}: epoch ${epoch} of ${publicUrl(archive.url)} has no reported rewrite to accept`, { field: 'accept-rewrite' });
    }
    return this.deps.git.withMirror(repositoryUrl(archive.url, format, epoch), async (mirror) => {
      const git = this.deps.git.gitOptions(mirror);
      const head = await headOf(git);
      if (!head) throw new AppError('archive_unreachable', `epoch ${epoch} of ${publicUrl(archive.url)} has no branch any more`);
      const fork = row.lastCommit ? await mergeBase(git, row.lastCommit, head) : null;
      const rewritten = await countMessages(git, await newMessages(git, format, fork, head));
      const cursor = options.reingest ? fork : head;
      const accepted: AcceptedRewrite = { epoch, previous: row.lastCommit, cursor, head, rewritten, reingest: options.reingest };
      await this.deps.db.transaction(async (tx) => {
        await tx
          .update(mailArchiveEpoch)
          .set({ lastCommit: cursor, error: null, fingerprint: null, updatedAt: new Date() })
          .where(and(eq(mailArchiveEpoch.archiveId, archive.id), eq(mailArchiveEpoch.epoch, epoch)));
        await tx.insert(mailEvent).values({
          category: 'archive-rewrite-accepted',
          projectId: archive.projectId,
          payload: { url: publicUrl(archive.url), ...accepted },
        });
      });
      this.deps.logger.info({ archive: publicUrl(archive.url), ...accepted }, 'public-inbox epoch rewrite accepted');
      return accepted;
    });
  }

  private async reportRewrite(archive: MailArchiveRow, epoch: number, cursor: string, head: string): Promise<string> {
    const message =
      `epoch ${epoch} of ${publicUrl(archive.url)} was rewritten: the last ingested commit ${cursor} is not an ancestor of ` +
      `its head ${head}. Nothing more is read from this epoch until the rewrite is accepted (patch-tracking mail follow URL --accept-rewrite ${epoch}).`;
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

/** The last commit `a` and `b` share; null when they share none (or `a` is gone from the mirror). */
async function mergeBase(git: GitRunOptions, a: string, b: string): Promise<string | null> {
  const r = await runGit(['merge-base', a, b], git);
  return r.exitCode === 0 ? r.stdout.toString('utf8').trim() || null : null;
}

/** The epoch's head: public-inbox writes `master`; any single branch will do. */
async function headOf(git: GitRunOptions): Promise<string | null> {
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
