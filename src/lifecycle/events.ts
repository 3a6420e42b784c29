/**
 * What the lifecycle reacts to, the same for GitHub (Probot) and Gitee (its webhook route): each forge's
 * payloads are validated and mapped to these at the edge.
 */
import type { ForgeRepo } from '../forges/types.js';

export interface PullClosedEvent {
  repo: ForgeRepo;
  number: string;
  merged: boolean;
  mergedAt: Date | null;
  /** the PR's head branch */
  head: string;
  url?: string;
}

export interface CommentEvent {
  repo: ForgeRepo;
  /** where the comment was made: an issue (Gitee id like I1ABCD, GitHub number) or a PR number */
  target: { kind: 'issue' | 'pull'; id: string };
  user: string;
  /** bots never steer the bot (and never answer their own replies) */
  isBot: boolean;
  body: string;
}

export interface PushEvent {
  /** every URL the pushed repository is known by (web, https clone, ssh clone) */
  urls: string[];
  /** owner/name on its forge */
  fullName: string;
  forge: 'github' | 'gitee';
  /** refs/heads/<branch> */
  ref: string;
  deleted: boolean;
}

/** `refs/heads/x` → `x`; tags and other refs → null. */
export function branchOfRef(ref: string): string | null {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
}

export function sameRepo(a: Pick<ForgeRepo, 'forge' | 'owner' | 'name'>, b: Pick<ForgeRepo, 'forge' | 'owner' | 'name'>): boolean {
  return a.forge === b.forge && a.owner.toLowerCase() === b.owner.toLowerCase() && a.name.toLowerCase() === b.name.toLowerCase();
}
