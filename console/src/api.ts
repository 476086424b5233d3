// The console's only door to Listflow: the public /v1 API, with the key as X-API-Key.

const KEY_STORAGE = 'listflow.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export interface FieldError {
  location: string;
  message: string;
}

/** An RFC 9457 problem document answered by the API (or made up for a network failure). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  /** The problem's `field` member: the one field a use case refused (not in `errors`). */
  readonly field: string | undefined;

  constructor(status: number, title: string, detail?: string, errors: FieldError[] = [], field?: string) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
    this.field = field;
  }

  /** The message for one field (`target.name`, or any location ending in it). */
  forField(field: string): string | undefined {
    const hit = this.errors.find(
      (e) => e.location === field || e.location.endsWith(`.${field}`),
    );
    return hit ? readableMessage(hit.message) : undefined;
  }

  /** A sentence a supervisor can read. */
  readable(): string {
    if (this.status === 401) return 'The API key was not accepted. Check it and sign in again.';
    const parts = [this.detail ?? this.title];
    for (const e of this.errors) parts.push(`${fieldLabel(e.location)}: ${readableMessage(e.message)}`);
    return parts.join(' ');
  }
}

const LABELS: Record<string, string> = {
  'target.name': 'Group name',
  'target.id': 'Group',
  default_region: 'Default country',
  delimiter: 'Delimiter',
  quote: 'Enclosure',
  encoding: 'Encoding',
  tags: 'Tags',
};

export function fieldLabel(location: string): string {
  const path = location.replace(/^body\./, '');
  return LABELS[path] ?? path.replace(/[._]/g, ' ');
}

export function readableMessage(message: string): string {
  // pydantic writes "Value error, ..." and "String should have at most 200 characters".
  const text = message.replace(/^Value error, /, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A problem's `errors`, whichever shape the service wrote: pydantic's `location` and
 * `message`, or a record check's `field` and `reason`. */
export function fieldErrors(raw: unknown): FieldError[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e: Record<string, unknown>) => ({
    location: String(e.location ?? e.field ?? ''),
    message: String(e.message ?? e.reason ?? ''),
  }));
}

export async function problemOf(response: Response): Promise<ApiProblem> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): fall back to the status line.
  }
  const errors = fieldErrors(body.errors);
  return new ApiProblem(
    response.status,
    typeof body.title === 'string' ? body.title : response.statusText || 'Request failed',
    typeof body.detail === 'string' ? body.detail : undefined,
    errors,
    typeof body.field === 'string' ? body.field : undefined,
  );
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};
export function setUnauthorizedHandler(handler: Unauthorized): void {
  onUnauthorized = handler;
}

export async function request(
  path: string,
  init: RequestInit = {},
  key: string | null = storedKey(),
  signOutOn401 = true,
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set('X-API-Key', key);
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch {
    throw new ApiProblem(0, 'No connection', 'The Listflow gateway is not answering.');
  }
  if (!response.ok) {
    const problem = await problemOf(response);
    if (response.status === 401 && signOutOn401) onUnauthorized();
    throw problem;
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  return (await response.json()) as T;
}

/** PUT, PATCH or DELETE (or POST) with an optional JSON body; null for a 204. */
export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  const response = await request(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? null : ((await response.json()) as T);
}

/** Checks a key without storing it: true if the API accepts it. */
export async function checkKey(key: string): Promise<void> {
  await request('/v1/uploads?limit=1', {}, key, false);
}

/**
 * Sends a multipart upload with XMLHttpRequest, which (unlike fetch) reports the browser's
 * own upload progress; the file is streamed from disk, so a large one does not freeze the page.
 */
export function sendUpload<T>(
  form: FormData,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/uploads');
    const key = storedKey();
    if (key) xhr.setRequestHeader('X-API-Key', key);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onerror = () =>
      reject(new ApiProblem(0, 'No connection', 'The upload could not reach the gateway.'));
    xhr.onload = () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        // handled below
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body as T);
        return;
      }
      if (xhr.status === 401) onUnauthorized();
      reject(
        new ApiProblem(
          xhr.status,
          typeof body.title === 'string' ? body.title : 'Upload refused',
          typeof body.detail === 'string' ? body.detail : undefined,
          fieldErrors(body.errors),
        ),
      );
    };
    xhr.send(form);
  });
}

/** Downloads a report that needs the API key (a plain link cannot send the header). */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await request(path);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
