/**
 * The shapes of what users hand us, as zod schemas. The same schemas validate the compat API, /api/v1 (and
 * generate its OpenAPI document) and the CLI's YAML files, so all three agree on what is valid.
 */
import { z } from '@hono/zod-openapi';
import type { TrackingRow } from './db/schema/index.js';
import type { TrackingInput } from './db/trackings.js';
import { AppError } from './errors.js';
import { isBranchName } from './sources/git-ref.js';
import { assertGitUrl } from './sources/git-url.js';
import { ABBREVIATED_COMMIT_ID, VERSION_CONTROLS } from './sources/types.js';


const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A git branch name: the rule the git source applies (sources/git-ref.ts). */
export const refName = z
  .string()
  .min(1, 'must not be empty')
  .max(255)
  .refine(isBranchName, { message: 'is not a valid branch name' });

const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max)
    .refine((v) => !CONTROL_CHARS.test(v) && v.trim() === v, { message: 'must not contain control characters or surrounding spaces' });

/**
 * `owner/name` (Gitee, as the old program took it), an http(s) URL of the repository, or a local
 * repository (absolute path or file:// URL) that only dry runs read (src/forges/local.ts).
 */
export const targetRepo = text(512).refine(
  (v) => /^[\w.-]+\/[\w.-]+$/.test(v) || /^https?:\/\/[^\s/@]+(\/[\w.-]+){2,}\/?$/.test(v) || (/^(\/|file:\/\/\/)\S*$/.test(v) && !v.split('/').includes('..')),
  { message: 'expected owner/name, https://host/owner/name, or (for dry runs) an absolute path or file:/// URL of a local repository' },
);

/** PostgreSQL's integer: no row has a larger id, and a larger number would make the query itself fail. */
export const PG_INT_MAX = 2_147_483_647;

/** A row id in a JSON body. */
export const rowId = z.number().int().positive().max(PG_INT_MAX, `no such id (ids are at most ${PG_INT_MAX})`);

/**
 * A whole number in a path or query string: decimal digits only (JavaScript's Number() reads `0x34` as 52 and
 * `1e3` as 1000), within PostgreSQL's integer.
 */
export const decimalText = (min: number, max = PG_INT_MAX) =>
  z
    .string()
    .regex(/^[0-9]{1,10}$/, 'expected a decimal number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** A row id in a path or query string. */
export const rowIdText = decimalText(1);

const COMMIT_ID_MESSAGE = 'expected a hexadecimal commit id (4 to 64 characters)';
export const commitSha = z.string().regex(ABBREVIATED_COMMIT_ID, COMMIT_ID_MESSAGE);

const trackingFields = {
    version_control: z.enum(VERSION_CONTROLS).openapi({ description: 'kind of upstream: github (API), git (any git URL) or mail (a mailing-list series)' }),
    scm_repo: text(1024).openapi({ description: 'upstream: owner/name on GitHub, a git URL, or a mailing-list id', example: 'BJMX/testPatch01' }),
    scm_branch: text(255).openapi({ description: 'upstream branch (for mail: a subject tag filter such as PATCH, or *)', example: 'master' }),
    scm_commit: z
      .string()
      .max(256)
      .nullable()
      .optional()
      .openapi({ description: 'last upstream commit processed; omit to keep the stored value, null to restart from the current head' }),
    repo: targetRepo.openapi({ description: 'target repository: owner/name (Gitee) or https://gitee.com/o/r, https://github.com/o/r; a local path or file:/// URL for dry runs', example: 'src-openeuler/foo' }),
    branch: refName.openapi({ description: 'target branch', example: 'master' }),
    enabled: z.boolean().openapi({ description: 'whether the scheduler tracks it' }),
};

export const trackingInputSchema = z
  .object(trackingFields)
  .strict()
  .superRefine((value, ctx) => {
    if (value.version_control !== 'mail' && value.scm_commit != null && !commitSha.safeParse(value.scm_commit).success) {
      ctx.addIssue({ code: 'custom', path: ['scm_commit'], message: COMMIT_ID_MESSAGE });
    }
    if (value.version_control === 'github' && !/^([\w.-]+\/[\w.-]+|https?:\/\/\S+)$/.test(value.scm_repo)) {
      ctx.addIssue({ code: 'custom', path: ['scm_repo'], message: 'expected owner/name or a GitHub URL' });
    }
    if (value.version_control === 'git') {
      // the URL forms git understands, nothing it could read as an option (sources/git-url.ts); whether the
      // service may read it is the upstream policy's question, asked by the route (sources/upstream-policy.ts)
      try {
        assertGitUrl(value.scm_repo);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['scm_repo'], message: (err as Error).message.replace(/^scm_repo /, '') });
      }
    }
    if (value.version_control !== 'mail') {
      const branch = refName.safeParse(value.scm_branch);
      if (!branch.success) ctx.addIssue({ code: 'custom', path: ['scm_branch'], message: 'is not a valid branch name' });
    }
  })
  .openapi('TrackingInput');

export type TrackingInputBody = z.infer<typeof trackingInputSchema>;

/** The wire shape (snake_case, as the old API) to what db/trackings.ts takes. */
export function toTrackingInput(body: TrackingInputBody): TrackingInput {
  return {
    versionControl: body.version_control,
    scmRepo: body.scm_repo,
    scmBranch: body.scm_branch,
    // git ids are lowercase; an abbreviation is resolved to the full id later (tracker/commit-id.ts)
    scmCommit: body.version_control !== 'mail' && typeof body.scm_commit === 'string' ? body.scm_commit.toLowerCase() : body.scm_commit,
    repo: body.repo,
    branch: body.branch,
    enabled: body.enabled,
  };
}

export const trackingPatchSchema = z
  .object(trackingFields)
  .omit({ repo: true, branch: true })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to change' })
  .openapi('TrackingPatch');

export type TrackingPatchBody = z.infer<typeof trackingPatchSchema>;

/**
 * A PATCH is checked as the tracking it produces, by the very rules a POST passes (a commit id only for
 * git and github, a branch name git accepts, a GitHub repository shape), so no field can be changed into
 * something a POST would refuse. The stored commit is kept as it is unless the patch sets one.
 */
export function patchedTracking(current: TrackingRow, patch: TrackingPatchBody): TrackingInputBody {
  const merged = {
    version_control: patch.version_control ?? current.versionControl,
    scm_repo: patch.scm_repo ?? current.scmRepo,
    scm_branch: patch.scm_branch ?? current.scmBranch,
    ...(patch.scm_commit !== undefined ? { scm_commit: patch.scm_commit } : {}),
    repo: current.repo,
    branch: current.branch,
    enabled: patch.enabled ?? current.enabled,
  };
  return parseOrThrow(trackingInputSchema, merged);
}

/** The parsed value, or AppError('invalid_request') naming the first problem's field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const { field, message } = firstIssue(r.error);
    throw new AppError('invalid_request', message, { field });
  }
  return r.data;
}

/** First problem in a zod error, as a field path and a sentence. */
export function firstIssue(error: z.ZodError): { field: string | undefined; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: undefined, message: 'invalid input' };
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    return { field: keys[0], message: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` };
  }
  const field = issue.path.length ? issue.path.join('.') : undefined;
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const expected = (issue as { expected: string }).expected;
    message = issue.message.includes('received undefined') ? 'is required' : `expected ${expected}`;
  }
  return { field, message: field ? `${field}: ${message}` : message };
}
