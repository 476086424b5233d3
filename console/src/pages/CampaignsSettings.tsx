import { Fieldset, NumberInput, SimpleGrid, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { PageLoading, SaveRow, useSettings } from '../components/Outreach';
import { settingsProblems, wholeNumber, type CampaignSettings } from '../outreach';

/** The tenant's campaign settings: the sending window, the frequency cap, the HELP answer. */
export function CampaignsSettings() {
  const { form, set, problems, done, error, save } = useSettings<CampaignSettings>('/v1/campaign-settings');
  if (!form) return <PageLoading title="Campaign settings" error={error} />;
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    void save(form, settingsProblems(form));
  };

  return (
    <Stack gap="lg" maw={900}>
      <Title order={1}>Campaign settings</Title>
      <form onSubmit={submit} aria-label="Campaign settings" noValidate>
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
              <NumberInput label="Messages at most" min={1} max={1000} allowDecimal={false} value={form.frequency_cap_messages} onChange={(v) => set('frequency_cap_messages', wholeNumber(v))} error={problems.frequency_cap_messages} />
              <NumberInput label="In this many days" min={1} max={365} allowDecimal={false} value={form.frequency_cap_days} onChange={(v) => set('frequency_cap_days', wholeNumber(v))} error={problems.frequency_cap_days} />
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
          <SaveRow error={error} done={done} label="Save the settings" failed="The settings were not saved" />
        </Stack>
      </form>
    </Stack>
  );
}
