/** The plots of activity over time: the trackings' PRs and commits behind (weekly), a mailing list's mail (daily). */
import { html } from 'hono/html';
import type { MailProjectRow } from '../../db/schema/mail.js';
import type { DailyMailActivity, WeeklyTrackingActivity } from '../../stats/activity.js';
import { chart } from '../charts.js';
import { layout, query, type Html, type PageContext } from '../layout.js';

const day = (d: Date) => d.toISOString().slice(0, 10);

/** PRs opened and merged per week, and the commits behind at each week's end; `scope` names whose they are. */
export function trackingActivityCharts(rows: WeeklyTrackingActivity[], scope: { id: string; of: string }): Html {
  const labels = rows.map((r) => day(r.week));
  return html`<div class="charts">
${chart({
  id: `${scope.id}-prs`,
  title: `Pull requests per week, ${scope.of}`,
  description: `Pull requests opened (by the week the bot opened them) and merged (by the week they were merged), ${scope.of}, over the last ${rows.length} weeks (UTC, weeks from Monday).`,
  labels,
  bucket: 'Week',
  kind: 'grouped',
  series: [
    { name: 'opened', values: rows.map((r) => r.prsOpened) },
    { name: 'merged', values: rows.map((r) => r.prsMerged) },
  ],
})}
${chart({
  id: `${scope.id}-behind`,
  title: `Commits behind at each week's end, ${scope.of}`,
  description: `Computed from the published ranges: a range's commits count as behind from the week it was published until its pull request was merged or closed. Commits not yet published are not counted.`,
  labels,
  bucket: 'Week',
  kind: 'line',
  series: [{ name: 'commits behind', values: rows.map((r) => r.commitsBehind) }],
})}
</div>`;
}

export interface ProjectStatsView {
  project: MailProjectRow;
  rows: DailyMailActivity[];
  /** the project's states in their order (slug and name) */
  states: Array<{ slug: string; name: string }>;
  days: number;
}

export function mailActivityCharts(v: ProjectStatsView): Html {
  const labels = v.rows.map((r) => day(r.day));
  const seen = new Set(v.rows.flatMap((r) => Object.keys(r.patchesByState)));
  // the project's states in their usual order, then any slug the project no longer lists
  const states = [...v.states.filter((s) => seen.has(s.slug)), ...[...seen].filter((slug) => !v.states.some((s) => s.slug === slug)).map((slug) => ({ slug, name: slug }))];
  return html`<div class="charts">
${chart({
  id: 'mail-received',
  title: `Mail received per day, ${v.project.name}`,
  description: `Every mail of the list stored by the service (patches, cover letters and comments), by the day it was received (UTC), over the last ${v.days} days.`,
  labels,
  bucket: 'Day',
  kind: 'grouped',
  series: [{ name: 'mails', values: v.rows.map((r) => r.mails) }],
})}
${chart({
  id: 'patch-states',
  title: `Patches per day by state, ${v.project.name}`,
  description: `Patches by the date of their mail (UTC), over the last ${v.days} days, stacked by the state each patch is in now.`,
  labels,
  bucket: 'Day',
  kind: 'stacked',
  series: states.map((s) => ({ name: s.name, values: v.rows.map((r) => r.patchesByState[s.slug] ?? 0) })),
})}
</div>`;
}

export function projectStatsPage(ctx: PageContext, v: ProjectStatsView): Html {
  const base = `/project/${encodeURIComponent(v.project.linkName)}`;
  return layout(
    ctx,
    `${v.project.name}: activity`,
    html`<p><a href="${base}/list/">The patch list</a> · <a href="/events${query({ project: v.project.linkName })}">Events of this list</a></p>
<form class="filters" method="get" action="${base}/stats/"><label>Days<input name="days" type="number" min="1" max="366" value="${v.days}"></label><button type="submit">Show</button></form>
${mailActivityCharts(v)}`,
  );
}
