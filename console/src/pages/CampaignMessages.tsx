import { useState } from 'react';
import { Anchor, Button, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { download, postJson } from '../api';
import { dateTime } from '../format';
import { navigate } from '../router';
import { DataTable, ProblemAlert, ShowMore, readable, usePaged } from '../components/Outreach';
import {
  MESSAGE_STATES, campaignFilePath, canRetry, messageWhy,
  type Campaign, type CampaignMessage, type MessageState,
} from '../outreach';

const ALL = 'all';
const attemptsText = (n: number) => `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
const STATE_OPTIONS = [
  { value: ALL, label: 'Every state' },
  ...Object.entries(MESSAGE_STATES).map(([value, label]) => ({ value, label })),
];

/** A campaign's ledger, one message per contact: filtered by state, read page by page, a
 * failed one retried; and the campaign file (its audience with their portal URLs). */
export function CampaignMessages({ campaign, onRetried }: { campaign: Campaign; onRetried: () => void }) {
  const [state, setState] = useState<string>(ALL);
  const { items, setItems, next, more, error } = usePaged<CampaignMessage>(
    `/v1/campaigns/${encodeURIComponent(campaign.id)}/messages`,
    { state: state === ALL ? null : state },
  );
  const [refusal, setRefusal] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);

  const retry = async (m: CampaignMessage) => {
    setRefusal(null);
    try {
      const retried = await postJson<CampaignMessage>(
        `/v1/campaigns/${encodeURIComponent(campaign.id)}/messages/${encodeURIComponent(m.id)}/retry`,
        {},
      );
      setItems((xs) => xs?.map((x) => (x.id === retried.id ? retried : x)) ?? xs);
      onRetried();
    } catch (err) {
      setRefusal(readable(err));
    }
  };

  const save = (format: 'csv' | 'xlsx') =>
    void download(campaignFilePath(campaign.id, format), `campaign-file.${format}`)
      .then(() => setDownloadError(null))
      .catch((err: unknown) => setDownloadError(readable(err)));

  return (
    <Stack gap="sm" component="section" aria-labelledby="campaign-ledger-title">
      <Group justify="space-between" align="flex-end" gap="xs">
        <Title order={2} size="h3" id="campaign-ledger-title">
          One message per contact
        </Title>
        <Select
          label="State"
          data={STATE_OPTIONS}
          value={state}
          onChange={(v) => setState(v ?? ALL)}
          allowDeselect={false}
          w={240}
          maw="100%"
        />
      </Group>
      <ProblemAlert error={error} />
      <ProblemAlert error={refusal} title="Not retried" />
      <DataTable
        label="Messages of the campaign"
        columns={[
          { label: 'Contact' },
          { label: 'State' },
          { label: 'Why' },
          { label: 'Attempts', right: true, visibleFrom: 'lg' },
          { label: 'Sent', visibleFrom: 'lg' },
          { label: 'Actions', hidden: true },
        ]}
        items={items}
        // Fits a tablet and a phone without scrolling: attempts and the time sent move under
        // the contact below the lg breakpoint, and long ids and errors wrap.
        minWidth={0}
        empty={state === ALL ? 'No message yet: the campaign has not targeted anyone.' : 'No message in this state.'}
        row={(m) => (
          <Table.Tr key={m.id} data-message-id={m.id} data-state={m.state}>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>
              <Anchor
                href={`/contacts/${m.contact_id}`}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/contacts/${m.contact_id}`);
                }}
                size="sm"
              >
                {m.contact_id}
              </Anchor>
              <Text size="xs" c="gray.7" hiddenFrom="lg" className="figure">
                {attemptsText(m.attempts)}
                {m.sent_at ? `, sent ${dateTime(m.sent_at)}` : ''}
              </Text>
            </Table.Td>
            <Table.Td>{MESSAGE_STATES[m.state as MessageState] ?? m.state}</Table.Td>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{messageWhy(m)}</Table.Td>
            <Table.Td ta="right" className="figure" visibleFrom="lg">
              {m.attempts}
            </Table.Td>
            <Table.Td visibleFrom="lg">{m.sent_at ? dateTime(m.sent_at) : ''}</Table.Td>
            <Table.Td>
              {canRetry(m, campaign) && (
                <Button size="xs" variant="default" onClick={() => void retry(m)} aria-label={`Retry the message to ${m.contact_id}`}>
                  Retry
                </Button>
              )}
            </Table.Td>
          </Table.Tr>
        )}
      />
      <ShowMore next={next} more={more} />
      <Text size="sm">
        The campaign file lists the customers of its audience once each, with their portal URLs (no national id).
      </Text>
      <Group gap="xs">
        <Button variant="default" onClick={() => save('csv')}>
          Download the campaign file (CSV)
        </Button>
        <Button variant="default" onClick={() => save('xlsx')}>
          Download the campaign file (XLSX)
        </Button>
      </Group>
      <ProblemAlert error={downloadError} title="Not downloaded" />
    </Stack>
  );
}
