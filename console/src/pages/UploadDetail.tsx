import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { ApiProblem, download, getJson, postJson } from '../api';
import { follow } from '../sse';
import { count, dateTime, rate, timeLeft } from '../format';
import { navigate } from '../router';
import { TERMINAL, type ProgressEvent, type Upload } from '../types';
import { CountsGrid } from '../components/CountsGrid';
import { StatusBadge } from '../components/StatusBadge';

/** One upload: the live progress while it imports, then its summary and reports. */
export function UploadDetail({ id }: { id: string }) {
  const [upload, setUpload] = useState<Upload | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);

  const load = useCallback(async () => {
    try {
      setUpload(await getJson<Upload>(`/v1/uploads/${id}`));
    } catch (err) {
      setError(err instanceof ApiProblem ? err.readable() : String(err));
    }
  }, [id]);

  useEffect(() => {
    void load();
  }, [load]);

  const running = upload !== null && !TERMINAL.has(upload.status);
  useEffect(() => {
    if (!running) return;
    const abort = new AbortController();
    follow<ProgressEvent>(
      `/v1/uploads/${id}/events`,
      (_, e) => setUpload((u) => (u ? { ...u, status: e.status, counts: e.counts, progress: e.progress } : u)),
      abort.signal,
    )
      .then(() => {
        if (!abort.signal.aborted) void load();
      })
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(err instanceof ApiProblem ? err.readable() : String(err));
      });
    return () => abort.abort();
  }, [id, running, load]);

  async function cancel() {
    setCancelling(true);
    try {
      setUpload(await postJson<Upload>(`/v1/uploads/${id}/cancel`, {}));
    } catch (err) {
      setError(err instanceof ApiProblem ? err.readable() : String(err));
    } finally {
      setCancelling(false);
    }
  }

  async function get(path: string, name: string) {
    try {
      await download(path, name);
    } catch (err) {
      setError(err instanceof ApiProblem ? err.readable() : String(err));
    }
  }

  if (upload === null) {
    return error ? (
      <Alert color="red" title="Cannot show this upload" role="alert">
        {error}
      </Alert>
    ) : (
      <Text>Loading…</Text>
    );
  }

  const { counts, progress } = upload;
  const targetName = upload.target?.name ?? upload.target?.id ?? '–';
  return (
    <Stack gap="lg" maw={1100}>
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1}>{upload.file_name}</Title>
          <Text c="gray.7" size="sm">
            Into {targetName} · uploaded {dateTime(upload.created_at)}
            {upload.uploaded_by ? ` by ${upload.uploaded_by}` : ''}
          </Text>
        </div>
        <StatusBadge status={upload.status} />
      </Group>

      {upload.status === 'uploaded' && (
        <Alert color="blue" title="Waiting">
          This upload was read but not started. Start a new upload from the{' '}
          <Anchor href="/upload" onClick={(e) => { e.preventDefault(); navigate('/upload'); }}>
            upload wizard
          </Anchor>
          .
        </Alert>
      )}

      {(running || upload.status === 'cancelled') && (
        <Paper withBorder p="md">
          <Stack gap="xs">
            <Title order={2} size="h4">
              Progress
            </Title>
            <Progress
              value={progress.percent}
              size="xl"
              aria-label="Import progress"
              animated={running}
              transitionDuration={300}
            />
            <Group justify="space-between" className="figure">
              <Text size="sm" data-testid="percent">
                {progress.percent.toFixed(1)}% · {count(progress.processed)} of {count(counts.total || null)} rows
              </Text>
              <Text size="sm">
                {rate(progress.rows_per_second)} · {timeLeft(progress.eta_seconds)} left
              </Text>
            </Group>
            {running && (
              <Group>
                <Button color="red" variant="outline" onClick={cancel} loading={cancelling}>
                  Cancel the import
                </Button>
              </Group>
            )}
          </Stack>
        </Paper>
      )}

      {upload.status === 'cancelled' && (
        <Alert color="orange" title="The import was cancelled" data-testid="cancelled-note">
          Cancelled after {count(progress.rows_read)} rows were read. The rows read before the cancel were imported and are counted below; the
          rest of the file was not imported.
        </Alert>
      )}

      {upload.status === 'failed' && (
        <Alert color="red" title="The import failed" role="alert">
          {upload.failure ?? 'No reason given.'}
        </Alert>
      )}

      <section aria-labelledby="summary-title">
        <Title order={2} size="h4" id="summary-title" mb="sm">
          {running ? 'So far' : 'Summary'}
        </Title>
        <CountsGrid
          label="Upload counts"
          figures={[
            { label: 'Rows', value: counts.total },
            { label: 'Imported', value: counts.imported, color: 'green.9' },
            { label: 'Updated', value: counts.updated, color: 'indigo.8' },
            { label: 'Skipped', value: counts.skipped },
            { label: 'Duplicates', value: counts.duplicates, color: 'orange.9' },
            { label: 'Errors', value: counts.errors, color: 'red.8' },
          ]}
        />
      </section>

      {!running && upload.status !== 'uploaded' && (
        <Group>
          <Button
            variant="light"
            onClick={() => get(`/v1/uploads/${id}/errors.csv`, 'errors.csv')}
            disabled={counts.errors === 0}
          >
            Download the error report (CSV)
          </Button>
          <Button variant="light" onClick={() => get(`/v1/uploads/${id}/errors.xlsx`, 'errors.xlsx')} disabled={counts.errors === 0}>
            Error report (Excel)
          </Button>
          <Button variant="default" onClick={() => get(`/v1/uploads/${id}/export.csv`, 'export.csv')}>
            Export every row (CSV)
          </Button>
        </Group>
      )}

      {error && (
        <Alert color="red" title="Something went wrong" role="alert">
          {error}
        </Alert>
      )}
      <Group>
        <Badge variant="outline" color="gray" tt="none">
          Upload id {upload.id}
        </Badge>
      </Group>
    </Stack>
  );
}
