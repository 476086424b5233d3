import { useCallback, useEffect, useState } from 'react';
import {
  Alert, Anchor, Badge, Button, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title,
} from '@mantine/core';
import { ApiProblem, download, getJson } from '../api';
import { dateTime } from '../format';
import { navigate } from '../router';
import {
  NO_SEARCH, PAGE_SIZE, contactQuery, displayName, isEmptySearch, pageRange, type ContactSearch,
} from '../contacts';
import { searchFromQuery } from '../labels';
import type { ContactPage, Label } from '../types';

/** Search the customer base: by name, phone, email, tag or group, a page at a time. */
export function Contacts() {
  // A link from the groups or tags page opens the search of that group or tag.
  const [search, setSearch] = useState<ContactSearch>(() => ({ ...NO_SEARCH, ...searchFromQuery(window.location.search) }));
  const [applied, setApplied] = useState<ContactSearch>(search);
  const [page, setPage] = useState<ContactPage | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  // The cursors of the pages before this one (null for the first), for "Previous page".
  const [trail, setTrail] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [groups, setGroups] = useState<Label[]>([]);
  const [tags, setTags] = useState<Label[]>([]);
  const [problem, setProblem] = useState<ApiProblem | string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    getJson<{ items: Label[] }>('/v1/groups?limit=1000').then((p) => setGroups(p.items), () => setGroups([]));
    getJson<{ items: Label[] }>('/v1/tags?limit=1000').then((p) => setTags(p.items), () => setTags([]));
  }, []);

  const load = useCallback(async (s: ContactSearch, at: string | null) => {
    setLoading(true);
    setProblem(null);
    try {
      const found = await getJson<ContactPage>(`/v1/contacts?${contactQuery(s, at)}`);
      setPage(found);
      if (found.total !== null) setTotal(found.total);
      setCursor(at);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? err : String(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    setTrail([]);
    void load(applied, null);
  }, [applied, load]);

  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  const open = (id: string) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(`/contacts/${id}`);
  };
  const fieldError = (field: string) => (problem instanceof ApiProblem ? problem.forField(field) : undefined);
  const exportGroup = groups.find((g) => g.id === applied.group);

  return (
    <Stack gap="lg" maw={1100}>
      <Group justify="space-between">
        <Title order={1}>Contacts</Title>
        <Button
          component="a"
          href="/contacts/new"
          onClick={(e: React.MouseEvent) => {
            e.preventDefault();
            navigate('/contacts/new');
          }}
        >
          Add a contact
        </Button>
      </Group>
      <form
        aria-label="Search the contacts"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ ...search });
        }}
      >
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          <TextInput
            label="Name"
            description="Whole words of a first, last or company name"
            value={search.name}
            onChange={(e) => setSearch({ ...search, name: e.currentTarget.value })}
            error={fieldError('name')}
          />
          <TextInput
            label="Phone"
            description="Any format"
            value={search.phone}
            onChange={(e) => setSearch({ ...search, phone: e.currentTarget.value })}
            error={fieldError('phone')}
          />
          <TextInput
            label="Email"
            value={search.email}
            onChange={(e) => setSearch({ ...search, email: e.currentTarget.value })}
            error={fieldError('email')}
          />
          <Select
            label="Group"
            placeholder="Any group"
            data={groups.map((g) => ({ value: g.id, label: g.name }))}
            value={search.group}
            onChange={(v) => setSearch({ ...search, group: v })}
            searchable
            clearable
          />
          <Select
            label="Tag"
            placeholder="Any tag"
            data={tags.map((t) => ({ value: t.name, label: t.name }))}
            value={search.tag}
            onChange={(v) => setSearch({ ...search, tag: v })}
            searchable
            clearable
          />
        </SimpleGrid>
        <Group mt="md">
          <Button type="submit" loading={loading}>
            Search
          </Button>
          <Button
            variant="default"
            onClick={() => {
              setSearch(NO_SEARCH);
              setApplied(NO_SEARCH);
            }}
          >
            Clear
          </Button>
          {exportGroup && (
            <Button
              variant="light"
              onClick={() =>
                download(`/v1/groups/${exportGroup.id}/export.csv`, `${exportGroup.name}.csv`).catch((err) =>
                  setProblem(err instanceof ApiProblem ? err : String(err)),
                )
              }
            >
              Export the group (CSV)
            </Button>
          )}
        </Group>
      </form>
      {problem && (
        <Alert color="red" title={problem instanceof ApiProblem ? problem.title : 'Cannot search'} role="alert">
          {problem instanceof ApiProblem ? problem.readable() : problem}
        </Alert>
      )}
      {page && (
        <Text data-testid="contacts-total" className="figure" aria-live="polite">
          {pageRange(trail.length * PAGE_SIZE, page.items.length, total)}
        </Text>
      )}
      {page && page.items.length === 0 && (
        <Text>
          {isEmptySearch(applied)
            ? 'No contacts yet. Upload a list, or add one contact by hand from Upload a list.'
            : 'No contact matches this search. Names match whole words; try fewer filters.'}
        </Text>
      )}
      {page && page.items.length > 0 && (
        <Table striped highlightOnHover aria-label="Contacts found">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Phone</Table.Th>
              <Table.Th scope="col" visibleFrom="md">Email</Table.Th>
              <Table.Th scope="col" visibleFrom="lg">Groups</Table.Th>
              <Table.Th scope="col" visibleFrom="lg">Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {page.items.map((c) => (
              <Table.Tr key={c.id} data-contact-id={c.id}>
                <Table.Td>
                  <Anchor href={`/contacts/${c.id}`} onClick={open(c.id)}>
                    {displayName(c)}
                  </Anchor>
                  {c.data.tags.length > 0 && (
                    <Group gap={4} mt={2}>
                      {c.data.tags.map((t) => (
                        <Badge key={t} size="sm" variant="light" color="indigo" tt="none">
                          {t}
                        </Badge>
                      ))}
                    </Group>
                  )}
                  <Text size="xs" hiddenFrom="md" style={{ overflowWrap: 'anywhere' }}>
                    {c.data.emails[0] ?? ''}
                  </Text>
                </Table.Td>
                <Table.Td className="figure">{c.data.phones[0]?.e164 ?? '–'}</Table.Td>
                <Table.Td visibleFrom="md" style={{ overflowWrap: 'anywhere' }}>
                  {c.data.emails[0] ?? '–'}
                </Table.Td>
                <Table.Td visibleFrom="lg">
                  {c.group_ids.map((g) => groupName.get(g) ?? g).join(', ') || '–'}
                </Table.Td>
                <Table.Td visibleFrom="lg">{dateTime(c.updated_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {page && (trail.length > 0 || page.next_cursor) && (
        <Group>
          <Button
            variant="default"
            disabled={trail.length === 0 || loading}
            onClick={() => {
              const previous = trail[trail.length - 1] ?? null;
              setTrail(trail.slice(0, -1));
              void load(applied, previous);
            }}
          >
            Previous page
          </Button>
          <Button
            variant="default"
            disabled={!page.next_cursor || loading}
            onClick={() => {
              setTrail([...trail, cursor]);
              void load(applied, page.next_cursor);
            }}
          >
            Next page
          </Button>
        </Group>
      )}
    </Stack>
  );
}
