/**
 * The XML formats (RSS 2.0 `<rss><channel><item>`, Atom 1.0 `<feed><entry>`), streamed so that a feed of a
 * million items needs neither one string of its size nor one object tree of it.
 *
 * A small scanner walks the text only to find where each `<item>` / `<entry>` starts and ends (skipping
 * comments, CDATA sections and processing instructions, in which `</item>` may appear as text) and where the
 * elements around them open and close. Runs of up to BATCH_ITEMS complete items go, as one slice of the original
 * text, through fast-xml-parser's validator (a broken document is an Error with its line and column) and then
 * its parser. The rest of the document (prolog, root, channel, with each item replaced by an empty element and
 * its line breaks) is validated at the end the same way, so every character of the document is checked by the
 * validator. A document that ends early (a download or a gzip stream cut off, a missing `</rss>`) keeps every
 * complete item and reports the cut.
 */
import { SourceError } from '../report.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { KNOWN_ATTRIBUTES, READ_SET, type RawItem, type ReadAttribute } from './attributes.js';
import { R, type CatalogBuilder } from './build.js';
import type { FeedFormat } from './types.js';

/** The Google namespace (support.google.com/merchants/answer/160589). */
const G_NS = 'http://base.google.com/ns/1.0';
/** Items parsed per batch: large enough to amortise the parser's per-call cost, small enough for young GC. */
const BATCH_ITEMS = 1000;
const BATCH_CHARS = 4 << 20;

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  ignorePiTags: true,
  ignoreDeclaration: true,
  jPath: false,
  // numeric references (&#39;) are decoded only with this on; it also takes a few HTML names (&nbsp;). Other
  // HTML names (&eacute;) are left for cleanText, which decodes and counts them
  htmlEntities: true,
  processEntities: { enabled: true, maxTotalExpansions: Infinity, maxExpandedLength: Infinity },
  // element names that are JavaScript object internals are read under another name, never refused
  transformTagName: (name: string) => (RESERVED.has(name) ? `${name}_` : name),
});

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** Index of the `>` that ends the tag starting at `j` (quoted attribute values may hold `>`), or -1. */
function tagEnd(s: string, j: number): number {
  for (let k = j + 1; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 62) return k;
    if (c === 34 || c === 39) {
      const q = s.indexOf(c === 34 ? '"' : "'", k + 1);
      if (q < 0) return -1;
      k = q;
    }
  }
  return -1;
}

/** The name of a tag: from `from` (just past `<` or `</`) up to white space, `/` or `>`. */
function tagName(s: string, from: number, end: number): string {
  let k = from;
  while (k < end) {
    const c = s.charCodeAt(k);
    if (isWs(c) || c === 47 || c === 62) break;
    k++;
  }
  return s.slice(from, k);
}

function localName(name: string): string {
  const c = name.indexOf(':');
  return c < 0 ? name : name.slice(c + 1);
}

/** An error XMLValidator found at `line`:`col` of the feed. */
function xmlError(name: string, line: number, col: number, msg: string): Error {
  return new Error(`feed ${name}:${line}:${col}: not well-formed XML: ${msg}`);
}

interface Batch {
  /** Positions in the buffer of the first item's `<` and just past the last item's `>`. */
  start: number;
  end: number;
  line: number;
  /** 0-based column of `start`. */
  col: number;
  lines: number[];
}

interface OpenItem {
  start: number;
  line: number;
  /** Where to resume looking for its end tag. */
  from: number;
}

/** A result the scanner could not reach yet: more text is needed. */
const MORE = -1;

class Scanner {
  buf = '';
  eof = false;
  format: FeedFormat | undefined;
  itemTag = '';
  /** Prefixes bound to the Google namespace ("g" always). */
  readonly gPrefixes = new Set(['g']);
  /** Open elements outside items. */
  readonly stack: string[] = [];
  readonly skeleton: string[] = [];
  rootSeen = false;
  pos = 0;
  skelFrom = 0;
  batch: Batch | null = null;
  item: OpenItem | null = null;
  /** Column of buf[0], and a position up to which lines are counted with its line. */
  private bufCol = 0;
  private countedPos = 0;
  private countedLine = 1;

  constructor(readonly b: CatalogBuilder, readonly onBatch: () => void) {}

  /** 1-based line of position `p` of the buffer. */
  lineAt(p: number): number {
    const s = this.buf;
    if (p >= this.countedPos) {
      let n = this.countedLine;
      for (let k = s.indexOf('\n', this.countedPos); k >= 0 && k < p; k = s.indexOf('\n', k + 1)) n++;
      this.countedPos = p;
      this.countedLine = n;
      return n;
    }
    let n = this.countedLine;
    for (let k = s.indexOf('\n', p); k >= 0 && k < this.countedPos; k = s.indexOf('\n', k + 1)) n--;
    return n;
  }

  /** 0-based column of position `p`. */
  colAt(p: number): number {
    const nl = p > 0 ? this.buf.lastIndexOf('\n', p - 1) : -1;
    return nl >= 0 ? p - nl - 1 : this.bufCol + p;
  }

  push(text: string): void {
    this.buf += text;
    this.scan();
    this.compact();
  }

  finish(): void {
    this.eof = true;
    this.scan();
  }

  /** Drops the buffer's consumed start. */
  private compact(): void {
    let keep = Math.min(this.pos, this.skelFrom);
    if (this.batch) keep = Math.min(keep, this.batch.start);
    if (this.item) keep = Math.min(keep, this.item.start);
    if (keep < 1 << 16) return;
    const line = this.lineAt(keep);
    this.bufCol = this.colAt(keep);
    this.buf = this.buf.slice(keep);
    this.countedPos = 0;
    this.countedLine = line;
    this.pos -= keep;
    this.skelFrom -= keep;
    if (this.batch) { this.batch.start -= keep; this.batch.end -= keep; }
    if (this.item) { this.item.start -= keep; this.item.from -= keep; }
  }

  /** Appends the document around items, up to `p`, to the skeleton. */
  private skel(p: number): void {
    if (p > this.skelFrom) this.skeleton.push(this.buf.slice(this.skelFrom, p));
    this.skelFrom = p;
  }

  /** End (past `term`) of a construct starting at `j` whose terminator is `term`, or MORE. */
  private through(j: number, term: string): number {
    const e = this.buf.indexOf(term, j);
    return e < 0 ? MORE : e + term.length;
  }

  /**
   * Past the comment, CDATA section, processing instruction or declaration at `j`; `j + 1` when `j` starts an
   * ordinary tag; MORE when the buffer ends first.
   */
  private skipSpecial(j: number): number {
    const s = this.buf;
    const c1 = s.charCodeAt(j + 1);
    if (c1 === 33 /* ! */) {
      if (s.startsWith('<!--', j)) return this.through(j + 4, '-->');
      if (s.startsWith('<![CDATA[', j)) return this.through(j + 9, ']]>');
      if (s.startsWith('<!DOCTYPE', j) && !this.rootSeen) {
        const e = tagEnd(s, j), bracket = s.indexOf('[', j);
        if (bracket < 0 || (e >= 0 && e < bracket)) return e < 0 ? MORE : e + 1;
        // an internal subset: up to "]" and ">"
        const re = /\]\s*>/g;
        re.lastIndex = bracket;
        const m = re.exec(s);
        return m ? m.index + m[0].length : MORE;
      }
      return j + 1;
    }
    if (c1 === 63 /* ? */) return this.through(j + 2, '?>');
    return j + 1;
  }

  private scan(): void {
    const s = this.buf;
    for (;;) {
      if (this.item) {
        if (!this.scanItem()) return;
        continue;
      }
      const j = s.indexOf('<', this.pos);
      if (j < 0) { this.textBeforeRoot(s.length); this.pos = s.length; return; }
      if (!this.eof && j + 10 > s.length) { this.pos = j; return; }
      this.textBeforeRoot(j);
      const k = this.skipSpecial(j);
      if (k === MORE) { this.pos = j; return; }
      if (k !== j + 1) { this.pos = k; continue; }
      const e = tagEnd(s, j);
      if (e < 0) { this.pos = j; return; }
      if (s.charCodeAt(j + 1) === 47 /* / */) {
        this.flush();
        const name = tagName(s, j + 2, e);
        if (this.stack.length && this.stack[this.stack.length - 1] === name) this.stack.pop();
        this.pos = e + 1;
        continue;
      }
      const name = tagName(s, j + 1, e);
      const selfClosing = s.charCodeAt(e - 1) === 47;
      if (!this.rootSeen) this.root(name, j, e);
      if (name === this.itemTag) {
        this.item = { start: j, line: this.lineAt(j), from: e + 1 };
        if (selfClosing) this.endItem(e + 1);
        continue;
      }
      this.flush();
      if (!selfClosing) this.stack.push(name);
      this.pos = e + 1;
    }
  }

  /** Looks for the open item's end tag; false when more text is needed. */
  private scanItem(): boolean {
    const s = this.buf, it = this.item!, close = `</${this.itemTag}`;
    let k = it.from;
    for (;;) {
      const j = s.indexOf('<', k);
      if (j < 0 || (!this.eof && j + 10 > s.length)) { it.from = j < 0 ? s.length : j; return false; }
      if (s.startsWith(close, j)) {
        const c = s.charCodeAt(j + close.length);
        if (c === 62 || isWs(c)) {
          const e = s.indexOf('>', j);
          if (e < 0) { it.from = j; return false; }
          this.endItem(e + 1);
          return true;
        }
      }
      const n = this.skipSpecial(j);
      if (n === MORE) { it.from = j; return false; }
      k = n;
    }
  }

  /** The open item ends at `end`: adds it to the batch and its stand-in to the skeleton. */
  private endItem(end: number): void {
    const it = this.item!;
    this.item = null;
    this.skel(it.start);
    // the stand-in keeps the item's line breaks, and the columns after it when it spans lines (a one-line item
    // is not padded: in a feed written on one line that would copy the whole feed)
    const lines = this.lineAt(end) - it.line;
    const pad = lines > 0 ? end - this.buf.lastIndexOf('\n', end - 1) - 1 : 0;
    this.skeleton.push(`<${this.itemTag}/>${'\n'.repeat(lines)}${' '.repeat(pad)}`);
    this.skelFrom = end;
    this.pos = end;
    if (!this.batch) this.batch = { start: it.start, end, line: it.line, col: this.colAt(it.start), lines: [] };
    this.batch.end = end;
    this.batch.lines.push(it.line);
    if (this.batch.lines.length >= BATCH_ITEMS || end - this.batch.start > BATCH_CHARS) this.flush();
  }

  private textBeforeRoot(upTo: number): void {
    if (this.rootSeen) return;
    const s = this.buf;
    for (let k = this.pos; k < upTo; k++) {
      if (!isWs(s.charCodeAt(k))) {
        throw new SourceError(`feed ${this.b.name}:${this.lineAt(k)}: not a product feed: text before the first XML element`);
      }
    }
  }

  /** The root element decides the format. */
  private root(name: string, j: number, e: number): void {
    this.rootSeen = true;
    const local = localName(name);
    const where = `feed ${this.b.name}:${this.lineAt(j)}`;
    // a prefixed root (<atom:feed>) has its items under the same prefix (<atom:entry>)
    const prefix = name.length > local.length ? name.slice(0, name.length - local.length) : '';
    if (local === 'rss') { this.format = 'rss'; this.itemTag = `${prefix}item`; } else if (local === 'feed') { this.format = 'atom'; this.itemTag = `${prefix}entry`; } else if (local === 'RDF') {
      throw new SourceError(`${where}: an RSS 1.0 (RDF) document; Merchant Center feeds are read as RSS 2.0, Atom 1.0 or tab-delimited text`);
    } else if (local.toLowerCase() === 'html') {
      throw new SourceError(`${where}: not a product feed but an HTML page`);
    } else {
      throw new SourceError(`${where}: not a product feed: the root element is <${name}> (expected <rss> or <feed>)`);
    }
    const attrs = this.buf.slice(j, e);
    const re = /xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']([^"']*)["']/g;
    for (let m = re.exec(attrs); m; m = re.exec(attrs)) if (m[2] === G_NS) this.gPrefixes.add(m[1]!);
  }

  /** Validates and parses the pending batch of items. */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    const text = `<b>${this.buf.slice(batch.start, batch.end)}</b>`;
    const ok = XMLValidator.validate(text);
    if (ok !== true) {
      // the validator counts from the batch's first line (and "<b>" on it); its message may name a second place
      const at = (line: number, col: number): [number, number] => [batch.line + line - 1, line === 1 ? col - 3 + batch.col : col];
      const msg = ok.err.msg.replace(/line (\d+), col (\d+)/g, (_, l: string, c: string) => {
        const [l2, c2] = at(Number(l), Number(c));
        return `line ${l2}, col ${c2}`;
      });
      throw xmlError(this.b.name, ...at(ok.err.line, ok.err.col), msg);
    }
    let doc: { b?: Record<string, unknown> | string };
    try {
      doc = parser.parse(text) as typeof doc;
    } catch (e) {
      throw new SourceError(`feed ${this.b.name}:${batch.line}: the items from here on cannot be parsed (${(e as Error).message})`);
    }
    const v = typeof doc.b === 'object' ? doc.b[this.itemTag] : undefined;
    const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
    if (items.length !== batch.lines.length) {
      throw new SourceError(`feed ${this.b.name}:${batch.line}: ${batch.lines.length} <${this.itemTag}> elements found but ${items.length} parsed`);
    }
    for (let i = 0; i < items.length; i++) this.b.add(this.raw(items[i], batch.lines[i]!), batch.lines[i]!);
    this.onBatch();
  }

  /** A parsed item → the values the builder reads; other elements are checked against the known names. */
  private raw(node: unknown, line: number): RawItem {
    const raw: RawItem = {};
    if (typeof node !== 'object' || node === null) return raw;
    const plain: RawItem = {};
    for (const key of Object.keys(node)) {
      if (key === '#text') continue;
      const c = key.indexOf(':');
      const google = c > 0 && this.gPrefixes.has(key.slice(0, c));
      if (c > 0 && !google) { this.b.unknownAttribute(key, line, `<${key}>`); continue; }
      const attr = (c > 0 ? key.slice(c + 1) : key).toLowerCase();
      if (!READ_SET.has(attr)) {
        if (!KNOWN_ATTRIBUTES.has(attr)) this.b.unknownAttribute(key, line, `<${key}>`);
        continue;
      }
      const v = (node as Record<string, unknown>)[key];
      const vs = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : null));
      // a Google attribute wins over the RSS / Atom element of the same name (<g:title> over <title>)
      const into = google ? raw : plain;
      const a = attr as ReadAttribute;
      into[a] = into[a] ? into[a]!.concat(vs) : vs;
    }
    for (const a of Object.keys(plain) as ReadAttribute[]) if (raw[a] === undefined) raw[a] = plain[a];
    return raw;
  }

  /** The line of the document's last character that is not white space. */
  private lastLine(): number {
    let p = this.buf.length;
    while (p > 0 && isWs(this.buf.charCodeAt(p - 1))) p--;
    return this.lineAt(Math.max(0, p - 1));
  }

  /** After the last chunk: the cut, if any, and the validation of everything around the items. */
  end(cutOff: string | undefined): FeedFormat {
    const name = this.b.name;
    if (!this.rootSeen) throw new SourceError(`feed ${name}: empty, no XML element`);
    const cuts: string[] = [];
    let cutLine: number | undefined;
    if (this.item) {
      cutLine = this.item.line;
      cuts.push(`the document ends inside the <${this.itemTag}> that starts here`);
      this.skel(this.item.start);
      this.item = null;
    } else {
      // an unfinished construct at the very end (a cut tag or comment) is left out
      if (this.pos < this.buf.length && this.buf.slice(this.pos).trim()) {
        cutLine = this.lineAt(this.pos);
        cuts.push('the document ends inside markup');
      }
      this.skel(this.pos);
    }
    this.flush();
    if (this.stack.length) {
      cutLine ??= this.lastLine();
      cuts.push(`missing ${this.stack.map((t) => `</${t}>`).reverse().join('')}`);
      for (let i = this.stack.length - 1; i >= 0; i--) this.skeleton.push(`</${this.stack[i]}>`);
    }
    if (cutOff) cuts.unshift(cutOff);
    if (cuts.length) this.b.report.problem(R.cutOff, `${name}:${cutLine ?? this.lastLine()}`, cuts.join('; '));
    const ok = XMLValidator.validate(this.skeleton.join(''));
    if (ok !== true) throw xmlError(name, ok.err.line, ok.err.col, ok.err.msg);
    return this.format!;
  }
}

/** Reads an RSS 2.0 or Atom 1.0 feed's items into the builder; returns which of the two it was. */
export async function readXml(chunks: AsyncIterable<string>, b: CatalogBuilder, state: { cutOff?: string }, onBatch: () => void): Promise<FeedFormat> {
  const sc = new Scanner(b, onBatch);
  for await (const c of chunks) sc.push(c);
  sc.finish();
  return sc.end(state.cutOff);
}
