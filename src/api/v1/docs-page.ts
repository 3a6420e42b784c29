/**
 * A self-contained, human-readable page for the OpenAPI document (no CDN: the service may run offline).
 */
type Json = Record<string, unknown>;

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
      const body = ((o.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
      const responses = Object.entries((o.responses as Json | undefined) ?? {})
        .map(([status, r]) => `<li><b>${escape(status)}</b> ${escape(String((r as Json).description ?? ''))}</li>`)
        .join('');
      return `<section><h3><span class="m">${method.toUpperCase()}</span> <code>/api/v1${escape(path)}</code></h3>
<p>${escape(String(o.summary ?? ''))}${o.security ? ' <em>(authentication required)</em>' : ''}</p>
${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
${body ? `<h4>Body</h4>${schemaText(body.schema, components)}` : ''}
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
<h2>Operations</h2>${operations.join('')}<h2>Schemas</h2>${schemas}</body></html>`;
}
