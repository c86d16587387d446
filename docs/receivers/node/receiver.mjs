// A Herald webhook receiver: verify, de-duplicate, answer at once, work later.
// npm install standardwebhooks   ·   WEBHOOK_SECRET=whsec_… PORT=8080 node receiver.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.WEBHOOK_SECRET); // the hook's whsec_… secret
const MAX_BODY = 5 * 1024 * 1024;
const seen = new Map(); // webhook-id → first seen; use a unique key in your database instead
const queue = []; // use a durable queue or table instead

const log = (line) => console.log(JSON.stringify(line));
const answer = (res, status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const server = createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8'); // the raw body: verify before parsing
    let event;
    try {
      event = webhook.verify(body, req.headers); // signature(s) and the 5-minute timestamp window
    } catch (err) {
      log({ event: 'rejected', reason: err.message });
      return answer(res, 400, { error: 'invalid signature' }); // not 401/410: some hooks unsubscribe on those
    }
    const id = req.headers['webhook-id'];
    if (seen.has(id)) {
      log({ event: 'duplicate', id });
      return answer(res, 200, { status: 'OK' }); // already have it: acknowledge, do nothing
    }
    seen.set(id, Date.now());
    queue.push({ id, event }); // store first…
    answer(res, 200, { status: 'OK' }); // …answer at once (200 + {"status":"OK"} meets every success rule)…
  });
});

// …and do the work later, away from the request.
setInterval(() => {
  for (let job = queue.shift(); job; job = queue.shift()) log({ event: 'processed', id: job.id, type: job.event.type });
}, 100);

server.listen(Number(process.env.PORT ?? 8080), () => log({ event: 'listening', port: server.address().port }));
