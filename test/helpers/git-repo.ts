/**
 * Throwaway upstream git repositories for tests: real commits, deterministic dates, no dependence on
 * the machine's git config. Serve them via file:// (`repo.url`) or git's own daemon (`startGitDaemon`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UpstreamPolicy } from '../../src/sources/upstream-policy.js';

export const GIT = '/usr/bin/git';

/**
 * ALLOW_LOCAL_UPSTREAMS = true: the helpers' repositories are file:// URLs and a git daemon on loopback, which
 * the default policy refuses (test/sources/upstream-policy.test.ts).
 */
export const LOCAL_UPSTREAMS_ALLOWED = new UpstreamPolicy({ allowLocal: true });

/** The environment every helper git call runs in: fixed identity, no global/system config. */
export const testGitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Upstream Dev',
  GIT_AUTHOR_EMAIL: 'dev@upstream.example',
  GIT_COMMITTER_NAME: 'Upstream Dev',
  GIT_COMMITTER_EMAIL: 'dev@upstream.example',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

/** A temp dir removed by `removeTempDirs()` (call it in afterAll). */
const tempDirs: string[] = [];
export function makeTempDir(prefix = 'pt-git-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface CommitOptions {
  /** file path → new content; null deletes the file */
  files?: Record<string, string | Buffer | null>;
  /** a commit that changes nothing */
  allowEmpty?: boolean;
  author?: { name: string; email: string };
}

export class TestRepo {
  /** seconds since epoch of the next commit; advances one minute per commit so dates are stable */
  private clock = Date.UTC(2026, 0, 1) / 1000;

  constructor(readonly dir: string) {}

  get url(): string {
    return `file://${this.dir}`;
  }

  git(...args: string[]): string {
    return this.gitBuffer(...args).toString('utf8');
  }

  gitBuffer(...args: string[]): Buffer {
    return execFileSync(GIT, args, { cwd: this.dir, env: this.env(), maxBuffer: 64 * 1024 * 1024 });
  }

  /** Writes files, stages everything and commits; returns the new sha. */
  commit(message: string, options: CommitOptions = {}): string {
    for (const [path, content] of Object.entries(options.files ?? {})) {
      const full = join(this.dir, path);
      if (content === null) {
        rmSync(full, { force: true });
      } else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    this.git('add', '-A');
    const args = ['commit', '--quiet', '-m', message];
    if (options.allowEmpty) args.push('--allow-empty');
    if (options.author) args.push(`--author=${options.author.name} <${options.author.email}>`);
    this.git(...args);
    return this.head();
  }

  head(ref = 'HEAD'): string {
    return this.git('rev-parse', ref).trim();
  }

  checkout(branch: string, create = false): void {
    this.git('checkout', '--quiet', ...(create ? ['-b', branch] : [branch]));
  }

  /** A real merge commit of `branch` into the current branch. */
  merge(branch: string, message = `Merge branch '${branch}'`): string {
    this.git('merge', '--quiet', '--no-ff', '-m', message, branch);
    return this.head();
  }

  /** What `git format-patch` itself writes for one commit: the bytes a patch file must equal. */
  formatPatch(sha: string): string {
    return this.git('format-patch', '-1', sha, '--stdout');
  }

  private env(): NodeJS.ProcessEnv {
    const date = `@${this.clock} +0000`;
    this.clock += 60;
    return { ...testGitEnv, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  }
}

/** A new repository with one initial commit on `branch`. */
export function createUpstreamRepo(options: { branch?: string; parent?: string; name?: string } = {}): TestRepo {
  const parent = options.parent ?? makeTempDir();
  const dir = join(parent, options.name ?? 'upstream');
  mkdirSync(dir, { recursive: true });
  execFileSync(GIT, ['init', '--quiet', '-b', options.branch ?? 'main', dir], { env: testGitEnv });
  const repo = new TestRepo(dir);
  repo.commit('Initial import', { files: { 'README.md': 'hello\n', 'src/lib.c': 'int a;\nint b;\nint c;\n' } });
  return repo;
}

export interface GitDaemon {
  port: number;
  /** git://127.0.0.1:<port>/<name> for a repository directly under the base path */
  url(name: string): string;
  stop(): Promise<void>;
}

/** `git daemon` on 127.0.0.1 serving every repository under `basePath`; stop() kills it. */
export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    GIT,
    ['daemon', '--reuseaddr', `--base-path=${basePath}`, '--export-all', `--port=${port}`, '--listen=127.0.0.1', basePath],
    { env: testGitEnv, stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`git daemon did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface GitHttpServer {
  port: number;
  /** http://127.0.0.1:<port>/<name> (add credentials yourself when the server wants them) */
  url(name: string): string;
  /** Authorization headers of every request, in order */
  authorizations: (string | undefined)[];
  stop(): Promise<void>;
}

/**
 * git's smart HTTP protocol on 127.0.0.1: `git http-backend` (CGI) behind a node http server, serving
 * every repository under `basePath`. With `basicAuth`, requests without those credentials get a 401.
 */
export async function startGitHttpServer(
  basePath: string,
  options: { basicAuth?: { user: string; password: string } } = {},
): Promise<GitHttpServer> {
  const authorizations: (string | undefined)[] = [];
  const expected = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const server = createHttpServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const cgi = spawn(GIT, ['http-backend'], {
      env: {
        ...testGitEnv,
        GIT_PROJECT_ROOT: basePath,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    authorizations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
