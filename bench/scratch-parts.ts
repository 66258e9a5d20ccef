import path from 'node:path';
import { ensureCacheDir, readCacheEntry, removeCacheEntry, writeCacheEntry } from '../src/cache/cache.js';
import { AttachmentLocks } from '../src/lock.js';
import { createWorkspace } from './lib/setup.js';
const ws = await createWorkspace();
const N = 1000;
async function t(name: string, fn: (i: number) => unknown) {
  for (let i = 0; i < 50; i++) await fn(i);
  const c = process.cpuUsage(); const s = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const u = process.cpuUsage(c);
  console.log(name.padEnd(24), 'wall us', ((performance.now() - s) / N * 1000).toFixed(1), 'cpu us', ((u.user + u.system) / N).toFixed(1));
}
const cacheDir = path.join(ws.root, 'cache');
const locks = new AttachmentLocks(cacheDir);
const key = { networkName: 'n', containerId: 'c', ifName: 'eth0' };
const entry = { kind: 'cniCacheV1' as const, ...key, config: new TextEncoder().encode('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"a"},{"type":"b"}]}'), netns: '/x', result: { cniVersion: '1.0.0', ips: [{ address: '192.0.2.1/24' }] } };
await t('lock+release', async () => { const h = await locks.attachment(key, undefined); await h.release(); });
await t('ensureCacheDir', () => ensureCacheDir(cacheDir));
await t('write sync', () => writeCacheEntry(cacheDir, entry));
await t('write nosync', () => writeCacheEntry(cacheDir, entry, { sync: false }));
await t('read', () => readCacheEntry(cacheDir, key));
await t('write nosync+remove', async () => { await writeCacheEntry(cacheDir, entry, { sync: false }); await removeCacheEntry(cacheDir, key); });
await ws.dispose();
