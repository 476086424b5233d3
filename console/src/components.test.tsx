import { render, screen } from '@testing-library/react';
import { MantineProvider } from '@mantine/core';
import type { ReactNode } from 'react';
import { MappingTable } from './components/MappingTable';
import { CountsGrid } from './components/CountsGrid';
import { historyQuery } from './pages/UploadsDashboard';

const wrap = (node: ReactNode) => render(<MantineProvider>{node}</MantineProvider>);

describe('MappingTable', () => {
  it('shows each column with samples, its field, the suggestion and the match key', () => {
    wrap(
      <MappingTable
        columns={[
          { column: 'Tel.', field: 'phone', suggested: 'phone', confidence: 1, samples: ['+1 415', '+1 212'] },
          { column: 'Acct', field: 'account_number', suggested: 'customer_id', confidence: 0.8, samples: [] },
        ]}
        matchKey="account_number"
        problems={new Map([['Acct', 'Account number is already mapped from "X".']])}
        onChange={() => {}}
      />,
    );
    expect(screen.getByText('+1 415 · +1 212')).toBeInTheDocument();
    expect(screen.getByText('suggested 100%')).toBeInTheDocument();
    expect(screen.getByText('was Customer id')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Target field for Tel.' })).toHaveValue('Phone');
    const row = screen.getByText('Acct').closest('tr')!;
    expect(row).toHaveTextContent('match key');
    expect(row).toHaveTextContent('Account number is already mapped from "X".');
  });
});

describe('CountsGrid', () => {
  it('pairs every label with its figure', () => {
    wrap(<CountsGrid label="Counts" figures={[{ label: 'Imported', value: 1234 }, { label: 'Errors', value: null }]} />);
    expect(screen.getByText('1,234')).toHaveAttribute('data-figure', 'imported');
    expect(screen.getByText('–')).toHaveAttribute('data-figure', 'errors');
  });
});

describe('historyQuery', () => {
  it('turns the filters into the API query, whole days in UTC', () => {
    expect(
      historyQuery({ status: 'completed', target: ' March ', from: '2026-03-01', to: '2026-03-31' }, 'c1', 20),
    ).toBe(
      'limit=20&status=completed&target=March&from=2026-03-01T00%3A00%3A00Z&to=2026-03-31T23%3A59%3A59Z&cursor=c1',
    );
    expect(historyQuery({ status: null, target: '', from: '', to: '' }, null)).toBe('limit=50');
  });
});
