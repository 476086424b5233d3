import type { Upload } from './types';
import {
  DEFAULT_POLICIES, buildOptions, changedSettings, defaultMatchKey, initialColumns,
  mappingProblems, settingsOf, targetProblem, applyMapping, mappingOf, recordOf, recordProblem,
} from './wizard';

const upload = {
  headers: ['Name', 'Tel.', 'Account', 'Notes'],
  suggested_mapping: [
    { column: 'Name', field: 'first_name', confidence: 0.6 },
    { column: 'Tel.', field: 'phone', confidence: 1 },
    { column: 'Account', field: 'account_number', confidence: 0.9 },
    { column: 'Notes', field: 'extra', confidence: 0 },
  ],
  sample: [
    ['Ana', '+34 600 1', 'A-1', null],
    ['', '+34 600 2', 'A-2', ''],
    ['Cy', null, 'A-3', 'vip'],
    ['Di', '+34 600 4', 'A-4', null],
  ],
} as unknown as Upload;

describe('the mapping', () => {
  it('starts from the suggestions with up to three non-empty samples per column', () => {
    const cols = initialColumns(upload);
    expect(cols.map((c) => c.field)).toEqual(['first_name', 'phone', 'account_number', 'extra']);
    expect(cols[0].samples).toEqual(['Ana', 'Cy', 'Di']);
    expect(cols[3].samples).toEqual(['vip']);
    expect(defaultMatchKey(cols)).toBe('account_number');
  });

  it('refuses a field mapped twice and a match key no column carries', () => {
    const cols = initialColumns(upload);
    cols[0] = { ...cols[0], field: 'phone' };
    expect(mappingProblems(cols, 'account_number').get('Tel.')).toBe(
      'Phone is already mapped from "Name".',
    );
    const noAccount = initialColumns(upload).map((c) => (c.field === 'account_number' ? { ...c, field: 'ignore' } : c));
    expect(mappingProblems(noAccount, 'account_number').get('')).toMatch(/not mapped/);
    expect(mappingProblems(initialColumns(upload), 'account_number').size).toBe(0);
  });

  it('needs at least one mapped field', () => {
    const none = initialColumns(upload).map((c) => ({ ...c, field: 'ignore' }));
    expect(mappingProblems(none, null).get('')).toMatch(/at least one/);
  });
});

describe('the options', () => {
  it('carry mapping, match policy, a new group, tags and chosen consents only', () => {
    const options = buildOptions({
      columns: initialColumns(upload),
      matchKey: 'account_number',
      settings: { delimiter: ';' },
      target: { kind: 'group', mode: 'new', name: '  March list ' },
      policies: {
        ...DEFAULT_POLICIES,
        default_region: 'gb',
        tags: ['vip'],
        consents: { email: true, sms: null, call: null },
      },
    });
    expect(options).toEqual({
      delimiter: ';',
      mapping: { Name: 'first_name', 'Tel.': 'phone', Account: 'account_number', Notes: 'extra' },
      match: {
        key: 'account_number',
        on_no_match: 'import',
        on_one_match: 'update',
        on_multiple_matches: 'update_last',
        in_file_duplicates: 'first_wins',
        merge: 'overwrite',
      },
      default_region: 'GB',
      target: { kind: 'group', name: 'March list' },
      tags: ['vip'],
      create_missing_tags: true,
      consents: { email: true },
    });
  });

  it('name an existing group by id and leave the match key out when none is chosen', () => {
    const options = buildOptions({
      columns: [],
      matchKey: null,
      settings: {},
      target: { kind: 'group', mode: 'existing', id: 'g-1' },
      policies: DEFAULT_POLICIES,
    });
    expect(options.target).toEqual({ kind: 'group', id: 'g-1' });
    expect(options.match).not.toHaveProperty('key');
    expect(options).not.toHaveProperty('tags');
    expect(options).not.toHaveProperty('consents');
  });

  it('send only the settings the operator changed when the file is re-read', () => {
    const detected = { encoding: 'utf-8', delimiter: ',', quote: '"', header: true, sheet: null };
    expect(
      changedSettings(detected, { encoding: 'utf-8', delimiter: ';', quote: '"', header: false, sheet: '' }),
    ).toEqual({ delimiter: ';', header: false });
  });

  it('re-read a workbook with the sheet chosen, and only that', () => {
    const detected = { encoding: '', delimiter: '', quote: '', header: true, sheet: 'Summary', sheets: ['Summary', 'Leads'] };
    const chosen = { ...settingsOf(detected), sheet: 'Leads' };
    expect(changedSettings(detected, chosen)).toEqual({ sheet: 'Leads' });
    expect(changedSettings(detected, settingsOf(detected))).toEqual({});
  });

  it('explain what the target lacks', () => {
    expect(targetProblem({ kind: 'group', mode: 'new', name: ' ' })).toBe('Give the new group a name.');
    expect(targetProblem({ kind: 'group', mode: 'new', name: 'x'.repeat(201) })).toMatch(/200/);
    expect(targetProblem({ kind: 'group', mode: 'existing', id: '' })).toBe('Choose a group.');
    expect(targetProblem({ kind: 'group', mode: 'new', name: 'March' })).toBeNull();
    expect(targetProblem({ kind: 'lead_list', mode: 'existing', id: '' })).toBe('Choose a list.');
    expect(targetProblem({ kind: 'lead_list', mode: 'new', name: '' })).toBe('Give the new list a name.');
  });

  it('fill a lead list with its duplicate rules and churn, without contact tags or consents', () => {
    const options = buildOptions({
      columns: initialColumns(upload),
      matchKey: 'phone',
      settings: {},
      target: { kind: 'lead_list', mode: 'existing', id: 'L-1' },
      policies: { ...DEFAULT_POLICIES, tags: ['vip'], consents: { email: true, sms: null, call: null } },
      leads: { scope: 'campaign', action: 'migrate', churn: true },
      template: 'dialer-leads',
    });
    expect(options.target).toEqual({ kind: 'lead_list', id: 'L-1' });
    expect(options.duplicates).toEqual({ scope: 'campaign', action: 'migrate' });
    expect(options.churn).toBe(true);
    expect(options.template).toBe('dialer-leads');
    expect(options).not.toHaveProperty('tags');
    expect(options).not.toHaveProperty('consents');
    const plain = buildOptions({
      columns: [], matchKey: null, settings: {}, policies: DEFAULT_POLICIES,
      target: { kind: 'lead_list', mode: 'new', name: ' Spring ' },
    });
    expect(plain.target).toEqual({ kind: 'lead_list', name: 'Spring' });
    expect(plain.duplicates).toEqual({ scope: 'list', action: 'skip' });
    expect(plain).not.toHaveProperty('churn');
  });
});

describe('saved mappings and templates', () => {
  it('apply to the columns they name, by header without regard to case or spaces', () => {
    const columns = initialColumns(upload);
    const { columns: next, applied } = applyMapping(columns, { ' tel. ': 'phone2', NOTES: 'ignore', Missing: 'email' });
    expect(applied).toBe(2);
    expect(mappingOf(next)).toEqual({ Name: 'first_name', 'Tel.': 'phone2', Account: 'account_number', Notes: 'ignore' });
    expect(mappingOf(columns)['Tel.']).toBe('phone'); // the columns given are not changed
  });
});

describe('one record by hand', () => {
  it('keeps the fields filled in, and only the fields of a lead for a lead list', () => {
    const values = { first_name: ' Ana ', phone: '+34 600 123 456', account_number: 'A-1', email: '' };
    expect(recordOf(values, 'group')).toEqual({ first_name: 'Ana', phone: '+34 600 123 456', account_number: 'A-1' });
    expect(recordOf(values, 'lead_list')).toEqual({ first_name: 'Ana', phone: '+34 600 123 456' });
  });

  it('asks for what finds the contact again, and a phone for a lead', () => {
    expect(recordProblem({}, 'group')).toMatch(/at least one/);
    expect(recordProblem({ first_name: 'Ana' }, 'group')).toMatch(/phone, an email/);
    expect(recordProblem({ email: 'a@b.es' }, 'lead_list')).toBe('A lead needs a phone number.');
    expect(recordProblem({ phone: '+1 415 555 0100' }, 'lead_list')).toBeNull();
  });
});
