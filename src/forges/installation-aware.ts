/**
 * A GitHub forge that publishes with the GitHub App installation's Octokit where the app is installed on the
 * repository, else with the token-based adapter. Which installation covers a repository is the lifecycle's
 * business (lifecycle/installations.ts); this adapter only picks the Octokit per call.
 */
import type { Octokit } from '@octokit/rest';
import { closingReference, GitHubForge } from './github.js';
import type { Forge, ForgeRepo } from './types.js';

export interface InstallationOctokits {
  /** the installation's Octokit, or null when the app is not installed on owner/name */
  octokitFor(owner: string, name: string): Promise<Octokit | null>;
}

export class InstallationAwareForge implements Forge {
  readonly kind = 'github' as const;
  private readonly forges = new WeakMap<Octokit, Forge>();

  constructor(
    private readonly installations: InstallationOctokits,
    private readonly fallback: () => Forge,
  ) {}

  private async pick(repo: ForgeRepo): Promise<Forge> {
    const octokit = await this.installations.octokitFor(repo.owner, repo.name);
    if (!octokit) return this.fallback();
    let forge = this.forges.get(octokit);
    if (!forge) {
      forge = new GitHubForge(octokit);
      this.forges.set(octokit, forge);
    }
    return forge;
  }

  // the same on either Octokit: no need to pick one (and no token needed to write a PR body)
  issueReference(issueId: string): string {
    return closingReference(issueId);
  }

  branchHead: Forge['branchHead'] = async (repo, ...a) => (await this.pick(repo)).branchHead(repo, ...a);
  createBranch: Forge['createBranch'] = async (repo, ...a) => (await this.pick(repo)).createBranch(repo, ...a);
  readFile: Forge['readFile'] = async (repo, ...a) => (await this.pick(repo)).readFile(repo, ...a);
  listFiles: Forge['listFiles'] = async (repo, ...a) => (await this.pick(repo)).listFiles(repo, ...a);
  commitFiles: Forge['commitFiles'] = async (repo, ...a) => (await this.pick(repo)).commitFiles(repo, ...a);
  findIssueByMarker: Forge['findIssueByMarker'] = async (repo, ...a) => (await this.pick(repo)).findIssueByMarker(repo, ...a);
  createIssue: Forge['createIssue'] = async (repo, ...a) => (await this.pick(repo)).createIssue(repo, ...a);
  findPullByHead: Forge['findPullByHead'] = async (repo, ...a) => (await this.pick(repo)).findPullByHead(repo, ...a);
  createPullRequest: Forge['createPullRequest'] = async (repo, ...a) => (await this.pick(repo)).createPullRequest(repo, ...a);
  comment: Forge['comment'] = async (repo, ...a) => (await this.pick(repo)).comment(repo, ...a);
  closeIssue: Forge['closeIssue'] = async (repo, ...a) => (await this.pick(repo)).closeIssue(repo, ...a);
  deleteBranch: Forge['deleteBranch'] = async (repo, ...a) => (await this.pick(repo)).deleteBranch(repo, ...a);
}
