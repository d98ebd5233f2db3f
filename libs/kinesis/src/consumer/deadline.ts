/**
 * Waits for `work` until `deadlineAt` (epoch ms): true when it settled in time (fulfilled or rejected),
 * false when the deadline came first. The work itself goes on; only the wait is bounded.
 */
export async function settlesBy(work: Promise<unknown>, deadlineAt: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const inTime = work.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadlineAt - Date.now()));
  });
  try {
    return await Promise.race([inTime, late]);
  } finally {
    clearTimeout(timer);
  }
}
