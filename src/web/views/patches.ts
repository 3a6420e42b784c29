/** Patchwork-style pages of a mailing list: the patch list, one patch, one series. */
import { html, raw } from 'hono/html';
import type { CheckRecord } from '../../checks/service.js';
import type { MailCommentRow, MailCoverRow, MailPatchRow, MailPersonRow, MailProjectRow, MailSeriesRow } from '../../db/schema/mail.js';
import type { Related } from '../../patchwork/related.js';
import { checkText, csrfField, inPlace, layout, link, options, query, when, type Html, type PageContext } from '../layout.js';

const person = (p: MailPersonRow | undefined) => (p ? html`<span title="${p.email}">${p.name || p.email}</span>` : html`<span class="muted">—</span>`);
const count = (n: number) => (n ? String(n) : '-');

export interface PatchListView {
  project: MailProjectRow;
  rows: MailPatchRow[];
  related: Related;
  states: Array<{ slug: string; name: string }>;
  filters: { state?: string; submitter?: string; archived?: string; q?: string; series?: string };
  total: number;
  nextBefore?: number;
  /** what the last bulk action did */
  notice?: string;
}

/**
 * The change form's fields (one patch, a series, the list's bulk action): each left empty changes nothing,
 * as Patchwork's bulk form has "(no change)".
 */
export function patchChangeFields(states: Array<{ slug: string; name: string }>): Html {
  return html`<label>State<select name="state">${options([['', '(no change)'], ...states.map((s) => [s.slug, s.name] as const)], '')}</select></label>
<label>Delegate<input name="delegate" placeholder="id or address; none clears" autocomplete="off"></label>
<label>Archived<select name="archived">${options([['', '(no change)'], ['yes', 'archive'], ['no', 'unarchive']], '')}</select></label>`;
}

/** The list's table inside the bulk form: tick patches, choose the change, apply; it comes back to this page. */
function bulkForm(ctx: PageContext, states: Array<{ slug: string; name: string }>, table: Html): Html {
  return html`<form method="post" action="/patches/bulk" ${inPlace('post', '/patches/bulk')}>${csrfField(ctx)}<input type="hidden" name="back" value="${ctx.here}">${table}
<fieldset class="filters"><legend>Change the selected patches</legend>${patchChangeFields(states)}<button type="submit">Apply to selected</button></fieldset></form>`;
}

const noticeBox = (text: string | undefined) => (text ? html`<p class="notice" role="status">${text}</p>` : '');

export function patchListPage(ctx: PageContext, v: PatchListView): Html {
  const f = v.filters;
  const base = `/project/${encodeURIComponent(v.project.linkName)}/list/`;
  // the bulk form for a logged-in user (the update rule decides, patch by patch, what they may change)
  const bulk = Boolean(ctx.principal);
  const table = html`<table><thead><tr>${bulk ? html`<th><span class="visually-hidden">Select</span></th>` : ''}<th>Patch</th><th>Series</th><th title="Acked-by / Reviewed-by / Tested-by">A/R/T</th><th>Checks</th><th>Date</th><th>Submitter</th><th>Delegate</th><th>State</th></tr></thead><tbody>
${raw(v.rows.map((p) => {
  const s = p.seriesId !== null ? v.related.series.get(p.seriesId) : undefined;
  return html`<tr>${bulk ? html`<td><input type="checkbox" name="patch" value="${p.id}" aria-label="select patch ${p.id}"></td>` : ''}<td><a href="/patch/${p.id}/">${p.name}</a></td><td>${s ? html`<a href="/series/${s.id}/">${s.name ?? `series ${s.id}`}</a>` : ''}</td>
<td>${count(p.ackedCount)} ${count(p.reviewedCount)} ${count(p.testedCount)}</td><td>${checkText(v.related.checkState.get(p.id))}</td><td>${when(p.date)}</td>
<td>${person(v.related.people.get(p.submitterId))}</td><td>${p.delegateId !== null ? person(v.related.people.get(p.delegateId)) : ''}</td><td>${p.state}${p.archived ? ' (archived)' : ''}</td></tr>`;
}).join(''))}
</tbody></table>`;
  return layout(
    ctx,
    `${v.project.name}: patches`,
    html`<form class="filters" method="get" action="${base}" ${inPlace('get', base, { pushUrl: true })} hx-trigger="submit, change">
<label>Search<input name="q" value="${f.q ?? ''}" placeholder="patch name"></label>
<label>State<select name="state">${options([['', 'any'], ...v.states.map((s) => [s.slug, s.name] as const)], f.state)}</select></label>
<label>Submitter<input name="submitter" value="${f.submitter ?? ''}" placeholder="id or address"></label>
<label>Archived<select name="archived">${options([['', 'no'], ['yes', 'yes'], ['both', 'both']], f.archived)}</select></label>
${f.series ? html`<input type="hidden" name="series" value="${f.series}">` : ''}
<button type="submit">Filter</button></form>
${f.series ? html`<p class="notice">Patches of <a href="/series/${f.series}/">series ${f.series}</a>. <a href="${base}">All patches</a></p>` : ''}
<p class="muted">${v.total} patch${v.total === 1 ? '' : 'es'}${ctx.admin ? html` · <a href="/admin/projects/${encodeURIComponent(v.project.linkName)}/maintainers">maintainers</a>` : ''}</p>
${noticeBox(v.notice)}
${v.rows.length ? (bulk ? bulkForm(ctx, v.states, table) : table) : html`<p class="muted">No patches match.</p>`}
<nav class="pager">${v.nextBefore !== undefined ? html`<a rel="next" href="${base}${query({ ...f, before: v.nextBefore })}">Older patches →</a>` : ''}</nav>`,
  );
}

/**
 * A unified diff with each line marked by a class for colour; its +/- stay in the text for readers without
 * colour. Whatever comes before the first diff line (a patch file's mail headers and message) is plain text.
 */
export function diffBlock(diff: string): Html {
  const lines = diff.replace(/\n$/, '').split('\n');
  let inDiff = false;
  const kind = (l: string) => {
    inDiff ||= /^(diff --git |--- |@@ )/.test(l);
    // the mail signature separator (`-- `) is not a removed line
    if (!inDiff || l === '-- ') return 'ctx';
    return /^(diff --git |index |--- |\+\+\+ |new file|deleted file|similarity|rename )/.test(l) ? 'meta' : l.startsWith('@@') ? 'hunk' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx';
  };
  return html`<pre class="diff">${raw(lines.map((l) => html`<span class="${kind(l)}">${l || ' '}</span>`).join(''))}</pre>`;
}

export interface PatchView {
  patch: MailPatchRow;
  project: MailProjectRow;
  series?: MailSeriesRow;
  submitter?: MailPersonRow;
  delegate?: MailPersonRow;
  comments: Array<{ comment: MailCommentRow; author?: MailPersonRow }>;
  checks: CheckRecord[];
  combinedCheck: string;
  states: Array<{ slug: string; name: string }>;
  origin: string;
  notice?: string;
}

export function patchPage(ctx: PageContext, v: PatchView): Html {
  const p = v.patch;
  const mbox = `${v.origin}/patch/${p.id}/mbox/`;
  return layout(
    ctx,
    p.name,
    html`${v.notice ? html`<p class="notice error-box" role="alert">${v.notice}</p>` : ''}
<table><tbody>
<tr><th>Project</th><td><a href="/project/${encodeURIComponent(v.project.linkName)}/list/">${v.project.name}</a></td></tr>
<tr><th>Submitter</th><td>${person(v.submitter)}</td></tr>
<tr><th>Date</th><td>${when(p.date)}</td></tr>
<tr><th>Message-Id</th><td><code>${p.msgid}</code></td></tr>
<tr><th>Series</th><td>${v.series ? html`<a href="/series/${v.series.id}/">${v.series.name ?? `series ${v.series.id}`}</a> (v${v.series.version})` : html`<span class="muted">none</span>`}</td></tr>
<tr><th>State</th><td>${p.state}${p.archived ? ' (archived)' : ''}</td></tr>
<tr><th>Delegate</th><td>${person(v.delegate)}</td></tr>
<tr><th>Tags</th><td>Acked-by ${p.ackedCount}, Reviewed-by ${p.reviewedCount}, Tested-by ${p.testedCount}</td></tr>
<tr><th>Checks</th><td>${checkText(v.combinedCheck)}</td></tr>
</tbody></table>
${ctx.principal ? html`<form method="post" action="/patch/${p.id}/update" class="filters">${csrfField(ctx)}${patchChangeFields(v.states)}<button type="submit">Update</button></form>` : html`<p class="muted"><a href="/login?next=${encodeURIComponent(ctx.here)}">Log in</a> to change its state, delegate or archived flag.</p>`}
<h2>Apply it</h2>
<p><a href="${mbox}">Download mbox</a></p>
<label>With git am<input class="command" readonly value="curl -s ${mbox} | git am"></label>
<label>With git-pw<input class="command" readonly value="git pw patch apply ${p.id}"></label>
<h2>Message</h2>
<pre>${p.content ?? ''}</pre>
<h2>Diff</h2>
${p.diff ? diffBlock(p.diff) : html`<p class="muted">No diff (a pull request).</p>`}
<h2>Comments (${v.comments.length})</h2>
${raw(v.comments.map(({ comment: c, author }) => html`<article><h3>${person(author)} <span class="muted">${when(c.date)}</span></h3><pre>${c.content ?? ''}</pre></article>`).join(''))}
<h2>Checks (${v.checks.length})</h2>
${v.checks.length ? html`<table><thead><tr><th>Context</th><th>State</th><th>Description</th><th>By</th><th>Date</th></tr></thead><tbody>
${raw(v.checks.map((c) => html`<tr><td>${link(c.targetUrl, c.context)}</td><td>${checkText(c.state)}</td><td>${c.description ?? ''}</td><td>${c.user}</td><td>${when(c.date)}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No checks.</p>`}`,
  );
}

export interface SeriesView {
  series: MailSeriesRow;
  project: MailProjectRow;
  patches: MailPatchRow[];
  cover?: MailCoverRow;
  submitter?: MailPersonRow;
  previous?: MailSeriesRow;
  later: MailSeriesRow[];
  combinedCheck: string;
  origin: string;
  states: Array<{ slug: string; name: string }>;
  /** what the last change of the whole series did */
  notice?: string;
}

export function seriesPage(ctx: PageContext, v: SeriesView): Html {
  const s = v.series;
  const mbox = `${v.origin}/series/${s.id}/mbox/`;
  const version = (x: MailSeriesRow) => html`<a href="/series/${x.id}/">v${x.version}: ${x.name ?? `series ${x.id}`}</a>`;
  return layout(
    ctx,
    s.name ?? `Series ${s.id}`,
    html`${noticeBox(v.notice)}<table><tbody>
<tr><th>Project</th><td><a href="/project/${encodeURIComponent(v.project.linkName)}/list/?series=${s.id}">${v.project.name}</a></td></tr>
<tr><th>Submitter</th><td>${person(v.submitter)}</td></tr>
<tr><th>Date</th><td>${when(s.date)}</td></tr>
<tr><th>Version</th><td>v${s.version}</td></tr>
<tr><th>Completeness</th><td>${s.receivedAll ? 'complete' : 'incomplete'}: ${s.receivedTotal} of ${s.total} patches received</td></tr>
<tr><th>Checks</th><td>${checkText(v.combinedCheck)}</td></tr>
<tr><th>Earlier version</th><td>${v.previous ? version(v.previous) : html`<span class="muted">none</span>`}</td></tr>
<tr><th>Later versions</th><td>${v.later.length ? raw(v.later.map((x) => html`<div>${version(x)}</div>`).join('')) : html`<span class="muted">none</span>`}</td></tr>
</tbody></table>
<h2>Apply it</h2>
<p><a href="${mbox}">Download the series as mbox</a></p>
<label>With git am<input class="command" readonly value="curl -s ${mbox} | git am"></label>
<label>With git-pw<input class="command" readonly value="git pw series apply ${s.id}"></label>
${v.cover ? html`<h2>Cover letter: ${v.cover.name}</h2><pre>${v.cover.content ?? ''}</pre>` : ''}
<h2>Patches (${v.patches.length})</h2>
<table><thead><tr><th>#</th><th>Patch</th><th>State</th><th>Date</th></tr></thead><tbody>
${raw(v.patches.map((p) => html`<tr><td>${p.number ?? ''}</td><td><a href="/patch/${p.id}/">${p.name}</a></td><td>${p.state}${p.archived ? ' (archived)' : ''}</td><td>${when(p.date)}</td></tr>`).join(''))}
</tbody></table>
${ctx.principal && v.patches.length ? html`<form method="post" action="/series/${s.id}/update"><fieldset class="filters"><legend>Change all ${v.patches.length} patches of this series</legend>${csrfField(ctx)}${patchChangeFields(v.states)}<button type="submit">Apply to the series</button></fieldset></form>` : ''}`,
  );
}

export interface BulkResultView {
  title: string;
  updated: number;
  failed: Array<{ patchId: number; name?: string; message: string }>;
  back: string;
}

/** What a change of many patches did when some were refused: which ones, and why; the rest were applied. */
export function bulkResultPage(ctx: PageContext, v: BulkResultView): Html {
  return layout(
    ctx,
    v.title,
    html`<p class="notice${v.updated ? '' : ' error-box'}" role="alert">${v.updated} patch${v.updated === 1 ? '' : 'es'} updated; ${v.failed.length} could not be changed.</p>
<table><thead><tr><th>Patch</th><th>Why not</th></tr></thead><tbody>
${raw(v.failed.map((f) => html`<tr><td><a href="/patch/${f.patchId}/">${f.name ?? `patch ${f.patchId}`}</a></td><td>${f.message}</td></tr>`).join(''))}
</tbody></table>
<p><a href="${v.back}">Back</a></p>`,
  );
}
