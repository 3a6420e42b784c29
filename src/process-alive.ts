/** Whether a process with this pid exists (EPERM: it exists but belongs to another user, e.g. postgres). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
