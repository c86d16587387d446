/** Herald's four services and the HTTP port each listens on by default (health, metrics, APIs). */
export const SERVICE_PORTS: Record<string, number> = {
  'domain-api': 3000,
  'subscription-registry': 3001,
  'event-router': 3002,
  'delivery-dispatcher': 3003,
};

export const SERVICES = Object.keys(SERVICE_PORTS);

/** The services with a database (their own schema): the domain API and the registry. */
export const DB_SERVICES = ['domain-api', 'subscription-registry'];
