/** A request with a Herald API key as `Authorization: Bearer` and a JSON body; the status and the JSON answer (`{}` when empty). */
export async function bearerJson<T = Record<string, unknown>>(
  url: string,
  method: string,
  apiKey: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}
