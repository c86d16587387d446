import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { openApiDocument } from './configure-app';

/**
 * The registry's OpenAPI document without a database, a broker or a port: the app in Nest's
 * preview mode (modules and controllers scanned, no provider instantiated, nothing connected).
 * What `npm run client:generate` reads (libs/client); the served `/openapi.json` is the same
 * document (configure-app.ts), checked by the registry's int spec.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(
    AppModule.forRoot({
      // Validated only if a provider were made; preview mode makes none. Placeholders, never used.
      DATABASE_URL: 'postgres://preview@127.0.0.1:1/preview',
      KAFKA_BROKERS: '127.0.0.1:1',
      HERALD_SECRETS_KEY: `preview:${Buffer.alloc(32).toString('base64')}`,
    }),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return openApiDocument(app, { HERALD_PUBLIC_BASE_URL: 'http://localhost:3001' });
  } finally {
    await app.close();
  }
}

// `node -r @swc-node/register apps/subscription-registry/src/openapi.ts` prints it.
if (require.main === module) {
  buildOpenApiDocument().then(
    (d) => process.stdout.write(`${JSON.stringify(d, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`openapi: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
