#!/usr/bin/env node
'use strict';
// npm run migrate: dependencies and infra if needed, then every apps/*/src/migrate.ts.
const u = require('../lib/util');

u.runMain('migrate', async () => {
  await require('../lib/deps').ensureDeps();
  const infra = await require('../lib/infra').ensureInfra();
  await require('../lib/migrate').runMigrations(infra);
  return 0;
});
