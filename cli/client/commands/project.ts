/**
 * `project add|list|update`: mailing-list projects through /api/v1/projects (admin scope for changes), so
 * an admin need not be on the database's machine. The server applies the rules; flags map to fields.
 */
import type { MailProject } from '../api.js';
import { connect, type RunContext } from '../context.js';
import { usageError } from '../errors.js';
import type { ConnectionFlags } from '../options.js';
import { formatTable } from '../table.js';

/** The project flags (camelCase as commander gives them) and the API field each sets. */
export const PROJECT_FLAGS = [
  ['name', 'name', '<name>', 'display name (default: the link name)'],
  ['listId', 'list_id', '<id>', 'the List-Id of the list, e.g. dev.lists.example.org'],
  ['listEmail', 'list_email', '<address>', "the list's posting address"],
  ['subjectMatch', 'subject_match', '<regex>', 'only mails whose subject matches (for several projects on one list)'],
  ['webUrl', 'web_url', '<url>', "the project's web page"],
  ['scmUrl', 'scm_url', '<url>', "the project's repository"],
  ['webscmUrl', 'webscm_url', '<url>', "the repository's web view"],
  ['listArchiveUrl', 'list_archive_url', '<url>', "the list's archive"],
] as const;

type ProjectOptions = ConnectionFlags & { json?: boolean } & Partial<Record<(typeof PROJECT_FLAGS)[number][0], string>>;

function fieldsOf(options: ProjectOptions): Record<string, string> {
  const body: Record<string, string> = {};
  for (const [flag, field] of PROJECT_FLAGS) if (options[flag] !== undefined) body[field] = options[flag]!;
  return body;
}

function print(context: RunContext, project: MailProject, verb: string, json?: boolean) {
  if (json) context.io.stdout.write(`${JSON.stringify(project, null, 2)}\n`);
  else context.io.stdout.write(`${verb} project ${project.link_name} (id ${project.id}) tracking ${project.list_id}${project.subject_match ? ` where the subject matches /${project.subject_match}/` : ''}\n`);
}

export async function projectAddAction(context: RunContext, linkName: string, options: ProjectOptions & { delegate: string[] }) {
  const api = await connect(context, options, 'required');
  const body: Record<string, unknown> = { link_name: linkName, ...fieldsOf(options) };
  if (options.delegate.length) body.delegates = options.delegate;
  print(context, await api.createProject(body), 'added', options.json);
}

export async function projectListAction(context: RunContext, options: ConnectionFlags & { json?: boolean }) {
  const api = await connect(context, options, 'optional');
  const projects = await api.listProjects();
  if (options.json) context.io.stdout.write(`${JSON.stringify(projects, null, 2)}\n`);
  else if (projects.length === 0) context.io.stderr.write('no projects\n');
  else context.io.stdout.write(formatTable(projects as unknown as Record<string, unknown>[], ['id', 'link_name', 'name', 'list_id', 'subject_match', 'list_email'].map((key) => ({ key }))));
}

export async function projectUpdateAction(context: RunContext, ref: string, options: ProjectOptions & { linkName?: string }) {
  const patch = fieldsOf(options);
  if (options.linkName !== undefined) patch.link_name = options.linkName;
  if (Object.keys(patch).length === 0) throw usageError('project update: give at least one field to change (see --help)');
  const api = await connect(context, options, 'required');
  const id = /^[1-9][0-9]{0,8}$/.test(ref) ? Number(ref) : (await api.listProjects()).find((p) => p.link_name === ref)?.id;
  if (id === undefined) throw usageError(`project update: no project "${ref.slice(0, 60)}" (give its id or link name, see project list)`);
  print(context, await api.updateProject(id, patch), 'updated', options.json);
}
