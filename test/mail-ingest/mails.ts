/** Small, real-looking list mails for the ingest tests. */
export const LIST_ID = 'dev.lists.example.org';

export function patchMail(n: number, opts: { listId?: string; subject?: string; msgid?: string; headers?: string[] } = {}): Buffer {
  const msgid = opts.msgid ?? `<patch-${n}@example.org>`;
  const lines = [
    `From: Ada Lovelace <ada@example.org>`,
    `To: dev@lists.example.org`,
    `Subject: ${opts.subject ?? `[PATCH] fix counter number ${n}`}`,
    `Date: Sat, 21 Nov 2026 10:${String(n % 60).padStart(2, '0')}:00 +0000`,
    `Message-Id: ${msgid}`,
    ...(opts.listId === '' ? [] : [`List-Id: Development <${opts.listId ?? LIST_ID}>`]),
    ...(opts.headers ?? []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `The counter was off by ${n}.`,
    '',
    'Signed-off-by: Ada Lovelace <ada@example.org>',
    '---',
    ' src/counter.c | 2 +-',
    '',
    `diff --git a/src/counter${n}.c b/src/counter${n}.c`,
    'index 1111111..2222222 100644',
    `--- a/src/counter${n}.c`,
    `+++ b/src/counter${n}.c`,
    '@@ -1,3 +1,3 @@',
    ' int main(void) {',
    `-  return ${n};`,
    `+  return ${n + 1};`,
    ' }',
    '-- ',
    '2.43.0',
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

export function replyMail(n: number, parent: string, body = 'Reviewed-by: Grace Hopper <grace@example.org>', listId = LIST_ID): Buffer {
  return Buffer.from(
    [
      'From: Grace Hopper <grace@example.org>',
      `Subject: Re: [PATCH] fix counter number ${n}`,
      `Date: Sat, 21 Nov 2026 11:00:00 +0000`,
      `Message-Id: <reply-${n}@example.org>`,
      `In-Reply-To: ${parent}`,
      `References: ${parent}`,
      `List-Id: <${listId}>`,
      '',
      'Looks right.',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}
