/**
 * A project's upstream commits, recorded once each with their stable patch-id: the branches are fetched
 * into the mirror the engine's git source keeps (DATA_DIR/mirrors), the commits not yet recorded are read
 * in one `git log` per thousand and their patch-ids in one `git patch-id` per thousand.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { upstreamCommit, upstreamHead, type MailProjectRow } from '../../db/schema/mail.js';
import type { GitSource } from '../../sources/git.js';
import { runGit, runGitOk } from '../../sources/git-run.js';
import { commitPatchIds, type GitOptions } from '../patch-id.js';
import { normalizeTitle } from '../subject.js';

/** How far back the first look at a project's upstream goes (older history: `mail match --since`). */
export const FIRST_LOOKBACK_DAYS = 30;

export interface UpstreamSync {
  /** branch → the head now recorded */
  heads: Record<string, string>;
  /** commits read from the branches (merges excluded) */
  commits: number;
  /** of those, newly recorded */
  recorded: number;
}

export interface SyncOptions {
  git: GitOptions;
  /** every commit committed since then (a backfill), instead of those after the last recorded head */
  since?: Date;
  now?: Date;
  /** after each recorded batch of commits */
  onProgress?: (done: number, total: number) => void;
}

const CHUNK = 1000;

export async function syncUpstream(db: Database, project: MailProjectRow, source: GitSource, options: SyncOptions): Promise<UpstreamSync> {
  const known = new Map(
    (await db.select().from(upstreamHead).where(eq(upstreamHead.projectId, project.id))).map((h) => [h.branch, h.sha]),
  );
  return source.withFetchedBranches(project.scmUrl, project.scmBranches, async (mirror, heads) => {
    const opts = { ...options.git, cwd: mirror };
    const firstLook = new Date((options.now ?? new Date()).getTime() - FIRST_LOOKBACK_DAYS * 86_400_000);
    const shas = new Set<string>();
    for (const [branch, head] of heads) {
      const last = known.get(branch);
      if (!options.since && last === head) continue;
      const args = ['rev-list', '--no-merges', head];
      if (options.since) args.push(`--since=${options.since.toISOString()}`);
      // a force-push may have dropped the last head from the mirror: then the first look's window again
      else if (last && (await runGit(['cat-file', '-e', `${last}^{commit}`], opts)).exitCode === 0) args.push(`^${last}`);
      else args.push(`--since=${firstLook.toISOString()}`);
      for (const sha of (await runGitOk(args, opts)).toString('utf8').split('\n')) if (sha) shas.add(sha);
    }
    const all = [...shas];
    let recorded = 0;
    for (let start = 0; start < all.length; start += CHUNK) {
      const chunk = all.slice(start, start + CHUNK);
      const stored = new Set(
        (await db.select({ sha: upstreamCommit.sha }).from(upstreamCommit).where(and(eq(upstreamCommit.projectId, project.id), inArray(upstreamCommit.sha, chunk)))).map((r) => r.sha),
      );
      const fresh = chunk.filter((s) => !stored.has(s));
      if (fresh.length) {
        const [meta, ids] = await Promise.all([readCommits(fresh, opts), commitPatchIds(mirror, fresh, options.git)]);
        const rows = meta.map((c) => ({ ...c, projectId: project.id, patchId: ids.get(c.sha) ?? null }));
        await db.insert(upstreamCommit).values(rows).onConflictDoNothing();
        recorded += rows.length;
      }
      options.onProgress?.(Math.min(all.length, start + CHUNK), all.length);
    }
    for (const [branch, sha] of heads) {
      await db
        .insert(upstreamHead)
        .values({ projectId: project.id, branch, sha })
        .onConflictDoUpdate({ target: [upstreamHead.projectId, upstreamHead.branch], set: { sha, updatedAt: sql`now()` } });
    }
    return { heads: Object.fromEntries(heads), commits: all.length, recorded };
  });
}

type CommitMeta = Omit<typeof upstreamCommit.$inferInsert, 'projectId' | 'patchId' | 'seenAt'>;

async function readCommits(shas: string[], opts: GitOptions & { cwd: string }): Promise<CommitMeta[]> {
  const format = ['%H', '%an', '%ae', '%at', '%ct', '%s'].join('%x1f');
  const out = await runGitOk(['log', '--no-walk=unsorted', '--stdin', '-z', '--encoding=UTF-8', `--format=${format}`], {
    ...opts,
    stdin: Buffer.from(`${shas.join('\n')}\n`),
  });
  return out
    .toString('utf8')
    .split('\0')
    .filter((r) => r !== '')
    .map((record) => {
      const [sha, name, email, at, ct, subject = ''] = record.split('\x1f');
      return {
        sha: sha!,
        authorName: name ?? '',
        authorEmail: (email ?? '').toLowerCase(),
        subject,
        subjectKey: normalizeTitle(subject),
        authorDate: new Date(Number(at) * 1000),
        committerDate: new Date(Number(ct) * 1000),
      };
    });
}
