'use strict';
// Preloaded into each service by bench:broker-idle with BENCH_COUNT_REQUESTS=1 (`node -r`): counts
// the Kafka requests the process sends, by API (kafkajs' Connection.send), and writes the running
// totals to $COUNT_DIR/<app>-<pid>.json every 2 s. Measurement only; never loaded by a service
// otherwise.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const dir = process.env.COUNT_DIR;
const app = (/apps\/([^/]+)\//.exec(process.argv[1] || '') || [])[1] || path.basename(process.argv[1] || 'node');
const file = dir && path.join(dir, `${app}-${process.pid}.json`);
const counts = {};
let patched = false;

if (file) {
  fs.mkdirSync(dir, { recursive: true });
  const load = Module._load;
  Module._load = function (request, parent, ...rest) {
    const loaded = load.call(this, request, parent, ...rest);
    if (!patched && request === 'kafkajs') {
      patched = true;
      try {
        const Connection = require(require.resolve('kafkajs/src/network/connection.js', { paths: [path.dirname((parent && parent.filename) || process.cwd())] }));
        const send = Connection.prototype.send;
        Connection.prototype.send = function (args, ...more) {
          const api = (args && args.request && args.request.apiName) || 'unknown';
          counts[api] = (counts[api] || 0) + 1;
          return send.call(this, args, ...more);
        };
      } catch (e) {
        counts[`not counted: ${e.message}`] = 0;
      }
    }
    return loaded;
  };
  setInterval(() => fs.writeFileSync(file, JSON.stringify({ at: Date.now(), counts })), 2_000).unref();
}
