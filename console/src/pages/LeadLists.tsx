import { useCallback, useEffect, useState } from 'react';
import {
  ActionIcon, Alert, Badge, Button, Group, List, Modal, Paper, SimpleGrid, Stack, Switch, Table,
  Text, TextInput, Title,
} from '@mantine/core';
import { ApiProblem, getJson, postJson, sendJson } from '../api';
import { count } from '../format';
import { CountsGrid } from '../components/CountsGrid';
import { campaignSides, listNameProblem, type Campaign, type LeadList, type LeadStats } from '../leadLists';

const readable = (err: unknown) => (err instanceof ApiProblem ? err.readable() : String(err));

/** The dialer's lead lists: enable, create, edit, delete, campaigns, stats and reset. */
export function LeadLists() {
  const [lists, setLists] = useState<LeadList[] | null>(null);
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [stats, setStats] = useState<Record<string, LeadStats>>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [newName, setNewName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [page, camps] = await Promise.all([
        getJson<{ items: LeadList[] }>('/v1/lead-lists?limit=500'),
        getJson<{ items: Campaign[] }>('/v1/dialer-campaigns?limit=500'),
      ]);
      setLists(page.items);
      setCampaigns(camps.items);
      const counted = await Promise.all(
        page.items.map(async (l) => [l.id, await getJson<LeadStats>(`/v1/lead-lists/${l.id}/stats`)] as const),
      );
      // Counts set meanwhile (a list created or refreshed while these loaded) are newer.
      setStats((s) => ({ ...Object.fromEntries(counted), ...s }));
    } catch (err) {
      setError(readable(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const replace = (item: LeadList) =>
    setLists((ls) => (ls ?? []).map((l) => (l.id === item.id ? item : l)));

  async function act(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(readable(err));
    }
  }

  async function create(e: React.FormEvent) {
    e.preventDefault();
    const problem = listNameProblem(newName, lists ?? []);
    setNameError(problem);
    if (problem) return;
    try {
      const made = await postJson<LeadList>('/v1/lead-lists', { name: newName.trim() });
      setLists((ls) => [...(ls ?? []), made]);
      setStats((s) => ({ ...s, [made.id]: { total: 0, new: 0, queued: 0, deferred: 0, dialed: 0, completed: 0, dnc: 0 } }));
      setNewName('');
      setSelected(made.id);
    } catch (err) {
      setNameError(err instanceof ApiProblem ? (err.forField('name') ?? err.readable()) : String(err));
    }
  }

  const chosen = lists?.find((l) => l.id === selected) ?? null;
  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Lead lists</Title>
      <form onSubmit={create} aria-label="Create a lead list">
        <Group align="flex-start">
          <TextInput
            label="New list name"
            value={newName}
            onChange={(e) => setNewName(e.currentTarget.value)}
            error={nameError}
            w={320}
            // Until the lists have loaded, a list created here would be overwritten by the
            // answer still on its way (and its name could not be checked against the others).
            disabled={lists === null}
          />
          <Button type="submit" mt={25} disabled={lists === null}>
            Create the list
          </Button>
        </Group>
      </form>
      {error && (
        <Alert color="red" title="Something went wrong" role="alert">
          {error}
        </Alert>
      )}
      {lists === null ? (
        <Text>Loading…</Text>
      ) : lists.length === 0 ? (
        <Text>No lead lists yet. Create one above, or upload a file into a new list.</Text>
      ) : (
        // Below the md breakpoint (a tablet, with the menu beside it) the campaigns move under
        // the list's name, so the table fits its box instead of scrolling inside it.
        <Table.ScrollContainer minWidth={0}>
          <Table aria-label="Lead lists" striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>List</Table.Th>
                <Table.Th>Enabled</Table.Th>
                <Table.Th ta="right">Leads</Table.Th>
                <Table.Th visibleFrom="md">Campaigns</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lists.map((l) => (
                <Table.Tr key={l.id} data-list-id={l.id}>
                  <Table.Td>
                    <Button variant="subtle" px={4} onClick={() => setSelected(l.id)} aria-pressed={selected === l.id}>
                      {l.name}
                    </Button>
                    <Group gap={4} hiddenFrom="md">
                      <CampaignBadges list={l} campaigns={campaigns} />
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      aria-label={`${l.name} enabled`}
                      checked={l.enabled}
                      onChange={(e) => {
                        const enabled = e.currentTarget.checked;
                        void act(async () => {
                          const item = await sendJson<LeadList>('PATCH', `/v1/lead-lists/${l.id}`, { enabled });
                          if (item) replace(item);
                        });
                      }}
                    />
                  </Table.Td>
                  <Table.Td ta="right" className="figure" data-figure="leads">
                    {count(stats[l.id]?.total)}
                  </Table.Td>
                  <Table.Td visibleFrom="md">
                    <CampaignBadges list={l} campaigns={campaigns} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {chosen && (
        <ListPanel
          key={chosen.id}
          list={chosen}
          lists={lists ?? []}
          campaigns={campaigns}
          stats={stats[chosen.id]}
          onChange={replace}
          onStats={(s) => setStats((all) => ({ ...all, [chosen.id]: s }))}
          onDeleted={() => {
            setLists((ls) => (ls ?? []).filter((l) => l.id !== chosen.id));
            setSelected(null);
          }}
        />
      )}
    </Stack>
  );
}

function CampaignBadges({ list, campaigns }: { list: LeadList; campaigns: Campaign[] }) {
  return campaignSides(list, campaigns).assigned.map((c) => (
    <Badge key={c.id} variant="light" color="indigo" tt="none" mr={4}>
      {c.name}
    </Badge>
  ));
}

interface PanelProps {
  list: LeadList;
  lists: LeadList[];
  campaigns: Campaign[];
  stats: LeadStats | undefined;
  onChange: (list: LeadList) => void;
  onStats: (stats: LeadStats) => void;
  onDeleted: () => void;
}

/** One list: its name and description, its campaigns (arrows), its counts, reset, delete. */
function ListPanel({ list, lists, campaigns, stats, onChange, onStats, onDeleted }: PanelProps) {
  const [name, setName] = useState(list.name);
  const [description, setDescription] = useState(list.description ?? '');
  const [nameError, setNameError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<'delete' | 'reset' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { assigned, available } = campaignSides(list, campaigns);

  async function act(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(readable(err));
    }
  }

  const refreshStats = async () => onStats(await getJson<LeadStats>(`/v1/lead-lists/${list.id}/stats`));

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const problem = listNameProblem(name, lists, list.id);
    setNameError(problem);
    setSaved(false);
    if (problem) return;
    await act(async () => {
      const item = await sendJson<LeadList>('PATCH', `/v1/lead-lists/${list.id}`, {
        name: name.trim(),
        description: description.trim() || null,
      });
      if (item) onChange(item);
      setSaved(true);
    });
  }

  const move = (campaign: Campaign, assign: boolean) =>
    act(async () => {
      const item = await sendJson<LeadList>(assign ? 'PUT' : 'DELETE', `/v1/lead-lists/${list.id}/campaigns/${campaign.id}`);
      if (item) onChange(item);
    });

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="list-panel-title">
      <Stack gap="md">
        <Title order={2} size="h3" id="list-panel-title">
          {list.name}
        </Title>
        <form onSubmit={save} aria-label="Edit the list">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} />
            <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          </SimpleGrid>
          <Group mt="sm">
            <Button type="submit" variant="default">
              Save
            </Button>
            {saved && (
              <Text size="sm" role="status">
                Saved.
              </Text>
            )}
          </Group>
        </form>

        <Title order={3} size="h4">
          Dialer campaigns
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <div>
            <Text fw={600} size="sm" id="available-title">
              Not assigned
            </Text>
            <List listStyleType="none" aria-labelledby="available-title" spacing={4}>
              {available.length === 0 && <List.Item c="gray.7" fz="sm">No other campaign.</List.Item>}
              {available.map((c) => (
                <List.Item key={c.id}>
                  <Group gap="xs">
                    <ActionIcon variant="light" aria-label={`Assign ${c.name}`} onClick={() => move(c, true)}>
                      →
                    </ActionIcon>
                    <Text size="sm">{c.name}</Text>
                  </Group>
                </List.Item>
              ))}
            </List>
          </div>
          <div>
            <Text fw={600} size="sm" id="assigned-title">
              Assigned
            </Text>
            <List listStyleType="none" aria-labelledby="assigned-title" spacing={4}>
              {assigned.length === 0 && <List.Item c="gray.7" fz="sm">No campaign calls this list.</List.Item>}
              {assigned.map((c) => (
                <List.Item key={c.id}>
                  <Group gap="xs">
                    <ActionIcon variant="light" aria-label={`Unassign ${c.name}`} onClick={() => move(c, false)}>
                      ←
                    </ActionIcon>
                    <Text size="sm">{c.name}</Text>
                  </Group>
                </List.Item>
              ))}
            </List>
          </div>
        </SimpleGrid>

        <Group justify="space-between">
          <Title order={3} size="h4">
            Leads
          </Title>
          <Button variant="subtle" onClick={() => act(refreshStats)}>
            Refresh the counts
          </Button>
        </Group>
        <CountsGrid
          label="Leads by status"
          figures={[
            { label: 'Total', value: stats?.total },
            { label: 'New', value: stats?.new },
            { label: 'Queued', value: stats?.queued },
            { label: 'Dialed', value: stats?.dialed },
            { label: 'Completed', value: stats?.completed },
            { label: 'Do not call', value: stats?.dnc },
          ]}
        />
        {error && (
          <Alert color="red" title="Something went wrong" role="alert">
            {error}
          </Alert>
        )}
        <Group>
          <Button variant="default" onClick={() => setConfirm('reset')}>
            Reset: call every lead again
          </Button>
          <Button color="red" variant="outline" onClick={() => setConfirm('delete')}>
            Delete the list
          </Button>
        </Group>
      </Stack>
      <Modal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={confirm === 'delete' ? `Delete ${list.name}?` : `Reset ${list.name}?`}
      >
        <Text size="sm">
          {confirm === 'delete'
            ? `The list and its ${count(stats?.total ?? 0)} leads are deleted. This cannot be undone.`
            : 'Every lead of the list is set to be called again.'}
        </Text>
        <Group mt="md" justify="flex-end">
          <Button variant="default" onClick={() => setConfirm(null)}>
            Keep it
          </Button>
          <Button
            color={confirm === 'delete' ? 'red.8' : 'blue.8'}
            onClick={() =>
              act(async () => {
                if (confirm === 'delete') {
                  await sendJson('DELETE', `/v1/lead-lists/${list.id}`);
                  setConfirm(null);
                  onDeleted();
                } else {
                  const item = await postJson<LeadList>(`/v1/lead-lists/${list.id}/reset`, {});
                  onChange(item);
                  await refreshStats();
                  setConfirm(null);
                }
              })
            }
          >
            {confirm === 'delete' ? 'Delete' : 'Reset'}
          </Button>
        </Group>
      </Modal>
    </Paper>
  );
}
