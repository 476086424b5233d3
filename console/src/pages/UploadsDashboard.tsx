import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { ApiProblem, getJson } from '../api';
import { count, dateTime } from '../format';
import { navigate } from '../router';
import type { Upload, UploadPage } from '../types';
import { StatusBadge } from '../components/StatusBadge';

export interface HistoryFilters {
  status: string | null;
  target: string;
  from: string;
  to: string;
}

/** The query string of GET /v1/uploads for these filters (dates are whole days, UTC). */
export function historyQuery(filters: HistoryFilters, cursor: string | null, limit = 50): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (filters.status) q.set('status', filters.status);
  if (filters.target.trim()) q.set('target', filters.target.trim());
  if (filters.from) q.set('from', `${filters.from}T00:00:00Z`);
  if (filters.to) q.set('to', `${filters.to}T23:59:59Z`);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

const NO_FILTERS: HistoryFilters = { status: null, target: '', from: '', to: '' };

export function UploadsDashboard() {
  const [filters, setFilters] = useState<HistoryFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<HistoryFilters>(NO_FILTERS);
  const [items, setItems] = useState<Upload[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (f: HistoryFilters, after: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await getJson<UploadPage>(`/v1/uploads?${historyQuery(f, after)}`);
      setItems((old) => (after && old ? [...old, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.readable() : String(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(applied, null);
  }, [applied, load]);

  const open = (id: string) => (e: React.MouseEvent) => {
    e.preventDefault();
    navigate(`/uploads/${id}`);
  };

  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>Uploads</Title>
        <Button onClick={() => navigate('/upload')}>Upload a list</Button>
      </Group>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
        aria-label="Filter the uploads"
      >
        <Group align="flex-end" gap="sm">
          <Select
            label="Status"
            placeholder="Any"
            data={[
              { value: 'importing', label: 'Importing' },
              { value: 'completed', label: 'Completed' },
              { value: 'cancelled', label: 'Cancelled' },
              { value: 'failed', label: 'Failed' },
              { value: 'uploaded', label: 'Waiting' },
            ]}
            value={filters.status}
            onChange={(v) => setFilters({ ...filters, status: v })}
            clearable
            w={160}
          />
          <TextInput
            label="Target"
            placeholder="Group name"
            value={filters.target}
            onChange={(e) => setFilters({ ...filters, target: e.currentTarget.value })}
            w={200}
          />
          <TextInput
            type="date"
            label="From"
            value={filters.from}
            onChange={(e) => setFilters({ ...filters, from: e.currentTarget.value })}
          />
          <TextInput
            type="date"
            label="To"
            value={filters.to}
            onChange={(e) => setFilters({ ...filters, to: e.currentTarget.value })}
          />
          <Button type="submit" variant="light">
            Filter
          </Button>
          <Button variant="default" onClick={() => load(applied, null)} loading={loading}>
            Refresh
          </Button>
        </Group>
      </form>
      {error && (
        <Alert color="red" title="Cannot list the uploads" role="alert">
          {error}
        </Alert>
      )}
      {items !== null && items.length === 0 && <Text>No uploads yet.</Text>}
      {items !== null && items.length > 0 && (
        // Below the md breakpoint the date, target and uploader stack under the file name and
        // the updated and duplicate counts step out, so the table fits a tablet without scrolling.
        <Table.ScrollContainer minWidth={0}>
          <Table striped highlightOnHover aria-label="Upload history, newest first">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">File</Table.Th>
                <Table.Th scope="col" visibleFrom="md">Uploaded</Table.Th>
                <Table.Th scope="col" visibleFrom="md">Target</Table.Th>
                <Table.Th scope="col" visibleFrom="md">By</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col" ta="right">Imported</Table.Th>
                <Table.Th scope="col" ta="right" visibleFrom="md">Updated</Table.Th>
                <Table.Th scope="col" ta="right">Errors</Table.Th>
                <Table.Th scope="col" ta="right" visibleFrom="md">Duplicates</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((u) => (
                <Table.Tr key={u.id} data-upload-id={u.id}>
                  <Table.Td>
                    <Anchor href={`/uploads/${u.id}`} onClick={open(u.id)}>
                      {u.file_name}
                    </Anchor>
                    {u.status === 'importing' && (
                      <Text size="xs">
                        <Anchor href={`/uploads/${u.id}`} onClick={open(u.id)}>
                          Watch the progress ({u.progress.percent.toFixed(0)}%)
                        </Anchor>
                      </Text>
                    )}
                    <Text size="xs" c="gray.7" hiddenFrom="md" data-stacked>
                      {dateTime(u.created_at)} · {u.target?.name ?? u.target?.id ?? 'no target'} · by{' '}
                      {u.uploaded_by ?? '–'}
                    </Text>
                  </Table.Td>
                  <Table.Td visibleFrom="md">{dateTime(u.created_at)}</Table.Td>
                  <Table.Td visibleFrom="md">{u.target?.name ?? u.target?.id ?? '–'}</Table.Td>
                  <Table.Td visibleFrom="md">{u.uploaded_by ?? '–'}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={u.status} />
                  </Table.Td>
                  <Table.Td ta="right" className="figure">{count(u.counts.imported)}</Table.Td>
                  <Table.Td ta="right" className="figure" visibleFrom="md">{count(u.counts.updated)}</Table.Td>
                  <Table.Td ta="right" className="figure">{count(u.counts.errors)}</Table.Td>
                  <Table.Td ta="right" className="figure" visibleFrom="md">{count(u.counts.duplicates)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {cursor && (
        <Group>
          <Button variant="default" onClick={() => load(applied, cursor)} loading={loading}>
            Show older uploads
          </Button>
        </Group>
      )}
    </Stack>
  );
}
