import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemDetailsFilter } from '@herald/domain/resources';
import { documentProblemAnswers, methodNotAllowed } from '@herald/platform/http';
import { SERVICE_NAME, type DomainApiConfig } from './config';
import { documentAuth } from './http/auth-docs';
import { ProblemSchema, SHARED_SCHEMAS } from './http/openapi-schemas';
import { requestTracing } from './request-tracing';

/**
 * The largest request body the API reads (a 413 problem+json above it). The biggest resource
 * must still fit in one Kafka message with its before and after (900 KB, see OutboxWriter).
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Builds the OpenAPI document; declared 3.1 (JSON Schema 2020-12 bodies from the zod DTOs). */
export function openApiDocument(app: INestApplication, config: DomainApiConfig): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald domain API')
      .setDescription(
        'Projects, tasks and the rest of the project-management domain. Every committed change becomes one ' +
          '"resource changed" event on `herald.resource-changes.v1`. Errors are RFC 9457 problem details: 400 for ' +
          'input that does not match the schema, 422 for well-formed input that cannot be carried out (a reference ' +
          `to a row the tenant does not have), 413 for a body over ${MAX_BODY_BYTES} bytes, 405 for a method a path does not have.`,
      )
      .setVersion('1')
      .addServer(config.HERALD_PUBLIC_BASE_URL)
      .build(),
  );
  document.openapi = '3.1.0';
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...SHARED_SCHEMAS } };
  documentProblemAnswers(document, { problemSchema: ProblemSchema, paths: (p) => p.startsWith('/v1/') || p.startsWith('/v2/') });
  // Security schemes, each operation's scope and how it refuses (x-herald-auth): http/auth-docs.ts.
  documentAuth(document);
  return document;
}

/**
 * What main.ts and the tests share (the app is created with `bodyParser: false`): JSON bodies up
 * to MAX_BODY_BYTES, request tracing, 405 for methods a documented path does not have,
 * problem+json errors, `/openapi.json` and `/docs`.
 */
export function configureApp(app: INestApplication, config: DomainApiConfig): void {
  (app as NestExpressApplication).useBodyParser('json', { limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] });
  app.use(requestTracing(SERVICE_NAME));
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = openApiDocument(app, config);
  app.use(methodNotAllowed(document));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
