/**
 * One batch's decisions: the database snapshot plus everything decided so far, answering the parser's
 * classification and series lookups, so mails are decided in arrival order exactly as if each had been
 * stored on its own; then ids and people for persist.ts, with version links and dependencies from
 * series-links.ts.
 */
import { autodelegate } from '../delegate.js';
import { classifyMail, type ClassifyLookup, type ParsedMail } from '../parse.js';
import {
  decideCoverSeries,
  decidePatchSeries,
  parseDependencyRef,
  seriesMailOf,
  seriesNameAfterCover,
  seriesNameAfterPatch,
  SERIES_WINDOW_MINUTES,
  type SeriesLookup,
  type SeriesRecord,
} from '../series.js';
import type { CommentNode, CoverNode, DropNode, PatchNode, SeriesKey, SeriesNode, StoreOutcome } from './nodes.js';
import { allocateIds, upsertPeople, type BatchWrites } from './persist.js';
import type { ProjectContext } from './projects.js';
import { linkVersions, resolveDependencies, supersededMsgids, type BatchView } from './series-links.js';
import { loadSnapshot, type StoredSeries, type Tx } from './snapshot.js';

export interface Work {
  index: number;
  raw: Buffer;
  mail: ParsedMail;
  project: ProjectContext;
  /** `git patch-id --stable` of the patch's diff, when the store could compute it */
  gitPatchId?: string | null;
}

export type Drop = (index: number, reason: string, msgid: string | null, projectId: number | null) => void;

const DATE_NOW = () => new Date();

function k(projectId: number, msgid: string): string {
  return `${projectId}\0${msgid}`;
}

/** The batch's view of the database: the snapshot plus everything decided so far. */
export class BatchState implements BatchView {
  private readonly messages = new Map<string, { kind: 'patch' | 'cover' | 'comment'; patch: number | PatchNode | null; cover: number | CoverNode | null; series: SeriesKey | null }>();
  private readonly refs = new Map<string, SeriesKey>();
  readonly series = new Map<SeriesKey, SeriesNode>();
  private readonly coverNames = new Map<string, number>();
  private readonly patches: PatchNode[] = [];
  private readonly covers: CoverNode[] = [];
  private readonly comments: CommentNode[] = [];
  private readonly countDeltas = new Map<number, { acked: number; reviewed: number; tested: number }>();
  private newSeriesCount = 0;

  constructor(
    private readonly tx: Tx,
    private readonly works: Work[],
    private readonly projectIds: number[],
  ) {}

  async load(): Promise<void> {
    const msgids = new Set<string>();
    const submitters = new Set<string>();
    const coverNames = new Set<string>();
    let from = Infinity;
    let to = -Infinity;
    for (const { mail } of this.works) {
      msgids.add(mail.msgid);
      for (const r of mail.refs) msgids.add(r);
      for (const s of mail.seriesHints.supersedes) for (const id of supersededMsgids(s)) msgids.add(id);
      for (const v of [...mail.seriesHints.dependsOn, ...mail.seriesHints.basedOn]) {
        const ref = parseDependencyRef(v);
        if (ref.kind === 'msgid') msgids.add(ref.msgid);
      }
      if (mail.kind === 'cover') coverNames.add(mail.name);
      if (mail.kind === 'patch' && mail.seriesMarker[1] && mail.date) {
        submitters.add(mail.author.email.toLowerCase());
        const t = Date.parse(mail.date);
        from = Math.min(from, t);
        to = Math.max(to, t);
      }
    }
    const windowMs = SERIES_WINDOW_MINUTES * 60_000;
    const snap = await loadSnapshot(this.tx, {
      projectIds: this.projectIds,
      msgids: [...msgids],
      submitters: [...submitters],
      markerWindow: Number.isFinite(from) ? { from: new Date(from - windowMs), to: new Date(to + windowMs) } : null,
      coverNames: [...coverNames],
    });
    for (const s of snap.series) this.series.set(s.id, seriesNodeFromRow(s));
    for (const p of snap.patchNumbers) {
      const node = this.series.get(p.seriesId);
      if (!node) continue;
      node.numbers.add(p.number);
      node.patchNames.push(p.name);
      if (p.number === 1) node.patchOneName ??= p.name;
    }
    for (const m of snap.messages) {
      this.messages.set(k(m.projectId, m.msgid), { kind: m.kind, patch: m.patchId, cover: m.coverId, series: m.seriesId });
    }
    for (const r of snap.references) this.refs.set(k(r.projectId, r.msgid), r.seriesId);
    for (const c of snap.coverNames) this.coverNames.set(k(c.projectId, c.name), c.count);
  }

  seriesOfMessage(projectId: number, msgid: string): SeriesKey | null {
    return this.messages.get(k(projectId, msgid))?.series ?? null;
  }

  private seriesLookup(projectId: number): SeriesLookup {
    const record = (n: SeriesNode): SeriesRecord => ({ id: n.key, date: n.date.toISOString(), submitter: n.submitter, version: n.version, total: n.total });
    return {
      seriesByReference: (msgid) => {
        const key = this.refs.get(k(projectId, msgid));
        const n = key === undefined ? undefined : this.series.get(key);
        return n ? record(n) : undefined;
      },
      seriesByMarkers: (q) => {
        const out: SeriesRecord[] = [];
        for (const n of this.series.values()) {
          if (n.projectId !== projectId || n.submitter !== q.submitter || n.version !== q.version || n.total !== q.total) continue;
          const d = n.date.toISOString();
          if (d >= q.from && d <= q.to) out.push(record(n));
        }
        return out;
      },
      hasPatchNumber: (id, number) => this.series.get(id as SeriesKey)?.numbers.has(number) ?? false,
    };
  }

  private classifyLookup(projectId: number): ClassifyLookup {
    const find = (msgid: string, which: 'patch' | 'cover'): string | number | undefined => {
      const m = this.messages.get(k(projectId, msgid));
      const target = m?.[which];
      if (target === null || target === undefined) return undefined;
      if (typeof target === 'number') return target;
      return which === 'patch' ? `p${this.patches.indexOf(target as PatchNode)}` : `c${this.covers.indexOf(target as CoverNode)}`;
    };
    return {
      findPatch: (msgid) => find(msgid, 'patch'),
      findCover: (msgid) => find(msgid, 'cover'),
      countCoversNamed: (name) => this.coverNames.get(k(projectId, name)) ?? 0,
    };
  }

  decide(w: Work, outcomes: StoreOutcome[], drop: Drop): void {
    const { mail, project } = w;
    const pid = project.row.id;
    if (this.messages.has(k(pid, mail.msgid))) {
      outcomes[w.index] = { status: 'duplicate', msgid: mail.msgid, projectId: pid };
      return;
    }
    const c = classifyMail(mail, this.classifyLookup(pid));
    const date = mail.date ? new Date(mail.date) : DATE_NOW();
    const submitter = mail.author.email.toLowerCase();
    switch (c.class) {
      case 'ignored':
        drop(w.index, c.reason, mail.msgid, pid);
        return;
      case 'comment': {
        const parent = this.resolveParent(c.on, c.parent);
        const node: CommentNode = { index: w.index, projectId: pid, raw: w.raw, mail, date, submitter, on: c.on, parent, id: 0, messageId: 0 };
        this.comments.push(node);
        this.messages.set(k(pid, mail.msgid), {
          kind: 'comment',
          patch: c.on === 'patch' ? parent.patch! : null,
          cover: c.on === 'cover' ? parent.cover! : null,
          series: null,
        });
        if (c.on === 'patch') this.addCounts(parent.patch!, mail);
        return;
      }
      case 'cover': {
        const d = decideCoverSeries({ ...seriesMailOf(mail), date: date.toISOString() }, this.seriesLookup(pid));
        const series = d.action === 'join' ? this.series.get(d.seriesId as SeriesKey)! : d.action === 'create' ? this.createSeries(pid, d, date) : undefined;
        const node: CoverNode = { index: w.index, projectId: pid, raw: w.raw, mail, date, submitter, series: series ?? null, id: 0, messageId: 0 };
        this.covers.push(node);
        this.messages.set(k(pid, mail.msgid), { kind: 'cover', patch: null, cover: node, series: series?.key ?? null });
        const nameKey = k(pid, mail.name);
        this.coverNames.set(nameKey, (this.coverNames.get(nameKey) ?? 0) + 1);
        if (series) {
          series.cover = node;
          series.name = seriesNameAfterCover(series.name, mail.title, series.patchOneName);
          this.absorbHints(series, mail);
          series.dirty = true;
        }
        return;
      }
      case 'patch': {
        const d = decidePatchSeries({ ...seriesMailOf(mail), date: date.toISOString() }, this.seriesLookup(pid));
        let series: SeriesNode | null = null;
        let number: number | null = null;
        if (d.action !== 'none') {
          series = d.action === 'join' ? this.series.get(d.seriesId as SeriesKey)! : this.createSeries(pid, d, date);
          number = d.number!;
          series.numbers.add(number);
          series.receivedTotal++;
          if (number === 1) series.patchOneName = mail.name;
          series.patchNames.push(mail.name);
          series.name = seriesNameAfterPatch(series.name, mail.name, number);
          this.absorbHints(series, mail);
          series.dirty = true;
        }
        const state = (mail.hints.state && project.states.get(mail.hints.state.trim().toLowerCase())) || 'new';
        const hinted = mail.hints.delegate ? project.delegates.get(mail.hints.delegate.trim().toLowerCase().replace(/^.*<|>.*$/g, '')) : undefined;
        const delegateId = hinted ?? (project.rules.length ? autodelegate(mail.filenames, project.rules, (a, b) => a === b) : null);
        const node: PatchNode = {
          index: w.index,
          projectId: pid,
          raw: w.raw,
          mail,
          date,
          submitter,
          series,
          number,
          state,
          delegateId: delegateId ?? null,
          gitPatchId: w.gitPatchId ?? null,
          counts: { ...mail.tags },
          id: 0,
          messageId: 0,
        };
        this.patches.push(node);
        this.messages.set(k(pid, mail.msgid), { kind: 'patch', patch: node, cover: null, series: series?.key ?? null });
        return;
      }
    }
  }

  private resolveParent(on: 'patch' | 'cover', parent: string | number): CommentNode['parent'] {
    if (typeof parent === 'number') return on === 'patch' ? { patch: parent, cover: null } : { patch: null, cover: parent };
    const i = Number(parent.slice(1));
    return on === 'patch' ? { patch: this.patches[i]!, cover: null } : { patch: null, cover: this.covers[i]! };
  }

  private addCounts(patch: number | PatchNode, mail: ParsedMail): void {
    const t = mail.tags;
    if (!t.acked && !t.reviewed && !t.tested) return;
    if (typeof patch !== 'number') {
      patch.counts.acked += t.acked;
      patch.counts.reviewed += t.reviewed;
      patch.counts.tested += t.tested;
      return;
    }
    const d = this.countDeltas.get(patch) ?? { acked: 0, reviewed: 0, tested: 0 };
    d.acked += t.acked;
    d.reviewed += t.reviewed;
    d.tested += t.tested;
    this.countDeltas.set(patch, d);
  }

  private createSeries(projectId: number, d: { date: string | null; submitter: string; version: number; total: number; references: string[] }, date: Date): SeriesNode {
    const key = `n${this.newSeriesCount++}`;
    const node: SeriesNode = {
      key,
      id: 0,
      isNew: true,
      projectId,
      name: null,
      date: d.date ? new Date(d.date) : date,
      submitter: d.submitter,
      submitterId: 0,
      version: d.version,
      total: d.total,
      receivedTotal: 0,
      receivedAllBefore: false,
      numbers: new Set(),
      patchOneName: null,
      patchNames: [],
      cover: null,
      coverId: null,
      previousVersionId: null,
      previousVersionReason: null,
      changeId: null,
      basedOn: [],
      dependsOn: [],
      supersedes: [],
      msgids: [],
      newReferences: [],
      dirty: true,
    };
    this.series.set(key, node);
    for (const ref of d.references) {
      const rk = k(projectId, ref);
      if (!this.refs.has(rk)) {
        this.refs.set(rk, key);
        node.newReferences.push(ref);
      }
    }
    return node;
  }

  private absorbHints(s: SeriesNode, mail: ParsedMail): void {
    const h = mail.seriesHints;
    for (const v of h.basedOn) if (!s.basedOn.includes(v)) s.basedOn.push(v);
    for (const v of h.dependsOn) if (!s.dependsOn.includes(v)) s.dependsOn.push(v);
    for (const v of h.supersedes) if (!s.supersedes.includes(v)) s.supersedes.push(v);
    s.changeId ??= h.changeId;
    s.msgids.push(mail.msgid);
  }

  /** Ids, people, version links and dependencies: everything persist needs. */
  async finish(drops: DropNode[], people: Map<string, number>): Promise<BatchWrites> {
    const newSeries = [...this.series.values()].filter((s) => s.isNew);
    const ids = await allocateIds(this.tx, {
      messages: this.patches.length + this.covers.length + this.comments.length,
      series: newSeries.length,
      patches: this.patches.length,
      covers: this.covers.length,
      comments: this.comments.length,
    });
    newSeries.forEach((s, i) => (s.id = ids.series[i]!));
    let m = 0;
    this.patches.forEach((p, i) => ((p.id = ids.patches[i]!), (p.messageId = ids.messages[m++]!)));
    this.covers.forEach((c, i) => ((c.id = ids.covers[i]!), (c.messageId = ids.messages[m++]!)));
    this.comments.forEach((c, i) => ((c.id = ids.comments[i]!), (c.messageId = ids.messages[m++]!)));
    for (const s of this.series.values()) if (s.cover) s.coverId = s.cover.id;

    const peopleRows = new Map<string, string | null>();
    const wantPerson = (email: string, name: string | null): void => {
      if (!people.has(email) && !peopleRows.has(email)) peopleRows.set(email, name);
    };
    for (const n of [...this.patches, ...this.covers, ...this.comments]) wantPerson(n.submitter, n.mail.author.name);
    for (const s of newSeries) wantPerson(s.submitter, null);
    // in address order, so two importers upserting the same people cannot deadlock
    const resolvedPeople = await upsertPeople(this.tx, [...peopleRows].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([email, name]) => ({ email, name })));
    for (const [email, id] of resolvedPeople) people.set(email, id);
    const personOf = (email: string): number => people.get(email) ?? resolvedPeople.get(email)!;
    for (const s of newSeries) s.submitterId = personOf(s.submitter);

    const touched = [...this.series.values()].filter((s) => s.dirty);
    const versionLinks = await linkVersions(this.tx, this, touched);
    const dependencies = await resolveDependencies(this.tx, this, touched);

    return {
      series: newSeries,
      seriesUpdates: touched.filter((s) => !s.isNew),
      references: newSeries.flatMap((s) => s.newReferences.map((msgid) => ({ projectId: s.projectId, msgid, seriesId: s.id }))),
      covers: this.covers,
      patches: this.patches,
      comments: this.comments,
      patchCountDeltas: [...this.countDeltas].map(([id, d]) => ({ id, ...d })),
      dependencies,
      versionLinks,
      drops,
      personOf,
    };
  }

  fillOutcomes(outcomes: StoreOutcome[]): void {
    for (const p of this.patches) {
      outcomes[p.index] = { status: 'patch', msgid: p.mail.msgid, projectId: p.projectId, id: p.id, seriesId: p.series?.id ?? null, number: p.number };
    }
    for (const c of this.covers) outcomes[c.index] = { status: 'cover', msgid: c.mail.msgid, projectId: c.projectId, id: c.id, seriesId: c.series!.id };
    for (const c of this.comments) {
      const parent = c.on === 'patch' ? c.parent.patch! : c.parent.cover!;
      outcomes[c.index] = { status: 'comment', msgid: c.mail.msgid, projectId: c.projectId, id: c.id, on: c.on, parentId: typeof parent === 'number' ? parent : parent.id };
    }
  }
}

function seriesNodeFromRow(s: StoredSeries): SeriesNode {
  return {
    key: s.id,
    id: s.id,
    isNew: false,
    projectId: s.projectId,
    name: s.name,
    date: s.date,
    submitter: s.submitter,
    submitterId: s.submitterId,
    version: s.version,
    total: s.total,
    receivedTotal: s.receivedTotal,
    receivedAllBefore: s.receivedAll,
    numbers: new Set(),
    patchOneName: null,
    patchNames: [],
    cover: null,
    coverId: s.coverId,
    previousVersionId: s.previousVersionId,
    previousVersionReason: null,
    changeId: s.changeId,
    basedOn: [...s.basedOn],
    dependsOn: [...s.dependsOn],
    supersedes: [...s.supersedes],
    msgids: [],
    newReferences: [],
    dirty: false,
  };
}
