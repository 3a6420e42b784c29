/**
 * Concurrent callers of one read (a dashboard page's data: the overview, a page of a patch list) share it,
 * and each still gets an answer read after it asked: a caller that arrives while the read runs waits for
 * the next one, which starts as soon as the running one ends and answers everyone who arrived meanwhile.
 * Under load the database runs the read once at a time per key, however many pages ask for it; a caller
 * alone waits for nothing.
 */
export function sharedRead<A, T>(read: (arg: A) => Promise<T>, keyOf: (arg: A) => string): (arg: A) => Promise<T> {
  interface Slot {
    running: Promise<T>;
    /** the read that answers the callers who came while `running` ran */
    next?: Promise<T>;
  }
  const slots = new Map<string, Slot>();
  const ignore = () => {};
  const start = (key: string, arg: A): Promise<T> => {
    const running: Promise<T> = read(arg).finally(() => {
      const slot = slots.get(key);
      if (slot?.running === running && !slot.next) slots.delete(key);
    });
    slots.set(key, { running });
    return running;
  };
  return (arg) => {
    const key = keyOf(arg);
    const slot = slots.get(key);
    if (!slot) return start(key, arg);
    slot.next ??= slot.running.then(ignore, ignore).then(() => start(key, arg));
    return slot.next;
  };
}
