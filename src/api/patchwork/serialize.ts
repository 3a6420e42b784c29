/**
 * Patchwork 1.3's JSON representations, field for field (names and nesting as its serializers emit them),
 * built from a page of rows with the related projects, people and series loaded in one query each.
 */
import {
  mailCheck,
  type MailCommentRow,
  type MailCoverRow,
  type MailPatchRow,
  type MailPersonRow,
  type MailProjectRow,
  type MailSeriesRow,
} from '../../db/schema/mail.js';
import { decodedHeaders } from '../../mail/parse.js';
import type { CheckRecord } from '../../checks/service.js';
import type { Related } from '../../patchwork/related.js';
import type { Urls } from './urls.js';

type Json = Record<string, unknown>;

/** Patchwork's dates: UTC without a zone suffix. */
export function pwDate(d: Date): string {
  return d.toISOString().slice(0, 19);
}

export function projectJson(u: Urls, p: MailProjectRow, embedded = false): Json {
  const base: Json = {
    id: p.id,
    url: u.project(p.id),
    name: p.name,
    link_name: p.linkName,
    list_id: p.listId,
    list_email: p.listEmail,
    web_url: p.webUrl,
    scm_url: p.scmUrl,
    webscm_url: p.webscmUrl,
    list_archive_url: p.listArchiveUrl,
    list_archive_url_format: '',
    commit_url_format: '',
  };
  if (embedded) return base;
  return { ...base, maintainers: [], subject_match: p.subjectMatch };
}

export function personJson(u: Urls, p: MailPersonRow, embedded = false): Json {
  const base: Json = { id: p.id, url: u.person(p.id), name: p.name ?? '', email: p.email };
  return embedded ? base : { ...base, user: null };
}

/**
 * Delegates are people here (Patchwork has a separate user table): they appear as users with the same id,
 * the address as the username, so git-pw's `--delegate <email>` lookup through /users/?q= works.
 */
export function userJson(u: Urls, p: MailPersonRow): Json {
  const [first, ...rest] = (p.name ?? '').split(' ');
  return { id: p.id, url: u.user(p.id), username: p.email, first_name: first ?? '', last_name: rest.join(' '), email: p.email };
}

/** Who posted a check or caused an event: a principal of this service, not a Patchwork user. */
export function principalJson(principal: string | null): Json | null {
  if (!principal) return null;
  return { id: null, url: null, username: principal, first_name: '', last_name: '', email: '' };
}

function archiveUrl(project: MailProjectRow, msgid: string): string | null {
  if (!project.listArchiveUrl) return null;
  return `${project.listArchiveUrl.replace(/\/$/, '')}/${encodeURIComponent(msgid.replace(/^<|>$/g, ''))}/`;
}

export function prefixesOf(name: string): string[] {
  const m = /^\[([^\]]*)\]/.exec(name);
  if (!m) return [];
  return m[1]!
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Headers as Patchwork shows them: name → value, or a list of values for a repeated header. */
export function headersJson(raw: Buffer | null | undefined): Json {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  for (const { name, value } of decodedHeaders(raw)) {
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

/** A patch or cover letter as other objects embed it: the same fields for both, Patchwork's shape. */
function embeddedMessage(url: string, webUrl: string, m: MailPatchRow | MailCoverRow, project: MailProjectRow): Json {
  return {
    id: m.id,
    url,
    web_url: webUrl,
    msgid: m.msgid,
    list_archive_url: archiveUrl(project, m.msgid),
    date: pwDate(m.date),
    name: m.name,
    mbox: `${webUrl}mbox/`,
  };
}

export function embeddedPatch(u: Urls, p: MailPatchRow, project: MailProjectRow): Json {
  return embeddedMessage(u.patch(p.id), u.patchWeb(project.linkName, p.msgid), p, project);
}

export function embeddedCover(u: Urls, c: MailCoverRow, project: MailProjectRow): Json {
  return embeddedMessage(u.cover(c.id), u.coverWeb(project.linkName, c.msgid), c, project);
}

export function embeddedSeries(u: Urls, s: MailSeriesRow, project: MailProjectRow): Json {
  return {
    id: s.id,
    url: u.series(s.id),
    web_url: u.seriesWeb(project.linkName, s.id),
    date: pwDate(s.date),
    name: s.name,
    version: s.version,
    mbox: u.seriesMbox(s.id),
  };
}

function tagsOf(p: MailPatchRow): Json {
  const tags: Record<string, number> = {};
  if (p.ackedCount) tags['Acked-by'] = p.ackedCount;
  if (p.reviewedCount) tags['Reviewed-by'] = p.reviewedCount;
  if (p.testedCount) tags['Tested-by'] = p.testedCount;
  return tags;
}

/**
 * What a patch and a cover letter share, in Patchwork's field order: the fields up to the name, the
 * submitter, and the mbox, series and comments links. Each kind puts its own fields between them.
 */
function messageParts(u: Urls, kind: 'patch' | 'cover', m: MailPatchRow | MailCoverRow, r: Related) {
  const project = r.project(m.projectId);
  const series = m.seriesId !== null ? r.series.get(m.seriesId) : undefined;
  const webUrl = kind === 'patch' ? u.patchWeb(project.linkName, m.msgid) : u.coverWeb(project.linkName, m.msgid);
  const head: Json = {
    id: m.id,
    url: kind === 'patch' ? u.patch(m.id) : u.cover(m.id),
    web_url: webUrl,
    project: projectJson(u, project, true),
    msgid: m.msgid,
    list_archive_url: archiveUrl(project, m.msgid),
    date: pwDate(m.date),
    name: m.name,
  };
  const links: Json = {
    mbox: `${webUrl}mbox/`,
    series: series ? [embeddedSeries(u, series, project)] : [],
    comments: u.api(`${kind === 'patch' ? 'patches' : 'covers'}/${m.id}/comments/`),
  };
  return { head, submitter: personJson(u, r.person(m.submitterId), true), links };
}

export function patchJson(u: Urls, p: MailPatchRow, r: Related, detail?: { raw: Buffer | null }): Json {
  const { head, submitter, links } = messageParts(u, 'patch', p, r);
  const out: Json = {
    ...head,
    commit_ref: p.commitRef,
    pull_url: p.pullUrl,
    state: p.state,
    archived: p.archived,
    hash: p.hash,
    submitter,
    delegate: p.delegateId !== null ? userJson(u, r.person(p.delegateId)) : null,
    ...links,
    check: r.checkState.get(p.id) ?? 'pending',
    checks: u.api(`patches/${p.id}/checks/`),
    tags: tagsOf(p),
    related: [],
  };
  if (!detail) return out;
  return { ...out, headers: headersJson(detail.raw), content: p.content ?? '', diff: p.diff, prefixes: prefixesOf(p.name) };
}

export function coverJson(u: Urls, c: MailCoverRow, r: Related, detail?: { raw: Buffer | null }): Json {
  const { head, submitter, links } = messageParts(u, 'cover', c, r);
  const out: Json = { ...head, submitter, ...links };
  if (!detail) return out;
  return { ...out, headers: headersJson(detail.raw), content: c.content ?? '' };
}

export function seriesJson(u: Urls, s: MailSeriesRow, r: Related): Json {
  const project = r.project(s.projectId);
  const cover = s.coverId !== null ? r.coversById.get(s.coverId) : undefined;
  return {
    id: s.id,
    url: u.series(s.id),
    web_url: u.seriesWeb(project.linkName, s.id),
    project: projectJson(u, project, true),
    name: s.name,
    date: pwDate(s.date),
    submitter: personJson(u, r.person(s.submitterId), true),
    version: s.version,
    total: s.total,
    received_total: s.receivedTotal,
    received_all: s.receivedAll,
    mbox: u.seriesMbox(s.id),
    cover_letter: cover ? embeddedCover(u, cover, project) : null,
    patches: (r.patchesOfSeries.get(s.id) ?? []).map((p) => embeddedPatch(u, p, project)),
    // not in Patchwork 1.3: the combined check state of the series' patches
    check: r.seriesCheck.get(s.id) ?? 'pending',
  };
}

export function commentJson(u: Urls, c: MailCommentRow, r: Related, parentUrl: string, parentWeb: string, raw: Buffer | null): Json {
  const project = r.project(c.projectId);
  return {
    id: c.id,
    url: `${parentUrl}comments/${c.id}/`,
    web_url: `${parentWeb}#${c.id}`,
    msgid: c.msgid,
    list_archive_url: archiveUrl(project, c.msgid),
    date: pwDate(c.date),
    subject: c.subject,
    submitter: personJson(u, r.person(c.submitterId), true),
    content: c.content ?? '',
    headers: headersJson(raw),
    addressed: null,
  };
}

export function checkJson(u: Urls, c: CheckRecord | typeof mailCheck.$inferSelect): Json {
  const patchId = 'subjectId' in c ? c.subjectId : c.patchId;
  return {
    id: c.id,
    url: u.api(`patches/${patchId}/checks/${c.id}/`),
    user: principalJson(c.user),
    date: pwDate(c.date),
    state: c.state,
    target_url: c.targetUrl,
    context: c.context,
    description: c.description,
  };
}
