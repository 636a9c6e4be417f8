/**
 * What a reader of a shop's data saw: counts of what it read (users, sessions, events per type, items) and
 * every problem, by reason, with the first few places it happened (`file:line` or `file#row`). Nothing a
 * reader skips goes uncounted; the CLI prints the report and writes it as JSON.
 */

/** One kind of problem: how often, and where the first few happened. */
export interface ProblemSummary {
  count: number;
  /** Up to {@link MAX_EXAMPLES} places with details, e.g. `events.json:17: unknown event "page_view"`. */
  examples: string[];
}

/** How many examples a report keeps per reason. */
export const MAX_EXAMPLES = 5;

export class IngestReport {
  /** Informational counts, e.g. `events`, `users`, `sessions`, `events.view_item`, `items.matched`. */
  readonly counts = new Map<string, number>();
  /** Problems by reason: a short fixed phrase (`unknown event name`), never data. */
  readonly problems = new Map<string, ProblemSummary>();

  /** Adds `n` to a count. */
  count(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** Records one problem at `where` (`file:line`), with an optional detail (kept only in the examples). */
  problem(reason: string, where: string, detail?: string): void {
    this.add(reason, 1, [detail === undefined ? where : `${where}: ${detail}`]);
  }

  /** Records `n` problems of one reason at once (e.g. counted by a query), with up to a few examples. */
  add(reason: string, n: number, examples: readonly string[]): void {
    if (n <= 0) return;
    let p = this.problems.get(reason);
    if (!p) this.problems.set(reason, (p = { count: 0, examples: [] }));
    p.count += n;
    for (const e of examples) if (p.examples.length < MAX_EXAMPLES) p.examples.push(e);
  }

  /** Total number of problems. */
  get problemCount(): number {
    let n = 0;
    for (const p of this.problems.values()) n += p.count;
    return n;
  }

  /** Lines for a terminal: counts first, then each problem with its examples. */
  lines(): string[] {
    const out = [...this.counts].map(([k, v]) => `  ${k}: ${v}`);
    for (const [reason, p] of this.problems) {
      out.push(`  problem: ${reason}: ${p.count}`);
      for (const e of p.examples) out.push(`    e.g. ${e}`);
    }
    return out;
  }

  toJSON(): { counts: Record<string, number>; problems: Record<string, ProblemSummary> } {
    return { counts: Object.fromEntries(this.counts), problems: Object.fromEntries(this.problems) };
  }

  /** Adds another report's counts and problems into this one (e.g. the feed's and the events'). */
  merge(other: IngestReport, prefix = ''): void {
    for (const [k, v] of other.counts) this.count(prefix + k, v);
    for (const [r, p] of other.problems) this.add(prefix + r, p.count, p.examples);
  }
}

/**
 * A source that cannot be read at all (no such file, no file matching a glob, an HTTP error, a document that is
 * not a feed or an export): the message says which and why. The CLI answers it with exit code 2, not a stack.
 */
export class SourceError extends Error {
  override name = 'SourceError';
}
