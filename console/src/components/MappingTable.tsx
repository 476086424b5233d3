import { Badge, ColorSwatch, Group, Select, Stack, Table, Text } from '@mantine/core';
import { EXTRA, FIELDS, IGNORE, type ColumnChoice, fieldLabel } from '../wizard';

const FIELD_OPTIONS = [
  { group: 'Contact fields', items: FIELDS.map((f) => ({ value: f, label: fieldLabel(f) })) },
  {
    group: 'Other',
    items: [
      { value: EXTRA, label: fieldLabel(EXTRA) },
      { value: IGNORE, label: fieldLabel(IGNORE) },
    ],
  },
];

function confidenceText(c: ColumnChoice): { label: string; color: string } {
  if (c.suggested === EXTRA || c.suggested === IGNORE || c.confidence <= 0)
    return { label: 'no suggestion', color: 'gray' };
  const percent = Math.round(c.confidence * 100);
  return { label: `suggested ${percent}%`, color: percent >= 90 ? 'green' : 'yellow' };
}

export function MappingTable({
  columns,
  matchKey,
  problems,
  onChange,
}: {
  columns: ColumnChoice[];
  matchKey: string | null;
  problems: Map<string, string>;
  onChange: (column: string, field: string) => void;
}) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped verticalSpacing="xs" aria-label="Column mapping">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">File column</Table.Th>
            <Table.Th scope="col">Sample values</Table.Th>
            <Table.Th scope="col">Target field</Table.Th>
            <Table.Th scope="col">Suggestion</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {columns.map((c) => {
            const conf = confidenceText(c);
            return (
              <Table.Tr key={c.column}>
                <Table.Th scope="row" fw={600}>
                  <Stack gap={4} align="flex-start">
                    <span>{c.column}</span>
                    {matchKey !== null && c.field === matchKey && (
                      <Badge color="indigo" variant="filled" size="sm" style={{ flexShrink: 0 }}>
                        match key
                      </Badge>
                    )}
                  </Stack>
                </Table.Th>
                <Table.Td className="samples">
                  {c.samples.length ? c.samples.join(' · ') : <Text span size="sm" c="gray.7">empty</Text>}
                </Table.Td>
                <Table.Td miw={220}>
                  <Select
                    aria-label={`Target field for ${c.column}`}
                    data={FIELD_OPTIONS}
                    value={c.field}
                    onChange={(v) => v && onChange(c.column, v)}
                    allowDeselect={false}
                    searchable
                    error={problems.get(c.column)}
                    comboboxProps={{ withinPortal: true }}
                  />
                </Table.Td>
                <Table.Td miw={130}>
                  <Group gap={6} wrap="nowrap">
                    <ColorSwatch color={`var(--mantine-color-${conf.color}-6)`} size={10} withShadow={false} aria-hidden />
                    <Text size="sm" className="figure" style={{ whiteSpace: 'nowrap' }}>
                      {conf.label}
                    </Text>
                  </Group>
                  {c.field !== c.suggested && c.suggested !== EXTRA && (
                    <Text size="xs" c="gray.7">
                      was {fieldLabel(c.suggested)}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
