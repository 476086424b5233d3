import { useEffect, useState } from 'react';
import {
  Button, Checkbox, Group, NumberInput, Radio, Select, SimpleGrid, Stack, TagsInput, TextInput, Title,
} from '@mantine/core';
import { getJson, postJson, sendJson } from '../api';
import { ChannelPicker, ProblemAlert, readable } from '../components/Outreach';
import {
  EMPTY_CAMPAIGN, campaignBody, campaignForm, campaignFormProblems, campaignProblems,
  type Campaign, type CampaignForm, type MessageTemplate,
} from '../outreach';

type Problems = Partial<Record<keyof CampaignForm, string>>;

/** Create a campaign, or edit a draft: channel, template, audience, trigger and rate. */
export function CampaignsForm({ campaign, onSaved }: { campaign?: Campaign; onSaved: (c: Campaign) => void }) {
  const [form, setForm] = useState<CampaignForm>(campaign ? campaignForm(campaign) : EMPTY_CAMPAIGN);
  const [templates, setTemplates] = useState<MessageTemplate[]>([]);
  const [groups, setGroups] = useState<string[]>([]);
  const [tags, setTags] = useState<string[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const names = (page: { items: { name: string }[] }) => page.items.map((i) => i.name);
    Promise.all([
      getJson<{ items: MessageTemplate[] }>('/v1/message-templates'),
      getJson<{ items: { name: string }[] }>('/v1/groups?limit=1000'),
      getJson<{ items: { name: string }[] }>('/v1/tags?limit=1000'),
    ])
      .then(([t, g, tg]) => {
        setTemplates(t.items);
        setGroups(names(g));
        setTags(names(tg));
      })
      .catch((err: unknown) => setError(readable(err)));
  }, []);

  const set = <K extends keyof CampaignForm>(k: K, v: CampaignForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    // An edited field's message goes: it spoke of the value before.
    setProblems((p) => ({ ...p, [k]: undefined }));
  };
  const text = (k: 'uploadId' | 'postcodePrefix' | 'balanceMin' | 'balanceMax' | 'updatedSince', label: string, more: object = {}) => (
    <TextInput label={label} value={form[k]} onChange={(e) => set(k, e.currentTarget.value)} error={problems[k]} {...more} />
  );
  const ofChannel = templates.filter((t) => t.channel === form.channel);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const found = campaignFormProblems(form);
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const saved = campaign
        ? await sendJson<Campaign>('PUT', `/v1/campaigns/${campaign.id}`, campaignBody(form))
        : await postJson<Campaign>('/v1/campaigns', campaignBody(form));
      if (saved) onSaved(saved);
    } catch (err) {
      const { fields, rest } = campaignProblems(err);
      setProblems(fields);
      setError(rest);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label={campaign ? 'Edit the campaign' : 'New campaign'} noValidate>
      <Stack gap="md">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label="Name" required value={form.name} onChange={(e) => set('name', e.currentTarget.value)} error={problems.name} />
          <ChannelPicker id="campaign-channel-label" value={form.channel} onChange={(channel) => setForm((f) => ({ ...f, channel, templateId: null }))} />
        </SimpleGrid>
        <Select
          label="Template"
          required
          placeholder={ofChannel.length ? 'Choose a template' : 'No template of this channel yet'}
          data={ofChannel.map((t) => ({ value: t.id, label: t.name }))}
          value={form.templateId}
          onChange={(v) => set('templateId', v)}
          error={problems.templateId}
          searchable
          nothingFoundMessage="No template by that name"
        />

        <Title order={2} size="h4">
          Audience
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TagsInput
            label="Groups"
            description="Contacts in any of these groups (Enter after each)"
            data={groups}
            value={form.groups}
            onChange={(v) => set('groups', v)}
            error={problems.groups}
          />
          <TagsInput
            label="Tags"
            description="Only contacts with every one of these tags"
            data={tags}
            value={form.tags}
            onChange={(v) => set('tags', v)}
            error={problems.tags}
          />
          {text('uploadId', 'Upload id', { description: 'Or the contacts of one upload' })}
          {text('postcodePrefix', 'Postcode starts with')}
          {text('balanceMin', 'Balance at least', { inputMode: 'decimal' })}
          {text('balanceMax', 'Balance at most', { inputMode: 'decimal' })}
          {text('updatedSince', 'Updated since', { type: 'date' })}
          <Checkbox
            mt="lg"
            label="Only contacts who consented on this channel"
            checked={form.consentOnly}
            onChange={(e) => set('consentOnly', e.currentTarget.checked)}
          />
        </SimpleGrid>

        <Title order={2} size="h4">
          When it sends
        </Title>
        <Radio.Group value={form.trigger} onChange={(v) => set('trigger', v as CampaignForm['trigger'])} label="Trigger">
          <Stack gap={6} mt={6}>
            <Radio value="manual" label="When I press Send" />
            <Radio value="list_ready" label="Each time a group of the audience is ready (an upload into it completes)" />
            <Radio value="schedule" label="At a set time" />
            <Radio value="now" label="Now, as soon as it is created" />
          </Stack>
        </Radio.Group>
        {form.trigger === 'schedule' && (
          <TextInput
            label="Send at (your local time)"
            type="datetime-local"
            value={form.at}
            onChange={(e) => set('at', e.currentTarget.value)}
            error={problems.at}
            w={280}
          />
        )}
        <NumberInput
          label="Messages per second"
          value={form.sendRate}
          onChange={(v) => set('sendRate', typeof v === 'number' ? v : Number(v) || 0)}
          min={0.1}
          max={10_000}
          decimalScale={1}
          error={problems.sendRate}
          w={200}
        />
        <ProblemAlert error={error} title="The campaign was not saved" />
        <Group>
          <Button type="submit" loading={busy}>
            {campaign ? 'Save the campaign' : 'Create the campaign'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
