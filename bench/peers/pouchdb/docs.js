// PouchDB 9 peer baseline for doc_bench (issue 19): the same scans (the sizes of
// bench/doc_bench.cc's Scans: camera JPEGs and scanner PDFs of 0.3 to 3 MB, about --mb MB in
// all) as attachments, one case document per scan (PouchDB's best case: the smallest
// requests), replicated local to local (leveldb), then over HTTP to express-pouchdb through
// the same fault proxy as hoso (bench/fault_proxy_main.cc: rate, one-way delay, a cut after
// every --cut-bytes of a connection). A replication that fails is started again, from its
// checkpoint, until every case and attachment arrived or --limit-s passed. JSON lines.
//
//   node docs.js FAULT_PROXY_BINARY [--mb 20] [--rate-bps 256000] [--rtt-ms 600]
//                [--cut-s 30] [--limit-s 1800]
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const PouchDB = require('pouchdb');
const express = require('express');
const expressPouch = require('express-pouchdb');

const proxyBin = process.argv[2];
const arg = (name, fallback) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const mb = arg('mb', 20), rate = arg('rate-bps', 256000), rtt = arg('rtt-ms', 600);
const cutBytes = Math.floor((rate / 8) * arg('cut-s', 30)), limitS = arg('limit-s', 1800);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hoso-pouchdb-docs-'));
const Local = PouchDB.defaults({ prefix: tmp + '/' });

function emit(metric, value, unit) {
  console.log(JSON.stringify({ bench: 'pouchdb', metric, value, unit }));
}

// doc_bench's Scans: the same sizes in the same order.
function scans(total) {
  const sizes = [300000, 850000, 1600000, 3000000, 520000, 2200000];
  const out = [];
  for (let i = 0, sum = 0; sum < total; ++i) {
    const n = Math.min(sizes[i % 6], Math.max(total - sum, 300000));
    const pdf = i % 2 === 1;
    out.push({ name: (pdf ? 'scan-' : 'anh-') + i + (pdf ? '.pdf' : '.jpg'),
               type: pdf ? 'application/pdf' : 'image/jpeg', data: crypto.randomBytes(n) });
    sum += n;
  }
  return out;
}

async function startProxy(target) {
  const child = spawn(proxyBin, ['--target', String(target), '--delay-ms', String(rtt / 2),
                                 '--rate-bps', String(rate), '--cut-bytes', String(cutBytes)],
                      { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(l)));
    child.once('error', reject);
  });
  return { child, port };
}

async function complete(db, files) {
  const info = await db.info();
  if (info.doc_count !== files.length) return false;
  const all = await db.allDocs({ include_docs: true });
  return all.rows.every((r) => r.doc._attachments && Object.keys(r.doc._attachments).length === 1);
}

async function main() {
  const files = scans(mb * 1000000);
  const bytes = files.reduce((n, f) => n + f.data.length, 0);
  const source = new Local('source');
  let t = Date.now();
  await source.bulkDocs(files.map((f, i) => ({
    _id: 'case-' + String(i).padStart(4, '0'), office: '30280', status: 'received',
    _attachments: { [f.name]: { content_type: f.type, data: f.data } },
  })));
  emit('pouchdb_doc_store_mb_per_s', bytes / 1e6 / ((Date.now() - t) / 1000), 'MB/s');
  emit('pouchdb_doc_files', files.length, 'files');
  emit('pouchdb_doc_file_mb', bytes / 1e6, 'MB');

  const local = new Local('target-local');
  t = Date.now();
  await PouchDB.replicate(source, local, { batch_size: 1 });
  emit('pouchdb_doc_local_replicate_s', (Date.now() - t) / 1000, 's');

  const app = express();
  app.use('/', expressPouch(PouchDB.defaults({ prefix: tmp + '/http-' }),
                            { inMemoryConfig: true, mode: 'minimumForPouchDB' }));
  const server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  const proxy = await startProxy(server.address().port);
  const url = 'http://127.0.0.1:' + proxy.port + '/target';
  const deadline = Date.now() + limitS * 1000;
  t = Date.now();
  let attempts = 0, finished = false;
  while (Date.now() < deadline && !finished) {
    ++attempts;
    try {
      await PouchDB.replicate(source, new PouchDB(url), { batch_size: 1, timeout: 120000 });
    } catch (e) {
      // A cut connection: started again from the checkpoint, as an app would.
    }
    try { finished = await complete(new PouchDB(url), files); } catch (e) { finished = false; }
  }
  const s = (Date.now() - t) / 1000;
  let arrived = 0;
  try { arrived = (await new PouchDB(url).info()).doc_count; } catch (e) { /* unreachable */ }
  const wire = (bytes * 8) / rate;
  emit('pouchdb_doc_sync_finished', finished ? 1 : 0, 'bool');
  emit('pouchdb_doc_sync_s', s, 's');
  emit('pouchdb_doc_sync_vs_wire', s / wire, 'ratio');
  emit('pouchdb_doc_sync_cases_arrived', arrived, 'cases');
  emit('pouchdb_doc_sync_attempts', attempts, 'replications');
  proxy.child.stdin.end();
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error('pouchdb docs bench: ' + (e.stack || e));
  process.exit(1);
});
