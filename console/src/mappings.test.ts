import { columnsSummary, mappingRows, renameBody, type StoredMapping } from './mappings';
import { searchFromQuery } from './labels';

const mapping: StoredMapping = {
  id: 'm1', name: 'CRM export', description: 'From the CRM', created_at: '2026-03-01T00:00:00Z',
  updated_at: '2026-03-02T00:00:00Z', columns: { Tel: 'phone', Mail: 'email', Nombre: 'first_name', Notas: 'extra' },
};

describe('saved mappings', () => {
  it('rename by sending the columns and description back unchanged', () => {
    expect(renameBody(mapping, '  CRM v2 ')).toEqual({ name: 'CRM v2', description: 'From the CRM', columns: mapping.columns });
  });

  it('list the columns with their fields in words', () => {
    expect(mappingRows(mapping)[0]).toEqual({ column: 'Tel', field: 'Phone' });
    expect(mappingRows(mapping)[3]).toEqual({ column: 'Notas', field: 'Keep as extra data' });
    expect(columnsSummary(mapping)).toBe('4 columns: Tel, Mail, Nombre…');
    expect(columnsSummary({ ...mapping, columns: { Tel: 'phone' } })).toBe('1 column: Tel');
  });
});

describe('a link from the groups or tags page', () => {
  it('opens the contacts search of that group or tag', () => {
    expect(searchFromQuery('?group=g-1')).toEqual({ group: 'g-1', tag: null });
    expect(searchFromQuery('?tag=VIP%20gold')).toEqual({ group: null, tag: 'VIP gold' });
    expect(searchFromQuery('')).toEqual({ group: null, tag: null });
  });
});
