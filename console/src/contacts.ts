// The contacts pages' decisions as plain data: the search query, names, masked ids, where a
// consent came from.
import type { ConsentRecord, Contact, ContactAccount, ProtectedId } from './types';

export interface ContactSearch {
  name: string;
  phone: string;
  email: string;
  tag: string | null;
  group: string | null;
}

export const NO_SEARCH: ContactSearch = { name: '', phone: '', email: '', tag: null, group: null };
export const PAGE_SIZE = 25;

export function isEmptySearch(search: ContactSearch): boolean {
  return !search.name.trim() && !search.phone.trim() && !search.email.trim() && !search.tag && !search.group;
}

/** The query string of GET /v1/contacts; the first page also asks for the total. */
export function contactQuery(search: ContactSearch, cursor: string | null, limit = PAGE_SIZE): string {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const key of ['name', 'phone', 'email'] as const) {
    const value = search[key].trim();
    if (value) q.set(key, value);
  }
  if (search.tag) q.set('tag', search.tag);
  if (search.group) q.set('group', search.group);
  if (cursor) q.set('cursor', cursor);
  else q.set('total', 'true');
  return q.toString();
}

/** "Showing 26–50 of 1,234" for a page that starts after `before` contacts. */
export function pageRange(before: number, shown: number, total: number | null): string {
  const integer = new Intl.NumberFormat('en-US');
  if (shown === 0) return total ? `No contacts on this page of ${integer.format(total)}` : 'No contacts';
  const range = `${integer.format(before + 1)}–${integer.format(before + shown)}`;
  return total === null ? `Showing ${range}` : `Showing ${range} of ${integer.format(total)}`;
}

export function displayName(contact: Contact): string {
  const d = contact.data;
  const person = [d.first_name, d.last_name].filter(Boolean).join(' ');
  return (d.customer_type === 'company' ? d.company_name || person : person || d.company_name) || 'No name';
}

/** A national id as the console shows it: its last four characters only, never its hash. */
export function maskedId(id: ProtectedId | null | undefined): string {
  return id ? `•••• ${id.last4}` : '–';
}

export function balance(account: ContactAccount): string {
  if (account.balance === null || account.balance === '') return '–';
  const value = Number(account.balance);
  if (!Number.isFinite(value)) return String(account.balance);
  const figure = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  return account.currency ? `${figure} ${account.currency}` : figure;
}

const CHANNELS: Record<ConsentRecord['channel'], string> = { email: 'Email', sms: 'SMS', call: 'Calls' };

export function channelName(channel: ConsentRecord['channel']): string {
  return CHANNELS[channel];
}

/** Where a consent came from, in words: "upload (row 5)", "entered through the API", "merge". */
export function consentOrigin(record: ConsentRecord): string {
  if (record.source === 'upload') return record.row_number ? `an upload, row ${record.row_number}` : 'an upload';
  if (record.source === 'api') return 'entered by hand or through the API';
  return 'a merge of duplicates';
}

/** The consent rows of a contact: every channel, with its provenance when one was recorded. */
export function consentRows(contact: Contact): { channel: ConsentRecord['channel']; state: string; source: ConsentRecord | null }[] {
  return (['email', 'sms', 'call'] as const).map((channel) => {
    const value = contact.data.consents[channel];
    const source = contact.consent_sources.find((s) => s.channel === channel) ?? null;
    return { channel, state: value === true ? 'Given' : value === false ? 'Refused' : 'Not recorded', source };
  });
}

/** "Held until 9 Mar 2026 (promise to pay)" while a hold lasts, else null. */
export function holdText(contact: Contact, today: Date = new Date()): string | null {
  if (!contact.held_until) return null;
  const until = new Date(`${contact.held_until}T23:59:59`);
  if (until < today) return null;
  const day = until.toLocaleDateString('en-GB', { dateStyle: 'medium' });
  const why = contact.hold_reason === 'plan' ? 'payment plan' : contact.hold_reason === 'promise' ? 'promise to pay' : null;
  return why ? `Held out of collections until ${day} (${why})` : `Held out of collections until ${day}`;
}
