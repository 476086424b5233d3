// Pieces every campaigns and portal page uses: the problem alert, a confirmation dialog that
// waits for its fade-in to finish before it is read, and the section heading.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Group, Modal, SegmentedControl, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { ApiProblem, getJson, sendJson } from '../api';
import { fieldProblems } from '../outreach';

export const readable = (err: unknown) => (err instanceof ApiProblem ? err.readable() : String(err));

/** Runs a request, keeping its readable problem (RFC 9457 `detail`) for an alert. */
export function useAction(): [string | null, (work: () => Promise<void>) => Promise<boolean>, (e: string | null) => void] {
  const [error, setError] = useState<string | null>(null);
  const act = useCallback(async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(readable(err));
      return false;
    }
  }, []);
  return [error, act, setError];
}

export function ProblemAlert({ error, title = 'Something went wrong' }: { error: string | null; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" title={title} role="alert">
      {error}
    </Alert>
  );
}

export function Saved({ shown, children = 'Saved.' }: { shown: boolean; children?: ReactNode }) {
  return shown ? (
    <Text size="sm" role="status">
      {children}
    </Text>
  ) : null;
}

interface ConfirmProps {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirm: string;
  keep?: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/** Asks before something that cannot be undone; "keep" is the default focus. */
export function Confirm({ opened, title, children, confirm, keep = 'Keep it', danger = true, onConfirm, onClose }: ConfirmProps) {
  return (
    <Modal opened={opened} onClose={onClose} closeButtonProps={{ 'aria-label': 'Close' }} title={title}>
      <Text size="sm">{children}</Text>
      <Group mt="md" justify="flex-end">
        <Button variant="default" onClick={onClose} data-autofocus>
          {keep}
        </Button>
        <Button color={danger ? 'red.8' : 'indigo.8'} onClick={onConfirm}>
          {confirm}
        </Button>
      </Group>
    </Modal>
  );
}

const PAGE = 50;

/** A list read page by page by cursor (`next_cursor`, or `next` in the suppressions API),
 * read again from the start when its filters change; empty filters are left out. */
export function usePaged<T>(path: string, filters: Record<string, string | null>, nextKey: 'next_cursor' | 'next' = 'next_cursor') {
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, act] = useAction();
  const query = JSON.stringify(filters);
  const read = useCallback(
    async (cursor?: string) => {
      const params = new URLSearchParams({ limit: String(PAGE) });
      for (const [k, v] of Object.entries(JSON.parse(query) as Record<string, string | null>)) if (v) params.set(k, v);
      if (cursor) params.set('cursor', cursor);
      const page = await getJson<{ items: T[] } & Record<string, unknown>>(`${path}?${params}`);
      return { items: page.items, next: (page[nextKey] as string | null) ?? null };
    },
    [path, query, nextKey],
  );
  useEffect(() => {
    void act(async () => {
      const page = await read();
      setItems(page.items);
      setNext(page.next);
    });
  }, [act, read]);
  const more = () =>
    act(async () => {
      const page = await read(next ?? undefined);
      setItems((xs) => [...(xs ?? []), ...page.items]);
      setNext(page.next);
    });
  return { items, setItems, next, more, error, act };
}

/** A page whose record is still loading, or failed to: its heading and the problem. */
export function PageLoading({ title, error }: { title: string; error: string | null }) {
  return (
    <Stack gap="lg">
      <Title order={1}>{title}</Title>
      <ProblemAlert error={error} />
      {!error && <Text>Loading…</Text>}
    </Stack>
  );
}

/** A settings document read with GET and replaced with PUT at `path`: the form's value, a
 * setter per field, the messages by field (the API's own names) and the save. */
export function useSettings<T extends object>(path: string, shown: (t: T) => void = () => {}) {
  const [form, setForm] = useState<T | null>(null);
  const [problems, setProblems] = useState<Partial<Record<keyof T, string>>>({});
  const [done, setDone] = useState(false);
  const [error, act, setError] = useAction();
  // `shown` sets a page's derived inputs (a list typed as text); the latest one is called.
  const shownNow = useRef(shown);
  shownNow.current = shown;
  const show = useCallback((t: T) => {
    setForm(t);
    shownNow.current(t);
  }, []);
  useEffect(() => {
    void act(async () => show(await getJson<T>(path)));
  }, [act, path, show]);
  const set = <K extends keyof T>(k: K, v: T[K]) => {
    setForm((f) => (f ? { ...f, [k]: v } : f));
    setProblems((p) => ({ ...p, [k]: undefined }));
    setDone(false);
  };
  /** Saves `body` unless the page found problems first; the API's are put by field. */
  async function save(body: T, found: Partial<Record<keyof T, string>> = {}) {
    setDone(false);
    setError(null);
    setProblems(found);
    if (Object.keys(found).length) return;
    try {
      const saved = await sendJson<T>('PUT', path, body);
      if (saved) show(saved);
      setDone(true);
    } catch (err) {
      const fields = err instanceof ApiProblem ? fieldProblems(err, body) : {};
      setProblems(fields);
      if (!Object.keys(fields).length) setError(readable(err));
    }
  }
  return { form, set, problems, done, error, save, setDone };
}

export interface Column {
  label: string;
  right?: boolean;
  /** Named for screen readers only (a column of buttons). */
  hidden?: boolean;
  /** Shown from this breakpoint up only (its cells say the same with `visibleFrom`). */
  visibleFrom?: 'sm' | 'md' | 'lg';
}

/** A list as a table: "Loading…" until read, the empty state's sentence, else the rows
 * under their headings, scrolling inside its box when narrower than `minWidth` (0: a table
 * that fits any width by hiding columns, so it never scrolls). */
export function DataTable<T>({ label, columns, items, empty, minWidth = 640, row }: {
  label: string;
  columns: Column[];
  items: T[] | null;
  empty: ReactNode;
  minWidth?: number;
  row: (item: T) => ReactNode;
}) {
  if (items === null) return <Text>Loading…</Text>;
  if (items.length === 0) return <Text>{empty}</Text>;
  const table = (
    <Table aria-label={label} striped>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c) => (
            <Table.Th key={c.label} ta={c.right ? 'right' : undefined} visibleFrom={c.visibleFrom}>
              {c.hidden ? <VisuallyHidden>{c.label}</VisuallyHidden> : c.label}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>{items.map(row)}</Table.Tbody>
    </Table>
  );
  return minWidth > 0 ? <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer> : table;
}

/** A form's end: its refusal, the submit button, and "Saved." once it is. */
export function SaveRow({ error, done, label, failed }: { error: string | null; done: boolean; label: string; failed: string }) {
  return (
    <>
      <ProblemAlert error={error} title={failed} />
      <Group>
        <Button type="submit">{label}</Button>
        <Saved shown={done} />
      </Group>
    </>
  );
}

/** Email or SMS, as a labelled two-way switch. */
export function ChannelPicker({ id, value, onChange }: { id: string; value: string; onChange: (v: 'email' | 'sms') => void }) {
  return (
    <div>
      <Text component="span" size="sm" fw={500} id={id}>
        Channel
      </Text>
      <SegmentedControl
        fullWidth
        aria-labelledby={id}
        value={value}
        onChange={(v) => onChange(v as 'email' | 'sms')}
        data={[
          { value: 'email', label: 'Email' },
          { value: 'sms', label: 'SMS' },
        ]}
      />
    </div>
  );
}

/** "Show more" under a list read page by page, while the API has a next page. */
export function ShowMore({ next, more }: { next: string | null; more: () => unknown }) {
  if (!next) return null;
  return (
    <Group>
      <Button variant="default" onClick={() => void more()}>
        Show more
      </Button>
    </Group>
  );
}

/** A row's buttons ("Edit", "Delete"...), each named with the row's name for screen readers;
 * a `danger` one is outlined in red. */
export function RowActions({ name, actions }: { name: string; actions: { label: string; onClick: () => void; danger?: boolean }[] }) {
  return (
    <Group gap="xs" justify="flex-end" wrap="nowrap">
      {actions.map((a) => (
        <Button
          key={a.label}
          size="xs"
          variant={a.danger ? 'outline' : 'default'}
          color={a.danger ? 'red.9' : undefined}
          onClick={a.onClick}
          aria-label={`${a.label} ${name}`}
        >
          {a.label}
        </Button>
      ))}
    </Group>
  );
}
