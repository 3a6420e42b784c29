/**
 * The archive's HTML and Atom: a message page (headers, text, links to its raw form and its thread) and a
 * feed of the newest messages. Every value from a mail goes through the html template, which escapes it
 * (the same escaping is valid XML for the feed).
 */
import { createHash } from 'node:crypto';
import { html } from 'hono/html';
import type { ArchivedMessage } from '../../mail/archive/archive.js';
import type { ReadableMessage } from '../../mail/archive/readable.js';
import { msgidPath } from '../patchwork/urls.js';

/** `/lists/<list>/` as the client sees it (absolute: b4 splits the redirect it gets on `/`). */
export type ListUrl = string;

export function messageUrl(list: ListUrl, msgid: string): string {
  return `${list}${msgidPath(msgid)}/`;
}

function sender(m: Pick<ArchivedMessage, 'from'>): string {
  return m.from.name ? `${m.from.name} <${m.from.email}>` : m.from.email;
}

// XML 1.0 cannot carry most control characters, even escaped; a mail may contain them
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;
const xmlText = (s: string) => s.replace(NOT_XML, '\ufffd');

export async function messagePage(list: ListUrl, listName: string, m: ArchivedMessage, readable: ReadableMessage, thread: ArchivedMessage[]): Promise<string> {
  const subject = readable.headers.find((h) => h.name.toLowerCase() === 'subject')?.value ?? m.subject;
  const page = html`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${subject} - ${listName}</title>
<link rel="alternate" type="application/atom+xml" title="Atom feed" href="${list}new.atom"></head>
<body>
<pre>${readable.headers.map((h) => html`<b>${h.name}:</b> ${h.value}\n`)}</pre>
<p><a href="raw">raw</a> | <a href="t.mbox.gz">thread as mbox.gz</a> | <a href="${list}">${listName}</a></p>
<hr>
<pre>${readable.text}</pre>
${readable.attachments.length ? html`<p>Not shown: ${readable.attachments.join(', ')}</p>` : ''}
<hr>
<p>Thread (${thread.length} ${thread.length === 1 ? 'message' : 'messages'}):</p>
<ul>${thread.map((t) =>
    t.msgid === m.msgid
      ? html`<li><b>${t.subject}</b> ${sender(t)} ${t.date.toISOString()}</li>\n`
      : html`<li><a href="${messageUrl(list, t.msgid)}">${t.subject}</a> ${sender(t)} ${t.date.toISOString()}</li>\n`,
  )}</ul>
</body></html>
`;
  return (await page).toString();
}

/** The newest messages, or with `query` the messages it found. */
export async function listPage(list: ListUrl, listName: string, newest: ArchivedMessage[], query?: string): Promise<string> {
  const page = html`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${listName}</title>
<link rel="alternate" type="application/atom+xml" title="Atom feed" href="${list}new.atom"></head>
<body>
<p>${listName}: ${query === undefined ? 'the newest messages' : html`${newest.length} found for “${query}”`} (<a href="${list}new.atom">Atom feed</a>)</p>
<form action="${list}" method="get"><input name="q" value="${query ?? ''}"> <button>search</button></form>
<ul>${newest.map((t) => html`<li><a href="${messageUrl(list, t.msgid)}">${t.subject}</a> ${sender(t)} ${t.date.toISOString()}</li>\n`)}</ul>
</body></html>
`;
  return (await page).toString();
}

/** A stable entry id (as public-inbox does): a UUID made from the message id. */
function entryId(msgid: string): string {
  const h = createHash('sha1').update(msgid.replace(/^<|>$/g, '')).digest('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function atomFeed(list: ListUrl, listName: string, newest: Array<{ message: ArchivedMessage; text: string }>): Promise<string> {
  const updated = (newest[0]?.message.date ?? new Date(0)).toISOString();
  const feed = html`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>${xmlText(listName)}</title>
<link rel="alternate" type="text/html" href="${list}"/>
<link rel="self" href="${list}new.atom"/>
<id>${list}new.atom</id>
<updated>${updated}</updated>
${newest.map(
  ({ message: m, text }) => html`<entry>
<author><name>${xmlText(m.from.name ?? m.from.email)}</name><email>${xmlText(m.from.email)}</email></author>
<title>${xmlText(m.subject)}</title>
<updated>${m.date.toISOString()}</updated>
<link href="${messageUrl(list, m.msgid)}"/>
<id>${entryId(m.msgid)}</id>
<content type="text">${xmlText(text)}</content>
</entry>
`,
)}</feed>
`;
  return (await feed).toString();
}
