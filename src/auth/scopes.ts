/**
 * What an API token may do. Each route group needs one scope for its writes (and `read` for reads when
 * READ_AUTH is on); `admin` implies every scope, and any scope implies `read` (a tester or a CI bot reads
 * what it works on). Only `admin` manages tokens, users and projects.
 */
export const SCOPES = ['read', 'trackings', 'patches', 'checks', 'tester', 'mail', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** What each scope lets a holder do, for the API reference, the CLI help and the README. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  read: 'read everything the service serves (when READ_AUTH is on)',
  trackings: 'create, change, delete and scan trackings (/api/v1/trackings and the compat /tracking)',
  patches: "change mail patches' state, delegate and archived flag (Patchwork API)",
  checks: 'post check results (/api/v1/checks, Patchwork checks) and CI submissions (/api/v1/ci)',
  tester: 'claim and report tester jobs (/api/v1/testers)',
  mail: 'post mails to the list ingest (/api/v1/mail)',
  admin: 'everything, including API tokens, users and mailing-list projects',
};

/** Every scope: what the admin login holds and what tokens from before scopes existed were given. */
export const ALL_SCOPES: readonly Scope[] = SCOPES;

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Whether holding `held` is enough for `needed`. */
export function grants(held: readonly string[], needed: Scope): boolean {
  if (held.includes('admin') || held.includes(needed)) return true;
  return needed === 'read' && held.some(isScope);
}

/** A set of scopes in one order, without duplicates (how they are stored and shown). */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  return SCOPES.filter((s) => scopes.includes(s));
}
