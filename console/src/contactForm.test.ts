import { ApiProblem } from './api';
import { createBody, emptyForm, formOf, formProblems, listProblem, updateBody } from './contactForm';
import type { Contact, ContactData } from './types';

const data = (over: Partial<ContactData> = {}): ContactData => ({
  customer_type: 'person', first_name: 'Ana', last_name: 'Ruiz', company_name: null, customer_id: null,
  external_id: null, document_type: null, document: null, ssn: { last4: '6789', hash: 'h' }, date_of_birth: '1980-02-03',
  phones: [{ e164: '+12025550143', type: 'mobile', region: 'US', time_zone: null }], emails: ['ana@example.com'],
  address: null, city: 'Madrid', state: null, postcode: null, country: 'ES', time_zone: null,
  accounts: [{ number: 'A-1', balance: '12.50', currency: 'EUR', status: null }], tags: ['VIP'],
  consents: { email: true, sms: null, call: false }, extra: [], ...over,
});
const contact: Contact = {
  id: 'c1', version: 4, data: data(), group_ids: ['g1'], consent_sources: [], created_at: '2026-03-01T00:00:00Z',
  updated_at: '2026-03-01T00:00:00Z', held_until: null, hold_reason: null,
};

describe('the contact form', () => {
  it('starts from the stored contact, national ids blank (never shown back)', () => {
    const f = formOf(contact);
    expect(f.text.first_name).toBe('Ana');
    expect(f.text.ssn).toBe('');
    expect(f.text.date_of_birth).toBe('1980-02-03');
    expect(f.phones).toEqual(['+12025550143']);
    expect(f.accounts).toEqual([{ number: 'A-1', balance: '12.50', currency: 'EUR', status: '' }]);
    expect(f.consents).toEqual({ email: 'given', sms: 'unknown', call: 'refused' });
    expect(f.groups).toEqual(['g1']);
  });

  it('creates with only what was filled in; blank account rows are dropped', () => {
    const f = emptyForm();
    f.text.first_name = ' Rosa ';
    f.phones = ['202 555 0143', ' '];
    f.accounts = [{ number: 'B-2', balance: '', currency: '', status: '' }, { number: '', balance: '', currency: '', status: '' }];
    f.groups = ['March'];
    expect(createBody(f)).toEqual({
      customer_type: 'person',
      first_name: 'Rosa',
      phones: ['202 555 0143'],
      accounts: [{ number: 'B-2', balance: null, currency: null, status: null }],
      groups: ['March'],
    });
    f.consents.sms = 'given';
    expect(createBody(f).consents).toEqual({ email: null, sms: true, call: null });
  });

  it('patches only the changed fields with the version read, keeping a blank national id', () => {
    const before = formOf(contact);
    expect(updateBody(before, formOf(contact), 4)).toBeNull();
    const f = formOf(contact);
    f.text.city = '';
    f.emails = [...f.emails, 'ana@work.example'];
    f.consents = { ...f.consents, sms: 'given' };
    f.groups = ['g1', 'g2'];
    expect(updateBody(before, f, 4)).toEqual({
      city: null,
      emails: ['ana@example.com', 'ana@work.example'],
      consents: { email: true, sms: true, call: false },
      groups: ['g1', 'g2'],
      version: 4,
    });
    f.text.ssn = '123-45-6789';
    expect(updateBody(before, f, 4)?.ssn).toBe('123-45-6789');
  });

  it('puts each refusal next to its field: list items, account rows, the rest in the alert', () => {
    const p = new ApiProblem(422, 'Invalid request', 'Some fields are not valid.', [
      { location: 'phones.1', message: 'not a phone number' },
      { location: 'body.accounts.0.number', message: 'String should have at least 1 character' },
      { location: 'tags', message: 'tag "Gold" is not defined' },
      { location: 'body.first_name', message: 'Value error, too long' },
    ]);
    const { fields, rest } = formProblems(p);
    expect(fields).toEqual({
      'phones.1': 'Not a phone number',
      'accounts.0': 'String should have at least 1 character',
      tags: 'Tag "Gold" is not defined',
      first_name: 'Too long',
    });
    expect(rest).toBeNull();
    expect(listProblem(fields, 'phones')).toBe('Item 2: Not a phone number');
    expect(listProblem(fields, 'tags')).toBe('Tag "Gold" is not defined');
    expect(listProblem(fields, 'emails')).toBeUndefined();
    const conflict = formProblems(new ApiProblem(409, 'Conflict', 'the contact is at version 5, not 4'));
    expect(conflict).toEqual({ fields: {}, rest: 'the contact is at version 5, not 4' });
  });
});
