// The add and edit contact form as plain data: a contact's values as the form shows them, the
// body POST /v1/contacts or PATCH /v1/contacts/{id} takes, and the API's refusals by field.
import { ApiProblem, readableMessage } from './api';
import type { Contact } from './types';

export type Consent = 'given' | 'refused' | 'unknown';
export type Channel = 'email' | 'sms' | 'call';

export interface AccountRow {
  number: string;
  balance: string;
  currency: string;
  status: string;
}

/** The single-line text fields, in the order the form shows them. National ids are typed in
 * clear and never read back: their boxes start empty, and empty means "keep what is stored". */
export const TEXT_FIELDS = [
  'first_name', 'last_name', 'company_name', 'customer_id', 'external_id', 'document_type',
  'document_number', 'ssn', 'date_of_birth', 'address', 'city', 'state', 'postcode', 'country',
  'time_zone',
] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export const SECRET_FIELDS: ReadonlySet<TextField> = new Set(['document_number', 'ssn']);

export interface ContactFormValues {
  customer_type: 'person' | 'company';
  text: Record<TextField, string>;
  phones: string[];
  emails: string[];
  accounts: AccountRow[];
  tags: string[];
  groups: string[];
  consents: Record<Channel, Consent>;
}

const emptyText = (): Record<TextField, string> =>
  Object.fromEntries(TEXT_FIELDS.map((f) => [f, ''])) as Record<TextField, string>;

export const EMPTY_ACCOUNT: AccountRow = { number: '', balance: '', currency: '', status: '' };

export function emptyForm(): ContactFormValues {
  return {
    customer_type: 'person',
    text: emptyText(),
    phones: [],
    emails: [],
    accounts: [],
    tags: [],
    groups: [],
    consents: { email: 'unknown', sms: 'unknown', call: 'unknown' },
  };
}

const consentOf = (v: boolean | null): Consent => (v === true ? 'given' : v === false ? 'refused' : 'unknown');
const consentValue = (c: Consent): boolean | null => (c === 'given' ? true : c === 'refused' ? false : null);

/** A stored contact as the form starts: national ids left blank (only their last four shown). */
export function formOf(contact: Contact): ContactFormValues {
  const d = contact.data;
  const text = emptyText();
  for (const f of TEXT_FIELDS) {
    if (SECRET_FIELDS.has(f)) continue;
    const v = (d as unknown as Record<string, unknown>)[f];
    text[f] = v === null || v === undefined ? '' : String(v);
  }
  return {
    customer_type: d.customer_type,
    text,
    phones: d.phones.map((p) => p.e164),
    emails: [...d.emails],
    accounts: d.accounts.map((a) => ({
      number: a.number,
      balance: a.balance === null ? '' : String(a.balance),
      currency: a.currency ?? '',
      status: a.status ?? '',
    })),
    tags: [...d.tags],
    groups: [...contact.group_ids],
    consents: { email: consentOf(d.consents.email), sms: consentOf(d.consents.sms), call: consentOf(d.consents.call) },
  };
}

const blankToNull = (s: string): string | null => (s.trim() ? s.trim() : null);

function accountBody(a: AccountRow): Record<string, string | null> {
  return {
    number: a.number.trim(),
    balance: blankToNull(a.balance),
    currency: blankToNull(a.currency),
    status: blankToNull(a.status),
  };
}

/** Every field of the form as the API names it (accounts without their blank rows). */
function fieldsOf(f: ContactFormValues): Record<string, unknown> {
  const body: Record<string, unknown> = { customer_type: f.customer_type };
  for (const k of TEXT_FIELDS) body[k] = blankToNull(f.text[k]);
  body.phones = f.phones.map((p) => p.trim()).filter(Boolean);
  body.emails = f.emails.map((e) => e.trim()).filter(Boolean);
  body.accounts = f.accounts.filter((a) => Object.values(a).some((v) => v.trim())).map(accountBody);
  body.tags = [...f.tags];
  body.consents = {
    email: consentValue(f.consents.email),
    sms: consentValue(f.consents.sms),
    call: consentValue(f.consents.call),
  };
  return body;
}

/** POST /v1/contacts: the fields filled in, and the groups. */
export function createBody(f: ContactFormValues): Record<string, unknown> {
  const all = fieldsOf(f);
  const body: Record<string, unknown> = { customer_type: f.customer_type };
  for (const [k, v] of Object.entries(all)) {
    if (v === null || (Array.isArray(v) && v.length === 0)) continue;
    body[k] = v;
  }
  if (Object.values(all.consents as Record<string, unknown>).every((v) => v === null)) delete body.consents;
  if (f.groups.length) body.groups = [...f.groups];
  return body;
}

/** PATCH /v1/contacts/{id}: only what changed since `before` (what is sent replaces what was),
 * a blank national id left out (kept), and the version read. Null when nothing changed. */
export function updateBody(before: ContactFormValues, f: ContactFormValues, version: number): Record<string, unknown> | null {
  const was = fieldsOf(before);
  const now = fieldsOf(f);
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(now)) {
    if (SECRET_FIELDS.has(k as TextField) && v === null) continue;
    if (JSON.stringify(v) !== JSON.stringify(was[k])) body[k] = v;
  }
  if (JSON.stringify([...f.groups].sort()) !== JSON.stringify([...before.groups].sort())) body.groups = [...f.groups];
  return Object.keys(body).length ? { ...body, version } : null;
}

/** The API's field names ("phones.1", "accounts.0.number", "body.first_name") as the form's
 * keys, each with its readable message; what names no field is left for the alert. */
export function formProblems(p: unknown): { fields: Record<string, string>; rest: string | null } {
  if (!(p instanceof ApiProblem)) return { fields: {}, rest: String(p) };
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  for (const e of p.errors) {
    const key = e.location.replace(/^body\./, '').replace(/^consents\..*/, 'consents');
    const parts = key.split('.');
    // An account's own field ("accounts.0.number") is shown on its row.
    const place = parts[0] === 'accounts' && parts.length > 2 ? parts.slice(0, 2).join('.') : key;
    if (fields[place]) continue;
    if (place) fields[place] = readableMessage(e.message);
    else unplaced.push(readableMessage(e.message));
  }
  if (p.field && !fields[p.field]) fields[p.field] = p.detail ?? p.title;
  const placed = Object.keys(fields).length > 0;
  if (!placed) return { fields, rest: p.readable() };
  return { fields, rest: unplaced.length ? unplaced.join(' ') : null };
}

/** A problem for a list field: on the list as a whole, or on its first wrong item. */
export function listProblem(fields: Record<string, string>, name: string): string | undefined {
  if (fields[name]) return fields[name];
  const hit = Object.keys(fields).find((k) => k.startsWith(`${name}.`));
  if (!hit) return undefined;
  const index = Number(hit.split('.')[1]);
  return Number.isFinite(index) ? `Item ${index + 1}: ${fields[hit]}` : fields[hit];
}
