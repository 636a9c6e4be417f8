import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/args.js';
import { parseSimArgs, QUICK, FULL, OPTIONS, USAGE } from '../../src/simulate/options.js';
import { runSimulate } from '../../src/simulate/command.js';

describe('perch simulate: arguments', () => {
  it('refuses bad usage with exit code 2', async () => {
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const argv of [[], ['train'], ['simulate', '--rounds', 'x'], ['simulate', '--rounds'], ['simulate', '--bogus', '1'],
        ['simulate', '--noise', 'shuffled'], ['simulate', '--clip', '-1'], ['simulate', '--pretrain-fraction', '1'], ['simulate', 'extra'],
        ['simulate', '--data', '/nonexistent-dir-for-perch-test'], ['simulate', '--noise', 'ddg', '--ddg-uploads', '0'], ['simulate', '--split', 'train'],
        ['simulate', '--secagg-devices', '200'],
        // a shop's export: one that matches nothing, a feed without an export, both sources at once
        ['simulate', '--events', '/nonexistent-dir-for-perch-test/events_*.json'], ['simulate', '--catalog', 'feed.xml'],
        ['simulate', '--data', '/tmp', '--events', 'events.json']]) {
        expect(await runSimulate(argv)).toBe(2);
      }
      expect(await runSimulate(['simulate', '--help'])).toBe(0);
    } finally { process.stderr.write = err; }
  });

  it('documents every option it accepts, with the defaults it applies', () => {
    expect(OPTIONS.length).toBeGreaterThan(30);
    expect(OPTIONS.filter((name) => !new RegExp(`\\n  --${name}[ =]`).test(USAGE))).toEqual([]); // accepted, not documented
    const documented = [...USAGE.matchAll(/\n  --([a-z-]+)/g)].map((m) => m[1]);
    expect(documented.filter((n) => n !== 'quick' && !OPTIONS.includes(n!))).toEqual([]);
    // The stated defaults are the parsed ones: change a default in FULL and the usage follows.
    const d = parseSimArgs(['simulate']).options;
    expect(d).toEqual(FULL);
    expect(USAGE).toContain(`--dp-server-lr X        server learning rate of the DP runs (default ${d.dpServerLr})`);
    expect(USAGE).toContain(`default ${d.dpRounds}, --quick ${parseSimArgs(['simulate', '--quick']).options.dpRounds})`);
  });

  it('takes a shop\'s export and feed instead of the research data', () => {
    const a = parseSimArgs(['simulate', '--quick', '--events', 'ga4/events_*.parquet', '--catalog', 'https://shop.example/feed.xml']);
    expect(a.events).toBe('ga4/events_*.parquet');
    expect(a.catalog).toBe('https://shop.example/feed.xml');
    expect(a.data).toBeUndefined();
    expect(parseSimArgs(['simulate']).events).toBeUndefined();
  });

  it('applies --quick, then explicit flags over it', () => {
    const a = parseSimArgs(['simulate', '--quick', '--rounds', '7', '--seed=3', '--noise', 'central', '--clip', '0.5']);
    expect(a.quick).toBe(true);
    expect(a.options.rounds).toBe(7);
    expect(a.options.seed).toBe(3);
    expect(a.options.evalUsers).toBe(QUICK.evalUsers);
    expect(a.options.noise).toEqual(['central']);
    expect(a.options.clip).toBe(0.5);
    expect(a.options.centralUsers).toBe(5000); // quick: the centralised baselines on a subset
    expect(parseSimArgs(['simulate', '--quick', '--central-users', '0']).options.centralUsers).toBe(0);
    expect(parseSimArgs(['simulate']).options.centralUsers).toBe(0);
    expect(parseSimArgs(['simulate']).options.participation).toBe('poisson');
    expect(parseSimArgs(['simulate', '--participation', 'cyclic']).options.participation).toBe('cyclic');
    expect(() => parseSimArgs(['simulate', '--participation', 'round-robin'])).toThrow(/poisson or cyclic/);
    expect(() => parseSimArgs(['simulate', '--server-momentum', '1'])).toThrow(UsageError);
    const dp = parseSimArgs(['simulate', '--dp-rounds', '9', '--dp-clients-per-round', '50', '--dp-server-decay', '0']).options;
    expect(dp).toMatchObject({ dpRounds: 9, dpClientsPerRound: 50, dpServerDecay: 0 });
    expect(() => parseSimArgs(['simulate', '--dp-rounds', '0'])).toThrow(UsageError);
    expect(parseSimArgs(['simulate']).options.localFrozen).toEqual(['event_emb', 'gap_emb']);
    expect(parseSimArgs(['simulate', '--local-frozen', 'event_emb,gap_emb']).options.localFrozen).toEqual(['event_emb', 'gap_emb']);
    expect(parseSimArgs(['simulate', '--local-frozen', 'none']).options.localFrozen).toEqual([]);
    expect(parseSimArgs(['simulate', '--local-frozen', 'gru_wh,out_b']).options.localFrozen).toEqual(['gru_wh', 'out_b']);
    expect(() => parseSimArgs(['simulate', '--local-frozen', 'item_emb'])).toThrow(/unknown tensors: item_emb/);
  });

  it('parses the ddg noise mode, its parameters, --secagg-devices and --split', () => {
    const d = parseSimArgs(['simulate']).options;
    expect(d).toMatchObject({ ddgBits: 20, ddgUploads: 'auto', ddgMinCohort: 'auto', ddgDropout: 0.3, ddgColluding: 0.05, secaggDevices: 0, split: 'test' });
    const a = parseSimArgs(['simulate', '--quick', '--noise', 'ddg,local', '--ddg-bits', '16', '--ddg-uploads', '12', '--ddg-min-cohort', '100',
      '--ddg-dropout', '0.2', '--ddg-colluding', '0.1', '--secagg-devices', '200', '--split', 'val']).options;
    expect(a).toMatchObject({ noise: ['ddg', 'local'], ddgBits: 16, ddgUploads: 12, ddgMinCohort: 100, ddgDropout: 0.2, ddgColluding: 0.1, secaggDevices: 200, split: 'val' });
    expect(parseSimArgs(['simulate', '--noise', 'ddg', '--ddg-uploads', 'auto', '--ddg-min-cohort', 'auto']).options).toMatchObject({ ddgUploads: 'auto', ddgMinCohort: 'auto' });
    for (const bad of [['--noise', 'ddg,ddg'], ['--noise', 'ddg', '--ddg-uploads', '0'], ['--noise', 'ddg', '--ddg-uploads', '2.5'], ['--noise', 'ddg', '--ddg-min-cohort', 'x'],
      ['--noise', 'ddg', '--ddg-bits', '33'], ['--noise', 'ddg', '--ddg-bits', '1'], ['--noise', 'ddg', '--ddg-dropout', '0.6', '--ddg-colluding', '0.4'],
      ['--noise', 'ddg', '--secagg-devices', '2'], ['--noise', 'local', '--secagg-devices', '10'], ['--split', 'train'], ['--split', '']]) {
      expect(() => parseSimArgs(['simulate', ...bad]), bad.join(' ')).toThrow(UsageError);
    }
  });
});
