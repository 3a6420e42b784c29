/**
 * An in-memory forge (Gitee-like numbering) for engine tests: branches with files, issues, PRs, a count of
 * writes, and fault injection. A fault can fail a call before it takes effect ('before', like a refused
 * request) or after (the forge applied it but the answer was lost: a timeout, or the process killed).
 */
import { createHash } from 'node:crypto';
import { isDeletion, type FileChange, type Forge, type ForgeIssue, type ForgePull, type ForgeRepo } from '../../src/forges/types.js';

interface Branch {
  head: string;
  files: Map<string, string>;
}

export type FaultPoint = 'createBranch' | 'commitFiles' | 'createIssue' | 'createPullRequest' | 'findIssueByMarker' | 'readFile';

export class FakeForge implements Forge {
  readonly kind = 'gitee' as const;
  readonly branches = new Map<string, Branch>();
  readonly issues: (ForgeIssue & { title: string; body: string; comments: string[] })[] = [];
  readonly pulls: (ForgePull & { title: string; body: string; base: string; issueId: string })[] = [];
  readonly writes: string[] = [];
  private readonly faults: { point: FaultPoint; when: 'before' | 'after'; error: Error }[] = [];
  private seq = 0;

  constructor(files: Record<string, string> = {}, branch = 'master') {
    this.branches.set(branch, { head: this.sha('init'), files: new Map(Object.entries(files)) });
  }

  failNext(point: FaultPoint, when: 'before' | 'after' = 'before', error = new Error(`injected failure at ${point} (${when})`)): void {
    this.faults.push({ point, when, error });
  }

  private async fault<T>(point: FaultPoint, apply: () => T): Promise<T> {
    await Promise.resolve();
    const index = this.faults.findIndex((f) => f.point === point);
    const fault = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
    if (fault?.when === 'before') throw fault.error;
    const result = apply();
    if (fault?.when === 'after') throw fault.error;
    return result;
  }

  private sha(seed: string): string {
    return createHash('sha1').update(`${seed}:${++this.seq}`).digest('hex');
  }

  async branchHead(_repo: ForgeRepo, branch: string) {
    return this.branches.get(branch)?.head ?? null;
  }

  async createBranch(_repo: ForgeRepo, name: string, from: string) {
    return this.fault('createBranch', () => {
      const base = this.branches.get(from);
      if (!base) throw new Error(`no branch ${from}`);
      if (this.branches.has(name)) throw new Error(`branch ${name} exists`);
      this.writes.push(`branch ${name}`);
      this.branches.set(name, { head: base.head, files: new Map(base.files) });
    });
  }

  async readFile(_repo: ForgeRepo, path: string, ref: string) {
    return this.fault('readFile', () => {
      const content = this.branches.get(ref)?.files.get(path);
      return content === undefined ? null : { content, sha: createHash('sha1').update(content).digest('hex') };
    });
  }

  async listFiles(_repo: ForgeRepo, ref: string) {
    return [...(this.branches.get(ref)?.files.keys() ?? [])].filter((p) => !p.includes('/'));
  }

  async commitFiles(_repo: ForgeRepo, branch: string, _message: string, files: FileChange[]) {
    return this.fault('commitFiles', () => {
      const b = this.branches.get(branch);
      if (!b) throw new Error(`no branch ${branch}`);
      this.writes.push(`commit ${branch} (${files.length} files)`);
      for (const f of files) {
        if (isDeletion(f)) b.files.delete(f.path);
        else b.files.set(f.path, f.content);
      }
      b.head = this.sha(branch);
      return b.head;
    });
  }

  async findIssueByMarker(_repo: ForgeRepo, marker: string) {
    return this.fault('findIssueByMarker', () => {
      const found = this.issues.find((i) => i.body.includes(marker));
      return found ? { id: found.id, url: found.url, state: found.state } : null;
    });
  }

  async createIssue(_repo: ForgeRepo, input: { title: string; body: string }) {
    return this.fault('createIssue', () => {
      const id = `I${(this.issues.length + 1).toString(36).toUpperCase().padStart(5, 'A')}`;
      const created = { id, url: `https://gitee.example/issues/${id}`, state: 'open' as const, ...input, comments: [] };
      this.writes.push(`issue ${id}`);
      this.issues.push(created);
      return { id, url: created.url, state: created.state };
    });
  }

  async findPullByHead(_repo: ForgeRepo, head: string) {
    const found = this.pulls.find((p) => p.head === head);
    return found ? { number: found.number, url: found.url, state: found.state, head: found.head } : null;
  }

  issueReference(issueId: string): string {
    return `#${issueId}`;
  }

  async createPullRequest(_repo: ForgeRepo, input: { title: string; body: string; head: string; base: string; issue: ForgeIssue }) {
    return this.fault('createPullRequest', () => {
      const number = String(this.pulls.length + 1);
      const pull = { number, url: `https://gitee.example/pulls/${number}`, state: 'open' as const, head: input.head, title: input.title, body: input.body, base: input.base, issueId: input.issue.id };
      this.writes.push(`pr ${number}`);
      this.pulls.push(pull);
      return { number, url: pull.url, state: pull.state, head: pull.head };
    });
  }

  async comment(_repo: ForgeRepo, target: { kind: 'issue' | 'pull'; id: string }, body: string) {
    this.writes.push(`comment ${target.kind} ${target.id}`);
    this.issues.find((i) => i.id === target.id)?.comments.push(body);
  }

  async closeIssue(_repo: ForgeRepo, id: string) {
    this.writes.push(`close ${id}`);
    const found = this.issues.find((i) => i.id === id);
    if (found) found.state = 'closed';
  }

  async deleteBranch(_repo: ForgeRepo, name: string) {
    this.writes.push(`delete ${name}`);
    this.branches.delete(name);
  }
}

/** Forges whose every repo is served by one FakeForge. */
export function fakeForges(forge: FakeForge) {
  return {
    forRepo: () => forge,
    resolve: (repo: string): ForgeRepo => {
      const [owner, name] = repo.replace(/^https?:\/\/[^/]+\//, '').split('/');
      return { forge: 'gitee', owner: owner!, name: name!, webUrl: `https://gitee.com/${owner}/${name}` };
    },
  };
}
