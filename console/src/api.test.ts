import { ApiProblem, problemOf, request, setUnauthorizedHandler, storeKey } from './api';

function problemResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

describe('problem documents', () => {
  it('put each field error next to its field, readably', async () => {
    const p = await problemOf(
      problemResponse(422, {
        title: 'Invalid options',
        detail: 'Some options are not valid.',
        errors: [{ location: 'target.name', message: 'String should have at most 200 characters' }],
      }),
    );
    expect(p.forField('target.name')).toBe('String should have at most 200 characters');
    expect(p.forField('name')).toBe('String should have at most 200 characters');
    expect(p.forField('default_region')).toBeUndefined();
    expect(p.readable()).toBe(
      'Some options are not valid. Group name: String should have at most 200 characters',
    );
  });

  it('read a record check\'s field and reason as a field error', async () => {
    const p = await problemOf(
      problemResponse(422, {
        title: 'Invalid record',
        detail: 'phone: not a phone number',
        errors: [{ field: 'phone', value: 'abc', reason: 'not a phone number' }],
      }),
    );
    expect(p.forField('phone')).toBe('Not a phone number');
    expect(p.errors).toEqual([{ location: 'phone', message: 'not a phone number' }]);
  });

  it('say plainly that a key was refused', () => {
    expect(new ApiProblem(401, 'Unauthorized', 'Send a valid API key').readable()).toMatch(
      /API key was not accepted/,
    );
  });

  it('survive a body that is not JSON', async () => {
    const p = await problemOf(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    expect(p.status).toBe(502);
    expect(p.title).toBe('Bad Gateway');
  });
});

describe('request', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    storeKey(null);
  });

  it('sends the stored key as X-API-Key and signs out on a 401', async () => {
    storeKey('lf_abc');
    const seen: Headers[] = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers));
      return problemResponse(401, { title: 'Unauthorized' });
    });
    const signedOut = vi.fn();
    setUnauthorizedHandler(signedOut);
    await expect(request('/v1/uploads')).rejects.toBeInstanceOf(ApiProblem);
    expect(seen[0].get('X-API-Key')).toBe('lf_abc');
    expect(signedOut).toHaveBeenCalledOnce();
  });

  it('turns a network failure into a problem', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(request('/v1/uploads')).rejects.toMatchObject({ status: 0, title: 'No connection' });
  });
});

describe('checkKey', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('refuses a wrong key without the "signed out" note of an expired session', async () => {
    const { checkKey } = await import('./api');
    vi.stubGlobal('fetch', async () => problemResponse(401, { title: 'Unauthorized' }));
    const signedOut = vi.fn();
    setUnauthorizedHandler(signedOut);
    await expect(checkKey('lf_wrong')).rejects.toMatchObject({ status: 401 });
    expect(signedOut).not.toHaveBeenCalled();
  });
});
