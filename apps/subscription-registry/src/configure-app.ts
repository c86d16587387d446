import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { RegistryConfig } from './config';
import { sendProblem, type ProblemResponse } from '@herald/platform/http';
import { ProblemDetailsFilter, toProblem } from './http/problem-details';

/** The OpenAPI document of every controller the registry serves (3.1: bodies are JSON Schema 2020-12). */
export function openApiDocument(app: INestApplication, config: Pick<RegistryConfig, 'HERALD_PUBLIC_BASE_URL'>): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald subscription registry')
      .setDescription(
        'Webhook subscriptions (native `/v1/webhooks` and the dialect APIs), the event catalog and the delivery log. ' +
          'Errors of the native API are RFC 9457 problem details (`application/problem+json`).',
      )
      .setVersion('1')
      .addServer(config.HERALD_PUBLIC_BASE_URL)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'hk_<keyId>_<secret>' }, 'bearer')
      .build(),
  );
  document.openapi = '3.1.0';
  return document;
}

/**
 * What main.ts and the tests share: JSON bodies whose parse errors are problem+json too (the app
 * is created with `bodyParser: false`), the problem filter, `/openapi.json` and `/docs`.
 */
export function configureApp(app: INestApplication, config: Pick<RegistryConfig, 'HERALD_PUBLIC_BASE_URL'>): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: '256kb', type: ['application/json', 'application/*+json'] });
  express.use((err: unknown, req: { originalUrl?: string; url: string }, res: ProblemResponse, next: (e?: unknown) => void) => {
    if (res.headersSent) return next(err);
    sendProblem(res, toProblem(err, req.originalUrl ?? req.url));
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = openApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
