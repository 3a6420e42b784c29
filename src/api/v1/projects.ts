/**
 * /api/v1/projects: the mailing-list projects (what `patch-tracking project add` creates), over HTTP, so an
 * admin need not be on the database's machine. Reads follow READ_AUTH; creating and changing need the
 * admin scope. The rules (link name, list id, subject match, one project per list id and subject match)
 * are the domain's (mail/store/projects.ts): this file only parses and maps.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Database } from '../../db/client.js';
import type { MailProjectRow } from '../../db/schema/mail.js';
import { AppError } from '../../errors.js';
import {
  addDelegationRule,
  addProjectDelegate,
  createProject,
  listProjects,
  updateProject,
  type NewProject,
} from '../../mail/store/projects.js';
import { findProject } from '../../patchwork/projects.js';
import { guardByMethod, type Guard } from '../auth-guard.js';
import type { ApiEnv } from '../context.js';
import { rowIdText } from '../../input.js';
import { errorSchema } from './representations.js';
import { validationHook } from './validation-hook.js';

export interface ProjectRouteDeps {
  db: Database;
  requireRead: Guard;
  requireAdmin: Guard;
  /** called after a project changed, so the mail intake sees it at once */
  onChange?: () => void;
}

export const projectSchema = z
  .object({
    id: z.number().int(),
    link_name: z.string().openapi({ description: "short name used in URLs and in subjects' prefixes" }),
    name: z.string(),
    list_id: z.string().openapi({ description: 'the List-Id of the mailing list, e.g. dev.lists.example.org' }),
    list_email: z.string().openapi({ description: "the list's posting address" }),
    subject_match: z.string().openapi({ description: "a regular expression the subjects must match ('' = every mail of the list)" }),
    web_url: z.string(),
    scm_url: z.string(),
    webscm_url: z.string(),
    list_archive_url: z.string(),
    created_at: z.string(),
  })
  .openapi('MailProject');

function projectJson(row: MailProjectRow): z.infer<typeof projectSchema> {
  return {
    id: row.id,
    link_name: row.linkName,
    name: row.name,
    list_id: row.listId,
    list_email: row.listEmail,
    subject_match: row.subjectMatch,
    web_url: row.webUrl,
    scm_url: row.scmUrl,
    webscm_url: row.webscmUrl,
    list_archive_url: row.listArchiveUrl,
    created_at: row.createdAt.toISOString(),
  };
}

const text = (max: number) => z.string().max(max);
const fields = {
  link_name: z.string().min(1).max(255).openapi({ description: "letters, digits, '.', '_' or '-'" }),
  name: text(255).min(1),
  list_id: z.string().min(1).max(255),
  list_email: text(255),
  subject_match: text(1000).openapi({ description: 'a regular expression (for several projects on one list)' }),
  web_url: text(2000),
  scm_url: text(2000),
  webscm_url: text(2000),
  list_archive_url: text(2000),
};

const projectInputSchema = z
  .object({
    ...fields,
    name: fields.name.optional().openapi({ description: 'display name (default: the link name)' }),
    list_email: fields.list_email.optional(),
    subject_match: fields.subject_match.optional(),
    web_url: fields.web_url.optional(),
    scm_url: fields.scm_url.optional(),
    webscm_url: fields.webscm_url.optional(),
    list_archive_url: fields.list_archive_url.optional(),
    delegates: z.array(z.string().email().max(255)).max(1000).optional().openapi({ description: 'addresses patches may be delegated to' }),
    autodelegate: z
      .array(z.object({ path: z.string().min(1).max(1000), email: z.string().email().max(255), priority: z.number().int().min(-1_000_000).max(1_000_000).optional() }).strict())
      .max(1000)
      .optional()
      .openapi({ description: 'delegate patches that touch only files matching `path` (a glob) to `email`' }),
  })
  .strict()
  .openapi('MailProjectInput');

const projectPatchSchema = z
  .object(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof fields]: z.ZodOptional<(typeof fields)[K]> })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' })
  .openapi('MailProjectPatch');

/** The API's snake_case fields as the domain's project fields; absent stays absent. */
function toDomain(input: Partial<Record<keyof typeof fields, string>>): Partial<NewProject> {
  const out: Partial<NewProject> = {};
  if (input.link_name !== undefined) out.linkName = input.link_name;
  if (input.name !== undefined) out.name = input.name;
  if (input.list_id !== undefined) out.listId = input.list_id;
  if (input.list_email !== undefined) out.listEmail = input.list_email;
  if (input.subject_match !== undefined) out.subjectMatch = input.subject_match;
  if (input.web_url !== undefined) out.webUrl = input.web_url;
  if (input.scm_url !== undefined) out.scmUrl = input.scm_url;
  if (input.webscm_url !== undefined) out.webscmUrl = input.webscm_url;
  if (input.list_archive_url !== undefined) out.listArchiveUrl = input.list_archive_url;
  return out;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const errors = {
  400: json(errorSchema, 'invalid request (the field is named)'),
  401: json(errorSchema, 'authentication required'),
  403: json(errorSchema, 'the credential lacks the admin scope (insufficient_scope)'),
};
const security: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }];
const idParam = z.object({ id: rowIdText.openapi({ param: { name: 'id', in: 'path' } }) });

export function projectRoutes(deps: ProjectRouteDeps) {
  const { db } = deps;
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use('/projects', guardByMethod(deps.requireRead, deps.requireAdmin));
  app.use('/projects/*', guardByMethod(deps.requireRead, deps.requireAdmin));

  app.openapi(
    createRoute({ method: 'get', path: '/projects', summary: 'List mailing-list projects', responses: { 200: json(z.array(projectSchema), 'projects, by id'), ...errors } }),
    async (c) => c.json((await listProjects(db)).map(projectJson), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/projects/{id}',
      summary: 'One mailing-list project',
      request: { params: idParam },
      responses: { 200: json(projectSchema, 'the project'), 404: json(errorSchema, 'no such project'), ...errors },
    }),
    async (c) => {
      const row = await findProject(db, String(c.req.valid('param').id));
      if (!row) throw new AppError('not_found', 'no such project');
      return c.json(projectJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/projects',
      summary: 'Create a mailing-list project (admin scope)',
      security,
      request: { body: { content: { 'application/json': { schema: projectInputSchema } }, required: true } },
      responses: { 201: json(projectSchema, 'created'), 409: json(errorSchema, 'the link name, or the list id with this subject match, is taken'), ...errors },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const row = await createProject(db, { ...toDomain(input), linkName: input.link_name, listId: input.list_id });
      for (const email of input.delegates ?? []) await addProjectDelegate(db, row.id, email);
      for (const rule of input.autodelegate ?? []) await addDelegationRule(db, row.id, rule);
      deps.onChange?.();
      c.header('Location', `/api/v1/projects/${row.id}`);
      return c.json(projectJson(row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/projects/{id}',
      summary: "Change a mailing-list project's fields (admin scope)",
      security,
      request: { params: idParam, body: { content: { 'application/json': { schema: projectPatchSchema } }, required: true } },
      responses: {
        200: json(projectSchema, 'changed'),
        404: json(errorSchema, 'no such project'),
        409: json(errorSchema, 'the link name, or the list id with this subject match, is taken'),
        ...errors,
      },
    }),
    async (c) => {
      const row = await updateProject(db, c.req.valid('param').id, toDomain(c.req.valid('json')));
      deps.onChange?.();
      return c.json(projectJson(row), 200);
    },
  );

  return app;
}
