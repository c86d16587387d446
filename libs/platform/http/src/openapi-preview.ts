import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';

/** A service's required settings as placeholders: validated only if a provider were made, and preview mode makes none. */
export const PREVIEW_ENV = {
  DATABASE_URL: 'postgres://preview@127.0.0.1:1/preview',
  KAFKA_BROKERS: '127.0.0.1:1',
};

/**
 * An app's OpenAPI document without a database, a broker or a port: the app in Nest's preview mode
 * (modules and controllers scanned, no provider instantiated, nothing connected). What
 * `npm run client:generate` reads (libs/client); each app serves the same document.
 */
export async function previewOpenApiDocument(module: DynamicModule, document: (app: INestApplication) => OpenAPIObject): Promise<OpenAPIObject> {
  const app = await NestFactory.create(module, { preview: true, logger: false, abortOnError: false });
  try {
    return document(app);
  } finally {
    await app.close();
  }
}

/** The document on stdout (`node -r @swc-node/register apps/<app>/src/openapi.ts`); exit 1 with the reason if it cannot be built. */
export function printOpenApiDocument(build: () => Promise<OpenAPIObject>): void {
  build().then(
    (d) => process.stdout.write(`${JSON.stringify(d, null, 2)}\n`),
    (e: unknown) => {
      process.stderr.write(`openapi: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
