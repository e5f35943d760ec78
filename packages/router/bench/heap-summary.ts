/**
 * Summarises V8 heap snapshots (from memory-idle.ts with BENCH_SNAPSHOT=1) by object kind: count
 * and self size per constructor or closure name, largest first, with the difference from the first
 * file given. `node --import tsx bench/heap-summary.ts base.heapsnapshot other.heapsnapshot`.
 * Not a test.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function summary(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + nameAt]!] : '';
    const key = `${type}:${name}`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += snap.nodes[i + sizeAt]!;
    out.set(key, e);
  }
  return out;
}

const [baseFile, ...others] = process.argv.slice(2);
const base = summary(baseFile!);
for (const file of others) {
  const other = summary(file);
  const rows = [...other].map(([k, v]) => {
    const b = base.get(k) ?? { count: 0, size: 0 };
    return { k, count: v.count - b.count, size: v.size - b.size };
  });
  rows.sort((a, b) => (process.env.BY_COUNT ? b.count - a.count : b.size - a.size));
  console.log(`${file} − ${baseFile}: largest differences (count, bytes)`);
  for (const r of rows.slice(0, 30))
    console.log(`${String(r.count).padStart(8)} ${String(r.size).padStart(10)}  ${r.k}`);
}
