import { useState } from 'react';
import { Alert, Button, Group, Paper, SimpleGrid, Stack, TextInput, Title } from '@mantine/core';
import { ApiProblem, postJson } from '../api';
import { navigate } from '../router';
import type { Upload } from '../types';
import {
  BY_HAND_FIELDS, LEAD_FIELDS_BY_HAND, fieldLabel, recordOf, recordProblem, targetProblem,
  type TargetChoice,
} from '../wizard';
import { TargetPicker, type Choosable } from './TargetPicker';

/** One contact or lead typed in: sent as a one-row upload (POST /v1/uploads/record), so it is
 * validated, matched and reported like a file's row; the upload's page then shows its outcome. */
export function ByHandForm({ groups, lists }: { groups: Choosable[]; lists: Choosable[] }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [target, setTarget] = useState<TargetChoice>({ kind: 'group', mode: 'new', name: '' });
  const [region, setRegion] = useState('US');
  const [problem, setProblem] = useState<ApiProblem | string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = target.kind === 'lead_list' ? LEAD_FIELDS_BY_HAND : BY_HAND_FIELDS;
  const fieldError = (f: string) => (problem instanceof ApiProblem ? problem.forField(f) : undefined);

  async function send(e: React.FormEvent) {
    e.preventDefault();
    const record = recordOf(values, target.kind);
    const why = recordProblem(record, target.kind) ?? targetProblem(target);
    if (why) {
      setProblem(why);
      return;
    }
    setBusy(true);
    setProblem(null);
    const name = target.mode === 'new' ? { name: target.name.trim() } : { id: target.id };
    try {
      const accepted = await postJson<Upload>('/v1/uploads/record', {
        record,
        options: {
          target: { kind: target.kind, ...name },
          ...(region.trim() ? { default_region: region.trim().toUpperCase() } : {}),
        },
      });
      navigate(`/uploads/${accepted.id}`);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? err : String(err));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={send} aria-label="One contact by hand" noValidate>
      <Stack>
        <Paper withBorder p="md">
          <TargetPicker
            target={target}
            onChange={setTarget}
            groups={groups}
            lists={lists}
            error={problem instanceof ApiProblem ? (problem.forField('target.name') ?? problem.forField('target')) : undefined}
          />
        </Paper>
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="sm">
            {target.kind === 'lead_list' ? 'The lead' : 'The contact'}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
            {fields.map((f) => (
              <TextInput
                key={f}
                label={fieldLabel(f)}
                value={values[f] ?? ''}
                onChange={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
                error={fieldError(f)}
                autoComplete="off"
              />
            ))}
            <TextInput
              label="Default country for the phone"
              description="Two letters, e.g. US, GB, ES"
              value={region}
              maxLength={2}
              onChange={(e) => setRegion(e.currentTarget.value)}
              error={fieldError('default_region')}
            />
          </SimpleGrid>
        </Paper>
        {problem && (
          <Alert color="red" title={problem instanceof ApiProblem ? problem.title : 'Cannot add it yet'} role="alert">
            {problem instanceof ApiProblem ? (problem.detail ?? problem.readable()) : problem}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={busy}>
            {target.kind === 'lead_list' ? 'Add the lead' : 'Add the contact'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
