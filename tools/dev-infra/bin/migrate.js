#!/usr/bin/env node
'use strict';
// npm run migrate: dependencies and infra if needed, then every apps/*/src/migrate.ts (its
// compiled migrate.js from the build; HERALD_SERVICES_FROM=source: the TypeScript).
const u = require('../lib/util');

u.runMain('migrate', async () => {
  const infra = await require('../lib/deps').ensureDepsAndInfra();
  const buildDir = await require('../lib/build').serviceBuildDir({ log: u.logger('migrate') });
  await require('../lib/migrate').runMigrations(infra, { buildDir });
  return 0;
});
