/**
 * RFC 9457 problem details. Every refusal the aggregator sends is one of these, as
 * `application/problem+json`. `type` is a URI reference relative to the server, documented in
 * docs/aggregator.md (section "Validation and refusals").
 */
export interface ProblemBody { type: string; title: string; status: number; detail: string; [extra: string]: unknown }

export class Problem extends Error {
  constructor(readonly status: number, readonly slug: string, readonly title: string, readonly detail: string, readonly extra: Record<string, unknown> = {}) {
    super(detail);
  }
  body(): ProblemBody {
    return { type: this.slug === 'about:blank' ? 'about:blank' : `/problems/${this.slug}`, title: this.title, status: this.status, detail: this.detail, ...this.extra };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problems = {
  malformed: (detail: string) => new Problem(400, 'malformed-update', 'Malformed update', detail),
  notFound: (detail: string) => new Problem(404, 'about:blank', 'Not Found', detail),
  stale: (detail: string, extra: Record<string, unknown>) => new Problem(409, 'stale-model', 'Update against an old model version', detail, extra),
  closed: (detail: string, extra: Record<string, unknown>) => new Problem(410, 'round-closed', 'Round closed', detail, extra),
  tooLarge: (detail: string) => new Problem(413, 'update-too-large', 'Update too large', detail),
  unsupportedMedia: (detail: string) => new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail),
  invalid: (slug: string, title: string, detail: string) => new Problem(422, slug, title, detail),
  rateLimited: (detail: string, retryAfterSeconds: number) => new Problem(429, 'rate-limited', 'Too many requests', detail, { retryAfter: retryAfterSeconds }),
};
