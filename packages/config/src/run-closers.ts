/** Running the cleanups a build registered, as one step that a failure in one does not stop. */

/** Runs cleanups in reverse order of registration; rethrows the first failure after all ran. */
export async function runClosers(closers: (() => void | Promise<void>)[]): Promise<void> {
  const results = await Promise.allSettled([...closers].reverse().map((close) => close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
