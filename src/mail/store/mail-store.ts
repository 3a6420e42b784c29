/**
 * Stores parsed mails: one transaction per batch, with everything the batch's decisions need read up front
 * (snapshot.ts) and written back in multi-row statements (persist.ts). Mails are decided in arrival order
 * against the snapshot plus what the batch itself has added, so a reply whose patch is in the same batch,
 * or a series spread over two batches, comes out as if the mails had been stored one by one.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { parseMail, type ParsedMail, type ParseResult } from '../parse.js';
import { diffPatchIds } from '../patch-id.js';
import { BatchState, type Work } from './batch-state.js';
import type { DropNode, StoreOutcome } from './nodes.js';
import { persistBatch, type BatchWrites } from './persist.js';
import { loadProjectContexts, matchProject, type ProjectContext } from './projects.js';

// the ingest and the API name the outcome with the store they call
export type { StoreOutcome } from './nodes.js';

export interface IncomingMail {
  raw: Buffer;
  /** --list-id: overrides the mail's List-Id headers */
  listId?: string | null;
  /** how the sender gives that override (default `--list-id`): named in the reason when a mail has no List-Id */
  listIdOption?: string;
  /** the mail was larger than its reader's limit (MAX_MAIL_BYTES by default) and `raw` holds only its first bytes */
  truncated?: boolean;
}

export interface PreparedMail {
  raw: Buffer;
  listId: string | null;
  listIdOption?: string;
  parsed: ParseResult;
}

export interface MailStoreOptions {
  /** how many sender addresses to remember between batches */
  peopleCacheSize?: number;
  /** reread the projects when a list id has no project and the last read is older than this */
  projectRefreshMs?: number;
  /** git for the patches' `git patch-id` (default: `git` on PATH) */
  gitBinary?: string;
}

// "mail" in ASCII: the first key of the per-project ingest lock
const INGEST_LOCK = 0x6d61696c;

export class MailStore {
  private projects: ProjectContext[] | null = null;
  private projectsLoadedAt = 0;
  private readonly people = new Map<string, number>();
  private readonly peopleCacheSize: number;
  private readonly projectRefreshMs: number;
  private readonly gitBinary: string;

  constructor(
    private readonly db: Database,
    options: MailStoreOptions = {},
  ) {
    this.peopleCacheSize = options.peopleCacheSize ?? 20_000;
    this.projectRefreshMs = options.projectRefreshMs ?? 5_000;
    this.gitBinary = options.gitBinary ?? 'git';
  }

  /** Parse without touching the database (so an importer can parse the next batch while one is stored). */
  prepare(mails: IncomingMail[]): PreparedMail[] {
    return mails.map((m) => ({ raw: m.raw, listId: m.listId?.trim() || null, listIdOption: m.listIdOption, parsed: m.truncated ? oversized(m.raw) : parseMail(m.raw) }));
  }

  async storeBatch(mails: IncomingMail[]): Promise<StoreOutcome[]> {
    return this.store(this.prepare(mails));
  }

  async storeOne(mail: IncomingMail): Promise<StoreOutcome> {
    return (await this.storeBatch([mail]))[0]!;
  }

  /** Forget cached projects (after a project, delegate or rule was added elsewhere). */
  invalidateProjects(): void {
    this.projects = null;
  }

  private async projectFor(listIds: string[], subject: string): Promise<ProjectContext | undefined> {
    if (!this.projects) {
      this.projects = await loadProjectContexts(this.db);
      this.projectsLoadedAt = Date.now();
    }
    let hit = matchProject(this.projects, listIds, subject);
    if (!hit && Date.now() - this.projectsLoadedAt > this.projectRefreshMs) {
      this.projects = await loadProjectContexts(this.db);
      this.projectsLoadedAt = Date.now();
      hit = matchProject(this.projects, listIds, subject);
    }
    return hit;
  }

  /**
   * Store a batch in one transaction. When that fails for any reason but an unreachable database, the
   * mails are stored one by one, so one mail the database refuses costs only itself: it is kept in
   * mail_dropped with the database's reason.
   */
  async store(prepared: PreparedMail[]): Promise<StoreOutcome[]> {
    try {
      return await this.storeTogether(prepared);
    } catch (err) {
      // the cache may hold people the rolled-back transaction created
      this.people.clear();
      if (isDatabaseUnavailable(err)) throw err;
      if (prepared.length === 1) return [await this.keepUnstorable(prepared[0]!, err)];
      const outcomes: StoreOutcome[] = [];
      for (const p of prepared) outcomes.push(...(await this.store([p])));
      return outcomes;
    }
  }

  private async keepUnstorable(p: PreparedMail, err: unknown): Promise<StoreOutcome> {
    const msgid = p.parsed.ok ? p.parsed.mail.msgid : p.parsed.msgid;
    const reason = `not stored: ${shortErrorMessage(err)}`;
    await persistBatch(this.db, emptyWrites([{ index: 0, reason, msgid, projectId: null, raw: p.raw }]));
    return { status: 'dropped', msgid, projectId: null, reason };
  }

  private async storeTogether(prepared: PreparedMail[]): Promise<StoreOutcome[]> {
    const outcomes: StoreOutcome[] = new Array(prepared.length);
    const drops: DropNode[] = [];
    const works: Work[] = [];
    const drop = (index: number, fullReason: string, msgid: string | null, projectId: number | null): void => {
      // reasons quote header values (list ids); the reason column is indexed, so keep them short
      const reason = fullReason.length > MAX_REASON_CHARS ? `${fullReason.slice(0, MAX_REASON_CHARS - 1)}…` : fullReason;
      drops.push({ index, reason, msgid, projectId, raw: prepared[index]!.raw });
      outcomes[index] = { status: 'dropped', msgid, projectId, reason };
    };

    for (let i = 0; i < prepared.length; i++) {
      const p = prepared[i]!;
      if (!p.parsed.ok) {
        drop(i, p.parsed.reason, p.parsed.msgid, null);
        continue;
      }
      let mail = p.parsed.mail;
      const listIds = p.listId ? [p.listId] : mail.listIds;
      if (!listIds.length) {
        drop(i, `no List-Id header (and no ${p.listIdOption ?? '--list-id'})`, mail.msgid, null);
        continue;
      }
      const project = await this.projectFor(listIds, mail.subject);
      if (!project) {
        drop(i, `no project for list-id ${listIds.join(', ')}`, mail.msgid, null);
        continue;
      }
      mail = this.reparseForProject(p.raw, mail, project);
      if (mail.hints.ignore) {
        drop(i, 'ignored by X-Patchwork-Ignore', mail.msgid, project.row.id);
        continue;
      }
      if (mail.kind === 'ignored') {
        drop(i, mail.ignoredReason ?? 'ignored', mail.msgid, project.row.id);
        continue;
      }
      works.push({ index: i, raw: p.raw, mail, project });
    }

    if (!works.length) {
      if (drops.length) await persistBatch(this.db, emptyWrites(drops));
      return outcomes;
    }

    await this.addPatchIds(works);
    await this.db.transaction(async (tx) => {
      const projectIds = [...new Set(works.map((w) => w.project.row.id))].sort((a, b) => a - b);
      // one ingester per project at a time: series assembly reads what the previous batch wrote
      for (const id of projectIds) await tx.execute(sql`select pg_advisory_xact_lock(${INGEST_LOCK}, ${id})`);
      const batch = new BatchState(tx, works, projectIds);
      await batch.load();
      for (const w of works) batch.decide(w, outcomes, drop);
      const writes = await batch.finish(drops, this.people);
      await persistBatch(tx, writes);
      batch.fillOutcomes(outcomes);
    });
    if (this.people.size > this.peopleCacheSize) this.people.clear();
    return outcomes;
  }

  /**
   * The git patch-id of each patch of the batch (one git process for all of them), which ties a patch to the
   * upstream commit that applies it. Without git the patches are stored anyway: the matcher computes the ids later.
   */
  private async addPatchIds(works: Work[]): Promise<void> {
    const patches = works.filter((w) => w.mail.kind === 'patch' && w.mail.diff);
    if (!patches.length) return;
    try {
      const ids = await diffPatchIds(patches.map((w) => w.mail.diff), { gitBinary: this.gitBinary, timeoutMs: 60_000 });
      // '' = computed, git finds no change in it (so the matcher does not try again)
      patches.forEach((w, i) => (w.gitPatchId = ids[i] ?? ''));
    } catch {
      // left null: filled in by the landed-patch matcher
    }
  }

  /** Parse again with the project's link name and list address when they change the result. */
  private reparseForProject(raw: Buffer, mail: ParsedMail, project: ProjectContext): ParsedMail {
    const linkname = project.row.linkName.toLowerCase();
    const listEmail = project.row.listEmail;
    const needLink = mail.prefixes.some((p) => p.toLowerCase() === linkname);
    const needList = !!listEmail && !mail.dmarcFrom && mail.author.email.toLowerCase() === listEmail.toLowerCase();
    if (!needLink && !needList) return mail;
    const again = parseMail(raw, { linkname: project.row.linkName, ...(listEmail ? { listEmail } : {}) });
    return again.ok ? again.mail : mail;
  }
}

function emptyWrites(drops: DropNode[]): BatchWrites {
  return { series: [], seriesUpdates: [], references: [], covers: [], patches: [], comments: [], patchCountDeltas: [], dependencies: [], versionLinks: [], drops, personOf: () => 0 };
}

const MAX_REASON_CHARS = 200;

/** A mail cut at its reader's limit: never parsed as if whole, kept as dropped with its Message-Id when readable. */
function oversized(raw: Buffer): ParseResult {
  const head = parseMail(raw.subarray(0, Math.min(raw.length, 1024 * 1024)));
  const msgid = head.ok ? (head.mail.msgidSynthesized ? null : head.mail.msgid) : head.msgid;
  return { ok: false, reason: `larger than the ${raw.length}-byte limit: only its first ${raw.length} bytes are kept`, msgid };
}

/**
 * One short line for an error of the store: the database's own message, not the failed query (whose
 * parameters carry whole mails, megabytes of base64).
 */
export function shortErrorMessage(err: unknown): string {
  let e: unknown = err;
  // drizzle wraps the driver's error with the query text and parameters
  while (e instanceof Error && e.cause !== undefined && e.message.startsWith('Failed query:')) e = e.cause;
  const text = e instanceof Error ? e.message : String(e);
  const line = text.split('\n', 1)[0]!.trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 1)}…` : line;
}

// connection failures as Node, postgres.js and PostgreSQL (SQLSTATE class 08, shutdown 57P0x, too many connections) report them
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03', '53300',
]);

/** Whether an error means the database cannot be reached now (worth retrying later), not that a mail is bad. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (e instanceof AggregateError && e.errors.some(visit)) return true;
    return visit((e as { cause?: unknown }).cause);
  };
  return visit(err);
}
