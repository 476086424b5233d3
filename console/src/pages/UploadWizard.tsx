import { useEffect, useMemo, useRef, useState } from 'react';
import {
  Alert, Button, Checkbox, Group, Paper, Progress, SegmentedControl, Select, SimpleGrid,
  Stack, Stepper, Switch, Table, TagsInput, Text, TextInput, Textarea, Title,
} from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { ApiProblem, getJson, postJson, sendUpload } from '../api';
import { follow } from '../sse';
import { bytes, count, delimiterName, rate, timeLeft } from '../format';
import { navigate } from '../router';
import type { Group as LabelGroup, Preview, Upload } from '../types';
import {
  DEFAULT_LEAD_OPTIONS, DEFAULT_POLICIES, MATCH_KEYS, buildOptions, changedSettings, defaultMatchKey,
  fieldLabel, initialColumns, mappingProblems, settingsOf, targetProblem,
  type ColumnChoice, type LeadOptions, type Policies, type Settings, type TargetChoice,
} from '../wizard';
import { MappingTable } from '../components/MappingTable';
import { CountsGrid } from '../components/CountsGrid';
import { TargetPicker, type Choosable } from '../components/TargetPicker';
import { ByHandForm } from '../components/ByHandForm';
import { SavedMappingsPanel } from '../components/SavedMappingsPanel';

const ACCEPT = {
  'text/csv': ['.csv'],
  'text/tab-separated-values': ['.tsv'],
  'text/plain': ['.txt'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['.xlsx'],
  'application/vnd.ms-excel': ['.xls'],
  'application/vnd.oasis.opendocument.spreadsheet': ['.ods'],
};

export function UploadWizard() {
  const [step, setStep] = useState(0);
  const [method, setMethod] = useState<'file' | 'paste' | 'hand'>('file');
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState('');
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [upload, setUpload] = useState<Upload | null>(null);
  const [readOptions, setReadOptions] = useState<Record<string, unknown>>({});
  const [settings, setSettings] = useState<Settings | null>(null);
  const [columns, setColumns] = useState<ColumnChoice[]>([]);
  const [matchKey, setMatchKey] = useState<string | null>(null);
  const [groups, setGroups] = useState<LabelGroup[]>([]);
  const [lists, setLists] = useState<Choosable[]>([]);
  const [target, setTarget] = useState<TargetChoice>({ kind: 'group', mode: 'new', name: '' });
  const [policies, setPolicies] = useState<Policies>(DEFAULT_POLICIES);
  const [leads, setLeads] = useState<LeadOptions>(DEFAULT_LEAD_OPTIONS);
  const [template, setTemplate] = useState<string | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiProblem | string | null>(null);
  const [showTargetError, setShowTargetError] = useState(false);
  const previewAbort = useRef<AbortController | null>(null);

  useEffect(() => () => previewAbort.current?.abort(), []);

  // The groups and lead lists a target can be (a failure leaves "new" as the only choice).
  const loadTargets = () => {
    getJson<{ items: LabelGroup[] }>('/v1/groups?limit=1000')
      .then((page) => setGroups(page.items))
      .catch(() => setGroups([]));
    getJson<{ items: Choosable[] }>('/v1/lead-lists?limit=500')
      .then((page) => setLists(page.items))
      .catch(() => setLists([]));
  };
  useEffect(loadTargets, []);

  const problems = useMemo(() => mappingProblems(columns, matchKey), [columns, matchKey]);
  const matchOptions = columns
    .filter((c) => MATCH_KEYS.includes(c.field))
    .map((c) => ({ value: c.field, label: `${fieldLabel(c.field)} (column "${c.column}")` }));
  const options = () =>
    buildOptions({ columns, matchKey, settings: readOptions, target, policies, leads, template });

  async function read(extra: Record<string, unknown>) {
    const form = new FormData();
    if (method === 'file') {
      if (!file) {
        setError('Choose a file first, or drop one in the box.');
        return;
      }
      form.append('file', file, file.name);
    } else {
      if (!text.trim()) {
        setError('Paste the cells first.');
        return;
      }
      form.append('text', text);
    }
    form.append('options', JSON.stringify({ ...extra, start: false }));
    setBusy(true);
    setError(null);
    setSent(null);
    try {
      const doc = await sendUpload<Upload>(form, (s, t) => setSent({ sent: s, total: t }));
      const cols = initialColumns(doc);
      setUpload(doc);
      setReadOptions(extra);
      setSettings(settingsOf(doc.detected));
      setColumns(cols);
      setMatchKey(defaultMatchKey(cols));
      setPreview(null);
      setTemplate(null);
      setStep(1);
      loadTargets();
    } catch (err) {
      setError(err instanceof ApiProblem ? err : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function runPreview() {
    if (!upload) return;
    previewAbort.current?.abort();
    const abort = new AbortController();
    previewAbort.current = abort;
    setBusy(true);
    setError(null);
    setPreview(null);
    setStep(3);
    try {
      const started = await postJson<Preview>(`/v1/uploads/${upload.id}/preview`, options());
      setPreview(started);
      if (started.status === 'running') {
        const last = await follow<Preview>(
          `/v1/uploads/${upload.id}/preview/events`,
          (_, p) => setPreview(p),
          abort.signal,
        );
        if (last) setPreview(last);
      }
    } catch (err) {
      if (!abort.signal.aborted) setError(err instanceof ApiProblem ? err : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function start() {
    if (!upload) return;
    setBusy(true);
    setError(null);
    try {
      await postJson<Upload>(`/v1/uploads/${upload.id}/start`, options());
      navigate(`/uploads/${upload.id}`);
    } catch (err) {
      setError(err instanceof ApiProblem ? err : String(err));
      setBusy(false);
    }
  }

  const errorAlert = error && (
    <Alert color="red" title={error instanceof ApiProblem ? error.title : 'Cannot go on'} role="alert">
      {error instanceof ApiProblem ? error.readable() : error}
    </Alert>
  );
  const targetMessage = targetProblem(target);
  const targetFieldError =
    (error instanceof ApiProblem && (error.forField('target.name') ?? error.forField('target'))) ||
    (showTargetError ? targetMessage : null);

  return (
    <Stack gap="lg" maw={1100}>
      <Title order={1}>Upload a list</Title>
      <Stepper
        active={step}
        onStepClick={(s) => s < step && setStep(s)}
        allowNextStepsSelect={false}
        size="sm"
      >
        <Stepper.Step label="Source" description="File, pasted cells or by hand">
          <Stack mt="md">
            <SegmentedControl
              value={method}
              onChange={(v) => setMethod(v as 'file' | 'paste' | 'hand')}
              data={[
                { value: 'file', label: 'A file' },
                { value: 'paste', label: 'Pasted cells' },
                { value: 'hand', label: 'One by hand' },
              ]}
              aria-label="What to upload"
              w="fit-content"
            />
            {method === 'hand' ? (
              <ByHandForm groups={groups} lists={lists} />
            ) : method === 'file' ? (
              <Dropzone
                onDrop={(files) => {
                  setFile(files[0] ?? null);
                  setError(null);
                }}
                onReject={() => setError('That file type is not accepted: use CSV, TSV, TXT, XLSX, XLS or ODS.')}
                accept={ACCEPT}
                multiple={false}
                maxFiles={1}
                aria-label="Choose a file or drop it here"
                inputProps={{ 'aria-label': 'File to upload' } as React.InputHTMLAttributes<HTMLInputElement>}
              >
                <Stack align="center" gap={4} py="lg" style={{ pointerEvents: 'none' }}>
                  <Text fw={600}>Drop a file here, or click to choose one</Text>
                  <Text size="sm" c="gray.7">
                    CSV, TSV, TXT, XLSX, XLS or ODS
                  </Text>
                  {file && (
                    <Text size="sm" mt="sm" data-testid="chosen-file">
                      Chosen: <strong>{file.name}</strong> ({bytes(file.size)})
                    </Text>
                  )}
                </Stack>
              </Dropzone>
            ) : (
              <Textarea
                label="Cells copied from a spreadsheet"
                description="Select the cells in your spreadsheet, copy, and paste here. The first row should hold the column names."
                autosize
                minRows={6}
                maxRows={16}
                value={text}
                onChange={(e) => setText(e.currentTarget.value)}
                styles={{ input: { fontFamily: 'monospace' } }}
              />
            )}
            {sent && busy && (
              <Stack gap={4}>
                <Progress value={(100 * sent.sent) / Math.max(sent.total, 1)} aria-label="Sending the file" />
                <Text size="sm" className="figure">
                  Sending: {bytes(sent.sent)} of {bytes(sent.total)}
                </Text>
              </Stack>
            )}
            {method !== 'hand' && errorAlert}
            {method !== 'hand' && (
              <Group>
                <Button onClick={() => read({})} loading={busy}>
                  Read {method === 'file' ? 'the file' : 'the cells'}
                </Button>
              </Group>
            )}
          </Stack>
        </Stepper.Step>

        <Stepper.Step label="Columns" description="Settings and mapping">
          {upload && settings && (
            <Stack mt="md">
              <Paper withBorder p="md">
                <Stack gap="sm">
                  <Title order={2} size="h4">
                    Detected settings
                  </Title>
                  <Text size="sm" c="gray.7">
                    {upload.file_name} · {upload.format.toUpperCase()} · {bytes(upload.size_bytes)}
                    {upload.detected.row_estimate != null &&
                      ` · about ${count(upload.detected.row_estimate)} rows`}
                  </Text>
                  <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                    <TextInput
                      label="Encoding"
                      disabled={!upload.detected.encoding}
                      value={settings.encoding}
                      onChange={(e) => setSettings({ ...settings, encoding: e.currentTarget.value })}
                    />
                    <Select
                      label="Delimiter"
                      data={[',', ';', '\t', '|'].map((d) => ({ value: d, label: delimiterName(d) }))}
                      value={settings.delimiter || null}
                      onChange={(v) => setSettings({ ...settings, delimiter: v ?? '' })}
                      allowDeselect={false}
                      disabled={!upload.detected.delimiter}
                    />
                    <Select
                      label="Enclosure"
                      data={[
                        { value: '"', label: 'Double quote (")' },
                        { value: "'", label: "Single quote (')" },
                      ]}
                      value={settings.quote || null}
                      onChange={(v) => setSettings({ ...settings, quote: v ?? '' })}
                      allowDeselect={false}
                      disabled={!upload.detected.quote}
                    />
                    {upload.detected.sheets?.length ? (
                      <Select
                        label="Sheet"
                        description={
                          upload.detected.sheets.length > 1
                            ? `${upload.detected.sheets.length} sheets; choosing one reads it`
                            : 'The workbook has one sheet'
                        }
                        data={upload.detected.sheets}
                        value={settings.sheet || null}
                        allowDeselect={false}
                        disabled={busy || upload.detected.sheets.length < 2}
                        onChange={(v) => {
                          if (!v || v === settings.sheet) return;
                          const chosen = { ...settings, sheet: v };
                          setSettings(chosen);
                          void read({ ...readOptions, ...changedSettings(upload.detected, chosen) });
                        }}
                      />
                    ) : (
                      <div />
                    )}
                  </SimpleGrid>
                  <Group justify="space-between">
                    <Switch
                      label="The first row holds the column names"
                      checked={settings.header}
                      onChange={(e) => setSettings({ ...settings, header: e.currentTarget.checked })}
                    />
                    <Button
                      variant="light"
                      loading={busy}
                      disabled={Object.keys(changedSettings(upload.detected, settings)).length === 0}
                      onClick={() => read({ ...readOptions, ...changedSettings(upload.detected, settings) })}
                    >
                      Re-read with these settings
                    </Button>
                  </Group>
                </Stack>
              </Paper>
              <Title order={2} size="h4">
                Columns
              </Title>
              <SavedMappingsPanel
                columns={columns}
                onApply={(next, applied) => {
                  setColumns(next);
                  setTemplate(applied.template ?? null);
                  // The template's own key when its column is mapped, else keep a key still
                  // mapped, else the first key the new mapping offers.
                  const mapped = (key: string | null | undefined) => !!key && next.some((c) => c.field === key);
                  if (mapped(applied.matchKey)) setMatchKey(applied.matchKey ?? null);
                  else if (!mapped(matchKey)) setMatchKey(defaultMatchKey(next));
                }}
              />
              <MappingTable
                columns={columns}
                matchKey={matchKey}
                problems={problems}
                onChange={(column, field) =>
                  setColumns(columns.map((c) => (c.column === column ? { ...c, field } : c)))
                }
              />
              {problems.get('') && (
                <Text c="red.8" size="sm" role="alert">
                  {problems.get('')}
                </Text>
              )}
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label="Match key"
                  description="The column that finds contacts already stored."
                  data={matchOptions}
                  value={matchKey}
                  onChange={setMatchKey}
                  placeholder="No match key: every row is a new contact"
                  clearable
                />
                <TextInput
                  label="Default country for phone numbers"
                  description="Two letters, e.g. US, GB, ES. Numbers written with + ignore it."
                  value={policies.default_region}
                  maxLength={2}
                  onChange={(e) => setPolicies({ ...policies, default_region: e.currentTarget.value })}
                  error={error instanceof ApiProblem ? error.forField('default_region') : undefined}
                />
              </SimpleGrid>
              {errorAlert}
              <Group>
                <Button variant="default" onClick={() => setStep(0)}>
                  Back
                </Button>
                <Button onClick={() => setStep(2)} disabled={problems.size > 0}>
                  Next: target and policies
                </Button>
              </Group>
            </Stack>
          )}
        </Stepper.Step>

        <Stepper.Step label="Target" description="Group or list, and policies">
          <Stack mt="md">
            <Paper withBorder p="md">
              <TargetPicker target={target} onChange={setTarget} groups={groups} lists={lists} error={targetFieldError} />
            </Paper>
            {target.kind === 'lead_list' && (
              <Paper withBorder p="md">
                <Stack gap="sm">
                  <Title order={2} size="h4">
                    Leads already stored
                  </Title>
                  <Text size="sm" c="gray.7">
                    A lead is a duplicate when one of its phones is already a lead where you look.
                  </Text>
                  <SimpleGrid cols={{ base: 1, sm: 2 }}>
                    <Select
                      label="Look for duplicates in"
                      data={[
                        { value: 'list', label: 'This list' },
                        { value: 'campaign', label: 'Lists sharing a campaign with it' },
                        { value: 'tenant', label: 'Every list' },
                        { value: 'none', label: 'Nowhere: load every row' },
                      ]}
                      value={leads.scope}
                      onChange={(v) => v && setLeads({ ...leads, scope: v as LeadOptions['scope'] })}
                      allowDeselect={false}
                    />
                    <Select
                      label="On a duplicate"
                      data={[
                        { value: 'skip', label: 'Skip the row' },
                        { value: 'update', label: 'Update the stored lead' },
                        { value: 'migrate', label: 'Move it into this list' },
                      ]}
                      value={leads.action}
                      onChange={(v) => v && setLeads({ ...leads, action: v as LeadOptions['action'] })}
                      allowDeselect={false}
                      disabled={leads.scope === 'none'}
                    />
                  </SimpleGrid>
                  <Checkbox
                    label="Call the duplicates again (churn: reset their dial state)"
                    checked={leads.churn}
                    onChange={(e) => setLeads({ ...leads, churn: e.currentTarget.checked })}
                  />
                </Stack>
              </Paper>
            )}
            {target.kind === 'group' && (
            <Paper withBorder p="md">
              <Stack gap="sm">
                <Title order={2} size="h4">
                  Policies
                </Title>
                <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }}>
                  <Select
                    label="When no stored contact matches"
                    data={[
                      { value: 'import', label: 'Import as a new contact' },
                      { value: 'skip', label: 'Skip the row' },
                    ]}
                    value={policies.on_no_match}
                    onChange={(v) => v && setPolicies({ ...policies, on_no_match: v as Policies['on_no_match'] })}
                    allowDeselect={false}
                  />
                  <Select
                    label="When one contact matches"
                    data={[
                      { value: 'update', label: 'Update it' },
                      { value: 'skip', label: 'Skip the row' },
                    ]}
                    value={policies.on_one_match}
                    onChange={(v) => v && setPolicies({ ...policies, on_one_match: v as Policies['on_one_match'] })}
                    allowDeselect={false}
                  />
                  <Select
                    label="When several contacts match"
                    data={[
                      { value: 'update_last', label: 'Update the newest' },
                      { value: 'update_first', label: 'Update the oldest' },
                      { value: 'skip', label: 'Skip the row' },
                    ]}
                    value={policies.on_multiple_matches}
                    onChange={(v) =>
                      v && setPolicies({ ...policies, on_multiple_matches: v as Policies['on_multiple_matches'] })
                    }
                    allowDeselect={false}
                  />
                  <Select
                    label="Duplicates inside the file"
                    data={[
                      { value: 'first_wins', label: 'Keep the first row' },
                      { value: 'last_wins', label: 'Keep the last row' },
                    ]}
                    value={policies.in_file_duplicates}
                    onChange={(v) =>
                      v && setPolicies({ ...policies, in_file_duplicates: v as Policies['in_file_duplicates'] })
                    }
                    allowDeselect={false}
                  />
                  <Select
                    label="When updating"
                    data={[
                      { value: 'overwrite', label: 'Overwrite stored values' },
                      { value: 'fill_blanks', label: 'Only fill blank values' },
                    ]}
                    value={policies.merge}
                    onChange={(v) => v && setPolicies({ ...policies, merge: v as Policies['merge'] })}
                    allowDeselect={false}
                  />
                  <TagsInput
                    label="Tags for every contact"
                    description="Press Enter after each tag."
                    value={policies.tags}
                    onChange={(tags) => setPolicies({ ...policies, tags })}
                  />
                </SimpleGrid>
                <Group gap="lg">
                  {(['email', 'sms', 'call'] as const).map((channel) => (
                    <Checkbox
                      key={channel}
                      label={`Record ${channel === 'sms' ? 'SMS' : channel} consent`}
                      checked={policies.consents[channel] === true}
                      onChange={(e) =>
                        setPolicies({
                          ...policies,
                          consents: { ...policies.consents, [channel]: e.currentTarget.checked ? true : null },
                        })
                      }
                    />
                  ))}
                </Group>
              </Stack>
            </Paper>
            )}
            {errorAlert}
            <Group>
              <Button variant="default" onClick={() => setStep(1)}>
                Back
              </Button>
              <Button
                onClick={() => {
                  setShowTargetError(true);
                  if (!targetMessage) void runPreview();
                }}
              >
                Next: preview
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>

        <Stepper.Step label="Preview" description="Check, then import">
          <Stack mt="md">
            {preview === null && busy && <Text>Starting the preview…</Text>}
            {preview && (
              <>
                {preview.status === 'running' && (
                  <Stack gap={4}>
                    <Progress value={preview.percent} aria-label="Preview progress" animated />
                    <Text size="sm" className="figure">
                      Checking every row: {preview.percent.toFixed(0)}% · {rate(preview.rows_per_second)} ·{' '}
                      {timeLeft(preview.eta_seconds)} left
                    </Text>
                  </Stack>
                )}
                {preview.status === 'failed' && (
                  <Alert color="red" title="The preview failed">
                    {preview.failure ?? 'No reason given.'}
                  </Alert>
                )}
                <Title order={2} size="h4">
                  Rows
                </Title>
                <CountsGrid
                  label="Rows in the file"
                  figures={[
                    { label: 'Rows', value: preview.counts.rows },
                    { label: 'Valid', value: preview.counts.valid, color: 'green.9' },
                    { label: 'Invalid', value: preview.counts.invalid, color: 'red.8' },
                    { label: 'Duplicates', value: preview.counts.duplicates, color: 'orange.9' },
                  ]}
                />
                <Title order={2} size="h4">
                  Matches against stored contacts (by {fieldLabel(preview.matches.key)})
                </Title>
                <CountsGrid
                  label="Matches against stored contacts"
                  figures={[
                    { label: 'No match', value: preview.matches.no_match },
                    { label: 'One match', value: preview.matches.one_match },
                    { label: 'Several matches', value: preview.matches.several_matches },
                  ]}
                />
                {preview.invalid_examples.length > 0 && (
                  <>
                    <Title order={2} size="h4">
                      Invalid rows
                    </Title>
                    <Table.ScrollContainer minWidth={560}>
                      <Table striped aria-label="Invalid rows">
                        <Table.Thead>
                          <Table.Tr>
                            <Table.Th scope="col">Row</Table.Th>
                            <Table.Th scope="col">Column</Table.Th>
                            <Table.Th scope="col">Value</Table.Th>
                            <Table.Th scope="col">Reason</Table.Th>
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {preview.invalid_examples.map((e, i) => (
                            <Table.Tr key={`${e.row_number}-${e.column}-${i}`}>
                              <Table.Td className="figure">{e.row_number}</Table.Td>
                              <Table.Td>{e.column}</Table.Td>
                              <Table.Td>{e.value}</Table.Td>
                              <Table.Td>{e.reason}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </Table.ScrollContainer>
                  </>
                )}
              </>
            )}
            {errorAlert}
            <Group>
              <Button variant="default" onClick={() => setStep(2)} disabled={busy && preview === null}>
                Back
              </Button>
              <Button onClick={start} disabled={preview?.status !== 'completed'} loading={busy && preview?.status === 'completed'}>
                Start the import
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}
