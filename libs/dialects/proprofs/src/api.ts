import { z } from 'zod';
import { PROPROFS_EVENT_NAMES, PROPROFS_EVENTS, type ProProfsEvent } from './events';

/** `POST /v2/hooks` body: `{"target_url": "...", "event": "new_event"}`. */
export const ProProfsSubscribeSchema = z.strictObject({
  target_url: z.string({ error: 'target_url is required (a string)' }).min(1, 'target_url is required').max(2048),
  event: z.enum(PROPROFS_EVENT_NAMES as [ProProfsEvent, ...ProProfsEvent[]], {
    error: `event must be one of ${PROPROFS_EVENT_NAMES.join(', ')}`,
  }),
});
export type ProProfsSubscribe = z.infer<typeof ProProfsSubscribeSchema>;

/** The core settings a ProProfs subscribe request stands for (policies come from the defaults). */
export function settingsOf(request: ProProfsSubscribe): { url: string; eventTypes: string[] } {
  return { url: request.target_url, eventTypes: [PROPROFS_EVENTS[request.event]] };
}

/** `201 {"id": "<long unique id>"}`. */
export interface ProProfsSubscribed {
  id: string;
}

/** ProProfs' error body (its documentation names only the status codes): `{"error": "<why>"}`. */
export interface ProProfsError {
  error: string;
}

export function proprofsError(message: string): ProProfsError {
  return { error: message };
}

/** One line naming every field at fault, for a 400. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}
