import { parseRoute } from './router';

describe('parseRoute', () => {
  it('maps paths to pages', () => {
    expect(parseRoute('/')).toEqual({ page: 'upload' });
    expect(parseRoute('/upload/')).toEqual({ page: 'upload' });
    expect(parseRoute('/uploads')).toEqual({ page: 'uploads' });
    expect(parseRoute('/lead-lists/')).toEqual({ page: 'lead-lists' });
    expect(parseRoute('/uploads/0193abc-def')).toEqual({ page: 'upload-detail', id: '0193abc-def' });
    expect(parseRoute('/uploads/../x')).toEqual({ page: 'not-found', path: '/uploads/../x' });
  });
});
