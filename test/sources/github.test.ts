import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { createGitHubOctokit } from '../../src/forges/octokit.js';
import { GitHubSource, parseGitHubRepo } from '../../src/sources/github.js';
import type { TrackedUpstream } from '../../src/sources/types.js';

const API = 'https://api.github.com';
const TOKEN = 'ghp_sourceToken0123456789abcdefghijklmn';

function source(retries = 2) {
  const octokit = createGitHubOctokit({ token: TOKEN, sleep: async () => {}, minWriteIntervalMs: 0, retry: { retries, retryAfterBaseMs: 1 } });
  return new GitHubSource({ octokit, secrets: [TOKEN] });
}

const sha = (n: number) => n.toString(16).padStart(40, '0');
const upstream = (id: number, scmRepo: string, scmBranch = 'main'): TrackedUpstream => ({
  id,
  versionControl: 'github',
  scmRepo,
  scmBranch,
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('GitHubSource.heads', () => {
  it('checks 250 repositories with 3 GraphQL queries; missing repos and branches fail only their trackings', async () => {
    const queries: Array<{ query: string; variables: Record<string, string> }> = [];
    nock(API)
      .post('/graphql')
      .times(3)
      .matchHeader('authorization', `token ${TOKEN}`)
      .reply(200, (_uri, body) => {
        const { query, variables } = body as { query: string; variables: Record<string, string> };
        queries.push({ query, variables });
        const data: Record<string, unknown> = {};
        const errors: unknown[] = [];
        for (const key of Object.keys(variables).filter((k) => k.startsWith('o'))) {
          const i = key.slice(1);
          const name = variables[`n${i}`]!;
          if (name === 'repo7') {
            data[`r${i}`] = null;
            errors.push({ type: 'NOT_FOUND', path: [`r${i}`], message: `Could not resolve to a Repository with the name 'up/${name}'.` });
          } else if (variables[`q${i}`] === 'refs/heads/gone') {
            data[`r${i}`] = { ref: null };
          } else {
            data[`r${i}`] = { ref: { target: { oid: sha(Number(name.slice(4)) + 1) } } };
          }
        }
        return errors.length ? { data, errors } : { data };
      });

    const trackings = Array.from({ length: 250 }, (_, i) => upstream(i + 1, `up/repo${i}`, i === 9 ? 'gone' : 'main'));
    // a second tracking of the same repository and branch shares its alias (and costs nothing)
    trackings.push(upstream(1000, 'https://github.com/up/repo3.git'));
    trackings.push(upstream(1001, 'not a repo'));
    const heads = await source().heads(trackings);

    expect(queries).toHaveLength(3);
    expect(queries.map((q) => Object.keys(q.variables).length / 3)).toEqual([100, 100, 50]);
    expect(queries[0]!.query).toContain('r99: repository(owner: $o99, name: $n99) { ref(qualifiedName: $q99) { target { oid } } }');
    expect(queries[0]!.variables).toMatchObject({ o0: 'up', n0: 'repo0', q0: 'refs/heads/main' });

    expect(heads.get(1)).toEqual({ sha: sha(1) });
    expect(heads.get(250)).toEqual({ sha: sha(250) });
    expect(heads.get(1000)).toEqual(heads.get(4));
    expect(heads.get(8)).toEqual({
      error: "repository up/repo7 not found or not accessible (Could not resolve to a Repository with the name 'up/repo7'.)",
    });
    expect(heads.get(10)).toEqual({ error: 'branch gone not found in up/repo9' });
    expect(heads.get(1001)).toMatchObject({ error: expect.stringContaining('scm_repo "not a repo"') });
    expect(heads.size).toBe(252);
  });

  it('reports a query that keeps failing as an error on each of its trackings, without the token', async () => {
    nock(API).post('/graphql').times(2).reply(502, { message: `bad gateway ${TOKEN}` });
    const heads = await source(1).heads([upstream(1, 'up/a'), upstream(2, 'up/b')]);
    expect(heads.get(1)).toMatchObject({ error: expect.stringContaining('GitHub head check failed') });
    expect(heads.get(2)).toEqual(heads.get(1));
    expect(JSON.stringify([...heads])).not.toContain(TOKEN);
  });
});

function compareCommit(n: number, opts: { merge?: boolean } = {}) {
  return {
    sha: sha(n),
    html_url: `https://github.com/up/proj/commit/${sha(n)}`,
    parents: opts.merge ? [{ sha: sha(n - 1) }, { sha: sha(n + 10_000) }] : [{ sha: sha(n - 1) }],
    commit: {
      message: `fix: thing ${n}\n\nbody ${n}`,
      author: { name: 'Ann Author', email: 'ann@example.com', date: '2020-07-11T00:00:00+08:00' },
      committer: { name: 'Cy Committer', email: 'cy@example.com', date: '2020-07-12T00:00:00Z' },
    },
  };
}

const patchText = (commit: string) =>
  `From ${commit} Mon Sep 17 00:00:00 2001\nFrom: Ann Author <ann@example.com>\nDate: Sat, 11 Jul 2020 00:00:00 +0800\nSubject: [PATCH] fix\n\n---\n x | 1 +\n\ndiff --git a/x b/x\n`;

describe('GitHubSource.range', () => {
  it('pages through a 300-commit compare, skips merges, and fetches each patch with the patch media type', async () => {
    const from = sha(0);
    const to = sha(300);
    const all = Array.from({ length: 300 }, (_, i) => compareCommit(i + 1, { merge: i + 1 === 120 || i + 1 === 260 }));
    const patched: string[] = [];
    const scope = nock(API)
      .get(`/repos/up/proj/compare/${from}...${to}`)
      .query({ per_page: 250, page: 1 })
      .reply(200, { status: 'ahead', ahead_by: 300, behind_by: 0, total_commits: 300, commits: all.slice(0, 250) })
      .get(`/repos/up/proj/compare/${from}...${to}`)
      .query({ per_page: 250, page: 2 })
      .reply(200, { status: 'ahead', ahead_by: 300, behind_by: 0, total_commits: 300, commits: all.slice(250) })
      .get(/^\/repos\/up\/proj\/commits\/[0-9a-f]{40}$/)
      .times(298)
      .matchHeader('accept', 'application/vnd.github.patch')
      .matchHeader('authorization', `token ${TOKEN}`)
      .reply(200, (uri) => {
        const commit = uri.split('/').pop()!;
        patched.push(commit);
        return patchText(commit);
      }, { 'content-type': 'text/x-patch; charset=utf-8' });

    const commits = await source().range(upstream(1, 'up/proj'), from, to);
    expect(scope.isDone()).toBe(true);
    expect(commits).toHaveLength(298);
    expect(commits.map((c) => c.sha)).toEqual(all.filter((c) => c.parents.length === 1).map((c) => c.sha));
    expect(commits.some((c) => c.sha === sha(120) || c.sha === sha(260))).toBe(false);
    expect(new Set(patched).size).toBe(298);
    expect(commits[0]).toEqual({
      sha: sha(1),
      parents: [sha(0)],
      authorName: 'Ann Author',
      authorEmail: 'ann@example.com',
      authorDate: '2020-07-10T16:00:00Z',
      committerDate: '2020-07-12T00:00:00Z',
      subject: 'fix: thing 1',
      message: 'fix: thing 1\n\nbody 1',
      patch: patchText(sha(1)),
      url: `https://github.com/up/proj/commit/${sha(1)}`,
      empty: false,
    });
  });

  it.each(['diverged', 'behind'])('stops with not_ancestor when the compare status is %s', async (status) => {
    nock(API)
      .get(/\/repos\/up\/proj\/compare\//)
      .query(true)
      .reply(200, { status, ahead_by: 2, behind_by: 5, total_commits: 2, commits: [compareCommit(1), compareCommit(2)] });
    const err = (await source()
      .range(upstream(1, 'up/proj', 'main'), sha(0xabc), sha(0xdef))
      .catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('not_ancestor');
    expect(err.message).toContain(`scm_commit ${sha(0xabc).slice(0, 12)} is not an ancestor of main`);
    expect(err.message).toContain('history was rewritten');
  });

  it('returns nothing for identical commits and names a missing repository or commit', async () => {
    nock(API)
      .get(/compare/)
      .query(true)
      .reply(200, { status: 'identical', ahead_by: 0, behind_by: 0, total_commits: 0, commits: [] })
      .get(/compare/)
      .query(true)
      .reply(404, { message: 'Not Found' });
    expect(await source().range(upstream(1, 'up/proj'), sha(1), sha(2))).toEqual([]);
    await expect(source().range(upstream(1, 'up/gone'), sha(1), sha(2))).rejects.toMatchObject({
      code: 'upstream_not_found',
      message: expect.stringContaining('up/gone: cannot compare'),
    });
  });

  it('rejects a response that is not patch text', async () => {
    nock(API)
      .get(/compare/)
      .query(true)
      .reply(200, { status: 'ahead', total_commits: 1, commits: [compareCommit(1)] })
      .get(/commits/)
      .reply(200, { sha: sha(1) });
    await expect(source().range(upstream(1, 'up/proj'), sha(0), sha(1))).rejects.toMatchObject({ code: 'invalid_patch' });
  });
});

describe('parseGitHubRepo', () => {
  it.each([
    ['up/proj', 'up', 'proj'],
    ['https://github.com/up/proj', 'up', 'proj'],
    ['https://github.com/up/proj.git/', 'up', 'proj'],
  ])('%s', (input, owner, name) => {
    expect(parseGitHubRepo(input)).toEqual({ owner, name });
  });
  it('names the bad value', () => {
    expect(() => parseGitHubRepo('up')).toThrow('scm_repo "up": expected owner/name');
  });
});
