/**
 * Local HTTP fakes of the GitHub API (as an upstream: GraphQL heads, compare, patch media type) and the
 * Gitee v5 API (as a target: branches, trees, contents, multi-file commits, issues, pulls). They speak just
 * enough of each API for the real adapters, and count requests, so tests and benchmarks can exercise the
 * real code paths without the internet.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Counted {
  requests: number;
  writes: number;
  log: string[];
  /**
   * Called after a request took effect and before it is answered; returning 'hang' leaves it unanswered
   * (e.g. while the test kills the client: the write happened, the answer never arrived).
   */
  afterApply?: (method: string, path: string) => 'hang' | void;
}

async function listen(handler: (req: http.IncomingMessage, body: string) => { status: number; json?: unknown; text?: string }, counted: Counted) {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      counted.requests += 1;
      if (req.method !== 'GET') counted.writes += 1;
      counted.log.push(`${req.method} ${req.url?.split('?')[0]}`);
      let answer: { status: number; json?: unknown; text?: string };
      try {
        answer = handler(req, body);
      } catch (err) {
        answer = { status: 500, json: { message: String(err) } };
      }
      if (counted.afterApply?.(req.method ?? '', (req.url ?? '').split('?')[0]!) === 'hang') return;
      res.statusCode = answer.status;
      if (answer.text !== undefined) {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end(answer.text);
      } else {
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(answer.json ?? {}));
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

interface UpCommit {
  sha: string;
  message: string;
  date: string;
  patch: string;
}

/** GitHub as an upstream: repos `owner/name` with one branch `master` each. */
export class FakeGitHub implements Counted {
  requests = 0;
  writes = 0;
  log: string[] = [];
  afterApply?: Counted['afterApply'];
  graphqlQueries = 0;
  readonly repos = new Map<string, UpCommit[]>();
  url = '';
  close: () => Promise<void> = async () => {};

  push(repo: string, count: number): string {
    const list = this.repos.get(repo) ?? [];
    for (let i = 0; i < count; i++) {
      const n = list.length;
      const sha = sha1(`${repo}#${n}`);
      const date = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString().replace('.000', '');
      const subject = `change ${n} of ${repo}`;
      const patch = `From ${sha} Mon Sep 17 00:00:00 2001\nFrom: Dev <dev@example.org>\nDate: ${date}\nSubject: [PATCH] ${subject}\n\n---\n f${n}.txt | 1 +\n 1 file changed, 1 insertion(+)\n create mode 100644 f${n}.txt\n\ndiff --git a/f${n}.txt b/f${n}.txt\nnew file mode 100644\nindex 0000000..d00491f\n--- /dev/null\n+++ b/f${n}.txt\n@@ -0,0 +1 @@\n+${n}\n-- \n2.39.5\n\n`;
      list.push({ sha, message: subject, date, patch });
    }
    this.repos.set(repo, list);
    return list.at(-1)!.sha;
  }

  async start(): Promise<this> {
    const server = await listen((req, body) => this.handle(req, body), this);
    this.url = server.url;
    this.close = server.close;
    return this;
  }

  private handle(req: http.IncomingMessage, body: string) {
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'POST' && url.pathname === '/graphql') {
      this.writes -= 1; // a query, not a write
      this.graphqlQueries += 1;
      const { variables } = JSON.parse(body) as { variables: Record<string, string> };
      const data: Record<string, unknown> = {};
      for (let i = 0; `o${i}` in variables; i++) {
        const list = this.repos.get(`${variables[`o${i}`]}/${variables[`n${i}`]}`);
        data[`r${i}`] = list ? { ref: { target: { oid: list.at(-1)!.sha } } } : null;
      }
      return { status: 200, json: { data } };
    }
    const compare = /^\/repos\/([^/]+)\/([^/]+)\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(url.pathname);
    if (compare) {
      const list = this.repos.get(`${compare[1]}/${compare[2]}`) ?? [];
      const from = list.findIndex((c) => c.sha === compare[3]);
      const to = list.findIndex((c) => c.sha === compare[4]);
      if (from < 0 || to < 0) return { status: 404, json: { message: 'Not Found' } };
      if (to < from) return { status: 200, json: { status: 'behind', total_commits: 0, commits: [] } };
      const perPage = Number(url.searchParams.get('per_page') ?? 250);
      const page = Number(url.searchParams.get('page') ?? 1);
      const range = list.slice(from + 1, to + 1);
      const commits = range.slice((page - 1) * perPage, page * perPage).map((c, i) => ({
        sha: c.sha,
        html_url: `https://github.com/${compare[1]}/${compare[2]}/commit/${c.sha}`,
        parents: [{ sha: i === 0 && page === 1 ? list[from]!.sha : range[(page - 1) * perPage + i - 1]!.sha }],
        commit: { message: c.message, author: { name: 'Dev', email: 'dev@example.org', date: c.date }, committer: { name: 'Dev', email: 'dev@example.org', date: c.date } },
      }));
      return { status: 200, json: { status: range.length ? 'ahead' : 'identical', total_commits: range.length, commits } };
    }
    const commit = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([0-9a-f]+)$/.exec(url.pathname);
    if (commit) {
      const found = this.repos.get(`${commit[1]}/${commit[2]}`)?.find((c) => c.sha === commit[3]);
      return found ? { status: 200, text: found.patch } : { status: 404, json: { message: 'Not Found' } };
    }
    return { status: 404, json: { message: `fake GitHub has no ${req.method} ${url.pathname}` } };
  }
}

interface GiteeRepo {
  branches: Map<string, { sha: string; files: Map<string, string> }>;
  issues: { number: string; title: string; body: string; state: string }[];
  pulls: { number: number; title: string; body: string; head: string; base: string; state: string }[];
}

/** Gitee v5 as a target; repositories appear on first use with a `master` branch holding `files`. */
export class FakeGitee implements Counted {
  requests = 0;
  writes = 0;
  log: string[] = [];
  afterApply?: Counted['afterApply'];
  readonly repos = new Map<string, GiteeRepo>();
  url = '';
  close: () => Promise<void> = async () => {};
  private seq = 0;

  constructor(private readonly initialFiles: (repo: string) => Record<string, string> = () => ({})) {}

  async start(): Promise<this> {
    const server = await listen((req, body) => this.handle(req, body), this);
    this.url = `${server.url}/api/v5`;
    this.close = server.close;
    return this;
  }

  repo(key: string): GiteeRepo {
    let repo = this.repos.get(key);
    if (!repo) {
      repo = { branches: new Map([['master', { sha: sha1(`${key}#init`), files: new Map(Object.entries(this.initialFiles(key))) }]]), issues: [], pulls: [] };
      this.repos.set(key, repo);
    }
    return repo;
  }

  private handle(req: http.IncomingMessage, raw: string) {
    const url = new URL(req.url!, 'http://x');
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v5/, ''));
    const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
    const token = req.method === 'GET' || req.method === 'DELETE' ? url.searchParams.get('access_token') : body.access_token;
    if (!token) return { status: 401, json: { message: '401 Unauthorized: Access token does not exist' } };
    if (path === '/user') return { status: 200, json: { login: 'patch-tracking-bot' } };
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/([^/]+)\/issues$/.exec(path)) && req.method === 'POST') {
      const repo = this.repo(`${m[1]}/${body.repo}`);
      const issue = { number: `I${(++this.seq).toString(36).toUpperCase().padStart(5, '0')}`, title: body.title, body: body.body, state: 'open' };
      repo.issues.push(issue);
      return { status: 201, json: { ...issue, html_url: `https://gitee.com/${m[1]}/${body.repo}/issues/${issue.number}` } };
    }
    if (!(m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path))) return { status: 404, json: { message: 'Not Found' } };
    const key = `${m[1]}/${m[2]}`;
    const repo = this.repo(key);
    const rest = m[3] ?? '';
    let n: RegExpExecArray | null;
    if ((n = /^\/branches\/(.+)$/.exec(rest)) && req.method === 'GET') {
      const b = repo.branches.get(n[1]!);
      return b ? { status: 200, json: { name: n[1], commit: { sha: b.sha } } } : { status: 404, json: { message: 'Branch Not Found' } };
    }
    if (rest === '/branches' && req.method === 'POST') {
      const from = repo.branches.get(body.refs);
      if (!from || repo.branches.has(body.branch_name)) return { status: 400, json: { message: 'cannot create branch' } };
      repo.branches.set(body.branch_name, { sha: from.sha, files: new Map(from.files) });
      return { status: 201, json: { name: body.branch_name, commit: { sha: from.sha } } };
    }
    if ((n = /^\/git\/trees\/(.+)$/.exec(rest))) {
      const b = repo.branches.get(n[1]!);
      if (!b) return { status: 404, json: { message: 'Not Found' } };
      return { status: 200, json: { sha: b.sha, truncated: false, tree: [...b.files.entries()].map(([p, c]) => ({ path: p, type: 'blob', sha: sha1(c) })) } };
    }
    if ((n = /^\/contents\/(.+)$/.exec(rest)) && req.method === 'GET') {
      const content = repo.branches.get(url.searchParams.get('ref') ?? 'master')?.files.get(n[1]!);
      return content === undefined ? { status: 200, json: [] } : { status: 200, json: { type: 'file', path: n[1], sha: sha1(content), content: Buffer.from(content).toString('base64') } };
    }
    if (rest === '/commits' && req.method === 'POST') {
      const b = repo.branches.get(body.branch);
      if (!b) return { status: 404, json: { message: 'Branch Not Found' } };
      for (const action of body.actions as { action: string; path: string; content?: string }[]) {
        if (action.action === 'delete') b.files.delete(action.path);
        else b.files.set(action.path, Buffer.from(action.content ?? '', 'base64').toString('utf8'));
      }
      b.sha = sha1(`${key}#${++this.seq}`);
      return { status: 201, json: { sha: b.sha } };
    }
    if (rest === '/issues' && req.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? 1);
      const per = Number(url.searchParams.get('per_page') ?? 20);
      const list = [...repo.issues].reverse().slice((page - 1) * per, page * per);
      return { status: 200, json: list.map((i) => ({ ...i, html_url: `https://gitee.com/${key}/issues/${i.number}` })) };
    }
    if (rest === '/pulls' && req.method === 'GET') {
      const head = url.searchParams.get('head');
      const list = repo.pulls.filter((p) => !head || p.head === head);
      return { status: 200, json: list.map((p) => ({ ...p, html_url: `https://gitee.com/${key}/pulls/${p.number}`, head: { ref: p.head } })) };
    }
    if (rest === '/pulls' && req.method === 'POST') {
      const pull = { number: repo.pulls.length + 1, title: body.title, body: body.body, head: body.head, base: body.base, state: 'open' };
      repo.pulls.push(pull);
      return { status: 201, json: { ...pull, html_url: `https://gitee.com/${key}/pulls/${pull.number}`, head: { ref: pull.head } } };
    }
    return { status: 404, json: { message: `fake Gitee has no ${req.method} ${path}` } };
  }
}
