import type { AppError } from '../errors.js';
import type { CiResult } from './handler.js';
import { serializeManifest, serializeResultManifest } from './manifest.js';

export interface CiHttpResponse {
  status: number;
  contentType: string;
  body: string;
}

const MANIFEST_TYPE = 'text/manifest;charset=utf-8';

/** The answer to `GET|POST /api/v1/ci`: the result manifest with its status as the HTTP status. */
export function renderCiResponse(result: CiResult): CiHttpResponse {
  if (result.format === 'text') {
    return { status: result.status, contentType: 'text/plain;charset=utf-8', body: `${result.message}\n` };
  }
  if (result.format === 'html') {
    const body =
      '<!DOCTYPE html>\n<html><head><title>Internal Error</title></head>' +
      `<body>${escapeHtml(result.message)}</body></html>\n`;
    return { status: result.status, contentType: 'text/html;charset=utf-8', body };
  }
  return { status: result.status, contentType: MANIFEST_TYPE, body: serializeResultManifest(result) };
}

/** brep answers check violations (a bad parameter) with a manifest too: status and message, no reference. */
export function renderCiClientError(error: AppError, status: number): CiHttpResponse {
  const message = error.message.replace(/[^\x20-\x7e]/g, '?');
  const body = serializeManifest([
    { name: 'status', value: String(status) },
    { name: 'message', value: message },
  ]);
  return { status, contentType: MANIFEST_TYPE, body };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
