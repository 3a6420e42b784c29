/**
 * When the tracking table changed, for caches of answers read from it (the compat one-row lookup). Only the
 * service on its embedded database keeps such a cache: no other service can write that database (the
 * exclusive lock), so every write is either its own or a command's.
 *
 * - Its own writes (API, engine, lifecycle, dashboard: anything through its pool) are seen in process: the
 *   pool's client is wrapped, and a statement that writes the table moves the generation on when it is sent,
 *   when it completes, and when its transaction ends. They send no notification: a notifying transaction
 *   holds a database-wide lock through its commit, which would make concurrent writes commit one by one.
 * - Any other session's writes (a command connected next to the service) run pg_notify in the table's trigger
 *   (migration 0009) and are seen when the notification arrives: the server sends it at commit, so for well
 *   under a millisecond after a command's write commits, a lookup may still give the row as it was.
 * - While the listening connection is down, nothing is kept or served.
 */
import type postgres from 'postgres';

/** the session setting that says "this session's writes are seen in process: no notification" */
export const SEEN_IN_PROCESS_SETTING = 'patch_tracking.writes_seen';
export const TRACKING_CHANNEL = 'tracking_changed';
const RELISTEN_MS = 1_000;

export class ChangeWatch {
  private gen = 0;
  private up = false;

  /** moves on with every write seen, and whenever the listening connection is lost or back */
  get generation(): number {
    return this.gen;
  }

  /** false while the listening connection is down: nothing may be served from a cache then */
  get live(): boolean {
    return this.up;
  }

  changed(): void {
    this.gen += 1;
  }

  setLive(up: boolean): void {
    this.up = up;
    this.gen += 1;
  }
}

// A statement that writes the tracking table, as drizzle and the raw queries spell it ("tracking" quoted)
const WRITES_TRACKING = /\b(?:update|insert\s+into|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?public"?\.)?"?tracking"?(?![\w"])/i;

/** Does this SQL text write the tracking table? */
export function writesTracking(text: string): boolean {
  return WRITES_TRACKING.test(text);
}

/**
 * `client` with every statement that writes the tracking table reported to `changed`: when it is sent, when
 * it completes and, inside a transaction, when the transaction ends (its rows become visible then).
 */
export function reportingTrackingWrites(client: postgres.Sql, changed: () => void): postgres.Sql {
  const wrap = (sql: postgres.Sql, onWrite: () => void): postgres.Sql =>
    new Proxy(sql, {
      apply(target, thisArg, args: unknown[]) {
        const result = Reflect.apply(target, thisArg, args) as unknown;
        const strings = args[0];
        if (Array.isArray(strings) && 'raw' in strings && writesTracking(strings.join('$'))) watch(result as Promise<unknown>, onWrite);
        return result;
      },
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'unsafe') {
          return (text: string, ...rest: unknown[]) => {
            const query = (target.unsafe as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
            if (writesTracking(text)) watch(query, onWrite);
            return query;
          };
        }
        if (prop === 'begin' || prop === 'savepoint') {
          return (...args: unknown[]) => {
            const work = args.pop() as (tx: postgres.Sql) => unknown;
            let wrote = false;
            const inner = () => {
              wrote = true;
              onWrite();
            };
            const done = (value as (...a: unknown[]) => Promise<unknown>).apply(target, [...args, (tx: postgres.Sql) => work(wrap(tx, inner))]);
            return done.finally(() => {
              if (wrote) onWrite();
            });
          };
        }
        return value;
      },
    });
  return wrap(client, changed);
}

/**
 * Reports the write now and when it completes. The completion handler is attached after the caller's
 * synchronous calls (drizzle asks for `.values()` on the query right after creating it), so it cannot start
 * the query before its options are set.
 */
function watch(query: Promise<unknown>, onWrite: () => void): void {
  onWrite();
  queueMicrotask(() => query.then(onWrite, onWrite));
}

/**
 * LISTEN on a connection of its own (`connect` makes a one-connection client with these hooks). When it
 * closes, the watch goes dark and listens again every second until it can: notifications sent in between are
 * lost, so the generation moves on both edges.
 */
export async function listenForTrackingChanges(
  watch: ChangeWatch,
  connect: (hooks: { onnotify: (channel: string) => void; onclose: () => void }) => postgres.Sql,
  log: (message: string) => void,
): Promise<() => Promise<void>> {
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const sql = connect({
    onnotify: (channel) => {
      if (channel === TRACKING_CHANNEL) watch.changed();
    },
    onclose: () => {
      if (closed) return;
      if (watch.live) log('the tracking change listener lost its connection: one-row lookups read the database until it is back');
      watch.setLive(false);
      schedule();
    },
  });
  const listen = async () => {
    await sql.unsafe(`listen ${TRACKING_CHANNEL}`);
    if (!closed) watch.setLive(true);
  };
  function schedule() {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      listen().catch(() => schedule());
    }, RELISTEN_MS);
    timer.unref();
  }
  await listen();
  return async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    watch.setLive(false);
    await sql.end({ timeout: 1 });
  };
}
