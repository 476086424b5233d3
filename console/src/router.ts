// A few routes need no router library: the path in the address bar is the state.
import { useEffect, useState } from 'react';
import { parseOutreachRoute, type OutreachRoute } from './outreachRoutes';

export type Route =
  | OutreachRoute
  | { page: 'upload' }
  | { page: 'uploads' }
  | { page: 'upload-detail'; id: string }
  | { page: 'lead-lists' }
  | { page: 'contacts' }
  | { page: 'contact-detail'; id: string }
  | { page: 'contact-new' }
  | { page: 'contact-edit'; id: string }
  | { page: 'groups' }
  | { page: 'tags' }
  | { page: 'mappings' }
  | { page: 'not-found'; path: string };

export function parseRoute(path: string): Route {
  const clean = path.replace(/\/+$/, '') || '/';
  const outreach = parseOutreachRoute(clean);
  if (outreach) return outreach;
  if (clean === '/' || clean === '/upload') return { page: 'upload' };
  if (clean === '/uploads') return { page: 'uploads' };
  if (clean === '/lead-lists') return { page: 'lead-lists' };
  if (clean === '/contacts') return { page: 'contacts' };
  if (clean === '/contacts/new') return { page: 'contact-new' };
  if (clean === '/groups') return { page: 'groups' };
  if (clean === '/tags') return { page: 'tags' };
  if (clean === '/mappings') return { page: 'mappings' };
  const edit = /^\/contacts\/([A-Za-z0-9_-]+)\/edit$/.exec(clean);
  if (edit) return { page: 'contact-edit', id: edit[1] };
  const contact = /^\/contacts\/([A-Za-z0-9_-]+)$/.exec(clean);
  if (contact) return { page: 'contact-detail', id: contact[1] };
  const detail = /^\/uploads\/([A-Za-z0-9_-]+)$/.exec(clean);
  if (detail) return { page: 'upload-detail', id: detail[1] };
  return { page: 'not-found', path };
}

export function navigate(path: string): void {
  if (window.location.pathname === path) return;
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return parseRoute(path);
}
