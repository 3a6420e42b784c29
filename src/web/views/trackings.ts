/** Pages about trackings: the overview's parts, the filtered list and one tracking with its ranges. */
import { html, raw } from 'hono/html';
import type { CheckRecord } from '../../checks/service.js';
import type { EventRecord } from '../../events/service.js';
import type { MailProjectRow } from '../../db/schema/mail.js';
import type { IssueRow, PublicationRow, TrackingRow } from '../../db/schema/index.js';
import type { WeeklyTrackingActivity } from '../../stats/activity.js';
import type { RunResult } from '../../tracker/run.js';
import { REMOVAL_PREFIX } from '../../upstreamed/propose.js';
import type { UpstreamedReport } from '../../upstreamed/report.js';
import { adviceFor, NEEDS_HUMAN, TRACKING_STATUSES } from '../../tracker/status.js';
import { trackingActivityCharts } from './activity.js';
import { eventSubject } from './events.js';
import { diffBlock } from './patches.js';
import { checkText, csrfField, inPlace, layout, link, options, query, statusText, when, type Html, type PageContext } from '../layout.js';

const upstream = (t: TrackingRow) => html`${t.versionControl}: ${t.scmRepo} <span class="muted">${t.scmBranch}</span>`;
const target = (t: TrackingRow) => html`${t.repo} <span class="muted">${t.branch}</span>`;
const trackingLink = (t: TrackingRow) => html`<a href="/trackings/${t.id}">#${t.id}</a>`;

export interface Overview {
  counts: Map<string, number>;
  /** the first few trackings of each status that needs a human (the counts say how many there are) */
  needsHuman: TrackingRow[];
  /** the open PRs waiting longest, and how many are open */
  openPulls: IssueRow[];
  openPullCount: number;
  events: EventRecord[];
  projects: MailProjectRow[];
  activity?: WeeklyTrackingActivity[];
}

export function overviewPage(ctx: PageContext, o: Overview): Html {
  const statuses = [...new Set([...TRACKING_STATUSES, ...o.counts.keys()])];
  const needing = [...NEEDS_HUMAN].map((status) => ({ status, total: o.counts.get(status) ?? 0, shown: o.needsHuman.filter((t) => t.status === status).length }));
  const more = needing.filter((n) => n.total > n.shown);
  return layout(
    ctx,
    'Overview',
    html`<h2>Trackings by status</h2>
<ul class="counts">${raw(statuses.map((s) => html`<li><a href="/trackings?status=${s}">${statusText(s)}</a>: <strong>${o.counts.get(s) ?? 0}</strong></li>`).join(''))}</ul>
<h2>Need a human (${needing.reduce((sum, n) => sum + n.total, 0)})</h2>
${o.needsHuman.length ? html`<table><thead><tr><th>Tracking</th><th>Upstream</th><th>Target</th><th>Status</th><th>Last error</th><th>What to do</th></tr></thead><tbody>
${raw(o.needsHuman.map((t) => html`<tr><td>${trackingLink(t)}</td><td>${upstream(t)}</td><td>${target(t)}</td><td>${statusText(t.status)}</td><td>${t.lastError ?? ''}</td><td>${adviceFor(t.status) ?? ''}</td></tr>`).join(''))}
</tbody></table>
${more.length ? html`<p class="more">${raw(more.map((n) => html`<a href="/trackings?status=${n.status}">All ${n.total} in ${statusText(n.status)}</a> (${n.shown} shown)`).join(' · '))}</p>` : ''}` : html`<p class="muted">Nothing is failing or blocked.</p>`}
<h2>Open pull requests waiting for review (${o.openPullCount})</h2>
${o.openPullCount > o.openPulls.length ? html`<p class="muted">The ${o.openPulls.length} waiting longest:</p>` : ''}
${o.openPulls.length ? html`<table><thead><tr><th>PR</th><th>Issue</th><th>Target</th><th>Range</th><th>Opened</th></tr></thead><tbody>
${raw(o.openPulls.map((i) => html`<tr><td>${link(i.prUrl, `PR ${i.prNumber ?? ''}`)}</td><td>${link(i.issueUrl, i.issue)}</td><td>${i.trackingId ? html`<a href="/trackings/${i.trackingId}">${i.repo} ${i.branch}</a>` : html`${i.repo} ${i.branch}`}</td><td class="muted">${rangeText(i)}</td><td>${when(i.createdAt)}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No open pull requests.</p>`}
${o.activity ? html`<h2>Activity</h2>${trackingActivityCharts(o.activity, { id: 'all', of: 'all trackings' })}` : ''}
<h2>Latest events <a class="more" href="/events">(all events)</a></h2>
${o.events.length ? html`<table><thead><tr><th>When</th><th>Event</th><th>About</th><th>By</th></tr></thead><tbody>
${raw(o.events.map((e) => html`<tr><td>${when(e.date)}</td><td>${e.category}</td><td>${eventSubject(e)}</td><td>${e.actor ?? ''}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">No events yet.</p>`}
<h2 id="lists">Mailing lists</h2>
${o.projects.length ? html`<ul>${raw(o.projects.map((p) => html`<li><a href="/project/${encodeURIComponent(p.linkName)}/list/">${p.name}</a> <span class="muted">${p.listId}</span> · <a href="/project/${encodeURIComponent(p.linkName)}/stats/">activity</a></li>`).join(''))}</ul>` : html`<p class="muted">No mailing-list projects.</p>`}`,
  );
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 12) : '';
}

/** A range of upstream commits, or the removal of spec patches already upstream in a version. */
function rangeText(i: Pick<IssueRow, 'rangeFrom' | 'rangeTo'>): string {
  if (i.rangeFrom?.startsWith(REMOVAL_PREFIX)) return `removal of patches upstream in ${i.rangeFrom.slice(REMOVAL_PREFIX.length)}`;
  return `${short(i.rangeFrom)}..${short(i.rangeTo)}`;
}

export interface TrackingListView {
  rows: TrackingRow[];
  openPulls: Map<number, IssueRow>;
  filters: { repo?: string; branch?: string; kind?: string; status?: string; enabled?: string; q?: string };
  kinds: string[];
  nextAfter?: number;
}

export function trackingListPage(ctx: PageContext, v: TrackingListView): Html {
  const f = v.filters;
  const statusOptions = [['', 'any'] as const, ...TRACKING_STATUSES.map((s) => [s, s] as const)];
  return layout(
    ctx,
    'Trackings',
    html`<form class="filters" method="get" action="/trackings" ${inPlace('get', '/trackings', { pushUrl: true })} hx-trigger="submit, change">
<label>Search<input name="q" value="${f.q ?? ''}" placeholder="repo, branch or upstream"></label>
<label>Repo<input name="repo" value="${f.repo ?? ''}"></label>
<label>Branch<input name="branch" value="${f.branch ?? ''}"></label>
<label>Upstream kind<select name="kind">${options([['', 'any'], ...v.kinds.map((k) => [k, k] as const)], f.kind)}</select></label>
<label>Status<select name="status">${options(statusOptions, f.status)}</select></label>
<label>Enabled<select name="enabled">${options([['', 'either'], ['yes', 'yes'], ['no', 'no']], f.enabled)}</select></label>
<button type="submit">Filter</button></form>
${v.rows.length ? html`<table><thead><tr><th>#</th><th>Upstream</th><th>Target</th><th>Status</th><th>Last checked</th><th>Next attempt</th><th>Open PR</th></tr></thead><tbody>
${raw(v.rows.map((t) => {
  const pr = v.openPulls.get(t.id);
  return html`<tr><td>${trackingLink(t)}</td><td>${upstream(t)}</td><td>${target(t)}</td><td>${statusText(t.status)}${t.enabled ? '' : html` <span class="muted">(disabled)</span>`}</td><td>${when(t.lastCheckedAt)}</td><td>${when(t.nextAttemptAt)}</td><td>${pr ? link(pr.prUrl, `PR ${pr.prNumber ?? pr.issue}`) : ''}</td></tr>`;
}).join(''))}
</tbody></table>` : html`<p class="muted">No trackings match.</p>`}
<nav class="pager">${v.nextAfter !== undefined ? html`<a rel="next" href="/trackings${query({ ...f, after: v.nextAfter })}">Next page →</a>` : ''}</nav>`,
  );
}

export interface TrackingView {
  tracking: TrackingRow;
  ranges: Array<{ range: PublicationRow; checks: CheckRecord[]; issue?: IssueRow }>;
  combinedCheck: string | null;
  activity?: WeeklyTrackingActivity[];
  /** what the last action did, or why it was refused */
  notice?: { text: string; error: boolean };
}

/** A one-button form posting to one of the tracking's actions. */
function actionForm(ctx: PageContext, action: string, label: string, hidden: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}">${csrfField(ctx)}${raw(Object.entries(hidden).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`).join(''))}<button type="submit">${label}</button></form>`;
}

/** The writers' actions: enable/disable, scan now, preview, retry (shown when the tracking failed). */
function trackingActions(ctx: PageContext, t: TrackingRow): Html {
  const base = `/trackings/${t.id}`;
  return html`<div class="actions">
${actionForm(ctx, `${base}/enabled`, `${t.enabled ? 'Disable' : 'Enable'} this tracking`, { enabled: t.enabled ? 'no' : 'yes' })}
${t.enabled ? actionForm(ctx, `${base}/scan`, 'Scan now') : ''}
<a class="button" href="${base}/preview">Preview the next publish</a>
${t.enabled && (NEEDS_HUMAN.has(t.status) || t.consecutiveFailures > 0) ? actionForm(ctx, `${base}/retry`, 'Retry now') : ''}
</div>`;
}

export function trackingPage(ctx: PageContext, v: TrackingView): Html {
  const t = v.tracking;
  const advice = adviceFor(t.status);
  return layout(
    ctx,
    `Tracking #${t.id}: ${t.repo} ${t.branch}`,
    html`${v.notice ? html`<p class="notice${v.notice.error ? ' error-box' : ''}" role="${v.notice.error ? 'alert' : 'status'}">${v.notice.text}</p>` : ''}
<table><tbody>
<tr><th>Upstream</th><td>${upstream(t)}</td></tr>
<tr><th>Target</th><td>${target(t)}</td></tr>
<tr><th>Status</th><td>${statusText(t.status)} ${t.enabled ? 'enabled' : 'disabled'}</td></tr>
<tr><th>Last processed commit</th><td><code>${t.scmCommit ?? '(start from the head)'}</code></td></tr>
<tr><th>Last upstream head seen</th><td><code>${t.lastHead ?? ''}</code></td></tr>
<tr><th>Last checked</th><td>${when(t.lastCheckedAt)}</td></tr>
<tr><th>Next attempt</th><td>${when(t.nextAttemptAt)}</td></tr>
<tr><th>Consecutive failures</th><td>${t.consecutiveFailures}</td></tr>
<tr><th>Checks on the newest range</th><td>${checkText(v.combinedCheck)}</td></tr>
</tbody></table>
${trackingActions(ctx, t)}
${t.lastError ? html`<h2>Last error</h2><div class="notice error-box"><pre>${t.lastError}</pre>${advice ? html`<p>${advice}</p>` : ''}</div>` : advice ? html`<p class="notice">${advice}</p>` : ''}
<h2>Published ranges (${v.ranges.length})</h2>
${v.ranges.length ? html`<table><thead><tr><th>Range</th><th>Commits</th><th>Step</th><th>Issue</th><th>PR</th><th>State</th><th>Checks</th><th>Created</th></tr></thead><tbody>
${raw(v.ranges.map(({ range: r, checks, issue }) => html`<tr><td>${r.removal ? html`removal of ${r.removal.removed.length} patch(es) upstream in <code>${r.removal.tag}</code>` : html`<code>${short(r.rangeFrom)}..${short(r.rangeTo)}</code>`}</td><td>${r.commits.length}</td><td>${r.step}${r.lastError ? html`<br><span class="status-error">${r.lastError}</span>` : ''}</td>
<td>${link(r.issueUrl, r.issueId ?? '')}</td><td>${link(r.prUrl, r.prNumber ? `PR ${r.prNumber}` : '')}</td><td>${issue?.state ?? ''}${issue?.state === 'rejected' ? actionForm(ctx, `/trackings/${t.id}/recreate`, 'Propose again', { issue: String(issue.id) }) : ''}</td>
<td>${checks.length ? raw(checks.map((c) => html`<div>${checkText(c.state)} ${link(c.targetUrl, c.context)} <span class="muted">${c.user}</span></div>`).join('')) : html`<span class="muted">none</span>`}</td><td>${when(r.createdAt)}</td></tr>`).join(''))}
</tbody></table>` : html`<p class="muted">Nothing published yet.</p>`}
${t.versionControl === 'mail' ? '' : upstreamedPlaceholder(t)}
${v.activity ? html`<h2>Activity</h2>${trackingActivityCharts(v.activity, { id: `tracking-${t.id}`, of: 'this tracking' })}` : ''}`,
  );
}

/** The comparison fetches the upstream: loaded after the page (htmx), or followed as a link without script. */
function upstreamedPlaceholder(t: TrackingRow): Html {
  const url = `/trackings/${t.id}/upstreamed`;
  return html`<h2>Spec patches already upstream</h2>
<section id="upstreamed" hx-get="${url}" hx-trigger="load" hx-select="#upstreamed" hx-target="this" hx-swap="outerHTML"><p class="muted">Comparing the spec's patches with the upstream release… <a href="${url}">(open)</a></p></section>`;
}

const METHODS: Record<string, string> = {
  'from-header': 'made from the upstream commit (From header)',
  'patch-id': 'same patch-id as the upstream commit',
  'reverse-apply': 'applies in reverse to the upstream tree',
};

/** Which spec patches the upstream release has (src/upstreamed/report.ts), or why that could not be told. */
export function upstreamedSection(r: UpstreamedReport | { error: string }): Html {
  if ('error' in r) return html`<section id="upstreamed"><p class="notice error-box">Could not compare: ${r.error}</p></section>`;
  const against = r.upstream.tag ? html`tag <code>${r.upstream.tag}</code>` : html`the head of <code>${r.upstream.branch}</code>`;
  const removable = r.patches.filter((p) => p.status === 'upstream').length;
  return html`<section id="upstreamed">
<p>${r.spec ? html`<code>${r.spec}</code>` : 'No spec'}${r.version ? html` builds Version ${r.version}` : ''}; compared with ${r.upstream.url} at ${against}${r.upstream.commit ? html` (<code>${short(r.upstream.commit)}</code>)` : ''}.</p>
${r.patches.length ? html`<table><thead><tr><th>Patch</th><th>File</th><th>Status</th><th>How it is known</th><th>Upstream commit</th><th>Why</th></tr></thead><tbody>
${raw(r.patches.map((p) => html`<tr><td>Patch${p.number}</td><td><code>${p.file}</code></td><td class="${p.status === 'upstream' ? 'status-ok' : p.status === 'uncertain' ? 'status-error' : 'muted'}">${p.status}</td><td>${p.method ? METHODS[p.method] : ''}</td><td>${p.upstreamCommit ? html`<code>${short(p.upstreamCommit)}</code> ${p.upstreamSubject ?? ''}` : ''}</td><td>${p.reason}</td></tr>`).join(''))}
</tbody></table>` : ''}
${r.applyCheck ? html`<p>${r.applyCheck.outcome === 'clean' ? "Apply check: the patches not upstream apply to it in rpm's order." : html`<span class="status-error">Apply check: ${r.applyCheck.failed.map((f) => f.file).join(', ')} do(es) not apply to it in rpm's order.</span>`}</p>` : ''}
${r.notes.length ? html`<ul>${raw(r.notes.map((n) => html`<li>${n}</li>`).join(''))}</ul>` : ''}
<p class="muted">${r.removable ? `${removable} patch(es) can be removed: the scan cycle proposes one pull request doing it (listed with the ranges above once opened).` : 'Nothing is proposed for removal.'}</p>
</section>`;
}

export function upstreamedPage(ctx: PageContext, t: TrackingRow, r: UpstreamedReport | { error: string }): Html {
  return layout(ctx, `Spec patches already upstream: tracking #${t.id} ${t.repo} ${t.branch}`, html`${upstreamedSection(r)}<p><a href="/trackings/${t.id}">Back to the tracking</a></p>`);
}

/**
 * What the next publish would do (the engine's dry run): per PR, its commits, each file it would commit
 * (a patch file shown as a highlighted diff, anything else as text), the spec diff and the issue/PR texts.
 */
export function previewPage(ctx: PageContext, t: TrackingRow, result: RunResult): Html {
  const title = `Preview of tracking #${t.id}: ${t.repo} ${t.branch}`;
  const back = html`<p><a href="/trackings/${t.id}">Back to the tracking</a></p>`;
  if (result.action !== 'dry_run') {
    const what = result.action === 'initialized' ? `The tracking has no processed commit yet: the next scan starts it at the upstream head ${short(result.head)} and publishes nothing.`
      : result.action === 'up_to_date' ? `Nothing new upstream: the head is ${short(result.head)}, the last processed commit.`
      : result.action === 'advanced' ? `Nothing would be published: ${result.reason}.`
      : 'Nothing to preview.';
    return layout(ctx, title, html`<p class="notice">${what}</p>${back}`);
  }
  return layout(
    ctx,
    title,
    html`<p>From <code>${short(result.from)}</code> to the upstream head <code>${short(result.head)}</code>: ${result.chunks.length} pull request${result.chunks.length === 1 ? '' : 's'} would be opened. Nothing has been written.</p>${back}
${raw(result.chunks.map((chunk, n) => html`<section class="preview">
<h2>Pull request ${n + 1}: ${chunk.pr_title}</h2>
<p class="muted">Range <code>${chunk.range}</code>; issue “${chunk.issue_title}”</p>
${chunk.notes.length ? html`<ul>${raw(chunk.notes.map((note) => html`<li>${note}</li>`).join(''))}</ul>` : ''}
<h3>Commits (${chunk.commits.length})</h3>
<ol>${raw(chunk.commits.map((c) => html`<li><code>${short(c.sha)}</code> ${c.subject}</li>`).join(''))}</ol>
<h3>Spec diff${chunk.spec_file ? html` (<code>${chunk.spec_file}</code>)` : ''}</h3>
${chunk.spec_diff ? diffBlock(chunk.spec_diff) : html`<p class="muted">The spec is not edited.</p>`}
<h3>Files (${chunk.files.length})</h3>
${raw(chunk.files.map((f) => html`<details><summary><code>${f.path}</code></summary>${f.path === chunk.spec_file ? html`<pre>${f.content}</pre>` : diffBlock(f.content)}</details>`).join(''))}
<h3>Pull request text</h3>
<pre>${chunk.pr_body}</pre>
</section>`).join(''))}`,
  );
}
