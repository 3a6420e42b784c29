/**
 * Mailing-list series as an upstream (`version_control: mail`): scm_repo names the list (its List-Id or the
 * project's link name), scm_branch a subject tag (`PATCH` or `*` for every series, or e.g. `net-next`).
 * A complete series (every patch received) is one range and one PR of its own; each patch becomes a patch
 * file in mail format (From/Date/Subject/Message-Id headers, the message, the diff), the way
 * `git format-patch` lays it out.
 *
 * Positions: scm_commit is the newest series id of the list when the tracking was added (a series stored
 * after the add is waiting, even when it arrived before the tracking's first scan); every complete
 * series after it that this tracking has not published yet is waiting. The head is that same id while
 * nothing waits, else `<id>+s<newest waiting series>`; it starts with the id, so a run that writes the
 * head back as scm_commit keeps the starting point. A published range is `s<series id>`..`v<version>`.
 */
import { createHash } from 'node:crypto';
import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { mailPatch, mailPerson, mailProject, mailSeries, publication, tracking, type MailProjectRow, type MailSeriesRow } from '../db/schema/index.js';
import { AppError, errorMessage } from '../errors.js';
import type { HeadResult, PendingWork, PublishRange, Source, TrackedUpstream, UpstreamCommit } from './types.js';

/** At most this many series are published per run; the rest wait for the next one. */
const SERIES_PER_RUN = 20;

export const seriesRangeKeys = (seriesId: number, version: number) => ({ from: `s${seriesId}`, to: `v${version}` });

/** The series id a position starts with (0 when it names none). */
const floorOf = (position: string | null | undefined): number => Number.parseInt(position ?? '0', 10) || 0;

async function projectFor(db: Database, t: TrackedUpstream): Promise<MailProjectRow> {
  const list = t.scmRepo.replace(/^<|>$/g, '');
  const [project] = await db
    .select()
    .from(mailProject)
    .where(or(eq(mailProject.linkName, list), eq(mailProject.listId, list)))
    .limit(1);
  if (!project) throw new AppError('source_unavailable', `no mailing-list project "${t.scmRepo}" (create it with patch-tracking project add)`);
  return project;
}

/**
 * The newest series id of the list stored before the tracking was added: a new mail tracking starts after
 * it (as a git tracking starts at the head), so every series that arrives after the add is published, also
 * one that arrives before the tracking's first scan. A tracking not stored yet starts at the newest series.
 */
async function startingSeriesId(db: Database, project: MailProjectRow, trackingId: number): Promise<string> {
  const addedAt = db.select({ createdAt: tracking.createdAt }).from(tracking).where(eq(tracking.id, trackingId));
  const [row] = await db
    .select({ max: sql<number | null>`max(${mailSeries.id})` })
    .from(mailSeries)
    .where(and(eq(mailSeries.projectId, project.id), sql`${mailSeries.createdAt} <= coalesce((${addedAt}), now())`));
  return String(row?.max ?? 0);
}

function matchesTag(names: string[], tag: string): boolean {
  if (tag === '*' || tag.toUpperCase() === 'PATCH') return true;
  const wanted = tag.toLowerCase();
  return names.some((name) => (/^\[([^\]]*)\]/.exec(name)?.[1] ?? '').toLowerCase().split(',').includes(wanted));
}

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

interface SeriesCommits {
  series: MailSeriesRow;
  name: string;
  commits: UpstreamCommit[];
}

/** Each series' patches as commits, in patch order; series without a diff or outside the tag are left out. */
async function seriesCommits(db: Database, project: MailProjectRow, tag: string, list: MailSeriesRow[]): Promise<SeriesCommits[]> {
  if (list.length === 0) return [];
  const patches = await db
    .select({ patch: mailPatch, person: mailPerson })
    .from(mailPatch)
    .innerJoin(mailPerson, eq(mailPerson.id, mailPatch.submitterId))
    .where(inArray(mailPatch.seriesId, list.map((s) => s.id)))
    .orderBy(asc(mailPatch.seriesId), asc(mailPatch.number), asc(mailPatch.date));
  const out: SeriesCommits[] = [];
  for (const series of list) {
    const own = patches.filter((p) => p.patch.seriesId === series.id && p.patch.diff);
    if (own.length === 0 || !matchesTag(own.map((p) => p.patch.name), tag)) continue;
    const commits = own.map(({ patch, person }): UpstreamCommit => {
      const subject = patch.name.replace(/^\[[^\]]*\]\s*/, '');
      const sha = patch.hash ?? createHashHex(patch.msgid);
      const author = person.name ? `${person.name} <${person.email}>` : person.email;
      const message = (patch.content ?? '').replace(/\s+$/, '');
      const text =
        `From ${sha} Mon Sep 17 00:00:00 2001\nFrom: ${author}\nDate: ${rfc2822(patch.date)}\nSubject: [PATCH] ${subject}\nMessage-Id: ${patch.msgid}\n\n` +
        `${message ? `${message}\n` : ''}${message.includes('\n---\n') || message.startsWith('---\n') ? '' : '---\n'}${patch.diff}`;
      return {
        sha,
        parents: [],
        authorName: person.name ?? person.email,
        authorEmail: person.email,
        authorDate: patch.date.toISOString(),
        committerDate: patch.date.toISOString(),
        subject,
        message: message ? `${subject}\n\n${message}` : subject,
        patch: text.endsWith('\n') ? text : `${text}\n`,
        url: project.listArchiveUrl ? `${project.listArchiveUrl.replace(/\/$/, '')}/${encodeURIComponent(patch.msgid.replace(/^<|>$/g, ''))}` : undefined,
      };
    });
    out.push({ series, name: series.name ?? own[0]!.patch.name, commits });
  }
  return out;
}

/** Complete series after the tracking's starting point that no publication of this tracking covers yet, oldest first. */
async function waitingSeries(db: Database, t: TrackedUpstream): Promise<SeriesCommits[]> {
  const project = await projectFor(db, t);
  const candidates = await db
    .select()
    .from(mailSeries)
    .where(
      and(
        eq(mailSeries.projectId, project.id),
        eq(mailSeries.receivedAll, true),
        gt(mailSeries.id, floorOf(t.scmCommit)),
        sql`not exists (select 1 from ${publication} p where p.tracking_id = ${t.id} and p.range_from = 's' || ${mailSeries.id}::text)`,
      ),
    )
    .orderBy(asc(mailSeries.date), asc(mailSeries.id))
    .limit(SERIES_PER_RUN);
  return seriesCommits(db, project, t.scmBranch, candidates);
}

function publishRangeOf({ series, name, commits }: SeriesCommits): PublishRange {
  return {
    ...seriesRangeKeys(series.id, series.version),
    commits,
    label: `${name} (v${series.version})`,
    // a new version tells the PR and issue of the version it replaces
    ...(series.previousVersionId !== null ? { supersedes: { rangeFrom: `s${series.previousVersionId}`, by: `version ${series.version} of this series` } } : {}),
  };
}

export class MailSource implements Source {
  readonly kind = 'mail';

  constructor(private readonly db: Database) {}

  async heads(upstreams: TrackedUpstream[]): Promise<Map<number, HeadResult>> {
    const out = new Map<number, HeadResult>();
    for (const t of upstreams) {
      try {
        if (!t.scmCommit) {
          out.set(t.id, { sha: await this.start(t) });
          continue;
        }
        const newest = (await waitingSeries(this.db, t)).at(-1);
        out.set(t.id, { sha: newest ? `${floorOf(t.scmCommit)}+s${newest.series.id}` : t.scmCommit });
      } catch (err) {
        out.set(t.id, { error: errorMessage(err), ...(err instanceof AppError ? { code: err.code } : {}) });
      }
    }
    return out;
  }

  /** Where a new tracking starts: after the newest series stored before it was added. */
  async start(upstream: TrackedUpstream): Promise<string> {
    return startingSeriesId(this.db, await projectFor(this.db, upstream), upstream.id);
  }

  /** The patches of one published series: `from` is `s<series id>` (`to`, its version, is implied by it). */
  async range(upstream: TrackedUpstream, from: string, _to: string): Promise<UpstreamCommit[]> {
    const id = /^s(\d+)$/.exec(from)?.[1];
    if (!id) throw new AppError('invalid_range', `a mail range starts at s<series id>, not "${from}"`);
    const project = await projectFor(this.db, upstream);
    const rows = await this.db
      .select()
      .from(mailSeries)
      .where(and(eq(mailSeries.projectId, project.id), eq(mailSeries.id, Number(id))));
    const [found] = await seriesCommits(this.db, project, '*', rows);
    if (!found) throw new AppError('upstream_not_found', `series ${id} of ${upstream.scmRepo} has no patches`);
    return found.commits;
  }

  /** Every waiting series is a PR of its own, whatever its size. */
  async pending(upstream: TrackedUpstream): Promise<PendingWork> {
    return { stacked: false, ranges: (await waitingSeries(this.db, upstream)).map(publishRangeOf) };
  }
}

function createHashHex(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}
