import createFetchClient, { type Middleware } from 'openapi-fetch';
import createQueryClient from 'openapi-react-query';
import type { paths, components } from './api-schema';

/**
 * The console's only way to the server: a typed client of the public API, generated from /openapi.json
 * (`npm run web:api-types` writes api-schema.d.ts; test/web-api-types.test.ts fails when it is stale), so a
 * changed API breaks the console's type check, not its users. Every call carries the signed-in user's token;
 * nothing else is ever sent. Errors are the API's problem+json documents (RFC 9457), thrown as `ApiProblem`.
 *
 *   const { data } = $api.useQuery('get', '/api/cases/{id}', { params: { path: { id } } });
 *   const accept = $api.useMutation('post', '/api/cases/{id}/acceptance');
 */

export type { paths, components };
export type Schemas = components['schemas'];

/** An RFC 9457 problem document as the API answers every error. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  errors?: { pointer: string; detail: string }[];
  [extension: string]: unknown;
}

let currentToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

/** Called by the session: the token every request carries, and what a 401 does (sign out). */
export function useTokenForRequests(token: string | undefined, unauthorized: () => void): void {
  currentToken = token;
  onUnauthorized = unauthorized;
}

const withToken: Middleware = {
  onRequest({ request }) {
    if (currentToken) request.headers.set('Authorization', `Bearer ${currentToken}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401) onUnauthorized?.();
    return response;
  },
};

export const fetchClient = createFetchClient<paths>({ baseUrl: window.location.origin });
fetchClient.use(withToken);

export const $api = createQueryClient(fetchClient);

/** A fresh Idempotency-Key for one user action (a retried click sends the same action once). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** Whether a thrown value is a problem document of the API. */
export function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && ('status' in value || 'detail' in value || 'title' in value);
}
