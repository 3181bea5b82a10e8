/**
 * Calls `read` until `done` accepts its value or `boundMs` passes; returns the last value, which
 * the test then asserts on (so a timeout fails with the value that was still wrong).
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  boundMs: number,
): Promise<T> {
  const deadline = Date.now() + boundMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}
