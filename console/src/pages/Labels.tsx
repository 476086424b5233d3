import { useState } from 'react';
import { Anchor, Button, Group, Modal, Paper, Stack, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import { ApiProblem, readableMessage, sendJson } from '../api';
import { dateTime } from '../format';
import { navigate } from '../router';
import { Confirm, DataTable, ProblemAlert, RowActions, ShowMore, readable, usePaged } from '../components/Outreach';
import { LABEL_KINDS, type LabelKind } from '../labels';

interface StoredLabel {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
}

/** The groups or the tags of the tenant: the list, create, describe, delete after asking
 * (contacts stay, taken out of the group or stripped of the tag). */
export function Labels({ kind }: { kind: LabelKind }) {
  const words = LABEL_KINDS[kind];
  const { items, setItems, next, more, error, act } = usePaged<StoredLabel>(words.path, {});
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [editing, setEditing] = useState<StoredLabel | null>(null);
  const [deleting, setDeleting] = useState<StoredLabel | null>(null);
  const [note, setNote] = useState<string | null>(null);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setNote(null);
    if (!name.trim()) {
      setNameError(`Give the ${words.one} a name.`);
      return;
    }
    setNameError(null);
    try {
      const made = await sendJson<StoredLabel>('POST', words.path, {
        name: name.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      if (made) setItems((xs) => [...(xs ?? []), made].sort((a, b) => a.name.localeCompare(b.name)));
      setName('');
      setDescription('');
      setNote(`Created the ${words.one} "${made?.name}".`);
    } catch (err) {
      setNameError(err instanceof ApiProblem ? (err.forField('name') ?? readableMessage(err.readable())) : String(err));
    }
  }

  const showContacts = (label: StoredLabel) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(`/contacts?${kind}=${encodeURIComponent(kind === 'group' ? label.id : label.name)}`);
  };

  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>{words.title}</Title>
      <Text>{words.about}</Text>
      <Paper withBorder p="md" component="section" aria-labelledby="label-new-title">
        <Title order={2} size="h4" id="label-new-title" mb="sm">
          New {words.one}
        </Title>
        <form onSubmit={create} aria-label={`New ${words.one}`} noValidate>
          <Group align="flex-start" gap="sm">
            <TextInput
              label="Name"
              value={name}
              onChange={(e) => {
                setName(e.currentTarget.value);
                setNameError(null);
              }}
              error={nameError}
              w={280}
              maw="100%"
            />
            <TextInput
              label="Description (optional)"
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
              w={360}
              maw="100%"
            />
            <Button type="submit" mt={25}>
              Create the {words.one}
            </Button>
          </Group>
        </form>
      </Paper>
      <div role="status" aria-live="polite">
        {note && <Text data-testid="label-note">{note}</Text>}
      </div>
      <ProblemAlert error={error} />
      <DataTable
        label={words.title}
        minWidth={0}
        columns={[
          { label: 'Name' },
          { label: 'Description', visibleFrom: 'sm' },
          { label: 'Created', visibleFrom: 'md' },
          { label: 'Actions', hidden: true },
        ]}
        items={items}
        empty={words.empty}
        row={(label) => (
          <Table.Tr key={label.id} data-label-id={label.id}>
            <Table.Td style={{ overflowWrap: 'anywhere' }}>
              <Anchor href={`/contacts?${kind}=${encodeURIComponent(label.id)}`} onClick={showContacts(label)}>
                {label.name}
              </Anchor>
              <Text size="xs" hiddenFrom="sm" style={{ overflowWrap: 'anywhere' }}>
                {label.description ?? ''}
              </Text>
            </Table.Td>
            <Table.Td visibleFrom="sm" style={{ overflowWrap: 'anywhere' }}>
              {label.description ?? '–'}
            </Table.Td>
            <Table.Td visibleFrom="md">{dateTime(label.created_at)}</Table.Td>
            <Table.Td>
              <RowActions
                name={label.name}
                actions={[
                  { label: 'Edit', onClick: () => setEditing(label) },
                  { label: 'Delete', onClick: () => setDeleting(label), danger: true },
                ]}
              />
            </Table.Td>
          </Table.Tr>
        )}
      />
      <ShowMore next={next} more={more} />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={`Edit ${editing?.name ?? ''}`}
      >
        {editing && (
          <DescribeForm
            label={editing}
            kind={kind}
            onDone={(saved) => {
              setItems((xs) => (xs ?? []).map((x) => (x.id === saved.id ? saved : x)));
              setEditing(null);
              setNote(`Saved the ${words.one} "${saved.name}".`);
            }}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
      <Confirm
        opened={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirm={`Delete the ${words.one}`}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          void act(async () => {
            const gone = deleting!;
            setDeleting(null);
            const done = await sendJson<{ contacts_changed: number }>('DELETE', `${words.path}/${encodeURIComponent(gone.id)}`);
            setItems((xs) => (xs ?? []).filter((x) => x.id !== gone.id));
            const n = done?.contacts_changed ?? 0;
            setNote(`Deleted the ${words.one} "${gone.name}"; ${n} ${n === 1 ? 'contact' : 'contacts'} ${words.changed}.`);
          })
        }
      >
        {words.deleting}
      </Confirm>
    </Stack>
  );
}

function DescribeForm({ label, kind, onDone, onCancel }: {
  label: StoredLabel;
  kind: LabelKind;
  onDone: (saved: StoredLabel) => void;
  onCancel: () => void;
}) {
  const words = LABEL_KINDS[kind];
  const [description, setDescription] = useState(label.description ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  async function save(e: React.FormEvent) {
    e.preventDefault();
    try {
      const saved = await sendJson<StoredLabel>('PATCH', `${words.path}/${encodeURIComponent(label.id)}`, {
        description: description.trim() || null,
      });
      if (saved) onDone(saved);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? (err.forField('description') ?? err.readable()) : readable(err));
    }
  }
  return (
    <form onSubmit={save} aria-label={`Edit ${label.name}`} noValidate>
      <Stack gap="sm">
        <TextInput label="Name" value={label.name} readOnly description={words.renaming} />
        <Textarea
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
          error={problem}
          autosize
          minRows={2}
          data-autofocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit">Save</Button>
        </Group>
      </Stack>
    </form>
  );
}
