import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components as DomainApiComponents, operations as DomainApiOperations, paths as DomainApiPaths } from './generated/domain-api';
import type {
  components as RegistryComponents,
  operations as RegistryOperations,
  paths as RegistryPaths,
} from './generated/subscription-registry';

/*
 * Herald's typed TypeScript client: openapi-fetch over the types openapi-typescript generates
 * from the two OpenAPI documents (`npm run client:generate`; tools/api-client/generate.spec.ts
 * fails when they are stale). Every path, parameter, body and answer is checked by tsc against
 * what the API documents, e.g.
 *
 *   const registry = createRegistryClient('https://herald.example.com', { apiKey });
 *   const { data, error, response } = await registry.POST('/v1/webhooks', { body: { url, eventTypes: ['task.created'] } });
 */

export type { DomainApiComponents, DomainApiOperations, DomainApiPaths, RegistryComponents, RegistryOperations, RegistryPaths };

/**
 * How a request authenticates: a Herald API key as `Authorization: Bearer` (native APIs, Procore,
 * PPM Express, Worksection's OAuth2 routes), ProProfs' `key` + `domain` headers, or nothing (public
 * routes; or set headers per request).
 */
export type Credentials = { apiKey: string } | { key: string; domain: string } | null;

export type DomainApiClient = Client<DomainApiPaths>;
export type RegistryClient = Client<RegistryPaths>;
export type HeraldClientOptions = Omit<ClientOptions, 'baseUrl'>;

/** The headers that carry the credentials. */
export function credentialHeaders(credentials: Credentials): Record<string, string> {
  if (!credentials) return {};
  if ('apiKey' in credentials) return { authorization: `Bearer ${credentials.apiKey}` };
  return { key: credentials.key, domain: credentials.domain };
}

function clientOptions(baseUrl: string, credentials: Credentials, options: HeraldClientOptions): ClientOptions {
  return { ...options, baseUrl: baseUrl.replace(/\/+$/, ''), headers: { ...credentialHeaders(credentials), ...(options.headers as Record<string, string> | undefined) } };
}

/** The domain API (`/v1/…` resources, `/v2/{kind}/{id}` resource URLs). */
export function createDomainApiClient(baseUrl: string, credentials: Credentials, options: HeraldClientOptions = {}): DomainApiClient {
  return createClient<DomainApiPaths>(clientOptions(baseUrl, credentials, options));
}

/** The subscription registry (native `/v1/webhooks`, deliveries, the event catalog, every dialect's hook API). */
export function createRegistryClient(baseUrl: string, credentials: Credentials, options: HeraldClientOptions = {}): RegistryClient {
  return createClient<RegistryPaths>(clientOptions(baseUrl, credentials, options));
}
