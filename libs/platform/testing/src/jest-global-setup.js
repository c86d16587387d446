// Jest globalSetup of the int and e2e projects (see jest.config.js). It runs once, in the
// parent jest process, before any worker starts: what it puts in process.env is inherited by
// every worker. DATABASE_URL / KAFKA_BROKERS already set (by `npm test`, CI, or you) are used
// as they are; otherwise the infrastructure is brought up (or reused) as `npm run infra:up`
// does, which is fast when it is already running.
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..', '..');

module.exports = async function heraldGlobalSetup() {
  if (process.env.KAFKAJS_NO_PARTITIONER_WARNING === undefined) process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  if (process.env.DATABASE_URL && process.env.KAFKA_BROKERS) return;
  const { ensureInfra, applyToEnv } = require(path.join(root, 'tools', 'dev-infra', 'lib', 'infra.js'));
  const { logger } = require(path.join(root, 'tools', 'dev-infra', 'lib', 'util.js'));
  process.stdout.write('\n');
  const infra = await ensureInfra({ log: logger('jest-global-setup') });
  applyToEnv(infra);
};
