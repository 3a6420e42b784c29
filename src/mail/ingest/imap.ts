/**
 * The IMAP importer: reads new mail from one or more folders into the store, then marks it (\Seen or a
 * keyword of our own) or deletes it, so each mail is imported once. It stays connected with IDLE on the
 * first folder (and polls the others), and reconnects with exponential backoff when the connection drops.
 * With a pinned certificate fingerprint, the server's leaf certificate must have that SHA-256 before any
 * credential is sent.
 */
import { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Logger } from '../../log.js';
import type { MailStore, StoreOutcome } from '../store/mail-store.js';
import { emptySummary, tally, type ImportSummary } from './summary.js';

export type AfterImport = { kind: 'seen' } | { kind: 'keyword'; keyword: string } | { kind: 'delete' };

export interface ImapImportOptions {
  host: string;
  port: number;
  /** tls: implicit TLS (993); starttls: upgrade a plain connection; none: plain text (trusted networks only) */
  security: 'tls' | 'starttls' | 'none';
  user: string;
  password: string;
  folders: string[];
  after: AfterImport;
  /** SHA-256 of the server's leaf certificate (hex, colons optional); replaces CA verification */
  fingerprint?: string | null;
  /** extra CA certificates (PEM) to trust */
  ca?: string | Buffer | null;
  listId?: string | null;
  batchSize?: number;
  /** stay connected and import new mail as it arrives (default true for run()) */
  idle?: boolean;
  /** how often folders other than the first are checked while idling */
  pollIntervalMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  connectionTimeoutMs?: number;
  logger?: Logger;
}

export class ImapPinError extends Error {
  constructor(readonly actual: string) {
    super(`the IMAP server's certificate (sha256 ${actual}) does not match the pinned fingerprint; refusing to log in`);
    this.name = 'ImapPinError';
  }
}

/** `ab:cd…`, `ABCD…`, `sha256:…` → `AB:CD:…` (Node's fingerprint256 form). */
export function normalizeFingerprint(value: string): string {
  const hex = value.trim().replace(/^sha256[:=]/i, '').replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new Error('the certificate fingerprint must be 64 hex digits (a SHA-256), colons allowed');
  return hex.match(/../g)!.join(':');
}

/** The mail client with the pin check between TLS set-up (implicit or STARTTLS) and authentication. */
class PinnedImapFlow extends ImapFlow {
  constructor(
    options: ImapFlowOptions,
    private readonly pin: string,
  ) {
    super(options);
  }

  // ImapFlow calls this in every session right before it authenticates, whether TLS is implicit or STARTTLS.
  async upgradeToSTARTTLS(): Promise<boolean> {
    const parent = ImapFlow.prototype as unknown as { upgradeToSTARTTLS(this: ImapFlow): Promise<boolean> };
    const secured = await parent.upgradeToSTARTTLS.call(this);
    const socket = (this as unknown as { socket?: TLSSocket }).socket;
    const actual = socket && typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate().fingerprint256 : undefined;
    if (!secured || !actual) throw new ImapPinError('none: the connection is not encrypted');
    if (actual.toUpperCase() !== this.pin) throw new ImapPinError(actual);
    return secured;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface ImapImporterEvents {
  imported: [{ folder: string; outcomes: StoreOutcome[] }];
  connected: [];
  disconnected: [{ error?: Error }];
}

export class ImapImporter extends EventEmitter<ImapImporterEvents> {
  readonly summary: ImportSummary = emptySummary();
  private readonly pin: string | null;

  constructor(
    private readonly store: MailStore,
    private readonly options: ImapImportOptions,
  ) {
    super();
    if (!options.folders.length) throw new Error('name at least one IMAP folder');
    if (options.security === 'none' && options.fingerprint) throw new Error('a certificate fingerprint needs TLS (security tls or starttls)');
    this.pin = options.fingerprint ? normalizeFingerprint(options.fingerprint) : null;
  }

  private clientOptions(): ImapFlowOptions {
    const o = this.options;
    const tls: Record<string, unknown> = {};
    // with a pin, the pin is the trust decision (self-signed certificates are the usual reason to pin)
    if (this.pin) tls.rejectUnauthorized = false;
    if (o.ca) tls.ca = o.ca;
    return {
      host: o.host,
      port: o.port,
      secure: o.security === 'tls',
      doSTARTTLS: o.security === 'starttls' ? true : o.security === 'none' ? false : undefined,
      auth: { user: o.user, pass: o.password },
      tls,
      logger: false,
      connectionTimeout: o.connectionTimeoutMs ?? 15_000,
      greetingTimeout: o.connectionTimeoutMs ?? 15_000,
    } as ImapFlowOptions;
  }

  /** Connect and log in (the pin is checked before the login). */
  async connect(): Promise<ImapFlow> {
    const client = this.pin ? new PinnedImapFlow(this.clientOptions(), this.pin) : new ImapFlow(this.clientOptions());
    // errors after connecting surface as 'close'; without a listener an 'error' event would crash the process
    client.on('error', (err: Error) => this.options.logger?.warn({ err: err.message }, 'imap connection error'));
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw describeConnectError(err, this.options);
    }
    return client;
  }

  /** Connect, import everything new in every folder, log out. */
  async importOnce(): Promise<ImportSummary> {
    const client = await this.connect();
    try {
      for (const folder of this.options.folders) await this.importFolder(client, folder);
    } finally {
      await client.logout().catch(() => client.close());
    }
    return this.summary;
  }

  private searchQuery(): Record<string, unknown> {
    const after = this.options.after;
    if (after.kind === 'seen') return { seen: false };
    if (after.kind === 'keyword') return { unKeyword: after.keyword };
    return { all: true };
  }

  /** Import the folder's new mail, batch by batch, marking or deleting each batch once it is stored. */
  async importFolder(client: ImapFlow, folder: string): Promise<number> {
    const lock = await client.getMailboxLock(folder);
    let imported = 0;
    const attempted = new Set<number>();
    try {
      for (;;) {
        const found = await client.search(this.searchQuery(), { uid: true });
        const uids = (found || []).filter((u) => !attempted.has(u)).sort((a, b) => a - b);
        if (!uids.length) break;
        const chunk = uids.slice(0, this.options.batchSize ?? 200);
        const mails: Array<{ uid: number; raw: Buffer }> = [];
        for await (const msg of client.fetch(chunk, { uid: true, source: true }, { uid: true })) {
          if (msg.source) mails.push({ uid: msg.uid, raw: msg.source });
        }
        for (const u of chunk) attempted.add(u);
        if (!mails.length) continue;
        // stored, duplicate or dropped (kept with its reason): in every case the mail is safe in the database
        const outcomes = await this.store.storeBatch(mails.map((m) => ({ raw: m.raw, listId: this.options.listId ?? null })));
        tally(this.summary, outcomes);
        imported += mails.length;
        const done = mails.map((m) => m.uid);
        const after = this.options.after;
        if (after.kind === 'delete') await client.messageDelete(done, { uid: true });
        else await client.messageFlagsAdd(done, [after.kind === 'seen' ? '\\Seen' : after.keyword], { uid: true });
        this.emit('imported', { folder, outcomes });
      }
    } finally {
      lock.release();
    }
    return imported;
  }

  /**
   * Import, then keep watching until `signal` aborts: IDLE on the first folder, a poll of the others every
   * pollIntervalMs, and a new connection (after a growing pause) whenever the old one fails.
   */
  async run(signal: AbortSignal): Promise<void> {
    const initial = this.options.backoff?.initialMs ?? 1_000;
    const max = this.options.backoff?.maxMs ?? 300_000;
    let failures = 0;
    while (!signal.aborted) {
      let error: Error | undefined;
      try {
        const client = await this.connect();
        failures = 0;
        this.emit('connected');
        await this.watch(client, signal);
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
        this.options.logger?.warn({ err: error.message }, 'imap import interrupted');
      }
      this.emit('disconnected', error ? { error } : {});
      if (signal.aborted) break;
      const delay = Math.min(max, initial * 2 ** failures);
      failures++;
      // up to 20% jitter, so several importers do not reconnect in step
      await sleep(delay * (1 + Math.random() * 0.2), signal);
    }
  }

  private async watch(client: ImapFlow, signal: AbortSignal): Promise<void> {
    const [first, ...others] = this.options.folders;
    let chain: Promise<unknown> = Promise.resolve();
    let failed: Error | null = null;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const enqueue = (folders: string[]): void => {
      chain = chain
        .then(async () => {
          for (const f of folders) await this.importFolder(client, f);
          if (this.options.idle !== false) {
            await client.mailboxOpen(first!);
            // IDLE now (ImapFlow would wait 15 s); the next command we send ends it
            void client.idle().catch(() => {});
          }
        })
        .catch((err: Error) => {
          failed = err;
          client.close();
        });
    };
    client.on('exists', (data: { path: string }) => {
      if (data.path === first) enqueue([first!]);
    });
    enqueue(this.options.folders);
    const poll = others.length ? setInterval(() => enqueue(others), this.options.pollIntervalMs ?? 300_000) : null;
    const abort = (): void => {
      void chain.then(() => client.logout()).catch(() => client.close());
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      await closed;
    } finally {
      if (poll) clearInterval(poll);
      signal.removeEventListener('abort', abort);
    }
    if (failed) throw failed;
    if (!signal.aborted) throw new Error('the IMAP server closed the connection');
  }
}

function describeConnectError(err: unknown, o: ImapImportOptions): Error {
  if (err instanceof ImapPinError) return err;
  const e = err as { message?: string; code?: string; authenticationFailed?: boolean; responseText?: string };
  if (e.authenticationFailed) return new Error(`IMAP login to ${o.host}:${o.port} as ${o.user} failed${e.responseText ? `: ${e.responseText}` : ''}`);
  const cause = e.code ?? e.message ?? String(err);
  return new Error(`cannot connect to IMAP server ${o.host}:${o.port} (${o.security}): ${cause}`);
}
