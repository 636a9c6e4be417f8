/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, otherwise at most one line every 10 s so
 * logs stay short. stdout is kept for the final JSON line.
 */
export class Progress {
  private last = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(private readonly label: string, private readonly enabled = true) {}

  update(done: number, total: number, extra = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : 10_000) && done < total) return;
    this.last = now;
    const frac = total > 0 ? Math.min(1, done / total) : 1, width = 30, full = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total} ${extra}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(msg = ''): void {
    if (!this.enabled) return;
    if (this.tty) process.stderr.write('\r\x1b[K');
    if (msg) process.stderr.write(`${this.label} ${msg}\n`);
  }
}
