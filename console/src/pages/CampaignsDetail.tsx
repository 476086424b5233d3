import { useCallback, useEffect, useState } from 'react';
import { Anchor, Button, Group, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { getJson, postJson, sendJson } from '../api';
import { count, dateTime } from '../format';
import { navigate } from '../router';
import { CountsGrid } from '../components/CountsGrid';
import { Confirm, PageLoading, ProblemAlert, useAction } from '../components/Outreach';
import {
  commands, progressPercent, reasonLabel, statsAddUp, statusSentence, stillSending, suppressedTotal,
  type Campaign, type CampaignStats, type MessageTemplate,
} from '../outreach';
import { CampaignStatusBadge, triggerText } from './Campaigns';
import { CampaignMessages } from './CampaignMessages';
import { CampaignsForm } from './CampaignsForm';

const REFRESH_MS = 2000;
const LABELS = { send: 'Send now', pause: 'Pause', resume: 'Resume', cancel: 'Cancel the campaign' } as const;

/** One campaign: its settings, the commands its status allows, and stats that add up,
 * refreshed while it sends. */
export function CampaignsDetail({ id }: { id: string }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [stats, setStats] = useState<CampaignStats | null>(null);
  const [template, setTemplate] = useState<MessageTemplate | null>(null);
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState<'cancel' | 'delete' | null>(null);
  const [error, act] = useAction();

  const load = useCallback(async () => {
    const [c, s] = await Promise.all([
      getJson<Campaign>(`/v1/campaigns/${id}`),
      getJson<CampaignStats>(`/v1/campaigns/${id}/stats`),
    ]);
    setCampaign(c);
    setStats(s);
    return c;
  }, [id]);

  useEffect(() => {
    void act(async () => {
      const c = await load();
      setTemplate(await getJson<MessageTemplate>(`/v1/message-templates/${c.template_id}`).catch(() => null));
    });
  }, [act, load]);

  const live = campaign !== null && stillSending(campaign, stats);
  // Read again while sending, also once every message is out: the sender marks the campaign
  // completed on its next pass, and the page shows it.
  const refreshing = campaign?.status === 'sending';
  useEffect(() => {
    if (!refreshing) return;
    const timer = setInterval(() => void load().catch(() => {}), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshing, load]);

  if (!campaign) return <PageLoading title="Campaign" error={error} />;

  const run = (command: 'send' | 'pause' | 'resume' | 'cancel') =>
    act(async () => {
      setCampaign(await postJson<Campaign>(`/v1/campaigns/${id}/${command}`, {}));
      await load();
    });

  const percent = stats ? progressPercent(stats) : 0;
  return (
    <Stack gap="lg" maw={1100}>
      <Anchor
        href="/campaigns"
        onClick={(e) => {
          e.preventDefault();
          navigate('/campaigns');
        }}
        size="sm"
      >
        ← All campaigns
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Title order={1}>{campaign.name}</Title>
          <Group gap="xs">
            <CampaignStatusBadge status={campaign.status} />
            <Text size="sm">
              {campaign.channel === 'email' ? 'Email' : 'SMS'} · {triggerText(campaign)} · template{' '}
              {template?.name ?? campaign.template_id} · {campaign.send_rate} messages/s
            </Text>
          </Group>
          <Text size="sm" c="gray.7">
            Audience: {campaign.audience.groups.length ? `groups ${campaign.audience.groups.join(', ')}` : ''}
            {campaign.audience.upload_id ? ` upload ${campaign.audience.upload_id}` : ''}
            {campaign.audience.tags.length ? ` · tags ${campaign.audience.tags.join(', ')}` : ''} · created{' '}
            {dateTime(campaign.created_at)}
            {campaign.triggered_at ? ` · started ${dateTime(campaign.triggered_at)}` : ''}
            {campaign.finished_at ? ` · finished ${dateTime(campaign.finished_at)}` : ''}
          </Text>
        </Stack>
        <Group gap="xs">
          {commands(campaign.status).map((c) => (
            <Button
              key={c}
              variant={c === 'send' ? 'filled' : c === 'cancel' ? 'outline' : 'default'}
              color={c === 'cancel' ? 'red.9' : undefined}
              onClick={() => (c === 'cancel' ? setConfirm('cancel') : void run(c))}
            >
              {LABELS[c]}
            </Button>
          ))}
          {campaign.status === 'draft' && !editing && (
            <Button variant="default" onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
          {campaign.status === 'draft' && (
            <Button variant="outline" color="red.9" onClick={() => setConfirm('delete')}>
              Delete
            </Button>
          )}
        </Group>
      </Group>
      <ProblemAlert error={error} />

      {editing && campaign.status === 'draft' && (
        <Paper withBorder p="md" component="section" aria-labelledby="campaign-edit-title">
          <Title order={2} size="h3" id="campaign-edit-title" mb="sm">
            Edit the draft
          </Title>
          <CampaignsForm
            campaign={campaign}
            onSaved={(c) => {
              setCampaign(c);
              setEditing(false);
            }}
          />
        </Paper>
      )}

      <Stack gap="sm" component="section" aria-labelledby="campaign-stats-title">
        <Group justify="space-between">
          <Title order={2} size="h3" id="campaign-stats-title">
            Messages
          </Title>
          <Text size="sm" c="gray.7" aria-live="polite">
            {live ? 'Sending: refreshed every 2 seconds.' : statusSentence(campaign, dateTime)}
          </Text>
        </Group>
        <div>
          <Group justify="space-between" mb={4}>
            <Text size="sm" aria-hidden="true">
              Done with
            </Text>
            <Text size="sm" className="figure" data-testid="campaign-percent">
              {percent}%
            </Text>
          </Group>
          <Progress value={percent} size="lg" aria-label="Messages done with" animated={live} />
        </div>
        <CountsGrid
          label="Campaign messages"
          figures={[
            { label: 'Targeted', value: stats?.targeted },
            { label: 'Suppressed', value: stats ? suppressedTotal(stats) : undefined },
            { label: 'Pending', value: stats?.pending },
            { label: 'Deferred', value: stats?.deferred },
            { label: 'Sent', value: stats?.sent },
            { label: 'Delivered', value: stats?.delivered },
            { label: 'Failed', value: stats?.failed, color: stats?.failed ? 'red.9' : undefined },
            { label: 'Cancelled', value: stats?.cancelled },
            { label: 'Unsubscribed', value: stats?.unsubscribed },
          ]}
        />
        {stats && (
          <>
            <Text size="sm" data-testid="stats-sum">
              {count(stats.targeted)} targeted = {count(suppressedTotal(stats))} suppressed + {count(stats.sent)} sent +{' '}
              {count(stats.failed)} failed + {count(stats.pending)} pending + {count(stats.cancelled)} cancelled (
              {count(stats.deferred)} of the pending deferred to the sending window); {count(stats.delivered)} of the
              sent are confirmed delivered.
              {!statsAddUp(stats) && ' (The figures were read while changing; they settle on the next refresh.)'}
            </Text>
            <CountsGrid
              label="Suppressed by reason"
              figures={Object.entries(stats.suppressed).map(([reason, n]) => ({ label: reasonLabel(reason), value: n }))}
            />
          </>
        )}
      </Stack>

      {/* Read again from the first page when the status moves (a send completing). */}
      <CampaignMessages key={campaign.status} campaign={campaign} onRetried={() => void load().catch(() => {})} />

      <Confirm
        opened={confirm !== null}
        title={confirm === 'cancel' ? `Cancel ${campaign.name}?` : `Delete ${campaign.name}?`}
        confirm={confirm === 'cancel' ? 'Cancel the campaign' : 'Delete'}
        keep="Keep it"
        onClose={() => setConfirm(null)}
        onConfirm={() => {
          const what = confirm;
          setConfirm(null);
          if (what === 'cancel') void run('cancel');
          else
            void act(async () => {
              await sendJson('DELETE', `/v1/campaigns/${id}`);
              navigate('/campaigns');
            });
        }}
      >
        {confirm === 'cancel'
          ? 'No further message of it is sent; what was sent stays recorded. A cancelled campaign cannot be resumed.'
          : 'The draft is deleted. This cannot be undone.'}
      </Confirm>
    </Stack>
  );
}
