/*
 * The example requests of the seed documents (the four origin products' webhook APIs, which the
 * dialects replay), shared by a dialect's unit spec and the e2e suite so the seed is quoted once.
 */

const PPM_SEED_EVENT_TYPES = [
  'Project:Created', 'Project:Updated', 'Project:Deleted', 'Idea:Created', 'Idea:Updated', 'Idea:Deleted',
  'Task:Created', 'Task:Updated', 'Task:Deleted', 'KeyDate:Created', 'KeyDate:Updated', 'KeyDate:Deleted',
] as const;

/** PPM Express' "Create a Webhook" body (ppm-express-webhooks.txt), to `url` instead of https://example.com if given. */
export function ppmSeedCreateBody(url = 'https://example.com') {
  return {
    eventTypes: [...PPM_SEED_EVENT_TYPES],
    headers: [
      { name: 'Authorization', value: 'Bearer token_value' },
      { name: 'custom_header', value: 'header_value' },
    ],
    httpVerb: 'POST' as const,
    url,
  };
}
