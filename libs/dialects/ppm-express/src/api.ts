import { z } from 'zod';
import { PPM_EVENT_NAMES, coreEventTypesOf, ppmEventsOf, type PpmEvent } from './events';

/** `{name, value}` as PPM Express' API takes and shows custom headers. */
export const PpmHeaderSchema = z.strictObject({
  name: z.string({ error: 'name is required' }).min(1, 'name is required'),
  value: z.string({ error: 'value is required' }),
});
export type PpmHeader = z.infer<typeof PpmHeaderSchema>;

/** `POST …/Webhooks`. */
export const PpmCreateWebhookSchema = z.strictObject({
  eventTypes: z
    .array(z.enum(PPM_EVENT_NAMES as [PpmEvent, ...PpmEvent[]], { error: `must be one of ${PPM_EVENT_NAMES.join(', ')}` }), {
      error: 'eventTypes is required (a list of event types)',
    })
    .min(1, 'at least one event type'),
  headers: z.array(PpmHeaderSchema).max(50).default([]),
  httpVerb: z.enum(['POST', 'PUT', 'PATCH'], { error: 'httpVerb must be POST, PUT or PATCH' }).default('POST'),
  url: z.string({ error: 'url is required' }).min(1, 'url is required'),
});
export type PpmCreateWebhook = z.infer<typeof PpmCreateWebhookSchema>;

/** `{id, eventTypes, headers, httpVerb, url}`: what the API shows of a webhook. */
export interface PpmWebhook {
  id: string;
  eventTypes: PpmEvent[];
  headers: PpmHeader[];
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  url: string;
}

/**
 * The core settings of a create request. Herald keeps `Authorization` in its own (sealed)
 * setting; every other header is a custom header, sent with each delivery.
 */
export function settingsOf(request: PpmCreateWebhook): {
  url: string;
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  eventTypes: string[];
  headers: PpmHeader[];
  authorization?: string;
} {
  const auth = request.headers.filter((h) => h.name.toLowerCase() === 'authorization');
  return {
    url: request.url,
    httpVerb: request.httpVerb,
    eventTypes: coreEventTypesOf(request.eventTypes),
    headers: request.headers.filter((h) => h.name.toLowerCase() !== 'authorization'),
    ...(auth.length ? { authorization: auth[auth.length - 1].value } : {}),
  };
}

/** A stored subscription (its header values as given) as PPM Express shows a webhook. */
export function webhookOf(s: {
  id: string;
  eventTypes: readonly string[];
  headers: readonly { name: string; value: string | null }[];
  authorization: string | null;
  httpVerb: 'POST' | 'PUT' | 'PATCH';
  url: string;
}): PpmWebhook {
  return {
    id: s.id,
    eventTypes: ppmEventsOf(s.eventTypes),
    headers: [
      ...(s.authorization !== null ? [{ name: 'Authorization', value: s.authorization }] : []),
      ...s.headers.map((h) => ({ name: h.name, value: h.value ?? '' })),
    ],
    httpVerb: s.httpVerb,
    url: s.url,
  };
}

/**
 * PPM Express' error body (its documentation shows none): `{"error": {"code", "message",
 * "details"?: [{"target", "message"}]}}`.
 */
export interface PpmError {
  error: { code: string; message: string; details?: { target: string; message: string }[] };
}

export function ppmError(code: string, message: string, details?: { target: string; message: string }[]): PpmError {
  return { error: { code, message, ...(details?.length ? { details } : {}) } };
}

export function detailsOf(error: z.ZodError): { target: string; message: string }[] {
  return error.issues.map((i) => ({ target: i.path.map(String).join('.'), message: i.message }));
}
