/**
 * The service's own OpenAPI document (GET /api/v1/openapi.json) as the contract for answers a CLI test has
 * to fake with nock: a faked answer that the real server could not send fails the test instead of teaching
 * the CLI a shape that does not exist.
 */
import { z } from 'zod';
import { openApiDocument } from '../helpers/openapi.js';

type JsonSchema = Record<string, unknown>;

interface OpenApiDocument {
  servers?: { url: string }[];
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }> }>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Contract {
  /** `body` unchanged if the document allows it as the JSON answer to `method path` with `status`; throws otherwise. */
  answer<T>(method: string, path: string, status: number, body: T): T;
}

/** The contract of a running service (GET /api/v1/openapi.json). */
export async function loadContract(serviceUrl: string): Promise<Contract> {
  const response = await fetch(new URL('/api/v1/openapi.json', serviceUrl));
  if (!response.ok) throw new Error(`GET /api/v1/openapi.json answered ${response.status}`);
  return contractOf((await response.json()) as OpenApiDocument);
}

/** The same document, from the service's HTTP app built in this process (for tests that start no service). */
export async function serviceContract(): Promise<Contract> {
  return contractOf((await openApiDocument()) as OpenApiDocument);
}

function contractOf(doc: OpenApiDocument): Contract {
  const base = doc.servers?.[0]?.url ?? '';
  // zod resolves only "#/$defs/..." references; OpenAPI 3.1 keeps the same schemas under components
  const defs = JSON.parse(JSON.stringify(doc.components?.schemas ?? {}).replaceAll('"#/components/schemas/', '"#/$defs/')) as Record<string, JsonSchema>;

  return {
    answer(method, path, status, body) {
      const template = Object.keys(doc.paths).find((candidate) => pathMatches(base + candidate, path));
      if (!template) throw new Error(`the OpenAPI document has no path matching ${path}`);
      const operation = doc.paths[template]![method.toLowerCase()];
      if (!operation) throw new Error(`the OpenAPI document has no ${method.toUpperCase()} ${base}${template}`);
      const schema = operation.responses?.[String(status)]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`the OpenAPI document has no JSON ${status} answer for ${method.toUpperCase()} ${base}${template}`);
      const refs = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"#/$defs/')) as JsonSchema;
      const validator = z.fromJSONSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...refs, $defs: defs });
      const checked = validator.safeParse(body);
      if (!checked.success) {
        throw new Error(`a faked ${status} answer to ${method.toUpperCase()} ${path} is not what the server sends:\n${z.prettifyError(checked.error)}`);
      }
      return body;
    },
  };
}

/** `/api/v1/trackings/{id}/scan` matches `/api/v1/trackings/7/scan`. */
function pathMatches(template: string, path: string): boolean {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(path);
}
