/**
 * The text format (support.google.com/merchants/answer/160588): a header row of attribute names, then one
 * product per line, values separated by tabs. Header names are matched case-insensitively, with or without the
 * `g:` prefix and with a space or `_` between words ("image link", "g:image_link"). A value wholly enclosed in
 * double quotes is unquoted (`""` inside is one quote), as Merchant Center's "value quoting" mode reads it;
 * a value never spans lines. Merchant Center also takes `|` and `~` as separators: the header decides which.
 */
import { SourceError } from '../report.js';
import { KNOWN_ATTRIBUTES, READ_SET, type RawItem, type ReadAttribute } from './attributes.js';
import { R, type CatalogBuilder } from './build.js';


/** A header cell → attribute name. */
function attrName(cell: string): string {
  let s = unquote(cell.trim()).trim().toLowerCase();
  if (s.startsWith('g:')) s = s.slice(2);
  return s.replace(/\s+/g, '_');
}

function unquote(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1).replace(/""/g, '"') : s;
}

/** Lines of the text, without their line break ("\n" or "\r\n"). */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const c of chunks) {
    const s = rest + c;
    let from = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
      yield s.charCodeAt(nl - 1) === 13 ? s.slice(from, nl - 1) : s.slice(from, nl);
      from = nl + 1;
    }
    rest = s.slice(from);
  }
  if (rest) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

interface Column { attr: ReadAttribute | undefined; name: string }

/** Reads a tab-delimited feed's rows into the builder; returns the number of lines. */
export async function readTsv(chunks: AsyncIterable<string>, b: CatalogBuilder, onRows: () => void): Promise<number> {
  const { report } = b;
  let line = 0, blank = 0;
  let columns: Column[] | undefined;
  let sep = '\t';
  for await (const text of lines(chunks)) {
    line++;
    if (text.trim() === '') { blank++; continue; }
    if (!columns) {
      columns = header(text, line, b);
      sep = columns.length > 1 ? separatorOf(text) : '\t';
      continue;
    }
    const cells = text.split(sep);
    if (cells.length > columns.length) {
      let k = columns.length;
      while (k < cells.length && cells[k]!.trim() === '') k++;
      if (k === cells.length) {
        report.problem(R.extraEmptyCells, b.at(line), `${cells.length} cells for ${columns.length} columns`);
        cells.length = columns.length;
      }
    }
    if (cells.length !== columns.length) {
      b.read++;
      report.problem(R.columns, b.at(line), `expected ${columns.length} columns, got ${cells.length}`);
      continue;
    }
    const raw: RawItem = {};
    let trimmed: string[] | undefined;
    for (let i = 0; i < cells.length; i++) {
      const col = columns[i]!;
      if (col.attr === undefined) continue;
      const cell = cells[i]!;
      let v = cell.trim();
      if (v.length !== cell.length && v !== '') (trimmed ??= []).push(col.name);
      v = unquote(v);
      // a blank cell is how a text feed leaves an attribute out (answer/160588), not an empty value
      if (v === '') continue;
      const prev = raw[col.attr];
      if (prev === undefined) raw[col.attr] = [v];
      // a repeated column: the first non-empty value counts (product_type: each is one more value)
      else if (col.attr === 'product_type') prev.push(v);
    }
    if (trimmed !== undefined) report.problem(R.trimmed, b.at(line), trimmed.join(', '));
    b.add(raw, line);
    if ((b.read & 1023) === 0) onRows();
  }
  if (!columns) throw new SourceError(`feed ${b.name}: empty, no header row`);
  if (blank) report.count('lines.blank', blank);
  onRows();
  return line;
}

/** The separator the header uses: a tab, else `|` or `~` (Merchant Center's other two). */
function separatorOf(text: string): string {
  if (text.includes('\t')) return '\t';
  return text.includes('|') ? '|' : '~';
}

function header(text: string, line: number, b: CatalogBuilder): Column[] {
  const sep = separatorOf(text);
  const cells = text.split(sep);
  const names = cells.map(attrName);
  if (!names.includes('id')) {
    const shown = cells.slice(0, 8).map((c) => JSON.stringify(c.trim().slice(0, 30))).join(', ');
    const why = !text.includes('\t') && /[,;]/.test(text)
      ? 'the header has no tab: Merchant Center text feeds are tab-delimited (this looks comma- or semicolon-separated)'
      : 'the header row has no id column';
    throw new SourceError(`feed ${b.name}:${line}: not a product feed: ${why} (columns: ${shown}${cells.length > 8 ? ', …' : ''})`);
  }
  const seen = new Set<string>();
  return names.map((name, i) => {
    if (name === '') { b.report.problem(R.unnamedColumn, b.at(line), `column ${i + 1}`); return { attr: undefined, name }; }
    if (seen.has(name) && name !== 'product_type') b.report.problem(R.repeatedColumn, b.at(line), name);
    seen.add(name);
    if (READ_SET.has(name)) return { attr: name as ReadAttribute, name };
    if (!KNOWN_ATTRIBUTES.has(name)) b.unknownAttribute(name, line, `column ${JSON.stringify(cells[i]!.trim())}`);
    return { attr: undefined, name };
  });
}
