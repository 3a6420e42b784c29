/** GitHub webhook payloads → lifecycle events (validated: a payload missing what we need is ignored, not a crash). */
import { z } from 'zod';
import type { ForgeRepo } from '../forges/types.js';
import type { CommentEvent, PullClosedEvent, PushEvent } from './events.js';

const repository = z.object({
  name: z.string(),
  full_name: z.string(),
  html_url: z.string(),
  owner: z.object({ login: z.string() }),
  clone_url: z.string().optional(),
  ssh_url: z.string().optional(),
  git_url: z.string().optional(),
});

function repoOf(r: z.infer<typeof repository>): ForgeRepo {
  return { forge: 'github', owner: r.owner.login, name: r.name, webUrl: r.html_url };
}

const pullClosed = z.object({
  repository,
  pull_request: z.object({
    number: z.number(),
    merged: z.boolean().nullable().optional(),
    merged_at: z.string().nullable().optional(),
    html_url: z.string().optional(),
    head: z.object({ ref: z.string() }),
  }),
});

export function githubPullClosed(payload: unknown): PullClosedEvent | null {
  const parsed = pullClosed.safeParse(payload);
  if (!parsed.success) return null;
  const { repository: r, pull_request: pr } = parsed.data;
  return {
    repo: repoOf(r),
    number: String(pr.number),
    merged: Boolean(pr.merged ?? pr.merged_at),
    mergedAt: pr.merged_at ? new Date(pr.merged_at) : null,
    head: pr.head.ref,
    url: pr.html_url,
  };
}

const issueComment = z.object({
  repository,
  issue: z.object({ number: z.number(), pull_request: z.unknown().optional() }),
  comment: z.object({ body: z.string().nullable(), user: z.object({ login: z.string(), type: z.string().optional() }) }),
});

export function githubComment(payload: unknown): CommentEvent | null {
  const parsed = issueComment.safeParse(payload);
  if (!parsed.success) return null;
  const { repository: r, issue, comment } = parsed.data;
  return {
    repo: repoOf(r),
    target: { kind: issue.pull_request ? 'pull' : 'issue', id: String(issue.number) },
    user: comment.user.login,
    isBot: comment.user.type === 'Bot' || comment.user.login.endsWith('[bot]'),
    body: comment.body ?? '',
  };
}

const push = z.object({ ref: z.string(), deleted: z.boolean().optional(), repository });

export function githubPush(payload: unknown): PushEvent | null {
  const parsed = push.safeParse(payload);
  if (!parsed.success) return null;
  const r = parsed.data.repository;
  return {
    urls: [r.html_url, r.clone_url, r.ssh_url, r.git_url].filter((u): u is string => Boolean(u)),
    fullName: r.full_name,
    forge: 'github',
    ref: parsed.data.ref,
    deleted: parsed.data.deleted ?? false,
  };
}
