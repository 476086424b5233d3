import { Paper, SimpleGrid, Text } from '@mantine/core';
import { count } from '../format';

export interface Figure {
  label: string;
  value: number | null | undefined;
  color?: string;
}

/** A row of labelled figures; each is a definition so screen readers pair label and value. */
export function CountsGrid({ figures, label }: { figures: Figure[]; label: string }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 3, md: figures.length > 4 ? 6 : 4 }} component="dl" aria-label={label} m={0}>
      {figures.map((f) => (
        <Paper key={f.label} withBorder p="sm" radius="sm">
          <Text component="dt" size="sm" c="gray.7">
            {f.label}
          </Text>
          <Text
            component="dd"
            m={0}
            fw={700}
            fz="xl"
            c={f.color}
            className="figure"
            data-figure={f.label.toLowerCase()}
          >
            {count(f.value)}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
