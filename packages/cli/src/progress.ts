/**
 * A one-line progress bar on stderr. On a terminal it redraws in place; otherwise (logs, CI) it prints a
 * line at most every 10 s so logs stay short.
 */
export class Progress {
  private last = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string) {}

  update(done: number, total: number, extra = ''): void {
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : 10_000) && done < total) return;
    this.last = now;
    const frac = total > 0 ? done / total : 1;
    const width = 30, full = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${extra}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(`${line}\n`);
  }

  done(msg = ''): void {
    if (this.tty) process.stderr.write(`\r\x1b[K`);
    if (msg) process.stderr.write(`${this.label} ${msg}\n`);
  }
}
