/**
 * The service's API as the CLI uses it. The old commands (add, query, delete) go through the compat routes
 * (/tracking, /issue) so they also work against the old Python server; the new commands (update, enable,
 * disable, scan, token) need /api/v1. Answers are turned into data or into a CliError that says what the
 * server refused and why.
 */
import { CliError, EXIT_FAILED } from './errors.js';
import { ConnectionError, type HttpClient, type HttpResponse } from './http.js';

/** A tracking as GET /tracking returns it: the old keys, plus the engine's status on the new server. */
export interface CompatTracking {
  version_control: string;
  scm_repo: string;
  scm_branch: string;
  scm_commit: string | null;
  repo: string;
  branch: string;
  enabled: boolean;
  status?: string;
  last_error?: string | null;
  [key: string]: unknown;
}

export interface TrackingBody {
  version_control: string;
  scm_repo: string;
  scm_branch: string;
  scm_commit?: string | null;
  repo: string;
  branch: string;
  enabled: boolean;
}

export interface V1Tracking extends CompatTracking {
  id: number;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  token?: string;
}

export interface MailProject {
  id: number;
  link_name: string;
  name: string;
  list_id: string;
  list_email: string;
  subject_match: string;
  web_url: string;
  scm_url: string;
  webscm_url: string;
  list_archive_url: string;
}

/** The server refused or failed a request. `fatal`: every further request would fail the same way. */
export class ServerError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly fatal = false,
  ) {
    super(message, EXIT_FAILED);
  }
}

export const COMPAT_SUCCESS = '2001';
export const COMPAT_NOTHING_TO_DELETE = '6005';

interface Envelope {
  code: string;
  msg?: string;
  data?: unknown;
  detail?: string;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** First line of an unexpected answer, without HTML tags, short enough for a message. */
function excerpt(body: string): string {
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

export class PatchTrackingApi {
  constructor(private readonly http: HttpClient) {}

  get server(): string {
    return this.http.server;
  }

  // ---- compat layer (/tracking, /issue): the old program's routes

  async listTrackings(filter: { repo?: string; branch?: string; enabled?: boolean } = {}): Promise<CompatTracking[]> {
    const data = await this.compat('GET', 'tracking', { repo: filter.repo, branch: filter.branch, enabled: filter.enabled?.toString() });
    return Array.isArray(data) ? (data as CompatTracking[]) : [];
  }

  async listIssues(filter: { repo?: string; branch?: string } = {}): Promise<Record<string, unknown>[]> {
    const data = await this.compat('GET', 'issue', { repo: filter.repo, branch: filter.branch });
    return Array.isArray(data) ? (data as Record<string, unknown>[]) : [];
  }

  /** POST /tracking: an upsert on (repo, branch). */
  async upsertTracking(body: TrackingBody): Promise<void> {
    await this.compat('POST', 'tracking', undefined, body);
  }

  /** DELETE /tracking; false when there was nothing to delete (code 6005). */
  async deleteTrackings(repo: string, branch?: string): Promise<boolean> {
    try {
      await this.compat('DELETE', 'tracking', { repo, branch });
      return true;
    } catch (err) {
      if (err instanceof ServerError && err.code === COMPAT_NOTHING_TO_DELETE) return false;
      throw err;
    }
  }

  // ---- /api/v1

  async listV1Trackings(filter: { repo?: string; branch?: string } = {}): Promise<V1Tracking[]> {
    const rows: V1Tracking[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await this.v1('GET', 'api/v1/trackings', { repo: filter.repo, branch: filter.branch, limit: '500', after })) as V1Tracking[];
      rows.push(...page);
      if (page.length < 500) return rows;
      after = String(page[page.length - 1]!.id);
    }
  }

  async findTracking(repo: string, branch: string): Promise<V1Tracking> {
    const [row] = await this.listV1Trackings({ repo, branch });
    if (!row) throw new ServerError(`no tracking for repo ${repo} branch ${branch}`, 404, 'not_found');
    return row;
  }

  async patchTracking(id: number, patch: Record<string, unknown>): Promise<V1Tracking> {
    return (await this.v1('PATCH', `api/v1/trackings/${id}`, undefined, patch)) as V1Tracking;
  }

  async scan(id: number, dryRun: boolean): Promise<unknown> {
    // a real scan fetches and publishes: allow it far more time than a CRUD call
    return this.v1('POST', `api/v1/trackings/${id}/scan`, dryRun ? { dry_run: 'true' } : undefined, undefined, 15 * 60_000);
  }

  async upstreamed(id: number): Promise<unknown> {
    // the upstream is fetched first: allow it the time a scan gets
    return this.v1('GET', `api/v1/trackings/${id}/upstreamed`, undefined, undefined, 15 * 60_000);
  }

  async createToken(name: string, scopes: string[], user?: string): Promise<ApiToken> {
    return (await this.v1('POST', 'api/v1/tokens', undefined, { name, scopes, ...(user ? { user } : {}) })) as ApiToken;
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.v1('GET', 'api/v1/tokens')) as ApiToken[];
  }

  async revokeToken(id: number): Promise<void> {
    await this.v1('DELETE', `api/v1/tokens/${id}`);
  }

  async createProject(body: Record<string, unknown>): Promise<MailProject> {
    return (await this.v1('POST', 'api/v1/projects', undefined, body)) as MailProject;
  }

  async listProjects(): Promise<MailProject[]> {
    return (await this.v1('GET', 'api/v1/projects')) as MailProject[];
  }

  async updateProject(id: number, patch: Record<string, unknown>): Promise<MailProject> {
    return (await this.v1('PATCH', `api/v1/projects/${id}`, undefined, patch)) as MailProject;
  }

  // ---- plumbing

  private async compat(method: 'GET' | 'POST' | 'DELETE', path: string, query?: Record<string, string | undefined>, json?: unknown): Promise<unknown> {
    const response = await this.http.request({ method, path, query, json });
    this.rejectAuthProblems(response);
    const envelope = parseJson(response.body) as Envelope | undefined;
    if (!envelope || typeof envelope !== 'object' || typeof envelope.code !== 'string') {
      throw new ServerError(`unexpected answer from ${this.server} to ${method} /${path}: HTTP ${response.status} ${excerpt(response.body)}`, response.status);
    }
    if (envelope.code !== COMPAT_SUCCESS) {
      const detail = envelope.detail ? `: ${envelope.detail}` : '';
      throw new ServerError(`the server refused ${method} /${path}: ${envelope.msg ?? 'error'} (code ${envelope.code})${detail}`, response.status, envelope.code);
    }
    return envelope.data;
  }

  private async v1(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    query?: Record<string, string | undefined>,
    json?: unknown,
    timeoutMs?: number,
  ): Promise<unknown> {
    const response = await this.http.request({ method, path, query, json, timeoutMs });
    this.rejectAuthProblems(response);
    const parsed = parseJson(response.body) as { error?: { code?: string; message?: string; field?: string } } | undefined;
    if (response.status >= 200 && response.status < 300) return response.status === 204 ? null : parsed;
    const error = parsed?.error;
    if (error?.message) {
      throw new ServerError(`${error.message}${error.code ? ` (${error.code})` : ''}`, response.status, error.code);
    }
    if (response.status === 404) {
      throw new ServerError(`${this.server} has no /${path.split('/').slice(0, 2).join('/')} (an old patch-tracking server?): this command needs the new service`, 404, 'no_api_v1', true);
    }
    throw new ServerError(`unexpected answer from ${this.server} to ${method} /${path}: HTTP ${response.status} ${excerpt(response.body)}`, response.status);
  }

  private rejectAuthProblems(response: HttpResponse): void {
    if (response.status === 401) {
      const kind = this.http.credentialKind;
      const message =
        kind === 'password'
          ? `authentication failed: the server rejected user "${this.http.user}" with the given password`
          : kind === 'token'
            ? 'authentication failed: the server rejected the API token (revoked or mistyped?)'
            : 'the server requires authentication: give --user and --password (or PATCH_TRACKING_PASSWORD), or --token (or PATCH_TRACKING_TOKEN)';
      throw new ServerError(message, 401, 'unauthorized', true);
    }
    // the compat routes answer a credential without the scope in plain text (the old program had no JSON errors)
    if (response.status === 403 && response.body.startsWith('Forbidden: this needs')) {
      throw new ServerError(`the credential may not do this: ${response.body.slice('Forbidden: '.length).trim()}`, 403, 'insufficient_scope', true);
    }
    if (response.status === 429) {
      const retry = response.headers['retry-after'];
      throw new ServerError(`too many failed logins from this address${retry ? `; retry in ${retry} s` : ''}`, 429, 'too_many_attempts', true);
    }
    if (response.status === 413) throw new ServerError('the request is larger than the server accepts (BODY_LIMIT)', 413, 'body_too_large');
  }
}

export function isFatal(err: unknown): boolean {
  return err instanceof ConnectionError || (err instanceof ServerError && err.fatal);
}
