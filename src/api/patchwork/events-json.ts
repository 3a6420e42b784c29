/**
 * Events as Patchwork 1.3 shows them: {id, category, project, date, actor, payload}, the payload holding
 * the embedded patch/cover/series/check and previous/current state or delegate. Range events (ours) have
 * no mail project: `project` is null and the payload names the tracking and the published range.
 */
import type { PublicationRow, TrackingRow } from '../../db/schema/index.js';
import type { EventSubjects } from '../../patchwork/event-subjects.js';
import type { EventRecord } from '../../events/service.js';
import { checkJson, embeddedCover, embeddedPatch, embeddedSeries, principalJson, projectJson, pwDate, userJson } from './serialize.js';
import type { Urls } from './urls.js';
import { publicUrl } from '../../sources/git-url.js';

export function rangeJson(u: Urls, p: PublicationRow): Record<string, unknown> {
  return {
    id: p.id,
    url: `${u.origin}/api/v1/ranges/${p.id}`,
    tracking: p.trackingId,
    from: p.rangeFrom,
    to: p.rangeTo,
    target_repo: p.targetRepo,
    target_branch: p.targetBranch,
    branch: p.tempBranch,
    commits: p.commits.length,
    issue_url: p.issueUrl,
    pr_url: p.prUrl,
  };
}

export function trackingRef(u: Urls, t: TrackingRow): Record<string, unknown> {
  return { id: t.id, url: `${u.origin}/api/v1/trackings/${t.id}`, scm_repo: publicUrl(t.scmRepo), scm_branch: t.scmBranch, repo: t.repo, branch: t.branch };
}

export function eventsJson(u: Urls, events: EventRecord[], s: EventSubjects): Array<Record<string, unknown>> {
  const { patches, covers, checks, rangeChecks, pubs, trackings, related: r } = s;
  return events.map((e) => {
    const base = { id: e.id, category: e.category, date: pwDate(e.date), actor: principalJson(e.actor) };
    if (e.projectId === null) {
      const p = e.publicationId !== null ? pubs.get(e.publicationId) : undefined;
      const t = e.trackingId !== null ? trackings.get(e.trackingId) : undefined;
      const payload: Record<string, unknown> = { ...e.payload, tracking: t ? trackingRef(u, t) : null, range: p ? rangeJson(u, p) : null };
      if (e.category === 'range-check-created') {
        const check = rangeChecks.get(Number(e.payload.check));
        payload.check = check
          ? { id: check.id, user: principalJson(check.user), date: pwDate(check.date), state: check.state, target_url: check.targetUrl, context: check.context, description: check.description }
          : null;
      }
      return { ...base, project: null, payload };
    }
    const project = r.project(e.projectId);
    const payload: Record<string, unknown> = {};
    const patch = e.patchId !== null ? patches.get(e.patchId) : undefined;
    const series = e.seriesId !== null ? r.series.get(e.seriesId) : undefined;
    const cover = e.coverId !== null ? covers.get(e.coverId) : undefined;
    switch (e.category) {
      case 'cover-created':
        payload.cover = cover ? embeddedCover(u, cover, project) : null;
        break;
      case 'patch-created':
        payload.patch = patch ? embeddedPatch(u, patch, project) : null;
        break;
      case 'patch-completed':
        payload.patch = patch ? embeddedPatch(u, patch, project) : null;
        payload.series = series ? embeddedSeries(u, series, project) : null;
        break;
      case 'patch-state-changed':
        payload.patch = patch ? embeddedPatch(u, patch, project) : null;
        payload.previous_state = e.payload.previous ?? null;
        payload.current_state = e.payload.current ?? null;
        // a patch found upstream: which commit, and how it was matched
        if (e.payload.method) Object.assign(payload, { commit_ref: e.payload.commit_ref ?? null, method: e.payload.method, evidence: e.payload.evidence ?? null });
        break;
      case 'patch-delegated': {
        payload.patch = patch ? embeddedPatch(u, patch, project) : null;
        const prev = typeof e.payload.previous === 'number' ? r.people.get(e.payload.previous) : undefined;
        const cur = typeof e.payload.current === 'number' ? r.people.get(e.payload.current) : undefined;
        payload.previous_delegate = prev ? userJson(u, prev) : null;
        payload.current_delegate = cur ? userJson(u, cur) : null;
        break;
      }
      case 'check-created': {
        payload.patch = patch ? embeddedPatch(u, patch, project) : null;
        const check = checks.get(Number(e.payload.check));
        payload.check = check ? checkJson(u, check) : null;
        break;
      }
      case 'series-created':
      case 'series-completed':
        payload.series = series ? embeddedSeries(u, series, project) : null;
        break;
      case 'series-accepted':
        payload.series = series ? embeddedSeries(u, series, project) : null;
        Object.assign(payload, { state: e.payload.state ?? null, commits: e.payload.commits ?? [] });
        break;
      default:
        Object.assign(payload, e.payload);
    }
    return { ...base, project: projectJson(u, project, true), payload };
  });
}
