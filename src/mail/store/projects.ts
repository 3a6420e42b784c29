/**
 * List projects: creating them (with Patchwork's default states), finding the project a mail belongs to
 * (List-Id, then the project's subject filter), and their delegates and autodelegation rules.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailDelegationRule, mailPerson, mailProject, mailProjectDelegate, mailState, type MailProjectRow } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';
import { assertBranchName } from '../../sources/git-ref.js';
import { assertGitUrl } from '../../sources/git-url.js';

/** Patchwork's default_states fixture, in its order. */
export const DEFAULT_STATES: ReadonlyArray<{ slug: string; name: string; actionRequired: boolean }> = [
  { slug: 'new', name: 'New', actionRequired: true },
  { slug: 'under-review', name: 'Under Review', actionRequired: true },
  { slug: 'accepted', name: 'Accepted', actionRequired: false },
  { slug: 'rejected', name: 'Rejected', actionRequired: false },
  { slug: 'rfc', name: 'RFC', actionRequired: false },
  { slug: 'not-applicable', name: 'Not Applicable', actionRequired: false },
  { slug: 'changes-requested', name: 'Changes Requested', actionRequired: false },
  { slug: 'awaiting-upstream', name: 'Awaiting Upstream', actionRequired: false },
  { slug: 'superseded', name: 'Superseded', actionRequired: false },
  { slug: 'deferred', name: 'Deferred', actionRequired: false },
];

export interface NewProject {
  linkName: string;
  name?: string;
  listId: string;
  listEmail?: string;
  subjectMatch?: string;
  webUrl?: string;
  scmUrl?: string;
  webscmUrl?: string;
  listArchiveUrl?: string;
  /** upstream branches of scmUrl whose commits mark patches as landed ([] = the default branch) */
  scmBranches?: string[];
  /** the state a patch found upstream moves to (default accepted) */
  landedState?: string;
}

/** The upstream a project's patches land in, and the state they then get. */
type ProjectUpstreamChange = Pick<NewProject, 'scmUrl' | 'scmBranches' | 'landedState'>;

const LINK_NAME = /^[a-z0-9][a-z0-9._-]*$/i;
const LIST_ID = /^[^\s<>]+$/;

function validateUpstream(p: ProjectUpstreamChange, stateSlugs: ReadonlyArray<string>): void {
  if (p.scmUrl) assertGitUrl(p.scmUrl, 'scm_url');
  for (const b of p.scmBranches ?? []) assertBranchName(b, 'scm_branches');
  if (p.landedState !== undefined && !stateSlugs.includes(p.landedState)) {
    throw new AppError('invalid_project', `landed state "${p.landedState}" is not a state of the project (one of ${stateSlugs.join(', ')})`, { field: 'landed_state' });
  }
}

function validate(p: NewProject): void {
  validateUpstream(p, DEFAULT_STATES.map((s) => s.slug));
  if (!LINK_NAME.test(p.linkName)) {
    throw new AppError('invalid_project', `link name "${p.linkName}" must be letters, digits, '.', '_' or '-'`, { field: 'link_name' });
  }
  if (!LIST_ID.test(p.listId)) throw new AppError('invalid_project', `list id "${p.listId}" must be one word without <>`, { field: 'list_id' });
  if (p.subjectMatch) {
    try {
      new RegExp(p.subjectMatch, 'im');
    } catch (err) {
      throw new AppError('invalid_project', `subject match is not a regular expression: ${(err as Error).message}`, { field: 'subject_match' });
    }
  }
}

/** The project fields a caller may change later (everything but the id). */
export type ProjectChanges = Partial<NewProject>;

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];

/** A link name, or a list id with the same subject match, belongs to one project only. */
async function refuseClash(tx: Tx, p: NewProject, exceptId?: number): Promise<void> {
  const clash = await tx
    .select({ id: mailProject.id, linkName: mailProject.linkName })
    .from(mailProject)
    .where(sql`(${mailProject.linkName} = ${p.linkName} or (${mailProject.listId} = ${p.listId} and ${mailProject.subjectMatch} = ${p.subjectMatch ?? ''}))${exceptId === undefined ? sql`` : sql` and ${mailProject.id} <> ${exceptId}`}`);
  if (!clash.length) return;
  const c = clash[0]!;
  throw new AppError(
    'project_exists',
    c.linkName === p.linkName ? `a project named "${p.linkName}" exists` : `project "${c.linkName}" already takes list id ${p.listId}${p.subjectMatch ? ` with subject match ${p.subjectMatch}` : ''}`,
    { field: c.linkName === p.linkName ? 'link_name' : 'list_id' },
  );
}

export async function createProject(db: Database, input: NewProject): Promise<MailProjectRow> {
  validate(input);
  return db.transaction(async (tx) => {
    await refuseClash(tx, input);
    const [row] = await tx
      .insert(mailProject)
      .values({
        linkName: input.linkName,
        name: input.name ?? input.linkName,
        listId: input.listId,
        listEmail: input.listEmail ?? '',
        subjectMatch: input.subjectMatch ?? '',
        webUrl: input.webUrl ?? '',
        scmUrl: input.scmUrl ?? '',
        webscmUrl: input.webscmUrl ?? '',
        listArchiveUrl: input.listArchiveUrl ?? '',
        scmBranches: [...new Set(input.scmBranches ?? [])],
        landedState: input.landedState ?? 'accepted',
      })
      .returning();
    await tx.insert(mailState).values(DEFAULT_STATES.map((s, i) => ({ projectId: row!.id, slug: s.slug, name: s.name, ordering: i, actionRequired: s.actionRequired })));
    return row!;
  });
}

/** Change some of a project's fields, under the rules a new project follows (a landed state among its own states). */
export async function updateProject(db: Database, id: number, changes: ProjectChanges): Promise<MailProjectRow> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(mailProject).where(eq(mailProject.id, id)).for('update');
    if (!current) throw new AppError('not_found', `no project with id ${id}`, { field: 'id' });
    const next: NewProject = {
      linkName: changes.linkName ?? current.linkName,
      name: changes.name ?? current.name,
      listId: changes.listId ?? current.listId,
      listEmail: changes.listEmail ?? current.listEmail,
      subjectMatch: changes.subjectMatch ?? current.subjectMatch,
      webUrl: changes.webUrl ?? current.webUrl,
      scmUrl: changes.scmUrl ?? current.scmUrl,
      webscmUrl: changes.webscmUrl ?? current.webscmUrl,
      listArchiveUrl: changes.listArchiveUrl ?? current.listArchiveUrl,
      scmBranches: [...new Set(changes.scmBranches ?? current.scmBranches)],
      landedState: changes.landedState ?? current.landedState,
    };
    validate(next);
    validateUpstream(next, (await projectStates(tx, id)).map((s) => s.slug));
    await refuseClash(tx, next, id);
    const [row] = await tx
      .update(mailProject)
      .set({ ...next, name: next.name ?? next.linkName })
      .where(eq(mailProject.id, id))
      .returning();
    return row!;
  });
}

/** updateProject for a project named by its link name (the admin CLI's way). */
export async function updateProjectByLinkName(db: Database, linkName: string, changes: ProjectChanges): Promise<MailProjectRow> {
  const [row] = await db.select({ id: mailProject.id }).from(mailProject).where(eq(mailProject.linkName, linkName));
  if (!row) throw new AppError('not_found', `no project "${linkName}"`, { field: 'link_name' });
  return updateProject(db, row.id, changes);
}

export async function listProjects(db: Database): Promise<MailProjectRow[]> {
  return db.select().from(mailProject).orderBy(asc(mailProject.id));
}

async function personId(db: Database, email: string, name: string | null = null): Promise<number> {
  const [row] = await db
    .insert(mailPerson)
    .values({ email: email.toLowerCase(), name })
    .onConflictDoUpdate({ target: mailPerson.email, set: { name: sql`coalesce(${mailPerson.name}, excluded.name)` } })
    .returning({ id: mailPerson.id });
  return row!.id;
}

/** Allow patches of the project to be delegated to this address (X-Patchwork-Delegate). */
export async function addProjectDelegate(db: Database, projectId: number, email: string, name: string | null = null): Promise<number> {
  const id = await personId(db, email, name);
  await db.insert(mailProjectDelegate).values({ projectId, personId: id }).onConflictDoNothing();
  return id;
}

/** An autodelegation rule; its user also becomes a delegate of the project. */
export async function addDelegationRule(db: Database, projectId: number, rule: { path: string; email: string; priority?: number }): Promise<void> {
  if (!rule.path.trim()) throw new AppError('invalid_rule', 'an autodelegation rule needs a path pattern', { field: 'path' });
  const id = await addProjectDelegate(db, projectId, rule.email);
  await db
    .insert(mailDelegationRule)
    .values({ projectId, path: rule.path, personId: id, priority: rule.priority ?? 0 })
    .onConflictDoUpdate({ target: [mailDelegationRule.projectId, mailDelegationRule.path], set: { personId: id, priority: rule.priority ?? 0 } });
}

/** What the ingest needs to know about a project, loaded once and kept while the store lives. */
export interface ProjectContext {
  row: MailProjectRow;
  subjectFilter: RegExp | null;
  /** state slugs, and lower-cased names and slugs → slug */
  states: Map<string, string>;
  /** lower-cased email → person id */
  delegates: Map<string, number>;
  rules: Array<{ path: string; priority: number; user: number }>;
}

export async function loadProjectContexts(db: Database): Promise<ProjectContext[]> {
  const [projects, states, delegates, rules] = await Promise.all([
    db.select().from(mailProject).orderBy(asc(mailProject.id)),
    db.select().from(mailState),
    db
      .select({ projectId: mailProjectDelegate.projectId, personId: mailProjectDelegate.personId, email: mailPerson.email })
      .from(mailProjectDelegate)
      .innerJoin(mailPerson, eq(mailPerson.id, mailProjectDelegate.personId)),
    db.select().from(mailDelegationRule),
  ]);
  return projects.map((row) => {
    const ctx: ProjectContext = {
      row,
      subjectFilter: row.subjectMatch ? new RegExp(row.subjectMatch, 'im') : null,
      states: new Map(),
      delegates: new Map(),
      rules: [],
    };
    for (const s of states.filter((s) => s.projectId === row.id)) {
      ctx.states.set(s.slug.toLowerCase(), s.slug);
      ctx.states.set(s.name.toLowerCase(), s.slug);
    }
    for (const d of delegates.filter((d) => d.projectId === row.id)) ctx.delegates.set(d.email.toLowerCase(), d.personId);
    for (const r of rules.filter((r) => r.projectId === row.id)) ctx.rules.push({ path: r.path, priority: r.priority, user: r.personId });
    return ctx;
  });
}

/**
 * Patchwork's find_project: the first candidate list id with a project; among a list's projects, one whose
 * subject filter matches, else the one without a filter.
 */
export function matchProject(projects: ProjectContext[], listIds: string[], subject: string): ProjectContext | undefined {
  for (const listId of listIds) {
    const onList = projects.filter((p) => p.row.listId.toLowerCase() === listId.toLowerCase());
    if (!onList.length) continue;
    const filtered = onList.find((p) => p.subjectFilter?.test(subject));
    if (filtered) return filtered;
    const plain = onList.find((p) => !p.subjectFilter);
    if (plain) return plain;
  }
  return undefined;
}

export async function projectStates(db: Database, projectId: number) {
  return db.select().from(mailState).where(and(eq(mailState.projectId, projectId))).orderBy(asc(mailState.ordering));
}
