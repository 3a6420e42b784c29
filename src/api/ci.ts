/**
 * `GET|POST /api/v1/ci`: a CI request on demand, as brep's CI submission takes it (query string or form:
 * repository, repeated package, simulate, custom values), answered with the result manifest and its
 * status as the HTTP status. Submitting runs a program on this host, so it needs write access.
 */
import { Hono, type Context } from 'hono';
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

export function ciRoutes(deps: CiRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.on(['GET', 'POST'], '/api/v1/ci', guard(deps.requireWrite), async (c) => {
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
