import { useState } from 'react';
import { Button, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { postJson, sendJson } from '../api';
import { dateTime } from '../format';
import { Confirm, DataTable, ProblemAlert, Saved, useAction, usePaged } from '../components/Outreach';
import { fieldMessage, reasonLabel, type Channel, type Suppression, type SuppressionHistory } from '../outreach';

const CHANNELS = [
  { value: 'email', label: 'Email' },
  { value: 'sms', label: 'SMS' },
];
const ADD_REASONS = [
  { value: 'unsubscribed', label: 'Unsubscribed' },
  { value: 'hard_bounce', label: 'Hard bounce' },
  { value: 'sms_opt_out', label: 'SMS opt-out' },
];
const LIST_REASONS = [
  ...ADD_REASONS,
  { value: 'no_consent', label: 'No consent' },
];

/** The tenant's suppression list: by channel and reason, add, lift after asking, and an
 * address's history. Addresses travel in request bodies only (never in a URL a log keeps). */
export function Suppressions() {
  const [channel, setChannel] = useState<string | null>(null);
  const [reason, setReason] = useState<string | null>(null);
  const { items, setItems, next, more, error, act } = usePaged<Suppression>('/v1/suppressions', { channel, reason }, 'next');
  const [lifting, setLifting] = useState<Suppression | null>(null);

  const added = (s: Suppression) =>
    setItems((xs) => [s, ...(xs ?? []).filter((x) => !(x.channel === s.channel && x.address === s.address))]);

  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Suppressions</Title>
      <Text>
        No campaign sends to an address on this list. Unsubscribes, STOP replies and hard bounces land here by
        themselves; add or lift one by hand below.
      </Text>
      <AddSuppression onAdded={added} />
      <ProblemAlert error={error} />
      <Title order={2} size="h4">
        Suppressed addresses
      </Title>
      <Group align="flex-end">
        <Select label="Show channel" data={CHANNELS} value={channel} onChange={setChannel} clearable placeholder="Every channel" w={180} />
        <Select label="Show reason" data={LIST_REASONS} value={reason} onChange={setReason} clearable placeholder="Every reason" w={200} />
      </Group>
      <DataTable
        label="Suppressed addresses"
        columns={[{ label: 'Address' }, { label: 'Channel' }, { label: 'Reason' }, { label: 'Since' }, { label: 'By' }, { label: 'Actions', hidden: true }]}
        items={items}
        empty={channel || reason ? 'No suppression matches these filters.' : 'No address is suppressed.'}
        row={(s) => (
          <Table.Tr key={`${s.channel}:${s.address}`} data-address={s.address}>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>{s.address}</Table.Td>
            <Table.Td>{s.channel === 'email' ? 'Email' : 'SMS'}</Table.Td>
            <Table.Td>{reasonLabel(s.reason)}</Table.Td>
            <Table.Td>{dateTime(s.at)}</Table.Td>
            <Table.Td>{s.by}</Table.Td>
            <Table.Td>
              <Button size="xs" variant="outline" color="red.9" onClick={() => setLifting(s)} aria-label={`Lift ${s.address}`}>
                Lift
              </Button>
            </Table.Td>
          </Table.Tr>
        )}
      />
      {next && (
        <Button variant="default" onClick={() => void more()} w="fit-content">
          Show more
        </Button>
      )}
      <HistoryLookup />
      <Confirm
        opened={lifting !== null}
        title={`Lift the suppression of ${lifting?.address ?? ''}?`}
        confirm="Lift it"
        onClose={() => setLifting(null)}
        onConfirm={() =>
          void act(async () => {
            const s = lifting!;
            setLifting(null);
            await sendJson('POST', '/v1/suppressions/remove', { channel: s.channel, address: s.address });
            setItems((xs) => (xs ?? []).filter((x) => x !== s));
          })
        }
      >
        Campaigns may send to this address again, if its contact consents. Only lift a suppression the person asked to
        lift.
      </Confirm>
    </Stack>
  );
}

function AddSuppression({ onAdded }: { onAdded: (s: Suppression) => void }) {
  const [channel, setChannel] = useState<Channel>('email');
  const [address, setAddress] = useState('');
  const [reason, setReason] = useState('unsubscribed');
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function add(e: React.FormEvent) {
    e.preventDefault();
    setProblem(null);
    setDone(null);
    if (!address.trim()) {
      setProblem(channel === 'email' ? 'Write the email address.' : 'Write the phone number.');
      return;
    }
    try {
      const s = await postJson<Suppression>('/v1/suppressions', { channel, address: address.trim(), reason });
      onAdded(s);
      setAddress('');
      setDone(`${s.address} is suppressed.`);
    } catch (err) {
      setProblem(fieldMessage(err, 'address'));
    }
  }

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="add-suppression-title">
      <Title order={2} size="h4" id="add-suppression-title" mb="sm">
        Suppress an address
      </Title>
      <form onSubmit={add} aria-label="Suppress an address" noValidate>
        <SimpleGrid cols={{ base: 1, sm: 4 }} verticalSpacing="xs">
          <Select label="Channel" data={CHANNELS} value={channel} onChange={(v) => setChannel((v as Channel) ?? 'email')} allowDeselect={false} />
          <TextInput
            label={channel === 'email' ? 'Email address' : 'Phone number'}
            value={address}
            onChange={(e) => setAddress(e.currentTarget.value)}
            error={problem}
            type={channel === 'email' ? 'email' : 'tel'}
          />
          <Select label="Reason" data={ADD_REASONS} value={reason} onChange={(v) => setReason(v ?? 'unsubscribed')} allowDeselect={false} />
          <Button type="submit" mt={{ base: 0, sm: 25 }}>
            Suppress
          </Button>
        </SimpleGrid>
        <Saved shown={done !== null}>{done}</Saved>
      </form>
    </Paper>
  );
}

function HistoryLookup() {
  const [channel, setChannel] = useState<Channel>('email');
  const [address, setAddress] = useState('');
  const [history, setHistory] = useState<SuppressionHistory | null>(null);
  const [error, act] = useAction();

  async function look(e: React.FormEvent) {
    e.preventDefault();
    if (!address.trim()) return;
    await act(async () => setHistory(await postJson<SuppressionHistory>('/v1/suppressions/history', { channel, address: address.trim() })));
  }

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="suppression-history-title">
      <Title order={2} size="h4" id="suppression-history-title" mb="sm">
        An address's history
      </Title>
      <form onSubmit={look} aria-label="Look up an address's history" noValidate>
        <SimpleGrid cols={{ base: 1, sm: 3 }} verticalSpacing="xs">
          <Select label="History channel" data={CHANNELS} value={channel} onChange={(v) => setChannel((v as Channel) ?? 'email')} allowDeselect={false} />
          <TextInput label="Address to look up" value={address} onChange={(e) => setAddress(e.currentTarget.value)} />
          <Button type="submit" variant="default" mt={{ base: 0, sm: 25 }}>
            Show the history
          </Button>
        </SimpleGrid>
      </form>
      <ProblemAlert error={error} title="No history" />
      {history &&
        (history.changes.length === 0 ? (
          <Text mt="sm">{history.address} was never suppressed on this channel.</Text>
        ) : (
          <Table aria-label={`History of ${history.address}`} mt="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>What</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>By</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {history.changes.map((c) => (
                <Table.Tr key={`${c.at}-${c.action}`}>
                  <Table.Td>{dateTime(c.at)}</Table.Td>
                  <Table.Td>{c.action === 'suppressed' ? 'Suppressed' : 'Lifted'}</Table.Td>
                  <Table.Td>{reasonLabel(c.reason)}</Table.Td>
                  <Table.Td>{c.by}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Paper>
  );
}
