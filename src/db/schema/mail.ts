/**
 * Mailing-list patches, stored the way Patchwork models them (projects, people, patches, cover letters,
 * comments, series, checks, events), with column names following Patchwork's REST fields where they
 * exist. Every stored mail keeps its raw bytes (mail_message); a mail that could not be stored is kept in
 * mail_dropped with the reason. (project, msgid) is unique across patches, covers and comments through
 * mail_message, which makes re-imports no-ops.
 */
import { sql } from 'drizzle-orm';
import { boolean, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => value,
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

const created = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** A mailing list (or a subject-filtered part of one) whose patches are tracked. */
export const mailProject = pgTable(
  'project',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    linkName: text('link_name').notNull(),
    name: text('name').notNull(),
    listId: text('list_id').notNull(),
    listEmail: text('list_email').notNull().default(''),
    /** a regular expression a subject must match (Patchwork's subject_match); '' = every mail of the list */
    subjectMatch: text('subject_match').notNull().default(''),
    webUrl: text('web_url').notNull().default(''),
    scmUrl: text('scm_url').notNull().default(''),
    webscmUrl: text('webscm_url').notNull().default(''),
    listArchiveUrl: text('list_archive_url').notNull().default(''),
    /** the upstream branches (of scm_url) whose commits mark patches as landed; [] = the default branch */
    scmBranches: jsonb('scm_branches').$type<string[]>().notNull().default([]),
    /** the state a patch found upstream moves to (from an action-required state only) */
    landedState: text('landed_state').notNull().default('accepted'),
    createdAt: created(),
  },
  (t) => [uniqueIndex('project_link_name_key').on(t.linkName), uniqueIndex('project_list_id_subject_key').on(t.listId, t.subjectMatch)],
);

/** Everyone who sent a mail, by address (lower-cased). */
export const mailPerson = pgTable(
  'person',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    email: text('email').notNull(),
    name: text('name'),
    createdAt: created(),
  },
  (t) => [uniqueIndex('person_email_key').on(t.email)],
);

/** The states a patch of a project can be in (Patchwork's default_states, copied per project). */
export const mailState = pgTable(
  'state',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    ordering: integer('ordering').notNull(),
    actionRequired: boolean('action_required').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.slug] })],
);

/** People patches of a project may be delegated to (by X-Patchwork-Delegate or autodelegation). */
export const mailProjectDelegate = pgTable(
  'project_delegate',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    personId: integer('person_id')
      .notNull()
      .references(() => mailPerson.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.personId] })],
);

/** Patchwork's autodelegation rules: fnmatch path patterns, highest priority first. */
export const mailDelegationRule = pgTable(
  'delegation_rule',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    path: text('path').notNull(),
    personId: integer('person_id')
      .notNull()
      .references(() => mailPerson.id, { onDelete: 'cascade' }),
    priority: integer('priority').notNull().default(0),
  },
  (t) => [uniqueIndex('delegation_rule_project_path_key').on(t.projectId, t.path)],
);

/** The raw bytes of every stored mail; (project, msgid) is unique across patches, covers and comments. */
export const mailMessage = pgTable(
  'mail_message',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    msgid: text('msgid').notNull(),
    /** patch | cover | comment */
    kind: text('kind').notNull(),
    /** the patch this mail is, or the patch it comments on (for threading lookups) */
    patchId: integer('patch_id'),
    /** the cover letter this mail is, or the cover it comments on */
    coverId: integer('cover_id'),
    raw: bytea('raw').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mail_message_project_msgid_key').on(t.projectId, t.msgid)],
);

/** Mails that were not stored as a patch, cover or comment, with why (never lost; re-import is a no-op). */
export const mailDropped = pgTable(
  'mail_dropped',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id').references(() => mailProject.id, { onDelete: 'set null' }),
    msgid: text('msgid'),
    reason: text('reason').notNull(),
    /** sha256 of the raw bytes: the same mail dropped twice is one row */
    sha256: text('sha256').notNull(),
    raw: bytea('raw').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mail_dropped_sha256_key').on(t.sha256), index('mail_dropped_reason_idx').on(t.reason)],
);

export const mailSeries = pgTable(
  'series',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    name: text('name'),
    /** the name without prefixes, version words and case (finds earlier versions) */
    nameKey: text('name_key'),
    date: timestamp('date', { withTimezone: true }).notNull(),
    submitterId: integer('submitter_id')
      .notNull()
      .references(() => mailPerson.id),
    version: integer('version').notNull().default(1),
    total: integer('total').notNull().default(0),
    receivedTotal: integer('received_total').notNull().default(0),
    /** at least `total` patches arrived (Patchwork's received_all) */
    receivedAll: boolean('received_all').notNull().default(false),
    coverId: integer('cover_id'),
    /** the series this one is a new version (or re-send) of */
    previousVersionId: integer('previous_version_id'),
    /** supersedes | change-id | subject */
    previousVersionReason: text('previous_version_reason'),
    changeId: text('change_id'),
    basedOn: jsonb('based_on').$type<string[]>().notNull().default([]),
    dependsOn: jsonb('depends_on').$type<string[]>().notNull().default([]),
    supersedes: jsonb('supersedes').$type<string[]>().notNull().default([]),
    createdAt: created(),
  },
  (t) => [
    index('series_project_submitter_date_idx').on(t.projectId, t.submitterId, t.date),
    index('series_project_date_idx').on(t.projectId, t.date),
    index('series_project_name_key_idx').on(t.projectId, t.submitterId, t.nameKey, t.date),
    index('series_change_id_idx').on(t.projectId, t.changeId).where(sql`${t.changeId} is not null`),
    index('series_previous_idx').on(t.previousVersionId),
  ],
);

/** Message ids that place a mail in a series (Patchwork's SeriesReference). */
export const mailSeriesReference = pgTable(
  'series_reference',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    msgid: text('msgid').notNull(),
    seriesId: integer('series_id')
      .notNull()
      .references(() => mailSeries.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.msgid] }), index('series_reference_series_idx').on(t.seriesId)],
);

/** Series named by a Depends-on:/Based-on: line that we hold. */
export const mailSeriesDependency = pgTable(
  'series_dependency',
  {
    seriesId: integer('series_id')
      .notNull()
      .references(() => mailSeries.id, { onDelete: 'cascade' }),
    dependencyId: integer('dependency_id')
      .notNull()
      .references(() => mailSeries.id, { onDelete: 'cascade' }),
    position: integer('position').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.dependencyId] }), index('series_dependency_dependency_idx').on(t.dependencyId)],
);

export const mailCover = pgTable(
  'cover',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    messageId: integer('message_id')
      .notNull()
      .references(() => mailMessage.id, { onDelete: 'cascade' }),
    msgid: text('msgid').notNull(),
    name: text('name').notNull(),
    date: timestamp('date', { withTimezone: true }).notNull(),
    submitterId: integer('submitter_id')
      .notNull()
      .references(() => mailPerson.id),
    content: text('content'),
    seriesId: integer('series_id').references(() => mailSeries.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('cover_project_msgid_key').on(t.projectId, t.msgid),
    index('cover_project_name_idx').on(t.projectId, t.name),
    index('cover_series_idx').on(t.seriesId),
  ],
);

export const mailPatch = pgTable(
  'patch',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    messageId: integer('message_id')
      .notNull()
      .references(() => mailMessage.id, { onDelete: 'cascade' }),
    msgid: text('msgid').notNull(),
    name: text('name').notNull(),
    /** the name without prefixes, version words and case (finds the earlier version of a series) */
    nameKey: text('name_key'),
    date: timestamp('date', { withTimezone: true }).notNull(),
    submitterId: integer('submitter_id')
      .notNull()
      .references(() => mailPerson.id),
    delegateId: integer('delegate_id').references(() => mailPerson.id, { onDelete: 'set null' }),
    /** a slug of the project's states */
    state: text('state').notNull().default('new'),
    archived: boolean('archived').notNull().default(false),
    hash: text('hash'),
    /** `git patch-id --stable` of the diff (hash above is Patchwork's own, which differs) */
    gitPatchId: text('git_patch_id'),
    pullUrl: text('pull_url'),
    diff: text('diff'),
    content: text('content'),
    seriesId: integer('series_id').references(() => mailSeries.id, { onDelete: 'set null' }),
    /** position in the series (x of x/n) */
    number: integer('number'),
    /** Acked-by/Reviewed-by/Tested-by counts, from the patch and its comments */
    ackedCount: integer('acked_count').notNull().default(0),
    reviewedCount: integer('reviewed_count').notNull().default(0),
    testedCount: integer('tested_count').notNull().default(0),
    commitRef: text('commit_ref'),
  },
  (t) => [
    uniqueIndex('patch_project_msgid_key').on(t.projectId, t.msgid),
    index('patch_series_idx').on(t.seriesId, t.number),
    index('patch_project_state_idx').on(t.projectId, t.state, t.archived),
    index('patch_hash_idx').on(t.hash),
    index('patch_git_patch_id_idx').on(t.gitPatchId),
    index('patch_project_name_key_idx').on(t.projectId, t.submitterId, t.nameKey, t.date),
    index('patch_delegate_idx').on(t.delegateId),
  ],
);

export const mailComment = pgTable(
  'comment',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    messageId: integer('message_id')
      .notNull()
      .references(() => mailMessage.id, { onDelete: 'cascade' }),
    msgid: text('msgid').notNull(),
    /** exactly one of patch_id / cover_id is set */
    patchId: integer('patch_id').references(() => mailPatch.id, { onDelete: 'cascade' }),
    coverId: integer('cover_id').references(() => mailCover.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    date: timestamp('date', { withTimezone: true }).notNull(),
    submitterId: integer('submitter_id')
      .notNull()
      .references(() => mailPerson.id),
    content: text('content'),
  },
  (t) => [
    uniqueIndex('comment_project_msgid_key').on(t.projectId, t.msgid),
    index('comment_patch_idx').on(t.patchId),
    index('comment_cover_idx').on(t.coverId),
  ],
);

/** Trailers (Acked-by, Reviewed-by, Fixes, …) found in a patch, cover or comment. */
export const mailTag = pgTable(
  'tag',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    /** the patch (or cover) the trailer applies to; a comment's trailer applies to its parent */
    patchId: integer('patch_id').references(() => mailPatch.id, { onDelete: 'cascade' }),
    coverId: integer('cover_id').references(() => mailCover.id, { onDelete: 'cascade' }),
    commentId: integer('comment_id').references(() => mailComment.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    value: text('value').notNull(),
  },
  (t) => [index('tag_patch_idx').on(t.patchId), index('tag_cover_idx').on(t.coverId)],
);

/** CI results on a patch (Patchwork's checks). */
export const mailCheck = pgTable(
  'patch_check',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    patchId: integer('patch_id')
      .notNull()
      .references(() => mailPatch.id, { onDelete: 'cascade' }),
    /** who reported it (a principal name) */
    user: text('user').notNull(),
    /** pending | success | warning | fail */
    state: text('state').notNull(),
    targetUrl: text('target_url'),
    context: text('context').notNull().default('default'),
    description: text('description'),
    date: timestamp('date', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('patch_check_patch_idx').on(t.patchId, t.context)],
);

/**
 * Patchwork's events: patch-created, cover-created, series-created, series-completed,
 * patch-state-changed, patch-delegated (check-created for checks).
 */
export const mailEvent = pgTable(
  'event',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    category: text('category').notNull(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    patchId: integer('patch_id').references(() => mailPatch.id, { onDelete: 'cascade' }),
    coverId: integer('cover_id').references(() => mailCover.id, { onDelete: 'cascade' }),
    seriesId: integer('series_id').references(() => mailSeries.id, { onDelete: 'cascade' }),
    /** who caused it (a principal name); null for the mail ingest */
    actor: text('actor'),
    /** category-specific fields, e.g. {previous, current} for state and delegate changes */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    date: timestamp('date', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('event_project_date_idx').on(t.projectId, t.date), index('event_category_idx').on(t.category)],
);

/**
 * Every commit of a project's upstream branches seen so far, with its stable patch-id: computed once per
 * commit, so matching stored patches against the upstream is a join on patch_id.
 */
export const upstreamCommit = pgTable(
  'upstream_commit',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    sha: text('sha').notNull(),
    /** `git patch-id --stable`; null for a commit without a diff */
    patchId: text('patch_id'),
    authorName: text('author_name').notNull(),
    /** lower-cased, as person.email */
    authorEmail: text('author_email').notNull(),
    subject: text('subject').notNull(),
    /** normalizeTitle(subject): the fuzzy match compares it with patch.name_key */
    subjectKey: text('subject_key').notNull(),
    authorDate: timestamp('author_date', { withTimezone: true }).notNull(),
    committerDate: timestamp('committer_date', { withTimezone: true }).notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.sha] }),
    index('upstream_commit_patch_id_idx').on(t.projectId, t.patchId),
    index('upstream_commit_author_idx').on(t.projectId, t.authorEmail, t.subjectKey),
  ],
);

/** The head of each upstream branch of a project up to which commits are in upstream_commit. */
export const upstreamHead = pgTable(
  'upstream_head',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    branch: text('branch').notNull(),
    sha: text('sha').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.branch] })],
);

/** Why a patch was marked as landed: the upstream commit, by patch-id or by the fuzzy fallback, with evidence. */
export const patchLanding = pgTable(
  'patch_landing',
  {
    patchId: integer('patch_id')
      .primaryKey()
      .references(() => mailPatch.id, { onDelete: 'cascade' }),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    sha: text('sha').notNull(),
    /** patch-id | fuzzy */
    method: text('method').notNull(),
    evidence: text('evidence').notNull(),
    date: timestamp('date', { withTimezone: true }).notNull().defaultNow(),
  },
  // a commit lands one patch by the fuzzy match: looked up by commit
  (t) => [index('patch_landing_commit_idx').on(t.projectId, t.sha)],
);

/**
 * A public-inbox archive a project follows: the inbox URL. v2 inboxes keep their messages in epochs
 * (`<url>/git/N.git`); a v1 inbox is one git repository, the URL itself, followed as epoch 0.
 * Its mails go through the same store as every other intake.
 */
export const mailArchive = pgTable(
  'mail_archive',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    projectId: integer('project_id')
      .notNull()
      .references(() => mailProject.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** 'v1' | 'v2', found out on the first follow (null until then) and kept: a cursor belongs to one layout */
    format: text('format'),
    createdAt: created(),
  },
  (t) => [uniqueIndex('mail_archive_project_url_idx').on(t.projectId, t.url)],
);

/**
 * Where following stopped in one epoch of an archive: the last commit whose message is stored. `error`
 * holds why following this epoch stopped (a rewritten history), until someone resolves it.
 */
export const mailArchiveEpoch = pgTable(
  'mail_archive_epoch',
  {
    archiveId: integer('archive_id')
      .notNull()
      .references(() => mailArchive.id, { onDelete: 'cascade' }),
    epoch: integer('epoch').notNull(),
    lastCommit: text('last_commit'),
    /** messages read from this epoch (a batch read again after a crash counts again; the store keeps one copy) */
    messages: integer('messages').notNull().default(0),
    error: text('error'),
    /**
     * The manifest's fingerprint of this epoch seen before the fetch that brought the cursor to the head:
     * while the manifest still says so, nothing moved and the epoch is not fetched
     */
    fingerprint: text('fingerprint'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.archiveId, t.epoch] })],
);

export type MailProjectRow = typeof mailProject.$inferSelect;
export type MailPersonRow = typeof mailPerson.$inferSelect;
export type MailPatchRow = typeof mailPatch.$inferSelect;
export type MailCoverRow = typeof mailCover.$inferSelect;
export type MailCommentRow = typeof mailComment.$inferSelect;
export type MailSeriesRow = typeof mailSeries.$inferSelect;
export type MailEventRow = typeof mailEvent.$inferSelect;
export type MailDroppedRow = typeof mailDropped.$inferSelect;
export type MailArchiveRow = typeof mailArchive.$inferSelect;
export type MailArchiveEpochRow = typeof mailArchiveEpoch.$inferSelect;
