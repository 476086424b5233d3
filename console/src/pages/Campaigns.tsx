import { useEffect, useState } from 'react';
import { Anchor, Badge, Button, Group, Paper, Stack, Table, Title } from '@mantine/core';
import { getJson } from '../api';
import { count, dateTime } from '../format';
import { navigate } from '../router';
import { DataTable, ProblemAlert, useAction } from '../components/Outreach';
import type { Campaign, CampaignStats, CampaignStatus } from '../outreach';
import { CampaignsForm } from './CampaignsForm';

const STATUS: Record<CampaignStatus, { color: string; label: string }> = {
  draft: { color: 'gray', label: 'Draft' },
  sending: { color: 'blue', label: 'Sending' },
  paused: { color: 'orange', label: 'Paused' },
  completed: { color: 'green', label: 'Completed' },
  cancelled: { color: 'red', label: 'Cancelled' },
};

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  const look = STATUS[status] ?? { color: 'gray', label: status };
  return (
    <Badge color={look.color} variant="light" tt="none" data-campaign-status={status}>
      {look.label}
    </Badge>
  );
}

const TRIGGERS: Record<string, string> = {
  manual: 'On Send',
  list_ready: 'List ready',
  now: 'At creation',
  schedule: 'Scheduled',
};

export function triggerText(c: Campaign): string {
  return c.trigger.on === 'schedule' ? `Scheduled for ${dateTime(c.trigger.at)}` : (TRIGGERS[c.trigger.on] ?? c.trigger.on);
}

const go = (path: string) => (e: React.MouseEvent) => {
  e.preventDefault();
  navigate(path);
};

/** Every campaign with its status, trigger and how far it has sent. */
export function Campaigns() {
  const [items, setItems] = useState<Campaign[] | null>(null);
  const [stats, setStats] = useState<Record<string, CampaignStats>>({});
  const [error, act] = useAction();

  useEffect(() => {
    void act(async () => {
      const page = await getJson<{ items: Campaign[] }>('/v1/campaigns');
      // Newest first: the API lists oldest first.
      const newest = [...page.items].reverse();
      setItems(newest);
      const counted = await Promise.all(
        newest.map(async (c) => [c.id, await getJson<CampaignStats>(`/v1/campaigns/${c.id}/stats`)] as const),
      );
      setStats(Object.fromEntries(counted));
    });
  }, [act]);

  return (
    <Stack gap="lg" maw={1100}>
      <Group justify="space-between">
        <Title order={1}>Campaigns</Title>
        <Button component="a" href="/campaigns/new" onClick={go('/campaigns/new')}>
          New campaign
        </Button>
      </Group>
      <ProblemAlert error={error} />
      <DataTable
        label="Campaigns, newest first"
        minWidth={720}
        columns={[{ label: 'Campaign' }, { label: 'Channel' }, { label: 'Status' }, { label: 'Trigger' }, { label: 'Targeted', right: true }, { label: 'Sent', right: true }, { label: 'Failed', right: true }, { label: 'Created' }]}
        items={items}
        empty="No campaigns yet. Create a message template first, then a campaign that sends it to a group."
        row={(c) => (
          <Table.Tr key={c.id} data-campaign-id={c.id}>
            <Table.Td>
              <Anchor href={`/campaigns/${c.id}`} onClick={go(`/campaigns/${c.id}`)}>
                {c.name}
              </Anchor>
            </Table.Td>
            <Table.Td>{c.channel === 'email' ? 'Email' : 'SMS'}</Table.Td>
            <Table.Td>
              <CampaignStatusBadge status={c.status} />
            </Table.Td>
            <Table.Td>{triggerText(c)}</Table.Td>
            <Table.Td ta="right" className="figure">{count(stats[c.id]?.targeted)}</Table.Td>
            <Table.Td ta="right" className="figure">{count(stats[c.id]?.sent)}</Table.Td>
            <Table.Td ta="right" className="figure">{count(stats[c.id]?.failed)}</Table.Td>
            <Table.Td>{dateTime(c.created_at)}</Table.Td>
          </Table.Tr>
        )}
      />
    </Stack>
  );
}

/** A new campaign; once created, its page. */
export function CampaignsNew() {
  return (
    <Stack gap="lg" maw={900}>
      <Title order={1}>New campaign</Title>
      <Paper withBorder p="md">
        <CampaignsForm onSaved={(c) => navigate(`/campaigns/${c.id}`)} />
      </Paper>
    </Stack>
  );
}
