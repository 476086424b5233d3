import { useEffect, useRef, useState } from 'react';
import {
  Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title,
} from '@mantine/core';
import { getJson, postJson, sendJson } from '../api';
import { dateTime } from '../format';
import { ChannelPicker, Confirm, DataTable, ProblemAlert, Saved, useAction } from '../components/Outreach';
import {
  EMPTY_TEMPLATE, contactName, fieldMessage, previewValues, segmentsText, templateBody, templateForm, templateProblems,
  type MessageTemplate, type PreviewContact, type SmsSegments, type TemplateForm, type TemplatePreview,
} from '../outreach';

/** Message templates: the list, create and edit (with the SMS segment count while typing),
 * a preview for a chosen contact, delete after asking. */
export function Templates() {
  const [items, setItems] = useState<MessageTemplate[] | null>(null);
  const [editing, setEditing] = useState<MessageTemplate | 'new' | null>(null);
  const [deleting, setDeleting] = useState<MessageTemplate | null>(null);
  const [error, act] = useAction();

  useEffect(() => {
    void act(async () => setItems((await getJson<{ items: MessageTemplate[] }>('/v1/message-templates')).items));
  }, [act]);

  const saved = (t: MessageTemplate) => {
    setItems((ts) => (ts?.some((x) => x.id === t.id) ? ts.map((x) => (x.id === t.id ? t : x)) : [...(ts ?? []), t]));
    setEditing(t);
  };

  return (
    <Stack gap="lg" maw={1100}>
      <Group justify="space-between">
        <Title order={1}>Message templates</Title>
        <Button onClick={() => setEditing('new')}>New template</Button>
      </Group>
      <ProblemAlert error={error} />
      <DataTable
        label="Message templates"
        minWidth={560}
        columns={[{ label: 'Name' }, { label: 'Channel' }, { label: 'Updated' }, { label: 'Actions', hidden: true }]}
        items={items}
        empty="No message templates yet. Create one for the emails or text messages campaigns send."
        row={(t) => (
          <Table.Tr key={t.id} data-template-id={t.id}>
            <Table.Td>{t.name}</Table.Td>
            <Table.Td>
              <Badge variant="light" color={t.channel === 'email' ? 'indigo' : 'teal'} tt="none">
                {t.channel === 'email' ? 'Email' : 'SMS'}
              </Badge>
            </Table.Td>
            <Table.Td>{dateTime(t.updated_at)}</Table.Td>
            <Table.Td>
              <Group gap="xs" justify="flex-end" wrap="nowrap">
                <Button size="xs" variant="default" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                  Edit
                </Button>
                <Button size="xs" variant="outline" color="red.9" onClick={() => setDeleting(t)} aria-label={`Delete ${t.name}`}>
                  Delete
                </Button>
              </Group>
            </Table.Td>
          </Table.Tr>
        )}
      />
      {editing && (
        <TemplateEditor key={editing === 'new' ? 'new' : editing.id} template={editing === 'new' ? null : editing} onSaved={saved} />
      )}
      <Confirm
        opened={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirm="Delete"
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          void act(async () => {
            const gone = deleting!;
            setDeleting(null);
            await sendJson('DELETE', `/v1/message-templates/${gone.id}`);
            setItems((ts) => (ts ?? []).filter((x) => x.id !== gone.id));
            if (editing !== 'new' && editing?.id === gone.id) setEditing(null);
          })
        }
      >
        The template is deleted. Campaigns that use it can no longer send. This cannot be undone.
      </Confirm>
    </Stack>
  );
}

/** The live count of an SMS body's segments, from the API (rendered for the sample contact). */
function useSegments(body: string, enabled: boolean): { segments: SmsSegments | null; problem: string | null } {
  const [state, setState] = useState<{ segments: SmsSegments | null; problem: string | null }>({ segments: null, problem: null });
  const asked = useRef(0);
  useEffect(() => {
    if (!enabled || !body.trim()) {
      setState({ segments: null, problem: null });
      return;
    }
    const ask = ++asked.current;
    const timer = setTimeout(() => {
      postJson<SmsSegments>('/v1/message-templates/sms-segments', { body })
        .then((segments) => ask === asked.current && setState({ segments, problem: null }))
        .catch((err: unknown) => {
          if (ask !== asked.current) return;
          setState({ segments: null, problem: fieldMessage(err, 'body') });
        });
    }, 300);
    return () => clearTimeout(timer);
  }, [body, enabled]);
  return state;
}

function TemplateEditor({ template, onSaved }: { template: MessageTemplate | null; onSaved: (t: MessageTemplate) => void }) {
  const [form, setForm] = useState<TemplateForm>(template ? templateForm(template) : EMPTY_TEMPLATE);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<keyof TemplateForm, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const live = useSegments(form.body, form.channel === 'sms');
  const set = (k: keyof TemplateForm) => (value: string) => {
    setForm((f) => ({ ...f, [k]: value }));
    setFieldErrors((p) => ({ ...p, [k]: undefined }));
    setDone(false);
  };

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    setDone(false);
    if (!form.name.trim()) {
      setFieldErrors({ name: 'Give the template a name.' });
      return;
    }
    try {
      const t = template
        ? await sendJson<MessageTemplate>('PUT', `/v1/message-templates/${template.id}`, templateBody(form, template.version))
        : await postJson<MessageTemplate>('/v1/message-templates', templateBody(form));
      if (t) onSaved(t);
      setDone(true);
    } catch (err) {
      const { fields, rest } = templateProblems(err);
      setFieldErrors(fields);
      setError(rest);
    }
  }

  const title = template ? `Edit ${template.name}` : 'New template';
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="template-editor-title">
      <Stack gap="md">
        <Title order={2} size="h3" id="template-editor-title">
          {title}
        </Title>
        <form onSubmit={save} aria-label={title} noValidate>
          <Stack gap="sm">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Name" required value={form.name} onChange={(e) => set('name')(e.currentTarget.value)} error={fieldErrors.name} />
              <ChannelPicker id="template-channel-label" value={form.channel} onChange={set('channel')} />
            </SimpleGrid>
            <Text size="sm" c="gray.7">
              Fields are written as {'{{ first_name }}'}: first_name, last_name, full_name, company_name, email, phone,
              account_number, balance, currency, postcode, portal_url, unsubscribe_url, extra.&lt;column&gt;…
            </Text>
            {form.channel === 'email' ? (
              <>
                <TextInput label="Subject" required value={form.subject} onChange={(e) => set('subject')(e.currentTarget.value)} error={fieldErrors.subject} />
                <Textarea label="HTML" autosize minRows={4} maxRows={16} value={form.html} onChange={(e) => set('html')(e.currentTarget.value)} error={fieldErrors.html} />
                <Textarea
                  label="Text"
                  description={template?.text_derived && !form.text ? 'Empty: derived from the HTML.' : 'Leave empty to derive it from the HTML.'}
                  autosize
                  minRows={3}
                  maxRows={12}
                  value={form.text}
                  onChange={(e) => set('text')(e.currentTarget.value)}
                  error={fieldErrors.text}
                />
              </>
            ) : (
              <Textarea
                label="Message"
                required
                autosize
                minRows={3}
                maxRows={10}
                value={form.body}
                onChange={(e) => set('body')(e.currentTarget.value)}
                error={fieldErrors.body ?? live.problem}
                description={
                  <span data-testid="sms-segments" aria-live="polite" className="figure">
                    {form.body.trim() ? segmentsText(live.segments) : 'Type the message to count its segments.'}
                  </span>
                }
              />
            )}
            <ProblemAlert error={error} title="The template was not saved" />
            <Group>
              <Button type="submit">{template ? 'Save the template' : 'Create the template'}</Button>
              <Saved shown={done} />
            </Group>
          </Stack>
        </form>
        {template && <TemplatePreviewPanel template={template} />}
      </Stack>
    </Paper>
  );
}

/** Renders the saved template for a contact found by name (or the sample contact). */
function TemplatePreviewPanel({ template }: { template: MessageTemplate }) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<PreviewContact[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [out, setOut] = useState<TemplatePreview | null>(null);
  const [error, act] = useAction();

  async function search(e: React.FormEvent) {
    e.preventDefault();
    await act(async () => {
      const q = query.trim();
      const params = new URLSearchParams({ limit: '20' });
      if (q.includes('@')) params.set('email', q);
      else if (q) params.set('name', q);
      const page = await getJson<{ items: PreviewContact[] }>(`/v1/contacts?${params}`);
      setFound(page.items);
      setChosen(page.items[0]?.id ?? null);
    });
  }

  async function render() {
    await act(async () => {
      const contact = found.find((c) => c.id === chosen);
      setOut(
        await postJson<TemplatePreview>(`/v1/message-templates/${template.id}/preview`, {
          values: contact ? previewValues(contact) : {},
        }),
      );
    });
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="template-preview-title">
      <Title order={3} size="h4" id="template-preview-title">
        Preview
      </Title>
      <form onSubmit={search} aria-label="Find a contact for the preview">
        <Group align="flex-end">
          <TextInput label="Contact name or email" value={query} onChange={(e) => setQuery(e.currentTarget.value)} w={280} />
          <Button type="submit" variant="default">
            Find
          </Button>
        </Group>
      </form>
      <Group align="flex-end">
        <Select
          label="Contact"
          placeholder="The sample contact"
          data={found.map((c) => ({ value: c.id, label: contactName(c) }))}
          value={chosen}
          onChange={setChosen}
          clearable
          w={280}
          nothingFoundMessage="No contact found"
        />
        <Button onClick={() => void render()}>Show the preview</Button>
      </Group>
      <ProblemAlert error={error} title="No preview" />
      {out && (
        <Paper withBorder p="sm" bg="gray.0" data-testid="template-preview">
          {out.channel === 'email' ? (
            <Stack gap="xs">
              <Text size="sm">
                <strong>Subject:</strong> <span data-testid="preview-subject">{out.subject}</span>
              </Text>
              {out.html && (
                // The HTML is the operator's own, rendered for a customer: shown sandboxed,
                // so no script or form in it runs with the console's key.
                <iframe title="HTML preview" sandbox="" srcDoc={out.html} style={{ width: '100%', minHeight: 160, border: '1px solid #ced4da', background: '#fff' }} />
              )}
              <Text size="sm" fw={600}>
                Text part
              </Text>
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="preview-text">
                {out.text}
              </Text>
            </Stack>
          ) : (
            <Stack gap="xs">
              <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="preview-body">
                {out.body}
              </Text>
              <Text size="sm" c="gray.7" className="figure">
                {segmentsText(out.sms)}
              </Text>
            </Stack>
          )}
        </Paper>
      )}
    </Stack>
  );
}
