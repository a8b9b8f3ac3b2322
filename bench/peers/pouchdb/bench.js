// PouchDB 9 peer baseline for the sync bench: the same cases ("cases" workload, from
// workload_json) with the same five updates each, replicated local to local (leveldb) and
// over HTTP on loopback (express-pouchdb). Prints JSON lines like every bench program.
//
//   node bench.js WORKLOAD_JSON_BINARY [CASES]
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const PouchDB = require('pouchdb');
const express = require('express');
const expressPouch = require('express-pouchdb');

const workloadBin = process.argv[2];
const cases = Number(process.argv[3] || 20000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hoso-pouchdb-'));
const Local = PouchDB.defaults({ prefix: tmp + '/' });

function emit(metric, value, unit) {
  console.log(JSON.stringify({ bench: 'pouchdb', metric, value, unit }));
}

async function bulk(db, docs) {
  for (let i = 0; i < docs.length; i += 1000) {
    const chunk = docs.slice(i, i + 1000);
    const res = await db.bulkDocs(chunk);
    res.forEach((r, k) => {
      if (!r.ok) throw new Error('write failed: ' + JSON.stringify(r));
      chunk[k]._rev = r.rev;
    });
  }
}

// The source database: every case received, then five rounds of updates, each a new revision
// that appends to the case's history.
async function fill(db) {
  const lines = execFileSync(workloadBin, [String(cases)], { maxBuffer: 1 << 30 })
    .toString('utf8')
    .trim()
    .split('\n');
  const docs = new Map();
  const receptions = [];
  let round = [];
  const rounds = [];
  for (const line of lines) {
    const o = JSON.parse(line);
    if (o.case) {
      const d = o.case;
      d._id = d.case_id;
      d.history = [];
      docs.set(d._id, d);
      receptions.push(d);
    } else {
      round.push(o.update);
      if (round.length === cases) {
        rounds.push(round);
        round = [];
      }
    }
  }
  const t = Date.now();
  await bulk(db, receptions);
  for (const updates of rounds) {
    const changed = updates.map((u) => {
      const d = docs.get(u.case_id);
      const { case_id, office, ...fields } = u;
      Object.assign(d, fields);
      d.history.push({ status: u.status, officer: u.officer });
      return d;
    });
    await bulk(db, changed);
  }
  emit('pouchdb_local_writes_per_s', (cases * 6) / ((Date.now() - t) / 1000), 'writes/s');
}

async function main() {
  const source = new Local('source');
  await fill(source);

  const local = new Local('target-local');
  let t = Date.now();
  await PouchDB.replicate(source, local, { batch_size: 100 });
  let s = (Date.now() - t) / 1000;
  if ((await local.info()).doc_count !== cases) throw new Error('local replica is incomplete');
  emit('pouchdb_replicate_cases_per_s', cases / s, 'cases/s');

  const app = express();
  app.use('/', expressPouch(PouchDB.defaults({ prefix: tmp + '/http-' }), { inMemoryConfig: true, mode: 'minimumForPouchDB' }));
  const sockets = [];
  const server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  server.on('connection', (sock) => sockets.push(sock));
  const url = 'http://127.0.0.1:' + server.address().port + '/target';
  t = Date.now();
  await PouchDB.replicate(source, new PouchDB(url), { batch_size: 100 });
  s = (Date.now() - t) / 1000;
  const remote = new PouchDB(url);
  if ((await remote.info()).doc_count !== cases) throw new Error('HTTP replica is incomplete');
  const bytes = sockets.reduce((n, k) => n + k.bytesRead + k.bytesWritten, 0);
  emit('pouchdb_http_replicate_cases_per_s', cases / s, 'cases/s');
  emit('pouchdb_http_wire_bytes_per_case', bytes / cases, 'bytes');
  emit('cases', cases, 'cases');
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}

main().catch((e) => {
  console.error('pouchdb bench: ' + (e.stack || e));
  process.exit(1);
});
