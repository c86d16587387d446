// A stand-in service for the harness's own tests: run by spawnService through
// @swc-node/register like a real app. Answers /health/ready 503 for its first 300 ms, then
// 200; GET /env returns the variables the harness passes; SIGTERM closes it cleanly.
import { createServer } from 'node:http';

const startedAt = Date.now();
const port = Number(process.env['PORT']);

const server = createServer((req, res) => {
  if (req.url === '/health/ready') {
    const ready = Date.now() - startedAt > 300;
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: ready ? 'ok' : 'starting' }));
    return;
  }
  if (req.url === '/env') {
    const keys = ['PORT', 'NODE_ENV', 'DATABASE_URL', 'KAFKA_BROKERS', 'HERALD_SECRETS_KEY', 'HERALD_PUBLIC_BASE_URL', 'FAKE_FLAG', 'HERALD_KAFKA_NAMESPACE'];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Object.fromEntries(keys.map((k) => [k, process.env[k]]))));
    return;
  }
  if (req.url === '/crash') {
    res.end('bye');
    console.error('fake-service: crashing on request');
    setTimeout(() => process.exit(3), 10);
    return;
  }
  res.writeHead(404);
  res.end();
});

server.listen(port, '127.0.0.1', () => console.log(`fake-service listening on :${port}`));

process.on('SIGTERM', () => {
  console.log('fake-service: SIGTERM, closing');
  server.close(() => process.exit(0));
});
