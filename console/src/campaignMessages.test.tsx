import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MantineProvider } from '@mantine/core';
import { afterEach, vi } from 'vitest';
import { CampaignMessages } from './pages/CampaignMessages';
import type { Campaign, CampaignMessage } from './outreach';

const campaign: Campaign = {
  id: 'c1', name: 'March', channel: 'email', template_id: 't1',
  audience: { groups: ['March list'], tags: [], upload_id: null, filters: {} },
  trigger: { on: 'manual', at: null }, status: 'completed', send_rate: 100,
  created_at: '2026-03-01T09:00:00Z', triggered_at: '2026-03-01T09:00:00Z', targeted_at: '2026-03-01T09:00:01Z',
  finished_at: '2026-03-01T09:05:00Z',
};

const message = (over: Partial<CampaignMessage>): CampaignMessage => ({
  id: 'm1', contact_id: 'k1', channel: 'email', state: 'failed', reason: null, error: 'SMTPRecipientRefused',
  attempts: 3, created_at: '2026-03-01T09:00:00Z', due_at: '2026-03-01T09:00:00Z', sent_at: null, ...over,
});

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } });

afterEach(() => vi.unstubAllGlobals());

describe('a campaign’s messages', () => {
  it('list the ledger, offer Retry on the failed one only, and show the refusal’s detail', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (path: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? 'GET'} ${path}`);
      if (path.includes('/retry'))
        return json(409, { title: 'Conflict', status: 409, detail: 'The message is pending: only a failed message is retried.' }, 'application/problem+json');
      return json(200, { items: [message({}), message({ id: 'm2', contact_id: 'k2', state: 'sent', error: null, attempts: 1, sent_at: '2026-03-01T09:01:00Z' })], next_cursor: null });
    }));
    const retried = vi.fn();
    render(<MantineProvider><CampaignMessages campaign={campaign} onRetried={retried} /></MantineProvider>);
    expect(await screen.findByText('SMTPRecipientRefused')).toBeInTheDocument();
    expect(calls[0]).toBe('GET /v1/campaigns/c1/messages?limit=50');
    const buttons = screen.getAllByRole('button', { name: /^Retry/ });
    expect(buttons).toHaveLength(1);
    await userEvent.click(buttons[0]);
    expect(await screen.findByRole('alert')).toHaveTextContent('The message is pending: only a failed message is retried.');
    expect(calls[1]).toBe('POST /v1/campaigns/c1/messages/m1/retry');
    expect(retried).not.toHaveBeenCalled();
  });

  it('put a retried message back as pending and read the figures again', async () => {
    vi.stubGlobal('fetch', vi.fn(async (path: string) =>
      path.includes('/retry')
        ? json(200, message({ state: 'pending', attempts: 3 }))
        : json(200, { items: [message({})], next_cursor: null }),
    ));
    const retried = vi.fn();
    render(<MantineProvider><CampaignMessages campaign={campaign} onRetried={retried} /></MantineProvider>);
    await userEvent.click(await screen.findByRole('button', { name: /^Retry/ }));
    expect(await screen.findByRole('cell', { name: 'Pending' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Retry/ })).toBeNull();
    expect(retried).toHaveBeenCalledOnce();
  });

  it('ask the API for one state when filtered', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', vi.fn(async (path: string) => {
      calls.push(path);
      return json(200, { items: [], next_cursor: null });
    }));
    render(<MantineProvider><CampaignMessages campaign={campaign} onRetried={() => {}} /></MantineProvider>);
    await screen.findByText('No message yet: the campaign has not targeted anyone.');
    await userEvent.click(screen.getByRole('textbox', { name: 'State' }));
    await userEvent.click(await screen.findByRole('option', { name: 'Failed', hidden: true }));
    expect(await screen.findByText('No message in this state.')).toBeInTheDocument();
    expect(calls.at(-1)).toBe('/v1/campaigns/c1/messages?limit=50&state=failed');
  });
});
