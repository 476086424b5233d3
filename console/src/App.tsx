import { useEffect, useState } from 'react';
import { Anchor, AppShell, Burger, Button, Group, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { setUnauthorizedHandler, storeKey, storedKey } from './api';
import { navigate, useRoute } from './router';
import { OUTREACH_TITLES, isOutreach } from './outreachRoutes';
import { NavLinks, OutreachNav, OutreachPage } from './pages/OutreachPages';
import { SignIn } from './pages/SignIn';
import { UploadWizard } from './pages/UploadWizard';
import { UploadsDashboard } from './pages/UploadsDashboard';
import { UploadDetail } from './pages/UploadDetail';
import { LeadLists } from './pages/LeadLists';
import { Contacts } from './pages/Contacts';
import { ContactDetail } from './pages/ContactDetail';
import { ContactForm } from './pages/ContactForm';
import { Labels } from './pages/Labels';
import { Mappings } from './pages/Mappings';

/** The console's own pages in the navigation, in order: path, label and the pages that light it. */
const NAV: { path: string; label: string; pages: string[] }[] = [
  { path: '/upload', label: 'Upload a list', pages: ['upload'] },
  { path: '/uploads', label: 'Uploads', pages: ['uploads', 'upload-detail'] },
  { path: '/mappings', label: 'Templates and mappings', pages: ['mappings'] },
  { path: '/lead-lists', label: 'Lead lists', pages: ['lead-lists'] },
  { path: '/contacts', label: 'Contacts', pages: ['contacts', 'contact-detail', 'contact-new', 'contact-edit'] },
  { path: '/groups', label: 'Groups', pages: ['groups'] },
  { path: '/tags', label: 'Tags', pages: ['tags'] },
];

export function App() {
  const [key, setKey] = useState<string | null>(storedKey());
  const [expired, setExpired] = useState(false);
  const [opened, { toggle, close }] = useDisclosure();
  const route = useRoute();

  useEffect(() => {
    setUnauthorizedHandler(() => {
      storeKey(null);
      setKey(null);
      setExpired(true);
    });
  }, []);

  useEffect(() => {
    const titles: Record<string, string> = {
      ...OUTREACH_TITLES,
      upload: 'Upload a list',
      uploads: 'Uploads',
      'upload-detail': 'Upload',
      'lead-lists': 'Lead lists',
      contacts: 'Contacts',
      'contact-detail': 'Contact',
      'contact-new': 'Add a contact',
      'contact-edit': 'Edit a contact',
      groups: 'Groups',
      tags: 'Tags',
      mappings: 'Import templates and saved mappings',
      'not-found': 'Not found',
    };
    document.title = `${key ? titles[route.page] : 'Sign in'} · Listflow console`;
  }, [route.page, key]);

  if (!key) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={(k) => {
          storeKey(k);
          setExpired(false);
          setKey(k);
        }}
      />
    );
  }

  const go = (path: string) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(path);
    close();
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Text fw={700} size="lg" component="span">
              Listflow
            </Text>
            <Text c="gray.7" size="sm" component="span">
              console
            </Text>
          </Group>
          <Button
            variant="subtle"
            onClick={() => {
              storeKey(null);
              setKey(null);
            }}
          >
            Sign out
          </Button>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <NavLinks entries={NAV} page={route.page} onNavigate={close} />
        <OutreachNav page={route.page} onNavigate={close} />
      </AppShell.Navbar>
      <AppShell.Main>
        {isOutreach(route) && <OutreachPage route={route} />}
        {route.page === 'upload' && <UploadWizard />}
        {route.page === 'uploads' && <UploadsDashboard />}
        {route.page === 'upload-detail' && <UploadDetail id={route.id} />}
        {route.page === 'lead-lists' && <LeadLists />}
        {route.page === 'contacts' && <Contacts />}
        {route.page === 'contact-detail' && <ContactDetail id={route.id} />}
        {route.page === 'contact-new' && <ContactForm key="new" />}
        {route.page === 'contact-edit' && <ContactForm key={route.id} id={route.id} />}
        {route.page === 'groups' && <Labels key="group" kind="group" />}
        {route.page === 'tags' && <Labels key="tag" kind="tag" />}
        {route.page === 'mappings' && <Mappings />}
        {route.page === 'not-found' && (
          <>
            <Title order={1}>Page not found</Title>
            <Text mt="md">
              Nothing lives at {route.path}.{' '}
              <Anchor href="/uploads" onClick={go('/uploads')}>
                Go to the uploads
              </Anchor>
              .
            </Text>
          </>
        )}
      </AppShell.Main>
    </AppShell>
  );
}
