// The templates and saved mappings page's decisions as plain data.
import { fieldLabel } from './wizard';

export interface StoredMapping {
  id: string;
  name: string;
  description: string | null;
  columns: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export interface ImportTemplate {
  name: string;
  title: string;
  description: string;
  columns: { header: string; field: string; required: boolean; note: string }[];
  match_key: string | null;
  downloads: Record<string, string>;
}

/** PUT /v1/mappings/{id} replaces the whole mapping: a rename sends its columns back unchanged. */
export function renameBody(mapping: StoredMapping, name: string): { name: string; description: string | null; columns: Record<string, string> } {
  return { name: name.trim(), description: mapping.description, columns: mapping.columns };
}

/** The mapping's rows as the page lists them: file column, then the field in words. */
export function mappingRows(mapping: StoredMapping): { column: string; field: string }[] {
  return Object.entries(mapping.columns).map(([column, field]) => ({ column, field: fieldLabel(field) }));
}

/** "3 columns: Phone, Email, Name…" (at most `shown` names). */
export function columnsSummary(mapping: StoredMapping, shown = 3): string {
  const names = Object.keys(mapping.columns);
  const count = `${names.length} ${names.length === 1 ? 'column' : 'columns'}`;
  const listed = names.slice(0, shown).join(', ');
  return names.length > shown ? `${count}: ${listed}…` : `${count}: ${listed}`;
}
