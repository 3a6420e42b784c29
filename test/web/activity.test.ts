/** The activity plots (weekly PRs and commits behind, daily mail) and the events feed, over the seeded dashboard world. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/rows.js';
import { issue, publication } from '../../src/db/schema/index.js';
import { listEvents, recordRangeEvent } from '../../src/events/service.js';
import { dailyMailActivity, weeklyTrackingActivity } from '../../src/stats/activity.js';
import { createWorld, logIn, type World } from './world.js';

let world: World;

beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world?.close();
});

async function page(path: string, init?: RequestInit) {
  const res = await world.app.request(path, init);
  return { res, html: await res.text() };
}

const commits = (n: number) => Array.from({ length: n }, (_, i) => ({ sha: String(i).repeat(40).slice(0, 40), subject: `c${i}`, message: `c${i}`, authorName: 'Dev', authorDate: '2026-03-01T00:00:00Z' }));

describe('weekly tracking activity', () => {
  it('counts PRs opened and merged per week and the commits of unmerged ranges at each week end, with empty weeks as zero', async () => {
    const t = world.trackings.failing;
    const range = (from: string, n: number, issueId: string, createdAt: Date, step = 'done') =>
      world.db.insert(publication).values({
        trackingId: t.id,
        rangeFrom: from.repeat(40),
        rangeTo: from.toUpperCase().repeat(40),
        step,
        targetRepo: t.repo,
        targetBranch: t.branch,
        tempBranch: `patch-tracking/${t.id}-${from}`,
        baseBranch: t.branch,
        stamp: '20260302000000',
        commits: commits(n),
        issueId,
        prNumber: issueId,
        createdAt,
      });
    const pr = (id: string, state: string, createdAt: Date, ended?: Date) =>
      world.db.insert(issue).values({
        issue: id,
        repo: t.repo,
        branch: t.branch,
        trackingId: t.id,
        prNumber: id,
        state,
        createdAt,
        mergedAt: state === 'merged' ? ended : null,
        closedAt: state === 'rejected' ? ended : null,
      });
    // Monday 2 March 2026: 3 commits, merged on Wednesday 18 March
    await range('c', 3, '11', new Date('2026-03-02T10:00:00Z'));
    await pr('11', 'merged', new Date('2026-03-02T10:05:00Z'), new Date('2026-03-18T09:00:00Z'));
    // 10 March: 2 commits, still open
    await range('d', 2, '12', new Date('2026-03-10T10:00:00Z'));
    await pr('12', 'open', new Date('2026-03-10T10:05:00Z'));
    // 11 March: 4 commits, rejected on 12 March: not behind any more after that week
    await range('e', 4, '13', new Date('2026-03-11T10:00:00Z'), 'rejected');
    await pr('13', 'rejected', new Date('2026-03-11T10:05:00Z'), new Date('2026-03-12T10:00:00Z'));

    const weeks = await weeklyTrackingActivity(world.db, { trackingId: t.id, weeks: 5, until: new Date('2026-03-25T12:00:00Z') });
    expect(weeks.map((w) => w.week.toISOString().slice(0, 10))).toEqual(['2026-02-23', '2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23']);
    expect(weeks.map((w) => w.prsOpened)).toEqual([0, 1, 2, 0, 0]);
    expect(weeks.map((w) => w.prsMerged)).toEqual([0, 0, 0, 1, 0]);
    expect(weeks.map((w) => w.commitsBehind)).toEqual([0, 3, 5, 2, 2]);

    // overall includes the seeded tracking's range of this week; this tracking's weeks are part of it
    const overall = await weeklyTrackingActivity(world.db, { weeks: 5, until: new Date('2026-03-25T12:00:00Z') });
    expect(overall.map((w) => w.prsOpened)).toEqual([0, 1, 2, 0, 0]);
    await expect(weeklyTrackingActivity(world.db, { weeks: 0 })).rejects.toThrow(/weeks: must be a whole number/);
  });

  it('counts the mail a list received per day and its patches per day by state', async () => {
    const today = await dailyMailActivity(world.db, { projectId: 1, days: 3 });
    expect(today).toHaveLength(3);
    expect(today.at(-1)!.mails).toBeGreaterThan(0);
    expect(today[0]!.mails).toBe(0);
    // the seeded corpus's patches are dated in the past: look at the day of the first one
    const [first] = rowsOf<{ day: string; n: number }>(
      await world.db.execute(sql`select to_char(date at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n from patch where project_id = 1 group by 1 order by 1 limit 1`),
    );
    if (!first) throw new Error('the world has no patch');
    const thatDay = await dailyMailActivity(world.db, { projectId: 1, days: 1, until: new Date(`${first.day}T23:00:00Z`) });
    expect(thatDay).toEqual([{ day: new Date(`${first.day}T00:00:00Z`), mails: 0, patchesByState: { new: first.n } }]);
  });
});

describe('plots on the pages', () => {
  it('the overview draws the weekly PR and commits-behind plots as SVG with a title, a description and the numbers', async () => {
    const { html } = await page('/');
    expect(html).toContain('<h2>Activity</h2>');
    expect(html).toMatch(/<svg viewBox="0 0 720 220" role="img" aria-labelledby="all-prs-title all-prs-desc"/);
    expect(html).toContain('<title id="all-prs-title">Pull requests per week, all trackings</title>');
    expect(html).toContain('<desc id="all-behind-desc">Computed from the published ranges');
    // the seeded range of this week: one PR opened, one commit behind, in the table of numbers
    expect(html).toContain('<details><summary>The numbers</summary>');
    expect(html).toMatch(/<tr><th scope="row">\d{4}-\d\d-\d\d<\/th><td>1<\/td><td>0<\/td><\/tr>\s*<\/tbody>/);
    // the second series is told apart by a pattern too, with a legend naming it
    expect(html).toContain('fill="url(#all-prs-p1)"');
    expect(html).toMatch(/<li><svg[^]*?<\/svg> merged<\/li>/);
    // no inline script or style (the CSP forbids them); htmx comes from its own file
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)|style="/);
  });

  it('a tracking page draws its own plots', async () => {
    const { html } = await page(`/trackings/${world.trackings.healthy.id}`);
    expect(html).toContain(`Pull requests per week, this tracking`);
    expect(html).toContain(`id="tracking-${world.trackings.healthy.id}-behind-title"`);
  });

  it('a mailing list has an activity page linked from the overview, with mail per day and patches per state', async () => {
    expect((await page('/')).html).toContain('href="/project/demo/stats/"');
    const { res, html } = await page('/project/demo/stats/?days=7');
    expect(res.status).toBe(200);
    expect(html).toContain('Mail received per day, Demo');
    expect(html).toContain('Patches per day by state, Demo');
    expect(html).toContain('over the last 7 days');
    expect(html.match(/<tr><th scope="row">/g)).toHaveLength(14);
    expect(html).toContain('href="/project/demo/list/"');
    const bad = await page('/project/demo/stats/?days=9999');
    expect(bad.res.status).toBe(400);
    expect(bad.html).toContain('days: must be a whole number from 1 to 366');
    expect((await page('/project/demo/stats/?days=x')).res.status).toBe(400);
    expect((await page('/project/nope/stats/')).res.status).toBe(404);
  });
});

describe('the events feed', () => {
  it('lists events newest first, filtered by list, tracking and kind, linked from the overview', async () => {
    expect((await page('/')).html).toContain('href="/events"');
    await recordRangeEvent(world.db, { category: 'pr-merged', trackingId: world.trackings.healthy.id, publicationId: world.range.id, actor: 'maint', payload: { pr: '7' } });
    const all = await page('/events');
    expect(all.res.status).toBe(200);
    expect(all.html).toContain('patch-created');
    expect(all.html.indexOf('<td>pr-merged</td>')).toBeGreaterThan(0);
    expect(all.html.indexOf('<td>pr-merged</td>')).toBeLessThan(all.html.indexOf('<td>patch-created</td>'));
    const mail = await page('/events?project=demo');
    expect(mail.html).toContain('patch-created');
    expect(mail.html).not.toContain('<td>pr-merged</td>');
    const ofTracking = await page(`/events?tracking=${world.trackings.healthy.id}`);
    expect(ofTracking.html).toContain('<td>pr-merged</td>');
    expect(ofTracking.html).toContain('pr: 7');
    expect(ofTracking.html).not.toContain('<td>patch-created</td>');
    const kind = await page('/events?kind=series-created');
    expect(kind.html).toContain('<td>series-created</td>');
    expect(kind.html).not.toContain('<td>patch-created</td>');
    for (const [path, field] of [['/events?kind=nope', 'kind'], ['/events?tracking=x', 'tracking'], ['/events?before=0', 'before'], ['/events?project=nope', 'project']] as const) {
      const bad = await page(path);
      expect(bad.res.status, path).toBe(400);
      expect(bad.html).toContain(`${field}: `);
    }
  });

  it('pages by id: the next page starts below the last event shown', async () => {
    const { html } = await page('/events?kind=patch-created');
    const ids = [...html.matchAll(/href="\/patch\/(\d+)\/"/g)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(1);
    // fewer than a page: no link to older events
    expect(html).not.toContain('rel="next"');
    const { rows } = await listEvents(world.db, { categories: ['patch-created'] }, { limit: 100, offset: 0, newestFirst: true });
    const second = rows[1]!.id;
    const older = await page(`/events?kind=patch-created&before=${second}`);
    expect(older.html).not.toContain(`href="/patch/${rows[0]!.patchId}/"`);
    expect(older.html).not.toContain(`href="/patch/${rows[1]!.patchId}/"`);
    expect(older.html).toContain(`href="/patch/${rows[2]!.patchId}/"`);
  });

  it('has an Atom variant with the same filters', async () => {
    const res = await world.app.request('/events.atom?kind=patch-created');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const xml = await res.text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\s*<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect(xml).toContain('<link href="http://localhost/patch/1/"/>');
    expect(xml).not.toContain('pr-merged');
    expect((await page('/events')).html).toContain('href="/events.atom"');
  });

  it('with READ_AUTH the plots, the feed and the Atom feed need a login', async () => {
    const guarded = await createWorld({ readAuth: true });
    try {
      for (const path of ['/events', '/events.atom', '/project/demo/stats/']) {
        const res = await guarded.app.request(path);
        expect(res.status, path).toBe(303);
        expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
      }
      const { jar } = await logIn(guarded);
      for (const path of ['/events', '/events.atom', '/project/demo/stats/']) expect((await guarded.app.request(path, { headers: { cookie: jar } })).status, path).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
