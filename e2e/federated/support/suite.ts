// The setup every federated spec shares: the static SDK server, the real aggregator on a temporary SQLite
// file (started with `args`) and the recording proxy in front of it, up for the whole file; torn down after
// it, closing the given devices' contexts first. `modelKeys` is what every page pins: the aggregator's public key.
import { test } from '@playwright/test';
import { kill9, startAggregator, startProxy, tempDb, type Aggregator, type Proxy } from './aggregator.js';
import { startSdkServer, type Device, type SdkServer } from './device.js';

export interface FederatedEnv { sdk: SdkServer; agg: Aggregator; proxy: Proxy; db: string; modelKeys: string[] }

/**
 * Registers beforeAll/afterAll for the file; the returned object is filled in once beforeAll has run. The
 * aggregator logs at `logLevel` (startAggregator's default: warn).
 */
export function federatedSuite(args: string[], devices: Device[] = [], logLevel?: string): FederatedEnv {
  const env = {} as FederatedEnv;
  let tmp: ReturnType<typeof tempDb>;
  test.beforeAll(async () => {
    env.sdk = await startSdkServer();
    tmp = tempDb();
    env.db = tmp.db;
    env.agg = await startAggregator(tmp.db, args, logLevel);
    env.modelKeys = [env.agg.modelKey.publicKey];
    env.proxy = await startProxy(env.agg.url);
  });
  test.afterAll(async () => {
    for (const d of devices.splice(0)) await d.context.close();
    await kill9(env.agg);
    await env.proxy.close();
    await env.sdk.close();
    tmp.cleanup();
  });
  return env;
}
