import {
  NO_SEARCH, balance, consentOrigin, consentRows, contactQuery, displayName, holdText, isEmptySearch,
  maskedId, pageRange,
} from './contacts';
import type { Contact, ContactData } from './types';

const data = (over: Partial<ContactData> = {}): ContactData => ({
  customer_type: 'person', first_name: null, last_name: null, company_name: null, customer_id: null,
  external_id: null, document_type: null, document: null, ssn: null, date_of_birth: null, phones: [],
  emails: [], address: null, city: null, state: null, postcode: null, country: null, time_zone: null,
  accounts: [], tags: [], consents: { email: null, sms: null, call: null }, extra: [], ...over,
});
const contact = (over: Partial<Contact> = {}, d: Partial<ContactData> = {}): Contact => ({
  id: 'c1', version: 1, data: data(d), group_ids: [], consent_sources: [], created_at: '2026-03-01T00:00:00Z',
  updated_at: '2026-03-01T00:00:00Z', held_until: null, hold_reason: null, ...over,
});

describe('contactQuery', () => {
  it('sends only the filters given, and asks for the total on the first page only', () => {
    expect(contactQuery(NO_SEARCH, null)).toBe('limit=25&total=true');
    expect(
      contactQuery({ name: ' Ana ', phone: '', email: 'a@b.es', tag: 'VIP', group: 'g1' }, 'c9', 10),
    ).toBe('limit=10&name=Ana&email=a%40b.es&tag=VIP&group=g1&cursor=c9');
    expect(isEmptySearch({ ...NO_SEARCH, name: '  ' })).toBe(true);
    expect(isEmptySearch({ ...NO_SEARCH, tag: 'x' })).toBe(false);
  });

  it('says which contacts a page shows of how many', () => {
    expect(pageRange(0, 25, 1234)).toBe('Showing 1–25 of 1,234');
    expect(pageRange(25, 3, null)).toBe('Showing 26–28');
    expect(pageRange(0, 0, 0)).toBe('No contacts');
  });
});

describe('a contact as shown', () => {
  it('names people and companies', () => {
    expect(displayName(contact({}, { first_name: 'Ana', last_name: 'Ruiz' }))).toBe('Ana Ruiz');
    expect(displayName(contact({}, { customer_type: 'company', company_name: 'Acme', first_name: 'Bo' }))).toBe('Acme');
    expect(displayName(contact())).toBe('No name');
  });

  it('shows national ids by their last four characters only, never the hash', () => {
    expect(maskedId({ hash: 'secret-hash', last4: '6789' })).toBe('•••• 6789');
    expect(maskedId(null)).toBe('–');
  });

  it('writes balances with their currency', () => {
    expect(balance({ number: 'A', balance: '1234.5', currency: 'EUR', status: null })).toBe('1,234.50 EUR');
    expect(balance({ number: 'A', balance: null, currency: null, status: null })).toBe('–');
  });

  it('pairs each consent with where it came from', () => {
    const c = contact(
      {
        consent_sources: [
          { channel: 'sms', granted: true, source: 'upload', upload_id: 'u1', row_number: 5, at: '2026-03-01T10:00:00Z' },
          { channel: 'email', granted: false, source: 'api', upload_id: null, row_number: null, at: '2026-03-02T10:00:00Z' },
        ],
      },
      { consents: { email: false, sms: true, call: null } },
    );
    const rows = consentRows(c);
    expect(rows.map((r) => [r.channel, r.state])).toEqual([['email', 'Refused'], ['sms', 'Given'], ['call', 'Not recorded']]);
    expect(consentOrigin(rows[1].source!)).toBe('an upload, row 5');
    expect(consentOrigin(rows[0].source!)).toBe('entered by hand or through the API');
    expect(rows[2].source).toBeNull();
  });

  it('tells a hold while it lasts', () => {
    const held = contact({ held_until: '2026-03-09', hold_reason: 'promise' });
    expect(holdText(held, new Date('2026-03-09T12:00:00'))).toBe('Held out of collections until 9 Mar 2026 (promise to pay)');
    expect(holdText(held, new Date('2026-03-10T12:00:00'))).toBeNull();
    expect(holdText(contact())).toBeNull();
  });
});
