/**
 * The OpenAPI document of /api/v1 and a self-contained, human-readable page for it (no CDN: the service
 * may run offline). The Patchwork-compatible API and the old program's routes are not in the document: the
 * page links Patchwork's own reference and describes the old routes in a short section.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';

type Json = Record<string, unknown>;

/** Patchwork's own reference for the API served at /api/1.3 (its clients: git-pw, pwclient). */
export const PATCHWORK_API_DOCS = 'https://patchwork.readthedocs.io/en/latest/api/rest/';

// biome-ignore lint/suspicious/noExplicitAny: any router's environment; only its registry is read
export function openApiDocument(v1: OpenAPIHono<any>, version = '1'): Json {
  return v1.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'patch-tracking API',
      version,
      description:
        'Trackings, the issues and PRs the bot opened, API tokens, mailing-list projects, mail intake, checks, published ranges, events, testers, CI and series comparison. ' +
        'Write operations need HTTP Basic (USER/PASSWORD) or a Bearer API token with the scope the operation needs (403 insufficient_scope names it); reads need them when READ_AUTH is set. ' +
        `The Patchwork-compatible API at /api/1.3 is described by Patchwork's own reference (${PATCHWORK_API_DOCS}).`,
    },
    externalDocs: { description: "the Patchwork-compatible API (/api/1.3): Patchwork's REST API reference", url: PATCHWORK_API_DOCS },
    servers: [{ url: '/api/v1' }],
  }) as unknown as Json;
}

/** The old program's routes, kept for its clients (not in the OpenAPI document). */
const COMPAT_SECTION = `<h2 id="compat">The old program's routes</h2>
<p>Kept unchanged for the old <code>patch-tracking-cli</code> and its scripts; new clients use <code>/api/v1</code>.
Every answer is the old envelope <code>{"code", "msg", "data"}</code> (<code>code</code> 2001 on success); writing needs
HTTP Basic (reading too when READ_AUTH is set), and a missing or wrong password is a 401 <code>Unauthorized Access</code>.</p>
<ul>
<li><code>GET /tracking</code> (<code>?repo=&amp;branch=&amp;enabled=</code>): the trackings; <code>POST /tracking</code> (JSON: version_control, scm_repo, scm_branch, scm_commit, repo, branch, enabled): add or change one; <code>DELETE /tracking?repo=&amp;branch=</code>: delete (all branches of the repo without <code>branch</code>).</li>
<li><code>GET /issue</code> (<code>?repo=&amp;branch=</code>): the issues and PRs the bot opened.</li>
</ul>`;

const escape = (s: string) => s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

function schemaText(schema: unknown, components: Json, depth = 0): string {
  if (!schema || typeof schema !== 'object' || depth > 4) return '';
  const s = schema as Json;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop()!;
    return `<a href="#schema-${escape(name)}">${escape(name)}</a>`;
  }
  if (s.type === 'array') return `array of ${schemaText(s.items, components, depth + 1)}`;
  if (s.type === 'object' && s.properties) {
    const required = new Set((s.required as string[] | undefined) ?? []);
    const rows = Object.entries(s.properties as Json)
      .map(([name, prop]) => {
        const p = prop as Json;
        const description = typeof p.description === 'string' ? ` — ${escape(p.description)}` : '';
        return `<li><code>${escape(name)}</code>${required.has(name) ? '' : ' (optional)'}: ${schemaText(p, components, depth + 1)}${description}</li>`;
      })
      .join('');
    return `object<ul>${rows}</ul>`;
  }
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((v) => `<code>${escape(String(v))}</code>`).join(', ')}`;
  if (Array.isArray(s.anyOf)) return (s.anyOf as unknown[]).map((x) => schemaText(x, components, depth + 1)).join(' or ');
  return escape(String(s.type ?? 'value'));
}

export function renderDocsPage(doc: Json): string {
  const components = ((doc.components as Json | undefined)?.schemas as Json | undefined) ?? {};
  const paths = (doc.paths as Json | undefined) ?? {};
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => {
      const o = op as Json;
      const params = ((o.parameters as Json[] | undefined) ?? [])
        .map((p) => `<li><code>${escape(String(p.name))}</code> (${escape(String(p.in))}${p.required ? ', required' : ''}): ${schemaText(p.schema, components)}${p.description ? ` — ${escape(String(p.description))}` : (p.schema as Json | undefined)?.description ? ` — ${escape(String((p.schema as Json).description))}` : ''}</li>`)
        .join('');
      const content = ((o.requestBody as Json | undefined)?.content as Json | undefined) ?? {};
      const bodyType = Object.keys(content)[0];
      const body = bodyType ? (content[bodyType] as Json) : undefined;
      const responses = Object.entries((o.responses as Json | undefined) ?? {})
        .map(([status, r]) => `<li><b>${escape(status)}</b> ${escape(String((r as Json).description ?? ''))}</li>`)
        .join('');
      return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>/api/v1${escape(path)}</code></h3>
<p>${escape(String(o.summary ?? ''))}${o.security ? ' <em>(authentication required)</em>' : ''}</p>
${o.description ? `<p>${escape(String(o.description))}</p>` : ''}
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
${body ? `<h4>Body (${escape(bodyType!)})</h4>${schemaText(body.schema, components)}` : ''}
<h4>Responses</h4><ul>${responses}</ul></section>`;
    }),
  );
  const schemas = Object.entries(components)
    .map(([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${schemaText(schema, components)}</section>`)
    .join('');
  const info = (doc.info as Json | undefined) ?? {};
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(String(info.title ?? 'API'))}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}section{border-top:1px solid #ddd;padding:.5rem 0}.m{background:#234;color:#fff;padding:0 .4rem;border-radius:3px;font-size:.9em}code{background:#f3f3f3;padding:0 .2rem}</style>
</head><body><h1>${escape(String(info.title ?? 'API'))} ${escape(String(info.version ?? ''))}</h1>
<p>${escape(String(info.description ?? ''))}</p><p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.1).</p>
<p>The Patchwork-compatible API (<code>/api/1.3</code>, for git-pw and pwclient) is described by <a href="${PATCHWORK_API_DOCS}">Patchwork's REST API reference</a>; the old program's routes are <a href="#compat">below</a>.</p>
<h2>Operations</h2>${operations.join('')}${COMPAT_SECTION}<h2>Schemas</h2>${schemas}</body></html>`;
}
