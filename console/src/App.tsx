import { useEffect, useState } from 'react';
import { Anchor, AppShell, Burger, Button, Group, NavLink, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { setUnauthorizedHandler, storeKey, storedKey } from './api';
import { navigate, useRoute } from './router';
import { OUTREACH_TITLES, isOutreach } from './outreachRoutes';
import { OutreachNav, OutreachPage } from './pages/OutreachPages';
import { SignIn } from './pages/SignIn';
import { UploadWizard } from './pages/UploadWizard';
import { UploadsDashboard } from './pages/UploadsDashboard';
import { UploadDetail } from './pages/UploadDetail';
import { LeadLists } from './pages/LeadLists';
import { Contacts } from './pages/Contacts';
import { ContactDetail } from './pages/ContactDetail';

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
        <NavLink
          component="a"
          href="/upload"
          label="Upload a list"
          active={route.page === 'upload'}
          aria-current={route.page === 'upload' ? 'page' : undefined}
          onClick={go('/upload')}
        />
        <NavLink
          component="a"
          href="/uploads"
          label="Uploads"
          active={route.page === 'uploads' || route.page === 'upload-detail'}
          aria-current={route.page === 'uploads' ? 'page' : undefined}
          onClick={go('/uploads')}
        />
        <NavLink
          component="a"
          href="/lead-lists"
          label="Lead lists"
          active={route.page === 'lead-lists'}
          aria-current={route.page === 'lead-lists' ? 'page' : undefined}
          onClick={go('/lead-lists')}
        />
        <NavLink
          component="a"
          href="/contacts"
          label="Contacts"
          active={route.page === 'contacts' || route.page === 'contact-detail'}
          aria-current={route.page === 'contacts' ? 'page' : undefined}
          onClick={go('/contacts')}
        />
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
