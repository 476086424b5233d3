// The shapes of the /v1 API the console reads (services/ingest entrypoints).

export type UploadStatus = 'uploaded' | 'importing' | 'completed' | 'cancelled' | 'failed';

export interface Counts {
  total: number;
  imported: number;
  updated: number;
  skipped: number;
  duplicates: number;
  errors: number;
}

export interface Progress {
  percent: number;
  rows_read: number;
  processed: number;
  rows_per_second: number | null;
  eta_seconds: number | null;
}

export interface Suggestion {
  column: string;
  field: string;
  confidence: number;
}

export interface Detected {
  encoding?: string | null;
  delimiter?: string | null;
  quote?: string | null;
  header?: boolean | null;
  sheet?: string | null;
  /** The workbook's sheets, in order (XLSX and ODS; empty for text files). */
  sheets?: string[] | null;
  row_estimate?: number | null;
}

export interface Upload {
  id: string;
  status: UploadStatus;
  file_name: string;
  format: string;
  size_bytes: number;
  created_at: string;
  uploaded_by: string | null;
  target: { kind: string; name?: string | null; id?: string | null } | null;
  counts: Counts;
  progress: Progress;
  detected: Detected;
  headers: string[];
  suggested_mapping: Suggestion[];
  sample: (string | null)[][];
  failure: string | null;
  started_at: string | null;
  completed_at: string | null;
}

export interface UploadPage {
  items: Upload[];
  next_cursor: string | null;
}

export interface ProgressEvent {
  id: string;
  status: UploadStatus;
  counts: Counts;
  progress: Progress;
}

export interface Preview {
  upload_id: string;
  status: 'running' | 'completed' | 'failed';
  percent: number;
  rows_per_second: number | null;
  eta_seconds: number | null;
  counts: { rows: number; valid: number; invalid: number; duplicates: number };
  matches: { key: string; no_match: number; one_match: number; several_matches: number };
  invalid_examples: { row_number: number; column: string; value: string; reason: string }[];
  failure: string | null;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
}

export const TERMINAL: ReadonlySet<UploadStatus> = new Set(['completed', 'cancelled', 'failed']);

// The contacts service's public shapes (services/contacts entrypoints/api.py).

export interface ProtectedId {
  /** The keyed hash the API also answers; the console never shows it. */
  hash?: string;
  last4: string;
}

export interface ContactPhone {
  e164: string;
  type: string;
  region: string | null;
  time_zone: string | null;
}

export interface ContactAccount {
  number: string;
  balance: string | number | null;
  currency: string | null;
  status: string | null;
}

export interface ContactData {
  customer_type: 'person' | 'company';
  first_name: string | null;
  last_name: string | null;
  company_name: string | null;
  customer_id: string | null;
  external_id: string | null;
  document_type: string | null;
  document: ProtectedId | null;
  ssn: ProtectedId | null;
  date_of_birth: string | null;
  phones: ContactPhone[];
  emails: string[];
  address: string | null;
  city: string | null;
  state: string | null;
  postcode: string | null;
  country: string | null;
  time_zone: string | null;
  accounts: ContactAccount[];
  tags: string[];
  consents: { email: boolean | null; sms: boolean | null; call: boolean | null };
  extra: { name: string; value: string }[];
}

export interface ConsentRecord {
  channel: 'email' | 'sms' | 'call';
  granted: boolean;
  source: 'upload' | 'api' | 'merge';
  upload_id: string | null;
  row_number: number | null;
  at: string;
}

export interface Contact {
  id: string;
  version: number;
  data: ContactData;
  group_ids: string[];
  consent_sources: ConsentRecord[];
  created_at: string;
  updated_at: string;
  held_until: string | null;
  hold_reason: 'promise' | 'plan' | null;
}

export interface ContactPage {
  items: Contact[];
  next_cursor: string | null;
  total: number | null;
}

export interface Label {
  id: string;
  name: string;
  description: string | null;
}

export interface SavedMapping {
  id: string;
  name: string;
  columns: Record<string, string>;
}
