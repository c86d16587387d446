'use strict';
// Loaded into the domain API by `npm run bench:api` (NODE_OPTIONS=--require …) when a CPU
// profile is asked for: the V8 profiler runs from start-up; SIGWINCH writes what it recorded to
// $HERALD_CPU_PROFILE (and restarts it), so the bench profiles exactly its measured phase.
// SIGWINCH: Nest's enableShutdownHooks() takes SIGUSR2 (and the others) as "shut down".
const inspector = require('node:inspector');
const fs = require('node:fs');

const file = process.env.HERALD_CPU_PROFILE;
if (file) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
  process.on('SIGWINCH', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(file, JSON.stringify(res.profile));
      session.post('Profiler.start');
    });
  });
}
