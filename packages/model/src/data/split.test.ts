import { describe, expect, it } from 'vitest';
import { parseSequenceFile } from './parse-sequences.js';
import { leaveOneOut } from './split.js';

describe('leaveOneOut', () => {
  const ds = parseSequenceFile('u1 a b c d e\nu2 a c\nu3 b c d\n', 'tiny.txt');
  const row = (id: string): number => ds.vocab.indexOf(id);
  const split = leaveOneOut(ds.sequences);

  it('trains on each sequence minus its last two events; short ones whole', () => {
    expect(split.train.map((s) => Array.from(s.items))).toEqual([[row('a'), row('b'), row('c')], [row('a'), row('c')], [row('b')]]);
  });
  it('validates on the second-to-last and tests on the last from everything before', () => {
    expect(split.val.map((c) => [c.seq.key, c.prefixLen, c.target])).toEqual([['u1', 3, row('d')], ['u3', 1, row('c')]]);
    expect(split.test.map((c) => [c.seq.key, c.prefixLen, c.target])).toEqual([['u1', 4, row('e')], ['u3', 2, row('d')]]);
  });
});
