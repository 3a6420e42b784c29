/** Gitee webhook payloads (Merge Request Hook, Note Hook, Push Hook) → lifecycle events. */
import { z } from 'zod';
import type { ForgeRepo } from '../forges/types.js';
import type { CommentEvent, PullClosedEvent, PushEvent } from './events.js';

const repository = z.object({
  full_name: z.string().optional(),
  path_with_namespace: z.string().optional(),
  html_url: z.string(),
  git_http_url: z.string().optional(),
  git_ssh_url: z.string().optional(),
  url: z.string().optional(),
});

function repoOf(r: z.infer<typeof repository>): ForgeRepo | null {
  // path_with_namespace is the URL path; full_name is too on Gitee, `name` may be a display name
  const [owner, name, ...rest] = (r.path_with_namespace ?? r.full_name ?? '').split('/');
  if (!owner || !name || rest.length) return null;
  return { forge: 'gitee', owner, name, webUrl: r.html_url.replace(/\.git$/, '').replace(/\/+$/, '') };
}

const number = z.union([z.number(), z.string()]).transform(String);

const mergeRequest = z.object({
  action: z.string().optional(),
  repository,
  pull_request: z.object({
    number,
    state: z.string().optional(),
    merged_at: z.string().nullable().optional(),
    html_url: z.string().optional(),
    head: z.object({ ref: z.string() }),
  }),
});

export function giteePullClosed(payload: unknown): PullClosedEvent | null {
  const parsed = mergeRequest.safeParse(payload);
  if (!parsed.success) return null;
  const { action, pull_request: pr } = parsed.data;
  const merged = action === 'merge' || pr.state === 'merged';
  const closed = merged || action === 'close' || pr.state === 'closed';
  const repo = repoOf(parsed.data.repository);
  if (!closed || !repo) return null;
  return { repo, number: pr.number, merged, mergedAt: merged && pr.merged_at ? new Date(pr.merged_at) : null, head: pr.head.ref, url: pr.html_url };
}

const note = z.object({
  action: z.string().optional(),
  noteable_type: z.string(),
  repository,
  comment: z.object({ body: z.string().nullable(), user: z.object({ login: z.string() }).optional() }),
  issue: z.object({ number }).nullable().optional(),
  pull_request: z.object({ number }).nullable().optional(),
  sender: z.object({ login: z.string() }).optional(),
  author: z.object({ login: z.string() }).optional(),
});

export function giteeComment(payload: unknown): CommentEvent | null {
  const parsed = note.safeParse(payload);
  if (!parsed.success) return null;
  const d = parsed.data;
  if (d.action && d.action !== 'comment') return null;
  const repo = repoOf(d.repository);
  const user = d.comment.user?.login ?? d.author?.login ?? d.sender?.login;
  if (!repo || !user) return null;
  let target: CommentEvent['target'] | null = null;
  if (d.noteable_type === 'PullRequest' && d.pull_request) target = { kind: 'pull', id: d.pull_request.number };
  else if (d.noteable_type === 'Issue' && d.issue) target = { kind: 'issue', id: d.issue.number };
  if (!target) return null;
  return { repo, target, user, isBot: false, body: d.comment.body ?? '' };
}

const push = z.object({ ref: z.string(), deleted: z.boolean().optional(), after: z.string().optional(), repository });

export function giteePush(payload: unknown): PushEvent | null {
  const parsed = push.safeParse(payload);
  if (!parsed.success) return null;
  const r = parsed.data.repository;
  const repo = repoOf(r);
  if (!repo) return null;
  return {
    urls: [r.html_url, r.git_http_url, r.git_ssh_url, r.url].filter((u): u is string => Boolean(u)),
    fullName: `${repo.owner}/${repo.name}`,
    forge: 'gitee',
    ref: parsed.data.ref,
    deleted: parsed.data.deleted ?? /^0+$/.test(parsed.data.after ?? ''),
  };
}
