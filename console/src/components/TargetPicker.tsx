import { Group, Radio, Select, Stack, TextInput } from '@mantine/core';
import type { TargetChoice, TargetKind } from '../wizard';

export interface Choosable {
  id: string;
  name: string;
}

const NOUN: Record<TargetKind, string> = { group: 'group', lead_list: 'lead list' };

/** Where rows go: a contact group or a dialer lead list, an existing one or a new one. */
export function TargetPicker({
  target,
  onChange,
  groups,
  lists,
  error,
}: {
  target: TargetChoice;
  onChange: (target: TargetChoice) => void;
  groups: Choosable[];
  lists: Choosable[];
  error: string | null | undefined;
}) {
  const known = target.kind === 'lead_list' ? lists : groups;
  const noun = NOUN[target.kind];
  const fresh = (kind: TargetKind, mode: string): TargetChoice => {
    const pool = kind === 'lead_list' ? lists : groups;
    return mode === 'existing' && pool.length > 0
      ? { kind, mode: 'existing', id: pool[0].id }
      : { kind, mode: 'new', name: '' };
  };
  return (
    <Stack gap="sm">
      <Radio.Group
        label="What the rows become"
        value={target.kind}
        onChange={(v) => onChange(fresh(v as TargetKind, target.mode))}
      >
        <Group mt="xs">
          <Radio value="group" label="Contacts in a group" />
          <Radio value="lead_list" label="Leads in a dialer list" />
        </Group>
      </Radio.Group>
      <Radio.Group
        label={`Which ${noun}`}
        value={target.mode}
        onChange={(v) => onChange(fresh(target.kind, v))}
      >
        <Group mt="xs">
          <Radio value="new" label={`A new ${noun}`} />
          <Radio value="existing" label={`An existing ${noun}`} disabled={known.length === 0} />
        </Group>
      </Radio.Group>
      {target.mode === 'new' ? (
        <TextInput
          label={target.kind === 'lead_list' ? 'New list name' : 'New group name'}
          value={target.name}
          onChange={(e) => onChange({ kind: target.kind, mode: 'new', name: e.currentTarget.value })}
          error={error}
          required
        />
      ) : (
        <Select
          label={target.kind === 'lead_list' ? 'Lead list' : 'Group'}
          data={known.map((g) => ({ value: g.id, label: g.name }))}
          value={target.id || null}
          onChange={(v) => onChange({ kind: target.kind, mode: 'existing', id: v ?? '' })}
          searchable
          allowDeselect={false}
          error={error}
        />
      )}
    </Stack>
  );
}
