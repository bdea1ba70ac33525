/**
 * A log that a flood cannot fill: at most `burst` lines per `windowMs`, then one line saying
 * how many were left out once the window has passed. A hostile page can make the host refuse
 * thousands of connections a second; the terminal should still be readable.
 */
export function rateLimitedLog(
  log: (line: string) => void,
  { burst = 10, windowMs = 10_000, now = () => Date.now() } = {},
): (line: string) => void {
  let windowStart = -Infinity;
  let shown = 0;
  let dropped = 0;
  return (line: string) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      if (dropped > 0) log(`(${dropped} similar lines left out in the last ${windowMs / 1000} s)`);
      windowStart = t;
      shown = 0;
      dropped = 0;
    }
    if (shown < burst) {
      shown++;
      log(line);
    } else dropped++;
  };
}
