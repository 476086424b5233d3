// The upload wizard's decisions as plain data: the mapping, the target, the policies, and
// the options object they make for POST /v1/uploads/{id}/preview and /start.
import type { Detected, Upload } from './types';

export const FIELDS: readonly string[] = [
  'first_name', 'last_name', 'company_name', 'customer_type', 'customer_id', 'external_id',
  'document_type', 'document_number', 'ssn', 'date_of_birth', 'phone', 'phone2', 'phone3',
  'phone4', 'phone5', 'email', 'email2', 'address', 'city', 'state', 'postcode', 'country',
  'time_zone', 'account_number', 'balance', 'currency', 'tags', 'consent_email',
  'consent_sms', 'consent_call',
];
export const EXTRA = 'extra';
export const IGNORE = 'ignore';

/** Fields the API can match stored contacts on (MatchKey). */
export const MATCH_KEYS: readonly string[] = [
  'account_number', 'customer_id', 'document_number', 'phone', 'email', 'ssn', 'external_id',
];

const SPECIAL_LABELS: Record<string, string> = {
  ssn: 'SSN',
  extra: 'Keep as extra data',
  ignore: 'Do not import',
  postcode: 'Postcode / ZIP',
  phone2: 'Phone 2',
  phone3: 'Phone 3',
  phone4: 'Phone 4',
  phone5: 'Phone 5',
  email2: 'Email 2',
};

export function fieldLabel(field: string): string {
  const special = SPECIAL_LABELS[field];
  if (special) return special;
  const words = field.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export interface ColumnChoice {
  column: string;
  field: string;
  suggested: string;
  confidence: number;
  samples: string[];
}

/** One row per file column, with the API's suggestion chosen and up to three sample values. */
export function initialColumns(upload: Upload): ColumnChoice[] {
  const suggestions = new Map(upload.suggested_mapping.map((s) => [s.column, s]));
  return upload.headers.map((column, index) => {
    const s = suggestions.get(column);
    const samples = upload.sample
      .map((row) => row[index])
      .filter((v): v is string => v != null && v.trim() !== '')
      .slice(0, 3);
    return {
      column,
      field: s?.field ?? EXTRA,
      suggested: s?.field ?? EXTRA,
      confidence: s?.confidence ?? 0,
      samples,
    };
  });
}

/** The match key the mapping offers first: account number, then ids, then phone, then email. */
export function defaultMatchKey(columns: ColumnChoice[]): string | null {
  const mapped = new Set(columns.map((c) => c.field));
  return MATCH_KEYS.find((k) => mapped.has(k)) ?? null;
}

/** Problems that stop the wizard going on, keyed by column name ('' for the whole table). */
export function mappingProblems(columns: ColumnChoice[], matchKey: string | null): Map<string, string> {
  const problems = new Map<string, string>();
  const owners = new Map<string, string>();
  for (const c of columns) {
    if (c.field === EXTRA || c.field === IGNORE) continue;
    const owner = owners.get(c.field);
    if (owner !== undefined) {
      problems.set(c.column, `${fieldLabel(c.field)} is already mapped from "${owner}".`);
    } else {
      owners.set(c.field, c.column);
    }
  }
  if (!columns.some((c) => c.field !== EXTRA && c.field !== IGNORE)) {
    problems.set('', 'Map at least one column to a contact field.');
  } else if (matchKey !== null && !owners.has(matchKey)) {
    problems.set('', `The match key ${fieldLabel(matchKey)} is not mapped from any column.`);
  }
  return problems;
}

export interface Settings {
  encoding: string;
  delimiter: string;
  quote: string;
  header: boolean;
  sheet: string;
}

export function settingsOf(detected: Detected): Settings {
  return {
    encoding: detected.encoding ?? '',
    delimiter: detected.delimiter ?? '',
    quote: detected.quote ?? '',
    header: detected.header ?? true,
    sheet: detected.sheet ?? '',
  };
}

/** The settings the operator changed, as upload options (what re-reading the file sends). */
export function changedSettings(detected: Detected, settings: Settings): Record<string, unknown> {
  const before = settingsOf(detected);
  const out: Record<string, unknown> = {};
  if (settings.encoding && settings.encoding !== before.encoding) out.encoding = settings.encoding;
  if (settings.delimiter && settings.delimiter !== before.delimiter) out.delimiter = settings.delimiter;
  if (settings.quote && settings.quote !== before.quote) out.quote = settings.quote;
  if (settings.header !== before.header) out.header = settings.header;
  if (settings.sheet && settings.sheet !== before.sheet) out.sheet = settings.sheet;
  return out;
}

/** Where the rows go: a contact group or a dialer lead list, existing (by id) or new (by name). */
export type TargetKind = 'group' | 'lead_list';
export type TargetChoice =
  | { kind: TargetKind; mode: 'existing'; id: string }
  | { kind: TargetKind; mode: 'new'; name: string };

/** Lead lists only: duplicates of leads already stored, and re-queuing them (churn). */
export interface LeadOptions {
  scope: 'none' | 'list' | 'campaign' | 'tenant';
  action: 'skip' | 'update' | 'migrate';
  churn: boolean;
}

export const DEFAULT_LEAD_OPTIONS: LeadOptions = { scope: 'list', action: 'skip', churn: false };

export interface Policies {
  on_no_match: 'import' | 'skip';
  on_one_match: 'update' | 'skip';
  on_multiple_matches: 'update_first' | 'update_last' | 'skip';
  in_file_duplicates: 'first_wins' | 'last_wins';
  merge: 'overwrite' | 'fill_blanks';
  tags: string[];
  consents: { email: boolean | null; sms: boolean | null; call: boolean | null };
  default_region: string;
}

export const DEFAULT_POLICIES: Policies = {
  on_no_match: 'import',
  on_one_match: 'update',
  on_multiple_matches: 'update_last',
  in_file_duplicates: 'first_wins',
  merge: 'overwrite',
  tags: [],
  consents: { email: null, sms: null, call: null },
  default_region: 'US',
};

export interface OptionsInput {
  columns: ColumnChoice[];
  matchKey: string | null;
  settings: Record<string, unknown>;
  target: TargetChoice | null;
  policies: Policies;
  leads?: LeadOptions;
  /** An import template applied to the mapping (its required columns are then checked). */
  template?: string | null;
}

/** The options object of /preview and /start. */
export function buildOptions(input: OptionsInput): Record<string, unknown> {
  const { policies } = input;
  const options: Record<string, unknown> = {
    ...input.settings,
    mapping: mappingOf(input.columns),
    match: {
      ...(input.matchKey ? { key: input.matchKey } : {}),
      on_no_match: policies.on_no_match,
      on_one_match: policies.on_one_match,
      on_multiple_matches: policies.on_multiple_matches,
      in_file_duplicates: policies.in_file_duplicates,
      merge: policies.merge,
    },
  };
  if (policies.default_region.trim()) options.default_region = policies.default_region.trim().toUpperCase();
  if (input.template) options.template = input.template;
  const target = input.target;
  if (target?.mode === 'existing') options.target = { kind: target.kind, id: target.id };
  if (target?.mode === 'new') options.target = { kind: target.kind, name: target.name.trim() };
  if (target?.kind === 'lead_list') {
    // Leads are matched by any of their phones and carry no tags or consents.
    const leads = input.leads ?? DEFAULT_LEAD_OPTIONS;
    options.duplicates = { scope: leads.scope, action: leads.action };
    if (leads.churn) options.churn = true;
    return options;
  }
  if (policies.tags.length > 0) {
    options.tags = policies.tags;
    options.create_missing_tags = true;
  }
  const consents = Object.fromEntries(
    Object.entries(policies.consents).filter(([, v]) => v !== null),
  );
  if (Object.keys(consents).length > 0) options.consents = consents;
  return options;
}

/** Why the target step cannot go on, or null. */
export function targetProblem(target: TargetChoice | null): string | null {
  if (target === null) return 'Choose a group or create one.';
  const noun = target.kind === 'lead_list' ? 'list' : 'group';
  if (target.mode === 'existing' && !target.id) return `Choose a ${noun}.`;
  if (target.mode === 'new') {
    const name = target.name.trim();
    if (!name) return `Give the new ${noun} a name.`;
    if (name.length > 200) return `A ${noun} name has at most 200 characters.`;
  }
  return null;
}

/** The columns with a saved mapping's or a template's fields applied: a column is found by its
 * header, ignoring case and surrounding spaces (as ingest applies a saved mapping); the
 * others keep their field. Returns the new columns and how many the mapping set. */
export function applyMapping(
  columns: ColumnChoice[],
  mapping: Record<string, string>,
): { columns: ColumnChoice[]; applied: number } {
  const byHeader = new Map(Object.entries(mapping).map(([h, f]) => [h.trim().toLowerCase(), f]));
  let applied = 0;
  const next = columns.map((c) => {
    const field = byHeader.get(c.column.trim().toLowerCase());
    if (field === undefined) return c;
    applied += 1;
    return { ...c, field };
  });
  return { columns: next, applied };
}

/** The mapping table as a saved mapping's columns (header -> field). */
export function mappingOf(columns: ColumnChoice[]): Record<string, string> {
  return Object.fromEntries(columns.map((c) => [c.column, c.field]));
}

/** The fields one contact entered by hand can carry, in the order the form shows them. */
export const BY_HAND_FIELDS: readonly string[] = [
  'first_name', 'last_name', 'company_name', 'phone', 'email', 'account_number', 'balance',
  'currency', 'customer_id', 'postcode', 'country',
];

/** Lead lists hold only these of them (ingest keeps a lead's name, phones and email). */
export const LEAD_FIELDS_BY_HAND: readonly string[] = ['first_name', 'last_name', 'company_name', 'phone', 'email'];

/** The record of POST /v1/uploads/record: the fields filled in, trimmed, for the target. */
export function recordOf(values: Record<string, string>, kind: TargetKind): Record<string, string> {
  const allowed = kind === 'lead_list' ? LEAD_FIELDS_BY_HAND : BY_HAND_FIELDS;
  return Object.fromEntries(
    allowed.map((f) => [f, (values[f] ?? '').trim()]).filter(([, v]) => v !== ''),
  );
}

/** Why the hand-entered record cannot be sent yet, or null. */
export function recordProblem(record: Record<string, string>, kind: TargetKind): string | null {
  if (Object.keys(record).length === 0) return 'Fill in at least one field.';
  if (kind === 'lead_list' && !record.phone) return 'A lead needs a phone number.';
  if (!record.phone && !record.email && !record.account_number && !record.customer_id)
    return 'Give a phone, an email, an account number or a customer id, so the contact can be found again.';
  return null;
}
