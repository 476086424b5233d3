import { useEffect, useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Modal, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { ApiProblem, getJson, postJson } from '../api';
import { dateTime } from '../format';
import { navigate } from '../router';
import { balance, channelName, consentOrigin, consentRows, displayName, holdText, maskedId } from '../contacts';
import { fieldLabel } from '../wizard';
import type { Contact, Label } from '../types';

const IDENTITY: (keyof Contact['data'])[] = [
  'customer_type', 'customer_id', 'external_id', 'document_type', 'date_of_birth', 'address', 'city',
  'state', 'postcode', 'country', 'time_zone',
];

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** One contact: its fields (national ids masked), phones, emails, accounts, consents with
 * where each came from, groups, tags, extra data and any hold. */
export function ContactDetail({ id }: { id: string }) {
  const [contact, setContact] = useState<Contact | null>(null);
  const [groups, setGroups] = useState<Label[]>([]);
  const [problem, setProblem] = useState<ApiProblem | string | null>(null);
  // The deletion preview's token: deleting is asked first, then confirmed with it.
  const [deleting, setDeleting] = useState<{ token: string } | null>(null);
  const [deleteProblem, setDeleteProblem] = useState<string | null>(null);

  useEffect(() => {
    setContact(null);
    setProblem(null);
    getJson<Contact>(`/v1/contacts/${id}`).then(setContact, (err) =>
      setProblem(err instanceof ApiProblem ? err : String(err)),
    );
    getJson<{ items: Label[] }>('/v1/groups?limit=1000').then((p) => setGroups(p.items), () => setGroups([]));
  }, [id]);

  const back = (
    <Anchor
      href="/contacts"
      onClick={(e) => {
        e.preventDefault();
        navigate('/contacts');
      }}
    >
      Back to the contacts
    </Anchor>
  );
  if (problem) {
    return (
      <Stack gap="md" maw={1100}>
        <Title order={1}>Contact</Title>
        <Alert color="red" title={problem instanceof ApiProblem ? problem.title : 'Cannot show the contact'} role="alert">
          {problem instanceof ApiProblem ? problem.readable() : problem}
        </Alert>
        {back}
      </Stack>
    );
  }
  if (!contact) return <Text>Loading…</Text>;

  const readable = (err: unknown) => (err instanceof ApiProblem ? err.readable() : String(err));
  async function askToDelete() {
    setDeleteProblem(null);
    try {
      const preview = await postJson<{ confirmation_token: string }>('/v1/contacts/deletions', { ids: [id] });
      setDeleting({ token: preview.confirmation_token });
    } catch (err) {
      setDeleteProblem(readable(err));
    }
  }
  async function confirmDelete(token: string) {
    try {
      const done = await postJson<{ deleted: string[] }>('/v1/contacts/deletions', { ids: [id], confirmation_token: token });
      setDeleting(null);
      if (done.deleted.includes(id)) navigate('/contacts');
      else setDeleteProblem('The contact changed meanwhile, so it was kept. Look at it again, then delete it.');
    } catch (err) {
      setDeleting(null);
      setDeleteProblem(readable(err));
    }
  }

  const d = contact.data;
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const hold = holdText(contact);
  const openUpload = (uploadId: string) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(`/uploads/${uploadId}`);
  };
  const identity = IDENTITY.filter((k) => d[k] !== null && d[k] !== '').map((k) => [fieldLabel(k), String(d[k])]);
  if (d.document) identity.push(['Document number', maskedId(d.document)]);
  if (d.ssn) identity.push(['SSN', maskedId(d.ssn)]);

  return (
    <Stack gap="md" maw={1100}>
      {back}
      <Group justify="space-between" align="flex-start">
        <Title order={1}>{displayName(contact)}</Title>
        <Group gap="xs">
          <Button
            component="a"
            href={`/contacts/${id}/edit`}
            onClick={(e: React.MouseEvent) => {
              e.preventDefault();
              navigate(`/contacts/${id}/edit`);
            }}
          >
            Edit the contact
          </Button>
          <Button variant="outline" color="red.9" onClick={askToDelete}>
            Delete the contact
          </Button>
        </Group>
      </Group>
      {deleteProblem && (
        <Alert color="red" title="Not deleted" role="alert">
          {deleteProblem}
        </Alert>
      )}
      <Modal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={`Delete ${displayName(contact)}?`}
      >
        <Text size="sm">
          The contact, its accounts and its consents are deleted, and downstream teams are told.
          This cannot be undone.
        </Text>
        <Group mt="md" justify="flex-end">
          <Button variant="default" onClick={() => setDeleting(null)}>
            Keep it
          </Button>
          <Button color="red.9" onClick={() => deleting && confirmDelete(deleting.token)}>
            Delete it
          </Button>
        </Group>
      </Modal>
      <Text size="sm" c="gray.7" className="figure">
        Version {contact.version} · created {dateTime(contact.created_at)} · updated {dateTime(contact.updated_at)}
      </Text>
      {hold && (
        <Alert color="yellow" title="On hold" data-testid="hold">
          {hold}. Campaigns and dialers leave this customer alone until then.
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title="Details">
          {identity.length === 0 ? (
            <Text>No other details recorded.</Text>
          ) : (
            <Table aria-label="Details" variant="vertical" layout="fixed">
              <Table.Tbody>
                {identity.map(([label, value]) => (
                  <Table.Tr key={label}>
                    <Table.Th scope="row" w="40%">{label}</Table.Th>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{value}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
        <Section title="Phones and emails">
          {d.phones.length === 0 && d.emails.length === 0 && <Text>No phone or email.</Text>}
          <Stack gap={4}>
            {d.phones.map((p) => (
              <Text key={p.e164} className="figure" data-phone={p.e164}>
                {p.e164} <Text span size="sm" c="gray.7">({[p.type.replace(/_/g, ' '), p.region, p.time_zone].filter(Boolean).join(', ')})</Text>
              </Text>
            ))}
            {d.emails.map((e) => (
              <Text key={e} style={{ overflowWrap: 'anywhere' }}>
                {e}
              </Text>
            ))}
          </Stack>
        </Section>
      </SimpleGrid>
      <Section title="Accounts">
        {d.accounts.length === 0 ? (
          <Text>No accounts.</Text>
        ) : (
          <Table aria-label="Accounts and balances" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Account</Table.Th>
                <Table.Th scope="col" ta="right">Balance</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.accounts.map((a) => (
                <Table.Tr key={a.number} data-account={a.number}>
                  <Table.Td>{a.number}</Table.Td>
                  <Table.Td ta="right" className="figure" data-balance>
                    {balance(a)}
                  </Table.Td>
                  <Table.Td>{a.status ?? '–'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Section>
      <Section title="Consents">
        <Table aria-label="Consents and where they came from" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Channel</Table.Th>
              <Table.Th scope="col">Consent</Table.Th>
              <Table.Th scope="col">Where it came from</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {consentRows(contact).map(({ channel, state, source }) => (
              <Table.Tr key={channel} data-channel={channel}>
                <Table.Td>{channelName(channel)}</Table.Td>
                <Table.Td>{state}</Table.Td>
                <Table.Td>
                  {source ? (
                    <>
                      {source.upload_id ? (
                        <Anchor href={`/uploads/${source.upload_id}`} onClick={openUpload(source.upload_id)}>
                          {consentOrigin(source)}
                        </Anchor>
                      ) : (
                        consentOrigin(source)
                      )}
                      , {dateTime(source.at)}
                    </>
                  ) : (
                    '–'
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Section title="Groups and tags">
          <Text size="sm" fw={600}>
            Groups
          </Text>
          <Group gap={4} mb="sm" data-testid="groups">
            {contact.group_ids.length === 0 ? (
              <Text>In no group.</Text>
            ) : (
              contact.group_ids.map((g) => (
                <Badge key={g} variant="light" tt="none">
                  {groupName.get(g) ?? g}
                </Badge>
              ))
            )}
          </Group>
          <Text size="sm" fw={600}>
            Tags
          </Text>
          <Group gap={4} data-testid="tags">
            {d.tags.length === 0 ? (
              <Text>No tags.</Text>
            ) : (
              d.tags.map((t) => (
                <Badge key={t} variant="light" color="indigo" tt="none">
                  {t}
                </Badge>
              ))
            )}
          </Group>
        </Section>
        <Section title="Extra data">
          {d.extra.length === 0 ? (
            <Text>No extra columns were kept.</Text>
          ) : (
            <Table aria-label="Extra data" variant="vertical" layout="fixed">
              <Table.Tbody>
                {d.extra.map((x) => (
                  <Table.Tr key={x.name}>
                    <Table.Th scope="row" w="40%" style={{ overflowWrap: 'anywhere' }}>{x.name}</Table.Th>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{x.value}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
      </SimpleGrid>
    </Stack>
  );
}
