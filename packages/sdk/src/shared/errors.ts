/** A short, safe description of any thrown value (for `audit()` reasons; never the shop's data). */
export function errName(e: unknown): string {
  try {
    const n = (e as { name?: unknown } | null)?.name;
    const m = (e as { message?: unknown } | null)?.message;
    return typeof n === 'string' && n !== 'Error' ? n : typeof m === 'string' ? m.slice(0, 80) : String(e).slice(0, 80);
  } catch {
    return 'unknown error';
  }
}
