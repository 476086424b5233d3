import { useEffect, useState } from 'react';
import { Button, Group, Modal, Paper, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { ApiProblem, download, getJson, sendJson } from '../api';
import { dateTime } from '../format';
import { Confirm, DataTable, ProblemAlert, RowActions, ShowMore, readable, useAction, usePaged } from '../components/Outreach';
import { columnsSummary, mappingRows, renameBody, type ImportTemplate, type StoredMapping } from '../mappings';

/** The import templates to download (CSV or Excel) and the saved column mappings: view one,
 * rename it, delete it after asking. */
export function Mappings() {
  const [templates, setTemplates] = useState<ImportTemplate[] | null>(null);
  const [templateError, actOnTemplates] = useAction();
  const { items, setItems, next, more, error, act } = usePaged<StoredMapping>('/v1/mappings', {});
  const [viewing, setViewing] = useState<StoredMapping | null>(null);
  const [renaming, setRenaming] = useState<StoredMapping | null>(null);
  const [deleting, setDeleting] = useState<StoredMapping | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    void actOnTemplates(async () => setTemplates((await getJson<{ items: ImportTemplate[] }>('/v1/templates')).items));
  }, [actOnTemplates]);

  const save = (t: ImportTemplate, kind: 'csv' | 'xlsx') =>
    void actOnTemplates(() => download(t.downloads[kind] ?? `/v1/templates/${t.name}.${kind}`, `${t.name}.${kind}`));

  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Import templates and saved mappings</Title>
      <Stack gap="sm" component="section" aria-labelledby="import-templates-title">
        <Title order={2} size="h3" id="import-templates-title">
          Import templates
        </Title>
        <Text>A template is a file with the columns Listflow reads and sample rows: fill it in and upload it.</Text>
        <ProblemAlert error={templateError} title="Not downloaded" />
        {templates === null && !templateError && <Text>Loading…</Text>}
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {(templates ?? []).map((t) => (
            <Paper key={t.name} withBorder p="md" component="article" aria-labelledby={`template-${t.name}`} data-template={t.name}>
              <Title order={3} size="h5" id={`template-${t.name}`}>
                {t.title}
              </Title>
              <Text size="sm" mt={4}>
                {t.description}
              </Text>
              <Text size="sm" c="gray.7" mt={4}>
                {t.columns.length} columns{t.match_key ? `, matched on ${t.match_key.replace(/_/g, ' ')}` : ''}
              </Text>
              <Group gap="xs" mt="sm">
                <Button size="xs" variant="default" onClick={() => save(t, 'csv')} aria-label={`Download CSV, ${t.title}`}>
                  Download CSV
                </Button>
                <Button size="xs" variant="default" onClick={() => save(t, 'xlsx')} aria-label={`Download Excel, ${t.title}`}>
                  Download Excel
                </Button>
              </Group>
            </Paper>
          ))}
        </SimpleGrid>
      </Stack>
      <Stack gap="sm" component="section" aria-labelledby="saved-mappings-title">
        <Title order={2} size="h3" id="saved-mappings-title">
          Saved mappings
        </Title>
        <Text>A mapping names the field of each column of a file; save one from the upload wizard's Columns step and apply it to the next file.</Text>
        <div role="status" aria-live="polite">
          {note && <Text data-testid="mapping-note">{note}</Text>}
        </div>
        <ProblemAlert error={error} />
        <DataTable
          label="Saved mappings"
          minWidth={0}
          columns={[{ label: 'Name' }, { label: 'Columns', visibleFrom: 'sm' }, { label: 'Updated', visibleFrom: 'md' }, { label: 'Actions', hidden: true }]}
          items={items}
          empty="No saved mappings yet. Save one from the upload wizard's Columns step."
          row={(m) => (
            <Table.Tr key={m.id} data-mapping-id={m.id}>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{m.name}</Table.Td>
              <Table.Td visibleFrom="sm" style={{ overflowWrap: 'anywhere' }}>
                {columnsSummary(m)}
              </Table.Td>
              <Table.Td visibleFrom="md">{dateTime(m.updated_at)}</Table.Td>
              <Table.Td>
                <RowActions
                  name={m.name}
                  actions={[
                    { label: 'View', onClick: () => setViewing(m) },
                    { label: 'Rename', onClick: () => setRenaming(m) },
                    { label: 'Delete', onClick: () => setDeleting(m), danger: true },
                  ]}
                />
              </Table.Td>
            </Table.Tr>
          )}
        />
        <ShowMore next={next} more={more} />
      </Stack>
      <Modal
        opened={viewing !== null}
        onClose={() => setViewing(null)}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={viewing?.name ?? ''}
        size="lg"
      >
        {viewing && (
          <Stack gap="sm">
            {viewing.description && <Text size="sm">{viewing.description}</Text>}
            <Table aria-label={`Columns of ${viewing.name}`} striped layout="fixed">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">File column</Table.Th>
                  <Table.Th scope="col">Field</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {mappingRows(viewing).map((r) => (
                  <Table.Tr key={r.column}>
                    <Table.Td style={{ overflowWrap: 'anywhere' }}>{r.column}</Table.Td>
                    <Table.Td>{r.field}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Text size="sm" c="gray.7">
              Saved {dateTime(viewing.created_at)}, last changed {dateTime(viewing.updated_at)}.
            </Text>
          </Stack>
        )}
      </Modal>
      <Modal
        opened={renaming !== null}
        onClose={() => setRenaming(null)}
        closeButtonProps={{ 'aria-label': 'Close' }}
        title={`Rename ${renaming?.name ?? ''}`}
      >
        {renaming && (
          <RenameForm
            mapping={renaming}
            onDone={(saved) => {
              setItems((xs) => (xs ?? []).map((x) => (x.id === saved.id ? saved : x)));
              setNote(`Renamed "${renaming.name}" to "${saved.name}".`);
              setRenaming(null);
            }}
            onCancel={() => setRenaming(null)}
          />
        )}
      </Modal>
      <Confirm
        opened={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirm="Delete the mapping"
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          void act(async () => {
            const gone = deleting!;
            setDeleting(null);
            await sendJson('DELETE', `/v1/mappings/${encodeURIComponent(gone.id)}`);
            setItems((xs) => (xs ?? []).filter((x) => x.id !== gone.id));
            setNote(`Deleted the mapping "${gone.name}".`);
          })
        }
      >
        Uploads that already used it keep their columns; it can no longer be applied. This cannot be undone.
      </Confirm>
    </Stack>
  );
}

function RenameForm({ mapping, onDone, onCancel }: {
  mapping: StoredMapping;
  onDone: (saved: StoredMapping) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(mapping.name);
  const [problem, setProblem] = useState<string | null>(null);
  async function save(e: React.FormEvent) {
    e.preventDefault();
    if (!name.trim()) {
      setProblem('Give the mapping a name.');
      return;
    }
    try {
      const saved = await sendJson<StoredMapping>('PUT', `/v1/mappings/${encodeURIComponent(mapping.id)}`, renameBody(mapping, name));
      if (saved) onDone(saved);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? (err.forField('name') ?? err.readable()) : readable(err));
    }
  }
  return (
    <form onSubmit={save} aria-label={`Rename ${mapping.name}`} noValidate>
      <Stack gap="sm">
        <TextInput
          label="New name"
          value={name}
          onChange={(e) => {
            setName(e.currentTarget.value);
            setProblem(null);
          }}
          error={problem}
          data-autofocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit">Rename</Button>
        </Group>
      </Stack>
    </form>
  );
}
