import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemDetailsFilter } from '@herald/domain/resources';
import { SERVICE_NAME, type DomainApiConfig } from './config';
import { requestTracing } from './request-tracing';

/** Builds the OpenAPI document; declared 3.1 (JSON Schema 2020-12 bodies from the zod DTOs). */
export function openApiDocument(app: INestApplication, config: DomainApiConfig): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald domain API')
      .setDescription(
        'Projects, tasks and the rest of the project-management domain. Every committed change becomes one ' +
          '"resource changed" event on `herald.resource-changes.v1`. Errors are RFC 9457 problem details.',
      )
      .setVersion('1')
      .addServer(config.HERALD_PUBLIC_BASE_URL)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'hk_<keyId>_<secret>' }, 'bearer')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'key', description: 'ProProfs style: with the domain header' }, 'proprofs')
      .build(),
  );
  document.openapi = '3.1.0';
  return document;
}

/** What main.ts and the tests share: request tracing, problem+json errors, `/openapi.json` and `/docs`. */
export function configureApp(app: INestApplication, config: DomainApiConfig): void {
  app.use(requestTracing(SERVICE_NAME));
  app.useGlobalFilters(new ProblemDetailsFilter());
  const document = openApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
