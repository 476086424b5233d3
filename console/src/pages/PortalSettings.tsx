import { useState } from 'react';
import {
  Checkbox, Fieldset, Group, NumberInput, SimpleGrid, Stack, Switch, TextInput, Title,
} from '@mantine/core';
import { PageLoading, SaveRow, useSettings } from '../components/Outreach';
import { IDV_FACTS, parseInstalments, wholeNumber, type IdvFact, type PortalSettings as Settings } from '../outreach';

type Problems = Partial<Record<keyof Settings, string>>;

/** The customer portal's settings: the facts asked at ID&V and its limits, what customers
 * may do (promise, plan, the hold), payment limits and how long links last. */
export function PortalSettings() {
  const [instalments, setInstalments] = useState('');
  const { form, set, problems, done, error, save, setDone } = useSettings<Settings>('/v1/portal/settings', (s) =>
    setInstalments(s.plan_instalments.join(', ')),
  );
  if (!form) return <PageLoading title="Portal settings" error={error} />;
  const number = (k: keyof Settings, label: string, min: number, max: number) => (
    <NumberInput
      label={label}
      min={min}
      max={max}
      allowDecimal={false}
      value={form[k] as number}
      onChange={(v) => set(k, wholeNumber(v) as never)}
      error={problems[k]}
    />
  );

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const found: Problems = {};
    const plan = parseInstalments(instalments);
    if (!plan) found.plan_instalments = 'Whole numbers from 2 to 60, such as 3, 6, 12.';
    if (form.idv_fields.length === 0) found.idv_fields = 'Ask at least one fact.';
    if (form.plan_frequencies.length === 0) found.plan_frequencies = 'Offer at least one frequency.';
    void save({ ...form, plan_instalments: plan ?? form.plan_instalments }, found);
  };

  return (
    <Stack gap="lg" maw={900}>
      <Title order={1}>Portal settings</Title>
      <form onSubmit={submit} aria-label="Portal settings" noValidate>
        <Stack gap="md">
          <Fieldset legend="Identity check (ID&V)">
            <Checkbox.Group
              label="Facts the customer gives before seeing their accounts"
              value={form.idv_fields}
              onChange={(v) => set('idv_fields', v as IdvFact[])}
              error={problems.idv_fields}
            >
              <Stack gap={6} mt={6}>
                {(Object.keys(IDV_FACTS) as IdvFact[]).map((f) => (
                  <Checkbox key={f} value={f} label={IDV_FACTS[f]} />
                ))}
              </Stack>
            </Checkbox.Group>
            <SimpleGrid cols={{ base: 1, sm: 3 }} mt="sm">
              {number('max_attempts', 'Failed attempts before a lock', 1, 20)}
              {number('lockout_minutes', 'Lock lasts (minutes)', 1, 1440)}
              {number('session_idle_minutes', 'Signed out after idle (minutes)', 2, 120)}
            </SimpleGrid>
          </Fieldset>
          <Fieldset legend="Links">
            <SimpleGrid cols={{ base: 1, sm: 3 }}>{number('link_expiry_days', 'A link lasts (days)', 1, 365)}</SimpleGrid>
          </Fieldset>
          <Fieldset legend="What customers may do">
            <Stack gap="sm">
              <Switch label="Promise to pay" checked={form.promise_to_pay} onChange={(e) => set('promise_to_pay', e.currentTarget.checked)} />
              <Switch label="Payment plans" checked={form.payment_plans} onChange={(e) => set('payment_plans', e.currentTarget.checked)} />
              <Switch
                label="Hold customers with a promise or plan out of campaigns and dialer queues"
                checked={form.hold_arrangements}
                onChange={(e) => set('hold_arrangements', e.currentTarget.checked)}
              />
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <TextInput label="Minimum payment" inputMode="decimal" value={form.minimum_payment} onChange={(e) => set('minimum_payment', e.currentTarget.value)} error={problems.minimum_payment} />
                {number('promise_max_days', 'Promise at most (days ahead)', 1, 365)}
                <TextInput label="Smallest plan instalment" inputMode="decimal" value={form.plan_min_instalment} onChange={(e) => set('plan_min_instalment', e.currentTarget.value)} error={problems.plan_min_instalment} />
              </SimpleGrid>
              <TextInput
                label="Plan lengths (instalments)"
                description="Separated by commas, such as 3, 6, 12"
                value={instalments}
                onChange={(e) => {
                  setInstalments(e.currentTarget.value);
                  setDone(false);
                }}
                error={problems.plan_instalments}
                w={{ base: '100%', sm: 320 }}
              />
              <Checkbox.Group
                label="Plan frequencies"
                value={form.plan_frequencies}
                onChange={(v) => set('plan_frequencies', v as Settings['plan_frequencies'])}
                error={problems.plan_frequencies}
              >
                <Group mt={6}>
                  <Checkbox value="weekly" label="Weekly" />
                  <Checkbox value="fortnightly" label="Fortnightly" />
                  <Checkbox value="monthly" label="Monthly" />
                </Group>
              </Checkbox.Group>
            </Stack>
          </Fieldset>
          <SaveRow error={error} done={done} label="Save the settings" failed="The settings were not saved" />
        </Stack>
      </form>
    </Stack>
  );
}
