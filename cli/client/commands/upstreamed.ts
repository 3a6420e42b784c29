/**
 * `upstreamed`: GET /api/v1/trackings/{id}/upstreamed for the tracking named by --repo and --branch. People
 * get a table (patch, status, method, upstream commit, why) with the notes and the apply check; `--json`
 * prints the server's answer as it is.
 */
import type { z } from '@hono/zod-openapi';
import type { upstreamedSchema } from '../../../src/api/v1/representations.js';
import { painter, wantsColour, type Paint } from '../colour.js';
import { connect, type RunContext } from '../context.js';
import type { ConnectionFlags } from '../options.js';
import { formatTable, TABLE_WIDTH } from '../table.js';

type Report = z.infer<typeof upstreamedSchema>;

export async function upstreamedAction(context: RunContext, options: ConnectionFlags & { repo: string; branch: string; json?: boolean }) {
  const api = await connect(context, options, 'optional');
  const tracking = await api.findTracking(options.repo, options.branch);
  const report = (await api.upstreamed(tracking.id)) as Report;
  const { io } = context;
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderUpstreamed(report, painter(wantsColour(io)), io.stdout.columns ?? TABLE_WIDTH));
}

export function renderUpstreamed(r: Report, paint: Paint, width = TABLE_WIDTH): string {
  const against = r.upstream.tag ? `tag ${r.upstream.tag}` : `the head of ${r.upstream.branch}`;
  const out = [
    `${paint('bold', `${r.tracking.repo} ${r.tracking.branch}`)}: ${r.spec ?? 'no spec'}${r.version ? ` Version ${r.version}` : ''} against ${r.upstream.url} ${against}${r.upstream.commit ? ` (${r.upstream.commit.slice(0, 12)})` : ''}`,
  ];
  if (r.patches.length) {
    const rows = r.patches.map((p) => ({
      patch: `Patch${p.number}`,
      file: p.file,
      status: p.status,
      method: p.method,
      commit: p.upstream_commit?.slice(0, 12),
      why: p.reason,
    }));
    out.push('', formatTable(rows, [{ key: 'patch' }, { key: 'file', minWidth: 12, cut: 'start' }, { key: 'status' }, { key: 'method' }, { key: 'commit' }, { key: 'why', minWidth: 20 }], width).trimEnd());
  }
  if (r.apply_check) {
    out.push(
      '',
      r.apply_check.outcome === 'clean'
        ? "apply check: the patches not upstream apply to it in rpm's order"
        : paint('red', `apply check: ${r.apply_check.failed.map((f) => f.file).join(', ')} do(es) not apply to it in rpm's order`),
    );
  }
  for (const note of r.notes) out.push(paint('yellow', `note: ${note}`));
  const removable = r.patches.filter((p) => p.status === 'upstream').length;
  out.push(r.removable ? `${removable} patch(es) can be removed: the scan cycle proposes one PR doing it` : 'nothing is proposed for removal');
  return `${out.join('\n')}\n`;
}
