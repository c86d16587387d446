import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { RegistryConfig } from './config';
import { PROBLEM_JSON_SCHEMA, documentProblemAnswers, limitRequestBodies, methodNotAllowed, problem, sendProblem, type ProblemResponse } from '@herald/platform/http';
import { dialectErrorFilterOf } from './dialects/dialects.module';
import { ProblemDetailsFilter, toProblem } from '@herald/registry/subscriptions';
import { declarePathParameters, documentAuth } from '@herald/registry/openapi';

/** The OpenAPI document of every controller the registry serves (3.1: bodies are JSON Schema 2020-12). */
export function openApiDocument(app: INestApplication, config: Pick<RegistryConfig, 'HERALD_PUBLIC_BASE_URL'>): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald subscription registry')
      .setDescription(
        'Webhook subscriptions (native `/v1/webhooks` and the dialect APIs), the event catalog and the delivery log. ' +
          'Errors of the native API are RFC 9457 problem details (`application/problem+json`); each dialect answers in its own shape ' +
          "(Worksection's with HTTP 200). Each operation's `security` names the key's scopes (any one of them), and `x-herald-auth` " +
          'how it refuses a missing, malformed or revoked key, a key without the scope and another tenant\'s key.',
      )
      .setVersion('1')
      .addServer(config.HERALD_PUBLIC_BASE_URL)
      .build(),
  );
  document.openapi = '3.1.0';
  declarePathParameters(document);
  // Security schemes, each operation's scopes and how it refuses (x-herald-auth): http/auth-docs.ts.
  documentAuth(document);
  // The native API's errors are problem+json: each operation documents the ones it can give.
  documentProblemAnswers(document, { problemSchema: PROBLEM_JSON_SCHEMA, paths: isNativePath });
  return document;
}

/** The native API (`/v1/…`); the dialects' routes answer in their own error shapes. */
const isNativePath = (p: string) => p.startsWith('/v1/');

/**
 * What main.ts and the tests share: JSON bodies up to HERALD_MAX_REQUEST_BODY_BYTES, refused
 * (413, bad JSON) in the shape of the API a path belongs to (the app is created with `bodyParser: false`), the problem filter, the OpenAPI document at `/openapi.json` and
 * `/v1/webhooks/openapi.json`, Swagger UI at `/docs` and `/docs/webhooks`.
 */
export function configureApp(
  app: INestApplication,
  config: Pick<RegistryConfig, 'HERALD_PUBLIC_BASE_URL'> & Partial<Pick<RegistryConfig, 'HERALD_CONSOLE_DIR' | 'HERALD_MAX_REQUEST_BODY_BYTES'>>,
): void {
  const express = app as NestExpressApplication;
  serveConsole(express, consoleDir(config.HERALD_CONSOLE_DIR));
  limitRequestBodies(express, { maxBytes: config.HERALD_MAX_REQUEST_BODY_BYTES ?? 256 * 1024, apiOf: dialectErrorFilterOf, problem: toProblem });
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = openApiDocument(app, config);
  // Behind the Ingress, /docs and /openapi.json are the domain API's: the registry's document is
  // also at /v1/webhooks/openapi.json and /docs/webhooks (public paths the Ingress sends here).
  // Set up before the controllers' routes, so /v1/webhooks/openapi.json is never taken for a hook id.
  SwaggerModule.setup('docs/webhooks', app, document, { jsonDocumentUrl: 'v1/webhooks/openapi.json', yamlDocumentUrl: 'v1/webhooks/openapi.yaml' });
  // 405 with an Allow header for a method a documented path does not have, in the shape of the
  // API the path belongs to (each dialect its own, problem+json elsewhere).
  express.use(methodNotAllowed(document, { apiOf: dialectErrorFilterOf }));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}

/** Where the console's files are (see HERALD_CONSOLE_DIR). */
function consoleDir(configured: string | undefined): string {
  if (configured) return path.resolve(configured);
  const beside = path.resolve(__dirname, '..', 'console');
  return existsSync(path.join(beside, 'index.html')) ? beside : path.resolve('dist/apps/console');
}

/** What the console's pages may load: only this origin (its API included), no inline script, no framing. */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

type Req = { method: string; path: string; originalUrl?: string; url: string };
type Res = ProblemResponse & { setHeader(n: string, v: string): void; redirect(status: number, url: string): void; sendFile(p: string): void };

/**
 * The operator console (apps/console, built to `dir`) at /console/: its files as they are
 * (hashed assets cached for a year), and index.html for every other /console/ path (the SPA's
 * own routes). Without a build, /console/ answers a 404 problem saying how to build it.
 */
export function serveConsole(app: NestExpressApplication, dir: string): void {
  const index = path.join(dir, 'index.html');
  app.use((req: Req, res: Res, next: () => void) => {
    if (req.path === '/console') return res.redirect(301, '/console/');
    if (!req.path.startsWith('/console/')) return next();
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    next();
  });
  app.useStaticAssets(dir, {
    prefix: '/console/',
    index: false,
    fallthrough: true,
    setHeaders: (res: { setHeader(n: string, v: string): void }, file: string) =>
      res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  app.use((req: Req, res: Res, next: () => void) => {
    if (!req.path.startsWith('/console/') || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    if (req.path.startsWith('/console/assets/') || !existsSync(index)) {
      return sendProblem(
        res,
        problem(404, existsSync(index) ? `no such file: ${req.path}` : 'the console is not built: run `npx nx run console:build`', req.originalUrl ?? req.url),
      );
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
}
