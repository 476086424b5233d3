import { useState } from 'react';
import { Badge, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { download } from '../api';
import { dateTime } from '../format';
import { DataTable, ProblemAlert, usePaged } from '../components/Outreach';
import { money, type IdvAttempt, type Payment } from '../outreach';

const PAYMENT_COLOURS: Record<string, string> = { succeeded: 'green', failed: 'red', pending: 'gray' };
const OUTCOME_COLOURS: Record<string, string> = { passed: 'green', failed: 'orange', locked: 'red', throttled: 'red' };

/** Payments customers made in the portal (with the CSV export) and the ID&V audit. */
export function PortalActivity() {
  const [typed, setTyped] = useState('');
  const [contactId, setContactId] = useState('');
  const payments = usePaged<Payment>('/v1/portal/payments', { contact_id: contactId });
  const attempts = usePaged<IdvAttempt>('/v1/portal/idv-attempts', { contact_id: contactId });

  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Payments and ID&V</Title>
      <form
        aria-label="Filter by contact"
        onSubmit={(e) => {
          e.preventDefault();
          setContactId(typed.trim());
        }}
      >
        <Group align="flex-end">
          <TextInput label="Contact id" description="Empty: every customer" value={typed} onChange={(e) => setTyped(e.currentTarget.value)} w={320} />
          <Button type="submit" variant="default">
            Filter
          </Button>
        </Group>
      </form>

      <Stack gap="sm" component="section" aria-labelledby="payments-title">
        <Group justify="space-between">
          <Title order={2} size="h3" id="payments-title">
            Payments
          </Title>
          <Button variant="default" onClick={() => void payments.act(() => download('/v1/portal/payments.csv', 'payments.csv'))}>
            Download every payment (CSV)
          </Button>
        </Group>
        <ProblemAlert error={payments.error} />
        <DataTable
          label="Payments, newest first"
          minWidth={760}
          columns={[{ label: 'Started' }, { label: 'Account' }, { label: 'Amount', right: true }, { label: 'Status' }, { label: 'Settled' }, { label: 'Reference' }, { label: 'Contact' }]}
          items={payments.items}
          empty="No payment yet. Customers' payments through their portal links appear here."
          row={(p) => (
            <Table.Tr key={p.payment_id} data-payment-id={p.payment_id}>
              <Table.Td>{dateTime(p.created_at)}</Table.Td>
              <Table.Td>{p.account_number}</Table.Td>
              <Table.Td ta="right" className="figure">{money(p.amount, p.currency)}</Table.Td>
              <Table.Td>
                <Badge variant="light" tt="none" color={PAYMENT_COLOURS[p.status] ?? 'gray'}>
                  {p.status}
                </Badge>
                {p.reason && <Text size="xs">{p.reason}</Text>}
              </Table.Td>
              <Table.Td>{dateTime(p.settled_at)}</Table.Td>
              <Table.Td>{p.provider_reference ?? '–'}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{p.contact_id}</Table.Td>
            </Table.Tr>
          )}
        />
        {payments.next && (
          <Button variant="default" w="fit-content" onClick={() => void payments.more()}>
            Show more payments
          </Button>
        )}
      </Stack>

      <Stack gap="sm" component="section" aria-labelledby="idv-title">
        <Title order={2} size="h3" id="idv-title">
          ID&V attempts
        </Title>
        <Text size="sm" c="gray.7">
          Every identity check a customer's link saw. The client address is a keyed digest, never the address itself.
        </Text>
        <ProblemAlert error={attempts.error} />
        <DataTable
          label="ID&V attempts, newest first"
          minWidth={640}
          columns={[{ label: 'When' }, { label: 'Outcome' }, { label: 'Contact' }, { label: 'Client (digest)' }]}
          items={attempts.items}
          empty="No identity check yet."
          row={(a) => (
            <Table.Tr key={a.attempt_id}>
              <Table.Td>{dateTime(a.at)}</Table.Td>
              <Table.Td>
                <Badge variant="light" tt="none" color={OUTCOME_COLOURS[a.outcome] ?? 'gray'}>
                  {a.outcome}
                </Badge>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{a.contact_id}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{a.address.slice(0, 16)}…</Table.Td>
            </Table.Tr>
          )}
        />
        {attempts.next && (
          <Button variant="default" w="fit-content" onClick={() => void attempts.more()}>
            Show more attempts
          </Button>
        )}
      </Stack>
    </Stack>
  );
}
