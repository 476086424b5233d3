// The campaigns and portal pages' routes, read from the path as router.ts reads the others.

export type OutreachRoute =
  | { page: 'message-templates' }
  | { page: 'campaigns' }
  | { page: 'campaign-new' }
  | { page: 'campaign-detail'; id: string }
  | { page: 'suppressions' }
  | { page: 'campaign-settings' }
  | { page: 'portal-settings' }
  | { page: 'portal-activity' };

export const OUTREACH_TITLES: Record<OutreachRoute['page'], string> = {
  'message-templates': 'Message templates',
  campaigns: 'Campaigns',
  'campaign-new': 'New campaign',
  'campaign-detail': 'Campaign',
  suppressions: 'Suppressions',
  'campaign-settings': 'Campaign settings',
  'portal-settings': 'Portal settings',
  'portal-activity': 'Payments and ID&V',
};

/** The navigation entries, in order: path, label and the pages that light it. */
export const OUTREACH_NAV: { path: string; label: string; pages: OutreachRoute['page'][] }[] = [
  { path: '/message-templates', label: 'Message templates', pages: ['message-templates'] },
  { path: '/campaigns', label: 'Campaigns', pages: ['campaigns', 'campaign-new', 'campaign-detail'] },
  { path: '/suppressions', label: 'Suppressions', pages: ['suppressions'] },
  { path: '/campaign-settings', label: 'Campaign settings', pages: ['campaign-settings'] },
  { path: '/portal/settings', label: 'Portal settings', pages: ['portal-settings'] },
  { path: '/portal/payments', label: 'Payments and ID&V', pages: ['portal-activity'] },
];

const FIXED: Record<string, OutreachRoute> = {
  '/message-templates': { page: 'message-templates' },
  '/campaigns': { page: 'campaigns' },
  '/campaigns/new': { page: 'campaign-new' },
  '/suppressions': { page: 'suppressions' },
  '/campaign-settings': { page: 'campaign-settings' },
  '/portal/settings': { page: 'portal-settings' },
  '/portal/payments': { page: 'portal-activity' },
};

/** The outreach route of a path without its trailing slash, or null. */
export function parseOutreachRoute(clean: string): OutreachRoute | null {
  if (clean in FIXED) return FIXED[clean];
  const detail = /^\/campaigns\/([A-Za-z0-9_-]+)$/.exec(clean);
  return detail ? { page: 'campaign-detail', id: detail[1] } : null;
}

export function isOutreach(route: { page: string }): route is OutreachRoute {
  return route.page in OUTREACH_TITLES;
}
