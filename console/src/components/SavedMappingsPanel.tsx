import { useEffect, useState } from 'react';
import { Button, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { ApiProblem, getJson, sendJson } from '../api';
import type { SavedMapping } from '../types';
import { applyMapping, mappingOf, type ColumnChoice } from '../wizard';

interface TemplateInfo {
  name: string;
  title: string;
  columns: { header: string; field: string }[];
  match_key: string | null;
}

export interface Applied {
  template?: string;
  matchKey?: string | null;
}

/** Apply a saved mapping (GET /v1/mappings) or an import template (GET /v1/templates) to the
 * mapping table, or save the table as a mapping (POST, or PUT over one of the same name). */
export function SavedMappingsPanel({
  columns,
  onApply,
}: {
  columns: ColumnChoice[];
  onApply: (columns: ColumnChoice[], applied: Applied) => void;
}) {
  const [mappings, setMappings] = useState<SavedMapping[]>([]);
  const [templates, setTemplates] = useState<TemplateInfo[]>([]);
  const [chosen, setChosen] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);

  useEffect(() => {
    getJson<{ items: SavedMapping[] }>('/v1/mappings?limit=200').then((p) => setMappings(p.items), () => setMappings([]));
    getJson<{ items: TemplateInfo[] }>('/v1/templates').then((p) => setTemplates(p.items), () => setTemplates([]));
  }, []);

  function apply() {
    setProblem(null);
    if (!chosen) {
      setProblem('Choose a saved mapping or a template first.');
      return;
    }
    const [kind, key] = [chosen.slice(0, 2), chosen.slice(2)];
    const saved = kind === 'm:' ? mappings.find((m) => m.id === key) : undefined;
    const template = kind === 't:' ? templates.find((t) => t.name === key) : undefined;
    const pairs = saved?.columns ?? Object.fromEntries((template?.columns ?? []).map((c) => [c.header, c.field]));
    const { columns: next, applied } = applyMapping(columns, pairs);
    const label = saved ? `the mapping "${saved.name}"` : `the template "${template?.title ?? key}"`;
    if (applied === 0) {
      setNote(null);
      setProblem(`None of this file's columns is named in ${label}.`);
      return;
    }
    onApply(next, template ? { template: template.name, matchKey: template.match_key } : {});
    setNote(`Applied ${label} to ${applied} ${applied === 1 ? 'column' : 'columns'}.`);
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    e.stopPropagation();
    setNote(null);
    setProblem(null);
    const clean = name.trim();
    if (!clean) {
      setNameError('Give the mapping a name.');
      return;
    }
    setNameError(null);
    const same = mappings.find((m) => m.name.trim().toLowerCase() === clean.toLowerCase());
    try {
      const body = { name: clean, columns: mappingOf(columns) };
      const stored = same
        ? await sendJson<SavedMapping>('PUT', `/v1/mappings/${same.id}`, body)
        : await sendJson<SavedMapping>('POST', '/v1/mappings', body);
      if (stored) setMappings((ms) => [...ms.filter((m) => m.id !== stored.id), stored]);
      setNote(same ? `Replaced the saved mapping "${clean}".` : `Saved the mapping as "${clean}".`);
    } catch (err) {
      if (err instanceof ApiProblem) setNameError(err.forField('name') ?? err.readable());
      else setProblem(String(err));
    }
  }

  const data = [
    { group: 'Saved mappings', items: mappings.map((m) => ({ value: `m:${m.id}`, label: m.name })) },
    { group: 'Import templates', items: templates.map((t) => ({ value: `t:${t.name}`, label: t.title })) },
  ].filter((g) => g.items.length > 0);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="saved-mappings-title">
      <Stack gap="sm">
        <Title order={3} size="h5" id="saved-mappings-title">
          Saved mappings and templates
        </Title>
        <Group align="flex-end" gap="sm">
          <Select
            label="Apply a saved mapping or a template"
            placeholder={data.length ? 'Choose one' : 'None saved yet'}
            data={data}
            value={chosen}
            onChange={setChosen}
            searchable
            w={320}
            maw="100%"
          />
          <Button variant="light" onClick={apply} disabled={!chosen}>
            Apply to the columns
          </Button>
        </Group>
        <form onSubmit={save} aria-label="Save this mapping">
          <Group align="flex-start" gap="sm">
            <TextInput
              label="Save this mapping as"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={nameError}
              w={320}
              maw="100%"
            />
            <Button type="submit" variant="default" mt={25}>
              Save the mapping
            </Button>
          </Group>
        </form>
        <div role="status" aria-live="polite">
          {note && <Text size="sm" data-testid="mapping-note">{note}</Text>}
          {problem && <Text size="sm" c="red.9">{problem}</Text>}
        </div>
      </Stack>
    </Paper>
  );
}
