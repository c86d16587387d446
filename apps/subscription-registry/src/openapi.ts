import 'reflect-metadata';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PREVIEW_ENV, previewOpenApiDocument, printOpenApiDocument } from '@herald/platform/http';
import { AppModule } from './app.module';
import { openApiDocument } from './configure-app';

/**
 * The registry's OpenAPI document without a database, a broker or a port (what libs/client is
 * generated from; the served `/openapi.json` is the same, checked by the registry's int spec).
 */
export function buildOpenApiDocument(): Promise<OpenAPIObject> {
  return previewOpenApiDocument(AppModule.forRoot({ ...PREVIEW_ENV, HERALD_SECRETS_KEY: `preview:${Buffer.alloc(32).toString('base64')}` }), (app) =>
    openApiDocument(app, { HERALD_PUBLIC_BASE_URL: 'http://localhost:3001' }),
  );
}

if (require.main === module) printOpenApiDocument(buildOpenApiDocument);
