/**
 * bcrypt off the event loop. bcryptjs is pure JavaScript: its "async" API only slices the work into
 * callbacks on the same thread, so 100 wrong passwords (125 ms each) still stall every other request.
 * The comparison runs in a worker thread instead; one is started on first use and kept, unreferenced,
 * so it never holds the process open.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated as the worker: no build step or loader has to know about a second entry file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const bcrypt = require('bcryptjs');
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (ok: boolean) => void; reject: (err: Error) => void }>();

function startWorker(): Worker {
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.unref();
  w.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
    const waiter = pending.get(id);
    pending.delete(id);
    waiter?.resolve(ok);
    if (pending.size === 0) w.unref();
  });
  const fail = (err: Error) => {
    worker = undefined;
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the password worker exited (code ${code})`)));
  return w;
}

/** bcrypt.compare in the worker thread. */
export function bcryptCompareOffThread(password: string, hash: string): Promise<boolean> {
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  // referenced while a comparison is outstanding, so the answer is awaited even at shutdown
  w.ref();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, password, hash });
  });
}
