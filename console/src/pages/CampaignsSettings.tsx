import { useEffect, useState } from 'react';
import { Button, Fieldset, Group, NumberInput, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { ApiProblem, getJson, sendJson } from '../api';
import { ProblemAlert, Saved, useAction } from '../components/Outreach';
import { fieldProblems, settingsProblems, type CampaignSettings } from '../outreach';

type Problems = Partial<Record<keyof CampaignSettings, string>>;

/** The tenant's campaign settings: the sending window, the frequency cap, the HELP answer. */
export function CampaignsSettings() {
  const [form, setForm] = useState<CampaignSettings | null>(null);
  const [problems, setProblems] = useState<Problems>({});
  const [done, setDone] = useState(false);
  const [error, act, setError] = useAction();

  useEffect(() => {
    void act(async () => setForm(await getJson<CampaignSettings>('/v1/campaign-settings')));
  }, [act]);

  if (!form) {
    return (
      <Stack gap="lg">
        <Title order={1}>Campaign settings</Title>
        <ProblemAlert error={error} />
        {!error && <Text>Loading…</Text>}
      </Stack>
    );
  }
  const set = <K extends keyof CampaignSettings>(k: K, v: CampaignSettings[K]) => {
    setForm({ ...form, [k]: v });
    setDone(false);
  };

  async function save(e: React.FormEvent) {
    e.preventDefault();
    setDone(false);
    setError(null);
    const found = settingsProblems(form!);
    setProblems(found);
    if (Object.keys(found).length) return;
    try {
      const saved = await sendJson<CampaignSettings>('PUT', '/v1/campaign-settings', form);
      if (saved) setForm(saved);
      setDone(true);
    } catch (err) {
      if (!(err instanceof ApiProblem)) return setError(String(err));
      const fields = fieldProblems(err, form!);
      setProblems(fields);
      if (!Object.keys(fields).length) setError(err.readable());
    }
  }

  const whole = (v: string | number) => (typeof v === 'number' ? v : Number.parseInt(v, 10) || 0);
  return (
    <Stack gap="lg" maw={900}>
      <Title order={1}>Campaign settings</Title>
      <form onSubmit={save} aria-label="Campaign settings" noValidate>
        <Stack gap="md">
          <Fieldset legend="Quiet hours">
            <Text size="sm" mb="sm">
              Messages go out only inside this window, in each contact's own time zone; one due outside it waits for
              the next opening.
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Sending opens at" type="time" value={form.quiet_hours_start} onChange={(e) => set('quiet_hours_start', e.currentTarget.value)} error={problems.quiet_hours_start} />
              <TextInput label="Sending closes at" type="time" value={form.quiet_hours_end} onChange={(e) => set('quiet_hours_end', e.currentTarget.value)} error={problems.quiet_hours_end} />
            </SimpleGrid>
          </Fieldset>
          <Fieldset legend="Frequency cap">
            <Text size="sm" mb="sm">
              At most this many messages to one contact on one channel, across every campaign.
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput label="Messages at most" min={1} max={1000} allowDecimal={false} value={form.frequency_cap_messages} onChange={(v) => set('frequency_cap_messages', whole(v))} error={problems.frequency_cap_messages} />
              <NumberInput label="In this many days" min={1} max={365} allowDecimal={false} value={form.frequency_cap_days} onChange={(v) => set('frequency_cap_days', whole(v))} error={problems.frequency_cap_days} />
            </SimpleGrid>
          </Fieldset>
          <Textarea
            label="Answer to an SMS HELP"
            description="Sent to whoever replies HELP to a text message."
            autosize
            minRows={2}
            value={form.sms_help_text}
            onChange={(e) => set('sms_help_text', e.currentTarget.value)}
            error={problems.sms_help_text}
          />
          <ProblemAlert error={error} title="The settings were not saved" />
          <Group>
            <Button type="submit">Save the settings</Button>
            <Saved shown={done} />
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
