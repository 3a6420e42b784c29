import { describe, expect, it } from 'vitest';
import { sharedRead } from '../../src/db/shared-read.js';

/** A read whose runs finish when the test says, each answering with its run number. */
function controlledRead() {
  const runs: { key: string; finish: () => void; fail: (err: Error) => void }[] = [];
  const read = (key: string) =>
    new Promise<string>((resolve, reject) => {
      const run = runs.length + 1;
      runs.push({ key, finish: () => resolve(`${key}#${run}`), fail: reject });
    });
  return { runs, read };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('sharedRead', () => {
  it('callers that come while a read runs share the next read, started after they asked', async () => {
    const { runs, read } = controlledRead();
    const shared = sharedRead(read, (key: string) => key);
    const first = shared('a');
    const second = shared('a');
    const third = shared('a');
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    expect(await first).toBe('a#1');
    await tick();
    // the second and third asked while run 1 ran: run 1 may have read before they asked, so they get run 2
    expect(runs).toHaveLength(2);
    runs[1]!.finish();
    expect([await second, await third]).toEqual(['a#2', 'a#2']);
  });

  it('a caller alone reads at once, and different keys never share', async () => {
    const { runs, read } = controlledRead();
    const shared = sharedRead(read, (key: string) => key);
    const a = shared('a');
    const b = shared('b');
    expect(runs.map((r) => r.key)).toEqual(['a', 'b']);
    for (const run of runs) run.finish();
    expect([await a, await b]).toEqual(['a#1', 'b#2']);
    const again = shared('a');
    expect(runs).toHaveLength(3);
    runs[2]!.finish();
    expect(await again).toBe('a#3');
  });

  it('a failed read fails its callers only; the waiting ones get a read of their own', async () => {
    const { runs, read } = controlledRead();
    const shared = sharedRead(read, (key: string) => key);
    const first = shared('a');
    const waiting = shared('a');
    runs[0]!.fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await tick();
    runs[1]!.finish();
    expect(await waiting).toBe('a#2');
  });
});
