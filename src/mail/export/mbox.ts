/**
 * Patchwork's mbox downloads (patch_to_mbox, series_to_mbox, cover_to_mbox): the original From, Subject,
 * Date, Message-Id and threading headers (raw, so encoded words survive), the stored content with the
 * reviewers' Acked-by/Reviewed-by/… lines from replies added before the `---` postscript, then the diff.
 * The result is what `git am` applies.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { mailComment, mailMessage, mailPatch, mailPerson, mailTag, type MailCoverRow, type MailPatchRow } from '../../db/schema/mail.js';
import { splitHeaders } from '../headers.js';

const COPIED = ['To', 'Cc', 'Date', 'From', 'List-Id', 'Subject', 'In-Reply-To', 'References'];
// Patchwork's Comment.patch_responses
const RESPONSE_TAGS = /^(Tested|Reviewed|Acked|Signed-off|Nacked|Reported)-by$/i;

/** `attachment; filename=…` as Patchwork names downloads: the name with runs of odd characters as `-`. */
export function downloadName(name: string, ext: string): string {
  const stem = name.replace(/[^-_A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'patch';
  return `attachment; filename=${stem.slice(0, 200)}.${ext}`;
}

function rawHeaders(raw: Buffer | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  let bin = raw.toString('latin1');
  if (bin.includes('\r')) bin = bin.replace(/\r\n/g, '\n');
  for (const h of splitHeaders(bin).headers.items) {
    const canonical = COPIED.find((c) => c.toLowerCase() === h.key);
    if (canonical && !out.has(canonical)) out.set(canonical, h.raw.replace(/\n+$/, ''));
  }
  return out;
}

function ctime(d: Date): string {
  // Python's ctime: 'Mon Jan  1 00:00:00 2026' (UTC)
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

function encodeDisplayName(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return /[()<>@,;:\\".[\]]/.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
  return `=?utf-8?b?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

interface MboxPart {
  id: number;
  msgid: string;
  date: Date;
  content: string | null;
  diff: string | null;
  submitter: { name: string | null; email: string };
  delegateEmail: string | null;
  raw: Buffer | undefined;
  responses: string[];
}

function render(m: MboxPart): Buffer {
  let body = m.content ? `${m.content.trim()}\n` : '';
  let postscript = '';
  const parts = /\n-{2,3} ?\n/.exec(body);
  if (parts) {
    postscript = body.slice(parts.index + parts[0].length).trimEnd();
    body = `${body.slice(0, parts.index).trim()}\n`;
  }
  // Patchwork appends right after the body; a blank line first when the body doesn't end in a trailer
  // block keeps them trailers for git (interpret-trailers, am)
  if (m.responses.length && body && !/(^|\n)[A-Za-z0-9-]+: [^\n]*\n$/.test(body)) body += '\n';
  for (const line of m.responses) body += `${line}\n`;
  if (postscript) body += `---\n${postscript}\n`;
  if (m.diff) body += `\n${m.diff}`;

  const headers: string[] = [
    'Content-Type: text/plain; charset="utf-8"',
    'MIME-Version: 1.0',
    'Content-Transfer-Encoding: 8bit',
    `X-Patchwork-Submitter: ${m.submitter.name ? `${encodeDisplayName(m.submitter.name)} <${m.submitter.email}>` : m.submitter.email}`,
    `X-Patchwork-Id: ${m.id}`,
  ];
  if (m.delegateEmail) headers.push(`X-Patchwork-Delegate: ${m.delegateEmail}`);
  headers.push(`Message-Id: ${m.msgid}`);
  const orig = rawHeaders(m.raw);
  for (const name of COPIED) {
    const v = orig.get(name);
    if (v !== undefined) headers.push(`${name}: ${v}`);
  }
  if (!orig.has('Date')) headers.push(`Date: ${m.date.toUTCString().replace('GMT', '+0000')}`);
  const head = Buffer.from(`From patchwork ${ctime(m.date)}\n${headers.join('\n')}\n\n`, 'latin1');
  return Buffer.concat([head, Buffer.from(body, 'utf8')]);
}

async function rawOf(db: Database, messageIds: number[]): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (!messageIds.length) return out;
  for (const r of await db.select({ id: mailMessage.id, raw: mailMessage.raw }).from(mailMessage).where(inArray(mailMessage.id, messageIds))) out.set(r.id, r.raw);
  return out;
}

async function peopleOf(db: Database, ids: number[]): Promise<Map<number, { name: string | null; email: string }>> {
  const out = new Map<number, { name: string | null; email: string }>();
  const unique = [...new Set(ids)];
  if (!unique.length) return out;
  for (const p of await db.select().from(mailPerson).where(inArray(mailPerson.id, unique))) out.set(p.id, p);
  return out;
}

/** The mbox of patches, in the given order, separated by a blank line (Patchwork's series mbox). */
export async function patchesMbox(db: Database, patches: MailPatchRow[]): Promise<Buffer> {
  if (!patches.length) return Buffer.alloc(0);
  const ids = patches.map((p) => p.id);
  const raws = await rawOf(db, patches.map((p) => p.messageId));
  const people = await peopleOf(db, patches.flatMap((p) => [p.submitterId, ...(p.delegateId !== null ? [p.delegateId] : [])]));
  // reviewers' trailers from replies, oldest reply first
  const tags = await db
    .select({ patchId: mailTag.patchId, name: mailTag.name, value: mailTag.value })
    .from(mailTag)
    .innerJoin(mailComment, eq(mailComment.id, mailTag.commentId))
    .where(and(inArray(mailTag.patchId, ids), isNotNull(mailTag.commentId)))
    .orderBy(asc(mailComment.date), asc(mailTag.id));
  const responses = new Map<number, string[]>();
  for (const t of tags) {
    if (t.patchId === null || !RESPONSE_TAGS.test(t.name)) continue;
    (responses.get(t.patchId) ?? responses.set(t.patchId, []).get(t.patchId)!).push(`${t.name}: ${t.value}`);
  }
  const out: Buffer[] = [];
  for (const p of patches) {
    if (out.length) out.push(Buffer.from('\n'));
    out.push(
      render({
        id: p.id,
        msgid: p.msgid,
        date: p.date,
        content: p.content,
        diff: p.diff,
        submitter: people.get(p.submitterId) ?? { name: null, email: '' },
        delegateEmail: p.delegateId !== null ? (people.get(p.delegateId)?.email ?? null) : null,
        raw: raws.get(p.messageId),
        responses: responses.get(p.id) ?? [],
      }),
    );
  }
  return Buffer.concat(out);
}

export async function seriesPatches(db: Database, seriesId: number): Promise<MailPatchRow[]> {
  return db.select().from(mailPatch).where(eq(mailPatch.seriesId, seriesId)).orderBy(asc(mailPatch.number), asc(mailPatch.id));
}

export async function coverMbox(db: Database, c: MailCoverRow): Promise<Buffer> {
  const raws = await rawOf(db, [c.messageId]);
  const people = await peopleOf(db, [c.submitterId]);
  return render({
    id: c.id,
    msgid: c.msgid,
    date: c.date,
    content: c.content,
    diff: null,
    submitter: people.get(c.submitterId) ?? { name: null, email: '' },
    delegateEmail: null,
    raw: raws.get(c.messageId),
    responses: [],
  });
}
