import { parseRoute } from './router';

describe('parseRoute', () => {
  it('maps paths to pages', () => {
    expect(parseRoute('/')).toEqual({ page: 'upload' });
    expect(parseRoute('/upload/')).toEqual({ page: 'upload' });
    expect(parseRoute('/uploads')).toEqual({ page: 'uploads' });
    expect(parseRoute('/lead-lists/')).toEqual({ page: 'lead-lists' });
    expect(parseRoute('/uploads/0193abc-def')).toEqual({ page: 'upload-detail', id: '0193abc-def' });
    expect(parseRoute('/contacts/')).toEqual({ page: 'contacts' });
    expect(parseRoute('/contacts/c-1_2')).toEqual({ page: 'contact-detail', id: 'c-1_2' });
    expect(parseRoute('/contacts/a/b')).toEqual({ page: 'not-found', path: '/contacts/a/b' });
    expect(parseRoute('/contacts/new')).toEqual({ page: 'contact-new' });
    expect(parseRoute('/contacts/c-1/edit')).toEqual({ page: 'contact-edit', id: 'c-1' });
    expect(parseRoute('/groups')).toEqual({ page: 'groups' });
    expect(parseRoute('/tags/')).toEqual({ page: 'tags' });
    expect(parseRoute('/mappings')).toEqual({ page: 'mappings' });
    expect(parseRoute('/uploads/../x')).toEqual({ page: 'not-found', path: '/uploads/../x' });
  });
});
