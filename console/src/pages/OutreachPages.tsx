// The campaigns and portal pages as App.tsx mounts them: the navigation group and the page
// of a route.
import { NavLink } from '@mantine/core';
import { navigate } from '../router';
import { OUTREACH_NAV, type OutreachRoute } from '../outreachRoutes';
import { Templates } from './Templates';
import { Campaigns, CampaignsNew } from './Campaigns';
import { CampaignsDetail } from './CampaignsDetail';
import { CampaignsSettings } from './CampaignsSettings';
import { Suppressions } from './Suppressions';
import { PortalSettings } from './PortalSettings';
import { PortalActivity } from './PortalActivity';

/** Navigation links: each lights for its pages, marks its first page as the current one. */
export function NavLinks({ entries, page, onNavigate }: {
  entries: { path: string; label: string; pages: readonly string[] }[];
  page: string;
  onNavigate: () => void;
}) {
  return (
    <>
      {entries.map((entry) => (
        <NavLink
          key={entry.path}
          component="a"
          href={entry.path}
          label={entry.label}
          active={entry.pages.includes(page)}
          aria-current={entry.pages[0] === page ? 'page' : undefined}
          onClick={(e: React.MouseEvent) => {
            e.preventDefault();
            navigate(entry.path);
            onNavigate();
          }}
        />
      ))}
    </>
  );
}

export function OutreachNav({ page, onNavigate }: { page: string; onNavigate: () => void }) {
  return <NavLinks entries={OUTREACH_NAV} page={page} onNavigate={onNavigate} />;
}

export function OutreachPage({ route }: { route: OutreachRoute }) {
  switch (route.page) {
    case 'message-templates':
      return <Templates />;
    case 'campaigns':
      return <Campaigns />;
    case 'campaign-new':
      return <CampaignsNew />;
    case 'campaign-detail':
      return <CampaignsDetail key={route.id} id={route.id} />;
    case 'suppressions':
      return <Suppressions />;
    case 'campaign-settings':
      return <CampaignsSettings />;
    case 'portal-settings':
      return <PortalSettings />;
    case 'portal-activity':
      return <PortalActivity />;
  }
}
