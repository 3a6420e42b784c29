/**
 * `GET|POST /api/v1/ci`: a CI request on demand, as brep's CI submission takes it (query string or form:
 * repository, repeated package, simulate, custom values), answered with the result manifest and its
 * status as the HTTP status. Submitting runs a program on this host, so it needs write access. The path is
 * relative to /api/v1. Its parameters are brep's (any further name is a custom value), parsed by
 * ci/request.ts, whose errors are manifests too: the OpenAPI document describes them without validating.
 */
import { OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { runCiRequest } from '../ci/handler.js';
import { ciHandlerOptions, type CiSettings } from '../ci/publish-hook.js';
import { parseCiSubmission } from '../ci/request.js';
import { renderCiClientError, renderCiResponse, type CiHttpResponse } from '../ci/response.js';
import { guard, type Guard } from './auth-guard.js';
import type { ApiEnv } from './context.js';
import { clientAddress } from '../http/request.js';
import { statusOf } from '../http/status.js';
import { commonErrors, security } from './v1/params.js';

export interface CiRouteDeps {
  requireWrite: Guard;
  settings: CiSettings;
  logger: Logger;
}

/** No handler, no data directory: requests other than simulations answer ci_not_configured. */
export const CI_DISABLED: CiSettings = { ciHandler: '', ciHandlerArguments: [], ciHandlerTimeout: 600, ciDataDir: '', ciEmail: '' };

function send(r: CiHttpResponse): Response {
  return new Response(r.body, { status: r.status, headers: { 'content-type': r.contentType } });
}

async function submission(c: Context<ApiEnv>): Promise<URLSearchParams> {
  const params = new URLSearchParams(new URL(c.req.url).search);
  if (c.req.method !== 'POST') return params;
  const type = c.req.header('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    const form = await c.req.parseBody({ all: true });
    for (const [name, value] of Object.entries(form)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v !== 'string') throw new AppError('ci_invalid_request', `'${name}' must be a text value, not a file`, { field: name });
        params.append(name, v);
      }
    }
  } else if ((await c.req.text()).trim() !== '') {
    throw new AppError('ci_unsupported_media_type', 'send the values as a query string or form data', { field: 'content-type' });
  }
  return params;
}

const ciParameters = z.object({
  repository: z.string().openapi({ description: 'the repository to build (http, https, git or ssh URL), optionally with #<branch or commit>' }),
  package: z.array(z.string()).optional().openapi({ description: 'a package (<name> or <name>/<version>); repeat for several, none for every package' }),
  simulate: z.string().optional().openapi({ description: 'answer with a simulated outcome instead of running the handler (brep\'s simulate)' }),
});

const manifest = (description: string) => ({ description, content: { 'text/manifest': { schema: z.string().openapi({ description: 'a manifest: status, message, reference' }) } } });

function ciRoute(method: 'get' | 'post'): RouteConfig {
  return {
    method,
    path: '/ci',
    summary: method === 'get' ? 'Submit a CI request (parameters in the query string)' : 'Submit a CI request (parameters as a form or in the query string)',
    description: "brep's CI submission: the result manifest's status is the HTTP status. Further parameters are custom values passed to the handler.",
    security,
    request: {
      query: ciParameters,
      ...(method === 'post'
        ? { body: { content: { 'application/x-www-form-urlencoded': { schema: ciParameters }, 'multipart/form-data': { schema: ciParameters } } } }
        : {}),
    },
    responses: {
      200: manifest('the request was accepted: the result manifest (with its reference)'),
      400: manifest('a bad parameter: a manifest with status and message'),
      401: commonErrors[401],
      415: manifest('the body is neither a query string nor form data'),
      503: manifest('CI is not configured on this service'),
    },
  };
}

export function ciRoutes(deps: CiRouteDeps) {
  const app = new OpenAPIHono<ApiEnv>();
  // described, not validated: ci/request.ts is the one parser (brep's rules, custom values, manifest errors)
  app.openAPIRegistry.registerPath(ciRoute('get'));
  app.openAPIRegistry.registerPath(ciRoute('post'));
  app.on(['GET', 'POST'], '/ci', guard(deps.requireWrite), async (c) => {
    try {
      const request = parseCiSubmission(await submission(c));
      const agent = c.req.header('user-agent');
      request.clientIp = clientAddress(c).replace(/[^\x20-\x7e]/g, '?');
      if (agent) request.userAgent = agent.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
      const options = ciHandlerOptions(deps.settings, deps.logger);
      if (!options && request.simulate === undefined) {
        throw new AppError('ci_not_configured', 'CI is not configured on this service (CI_DATA_DIR is not set)', { field: 'CI_DATA_DIR' });
      }
      const result = await runCiRequest(options ?? { handlerArguments: [], timeoutMs: 0, dataDir: '', logger: deps.logger }, request);
      return send(renderCiResponse(result));
    } catch (err) {
      if (err instanceof AppError) {
        const status = statusOf(err);
        if (status >= 500) deps.logger.error({ code: err.code, err: err.message }, 'CI request failed');
        return send(renderCiClientError(err, status));
      }
      throw err;
    }
  });
  return app;
}
