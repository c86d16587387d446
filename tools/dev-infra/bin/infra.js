#!/usr/bin/env node
'use strict';
// npm run infra:up | infra:down | infra:status
//   up      install dependencies if needed, then start (or reuse) PostgreSQL and Kafka
//   down    stop what `up` started (native: by pid; docker: docker compose stop)
//   status  what is running, where, and with which pid
const path = require('node:path');
const u = require('../lib/util');

const log = u.logger('infra');

async function up() {
  const started = Date.now();
  const infra = await require('../lib/deps').ensureDepsAndInfra({ log });
  log(`ready (${infra.mode}) in ${u.formatMs(Date.now() - started)}`);
  log(`  DATABASE_URL=${infra.databaseUrl}`);
  log(`  KAFKA_BROKERS=${infra.kafkaBrokers}`);
  log(`  written to ${path.relative(u.ROOT, require('../lib/infra').ENV_FILE)}; stop with: npm run infra:down`);
  return 0;
}

async function down() {
  await require('../lib/infra').stopInfra({ log });
  return 0;
}

async function status() {
  const { infraStatus } = require('../lib/infra');
  const { databaseUrl } = require('../lib/postgres');
  const st = await infraStatus();
  const line = (name, s, url) =>
    s.running
      ? `${name.padEnd(9)} running  pid ${String(s.pid).padEnd(8)} 127.0.0.1:${s.port} ${s.answering ? 'answering' : 'NOT answering'}  ${url}`
      : `${name.padEnd(9)} stopped`;
  console.log('native (.herald):');
  console.log('  ' + line('postgres', st.postgres, databaseUrl(st.postgres.port)));
  const { instance } = require('../lib/postgres');
  if (instance().relocated) console.log(`            data in ${st.postgres.dataDir} (the checkout is not readable by the server's user)`);
  console.log('  ' + line('kafka', st.kafka, `127.0.0.1:${st.kafka.port}`));
  if (process.env.DATABASE_URL || process.env.KAFKA_BROKERS) {
    console.log('from the environment:');
    if (process.env.DATABASE_URL) console.log(`  DATABASE_URL=${process.env.DATABASE_URL}`);
    if (process.env.KAFKA_BROKERS) console.log(`  KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`);
  }
  if (st.dockerEngine) {
    console.log('docker compose:');
    console.log(
      require('../lib/docker')
        .composePs(['postgres', 'kafka'])
        .split('\n')
        .map((l) => '  ' + l)
        .join('\n'),
    );
  } else {
    console.log('docker: no engine answers');
  }
  if (st.envFile) {
    console.log(`last up (.herald/env.json, ${st.envFile.updatedAt}): mode ${st.envFile.mode}`);
    console.log(`  DATABASE_URL=${st.envFile.DATABASE_URL}`);
    console.log(`  KAFKA_BROKERS=${st.envFile.KAFKA_BROKERS}`);
  } else {
    console.log('no .herald/env.json (infra not up, or taken down)');
  }
  return 0;
}

const commands = { up, down, status };
const cmd = process.argv[2];
if (!commands[cmd]) {
  console.error('usage: node tools/dev-infra/bin/infra.js up|down|status');
  process.exit(2);
}
u.runMain('infra', commands[cmd]);
