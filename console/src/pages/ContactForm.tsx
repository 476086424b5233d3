import { useEffect, useState } from 'react';
import {
  Alert, Anchor, Button, Group, MultiSelect, Paper, Select, SimpleGrid, Stack, TagsInput, Text, TextInput, Title,
} from '@mantine/core';
import { ApiProblem, getJson, sendJson } from '../api';
import { navigate } from '../router';
import { displayName, maskedId } from '../contacts';
import {
  EMPTY_ACCOUNT, SECRET_FIELDS, TEXT_FIELDS, createBody, emptyForm, formOf, formProblems, listProblem, updateBody,
  type AccountRow, type Channel, type Consent, type ContactFormValues, type TextField,
} from '../contactForm';
import { fieldLabel } from '../wizard';
import type { Contact, Label } from '../types';

const CONSENTS: { value: Consent; label: string }[] = [
  { value: 'unknown', label: 'Not recorded' },
  { value: 'given', label: 'Given' },
  { value: 'refused', label: 'Refused' },
];
const CHANNELS: { channel: Channel; label: string }[] = [
  { channel: 'email', label: 'Email consent' },
  { channel: 'sms', label: 'SMS consent' },
  { channel: 'call', label: 'Call consent' },
];
const HINTS: Partial<Record<TextField, string>> = {
  date_of_birth: 'YYYY-MM-DD',
  country: 'Two letters or the name, e.g. US',
  time_zone: 'e.g. Europe/Madrid',
};

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" component="fieldset" style={{ margin: 0, minWidth: 0 }}>
      <Title order={2} size="h4" mb="sm" component="legend" px={4}>
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** Add a contact (POST /v1/contacts, matched like an upload's row) or edit one (PATCH with
 * the version read, only the fields changed); each refusal is shown under its field. */
export function ContactForm({ id }: { id?: string }) {
  const [contact, setContact] = useState<Contact | null>(null);
  const [before, setBefore] = useState<ContactFormValues>(emptyForm);
  const [form, setForm] = useState<ContactFormValues>(emptyForm);
  const [groups, setGroups] = useState<Label[]>([]);
  const [tags, setTags] = useState<Label[]>([]);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    getJson<{ items: Label[] }>('/v1/groups?limit=1000').then((p) => setGroups(p.items), () => setGroups([]));
    getJson<{ items: Label[] }>('/v1/tags?limit=1000').then((p) => setTags(p.items), () => setTags([]));
    if (!id) return;
    getJson<Contact>(`/v1/contacts/${id}`).then(
      (c) => {
        setContact(c);
        setBefore(formOf(c));
        setForm(formOf(c));
      },
      (err) => setLoadProblem(err instanceof ApiProblem ? err.readable() : String(err)),
    );
  }, [id]);

  const editing = id !== undefined;
  const title = editing ? (contact ? `Edit ${displayName(contact)}` : 'Edit the contact') : 'Add a contact';
  const backTo = editing ? `/contacts/${id}` : '/contacts';
  const back = (
    <Anchor
      href={backTo}
      onClick={(e) => {
        e.preventDefault();
        navigate(backTo);
      }}
    >
      {editing ? 'Back to the contact' : 'Back to the contacts'}
    </Anchor>
  );
  if (loadProblem) {
    return (
      <Stack gap="md" maw={1100}>
        <Title order={1}>{title}</Title>
        <Alert color="red" title="Cannot show the contact" role="alert">
          {loadProblem}
        </Alert>
        {back}
      </Stack>
    );
  }
  if (editing && !contact) return <Text>Loading…</Text>;

  const change = (next: Partial<ContactFormValues>, ...cleared: string[]) => {
    setForm((f) => ({ ...f, ...next }));
    if (cleared.length) setFields((p) => Object.fromEntries(Object.entries(p).filter(([k]) => !cleared.some((c) => k === c || k.startsWith(`${c}.`)))));
  };
  const setText = (k: TextField, v: string) => change({ text: { ...form.text, [k]: v } }, k === 'document_number' ? 'document' : k, k);
  const setAccount = (i: number, next: Partial<AccountRow>) =>
    change({ accounts: form.accounts.map((a, j) => (j === i ? { ...a, ...next } : a)) }, `accounts.${i}`);

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setProblem(null);
    setFields({});
    const body = editing ? updateBody(before, form, contact!.version) : createBody(form);
    if (body === null) {
      navigate(backTo);
      return;
    }
    setBusy(true);
    try {
      const saved = editing
        ? await sendJson<Contact>('PATCH', `/v1/contacts/${id}`, body)
        : await sendJson<Contact>('POST', '/v1/contacts', body);
      navigate(`/contacts/${saved!.id}`);
    } catch (err) {
      const found = formProblems(err);
      setFields(found.fields);
      if (err instanceof ApiProblem && err.status === 409) {
        setProblem(`${err.detail ?? err.title}. Go back to the contact to see its latest version.`);
      } else {
        setProblem(found.rest ?? 'Some fields need a change: see the messages under them.');
      }
      setBusy(false);
    }
  }

  const secretHint = (k: TextField) => {
    const stored = k === 'ssn' ? contact?.data.ssn : contact?.data.document;
    const last = stored ? `Stored: ${maskedId(stored)}. ` : '';
    return `${last}Typed in clear, then shown by its last four only${stored ? '; leave blank to keep it' : ''}.`;
  };
  const textError = (k: TextField) => fields[k] ?? (k === 'document_number' ? fields.document : undefined);

  return (
    <form onSubmit={save} aria-label={title} noValidate>
      <Stack gap="md" maw={1100}>
        {back}
        <Title order={1}>{title}</Title>
        <Section title="Who">
          <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
            <Select
              label="Customer type"
              data={[
                { value: 'person', label: 'Person' },
                { value: 'company', label: 'Company' },
              ]}
              value={form.customer_type}
              onChange={(v) => change({ customer_type: v === 'company' ? 'company' : 'person' }, 'customer_type')}
              allowDeselect={false}
              error={fields.customer_type}
            />
            {TEXT_FIELDS.map((k) => (
              <TextInput
                key={k}
                label={fieldLabel(k)}
                description={SECRET_FIELDS.has(k) ? secretHint(k) : HINTS[k]}
                value={form.text[k]}
                onChange={(e) => setText(k, e.currentTarget.value)}
                error={textError(k)}
                autoComplete="off"
                type={SECRET_FIELDS.has(k) ? 'password' : 'text'}
              />
            ))}
          </SimpleGrid>
        </Section>
        <Section title="Phones and emails">
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TagsInput
              label="Phones"
              description="Type a number and press Enter; any format, up to 5"
              value={form.phones}
              onChange={(v) => change({ phones: v }, 'phones')}
              error={listProblem(fields, 'phones')}
              maxTags={5}
              clearable
            />
            <TagsInput
              label="Emails"
              description="Type an address and press Enter"
              value={form.emails}
              onChange={(v) => change({ emails: v }, 'emails')}
              error={listProblem(fields, 'emails')}
              clearable
            />
          </SimpleGrid>
        </Section>
        <Section title="Accounts">
          <Stack gap="sm">
            {form.accounts.length === 0 && <Text>No accounts.</Text>}
            {form.accounts.map((a, i) => (
              <Paper key={i} withBorder p="sm" role="group" aria-label={`Account ${i + 1}`}>
                <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                  <TextInput
                    label={`Account ${i + 1} number`}
                    value={a.number}
                    onChange={(e) => setAccount(i, { number: e.currentTarget.value })}
                    error={fields[`accounts.${i}`]}
                  />
                  <TextInput
                    label={`Account ${i + 1} balance`}
                    inputMode="decimal"
                    value={a.balance}
                    onChange={(e) => setAccount(i, { balance: e.currentTarget.value })}
                  />
                  <TextInput
                    label={`Account ${i + 1} currency`}
                    value={a.currency}
                    onChange={(e) => setAccount(i, { currency: e.currentTarget.value })}
                  />
                  <TextInput
                    label={`Account ${i + 1} status`}
                    value={a.status}
                    onChange={(e) => setAccount(i, { status: e.currentTarget.value })}
                  />
                </SimpleGrid>
                <Group mt="xs" justify="flex-end">
                  <Button
                    size="xs"
                    variant="outline"
                    color="red.9"
                    onClick={() => change({ accounts: form.accounts.filter((_, j) => j !== i) }, 'accounts')}
                  >
                    Remove account {i + 1}
                  </Button>
                </Group>
              </Paper>
            ))}
            {fields.accounts && (
              <Text size="sm" c="red.9" role="alert">
                {fields.accounts}
              </Text>
            )}
            <Group>
              <Button variant="default" onClick={() => change({ accounts: [...form.accounts, { ...EMPTY_ACCOUNT }] })}>
                Add an account
              </Button>
            </Group>
          </Stack>
        </Section>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Section title="Groups and tags">
            <Stack gap="sm">
              <MultiSelect
                label="Groups"
                placeholder={groups.length ? 'Choose groups' : 'No groups yet'}
                data={groups.map((g) => ({ value: g.id, label: g.name }))}
                value={form.groups}
                onChange={(v) => change({ groups: v }, 'groups')}
                error={listProblem(fields, 'groups')}
                searchable
                clearable
              />
              <MultiSelect
                label="Tags"
                description="Only defined tags; define new ones on the Tags page"
                placeholder={tags.length ? 'Choose tags' : 'No tags yet'}
                data={[...new Set([...tags.map((t) => t.name), ...form.tags])]}
                value={form.tags}
                onChange={(v) => change({ tags: v }, 'tags')}
                error={listProblem(fields, 'tags')}
                searchable
                clearable
              />
            </Stack>
          </Section>
          <Section title="Consents">
            <Stack gap="sm">
              {CHANNELS.map(({ channel, label }) => (
                <Select
                  key={channel}
                  label={label}
                  data={CONSENTS}
                  value={form.consents[channel]}
                  onChange={(v) => change({ consents: { ...form.consents, [channel]: (v ?? 'unknown') as Consent } }, 'consents')}
                  allowDeselect={false}
                />
              ))}
              <Text size="sm" c="gray.7">
                A consent set here is recorded as entered by hand, with the time.
              </Text>
              {fields.consents && (
                <Text size="sm" c="red.9">
                  {fields.consents}
                </Text>
              )}
            </Stack>
          </Section>
        </SimpleGrid>
        {problem && (
          <Alert color="red" title={editing ? 'Not saved' : 'Not added'} role="alert">
            {problem}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={busy}>
            {editing ? 'Save the contact' : 'Add the contact'}
          </Button>
          <Button variant="default" onClick={() => navigate(backTo)}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
