// Pieces every campaigns and portal page uses: the problem alert, a confirmation dialog that
// waits for its fade-in to finish before it is read, and the section heading.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { ApiProblem, getJson } from '../api';

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
