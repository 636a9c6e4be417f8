/**
 * The simulated population: a seeded split of users into a pretraining group (data the server holds, e.g. the
 * shop's own logs or opted-in users) and federated clients, each holding only its own sequence. Both groups
 * use the leave-one-out protocol: clients train on their prefix (minus the last two events), the second-to-last
 * event is validation, the last one is the test target.
 */
import { leaveOneOut, type EvalCase, type Split } from '@perch/model/data';
import type { Dataset, Sequence } from '@perch/model/data';
import { Rng } from '@perch/model/rng';

export interface Population {
  /** Leave-one-out split of the pretraining users. */
  pretrain: Split;
  /** Leave-one-out split of the federated users (one client per user). */
  federated: Split;
  /** Training prefixes of the federated users that hold at least one transition: the clients. */
  clients: Sequence[];
  /** Test cases used for every reported figure (a seeded sample of the federated users, or all of them). */
  test: EvalCase[];
  /** Validation cases (same users as `test`) for early stopping of the centralised baselines. */
  val: EvalCase[];
}

/**
 * Splits `ds` into pretraining and federated users. `pretrainFraction` of the users (seeded shuffle) go to
 * pretraining; `evalUsers` caps the federated users evaluated (0 = all).
 */
export function makePopulation(ds: Dataset, o: { pretrainFraction: number; evalUsers: number; seed: number }): Population {
  if (!(o.pretrainFraction > 0 && o.pretrainFraction < 1)) throw new RangeError(`pretrainFraction must be in (0, 1), got ${o.pretrainFraction}`);
  const order = new Rng(o.seed ^ 0x5eed).shuffle(ds.sequences.slice());
  const cut = Math.round(order.length * o.pretrainFraction);
  const pretrain = leaveOneOut(order.slice(0, cut));
  const federated = leaveOneOut(order.slice(cut));
  const clients = federated.train.filter((s) => s.items.length >= 2);
  // Same users for val and test: pick test indices once, take the matching val cases.
  const idx = federated.test.map((_, i) => i);
  const pick = o.evalUsers > 0 && o.evalUsers < idx.length ? new Rng(o.seed ^ 0xe7a1).shuffle(idx).slice(0, o.evalUsers).sort((a, b) => a - b) : idx;
  return { pretrain, federated, clients, test: pick.map((i) => federated.test[i]!), val: pick.map((i) => federated.val[i]!) };
}
