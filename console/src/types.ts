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
