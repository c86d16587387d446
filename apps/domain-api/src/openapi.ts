import 'reflect-metadata';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PREVIEW_ENV, previewOpenApiDocument, printOpenApiDocument } from '@herald/platform/http';
import { AppModule } from './app.module';
import type { DomainApiConfig } from './config';
import { openApiDocument } from './configure-app';

/** The domain API's OpenAPI document without a database, a broker or a port (what libs/client is generated from). */
export function buildOpenApiDocument(): Promise<OpenAPIObject> {
  return previewOpenApiDocument(AppModule.forRoot({ ...PREVIEW_ENV, HERALD_OUTBOX_RELAY: 'off' }), (app) =>
    openApiDocument(app, { HERALD_PUBLIC_BASE_URL: 'http://localhost:3000' } as DomainApiConfig),
  );
}

if (require.main === module) printOpenApiDocument(buildOpenApiDocument);
