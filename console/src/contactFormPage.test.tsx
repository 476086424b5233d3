import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MantineProvider } from '@mantine/core';
import { afterEach, vi } from 'vitest';
import { ContactForm } from './pages/ContactForm';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

afterEach(() => vi.unstubAllGlobals());

describe('the add contact page', () => {
  it('sends what was typed and shows the API’s refusal under the field it names', async () => {
    const sent: unknown[] = [];
    vi.stubGlobal('fetch', vi.fn(async (_path: string, init?: RequestInit) => {
      if (init?.method === 'POST') {
        sent.push(JSON.parse(String(init.body)));
        return json(422, {
          title: 'Invalid request', status: 422, detail: 'Some fields are not valid.',
          errors: [{ location: 'phones.0', message: 'not a valid phone number for region US' }],
        });
      }
      return json(200, { items: [], next_cursor: null });
    }));
    render(<MantineProvider><ContactForm /></MantineProvider>);
    await userEvent.type(screen.getByRole('textbox', { name: 'First name' }), 'Rosa');
    await userEvent.type(screen.getByRole('textbox', { name: 'Phones' }), '12{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Add the contact' }));
    expect(await screen.findByText('Item 1: Not a valid phone number for region US')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('see the messages under them');
    expect(sent).toEqual([{ customer_type: 'person', first_name: 'Rosa', phones: ['12'] }]);
  }, 30_000); // a whole form typed into: slow on a loaded machine, not a figure
});
