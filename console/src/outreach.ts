// The campaigns and portal half of the /v1 API as the console reads it (services/campaigns
// and services/portal entrypoints), and what those pages decide, as plain data.
import { ApiProblem } from './api';

export type Channel = 'email' | 'sms';

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  units: number;
  segments: number;
}

export interface MessageTemplate {
  id: string;
  name: string;
  channel: Channel;
  subject: string | null;
  html: string | null;
  text: string | null;
  text_derived: boolean;
  body: string | null;
  sms: SmsSegments | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface TemplatePreview {
  template_id: string;
  channel: Channel;
  subject: string | null;
  html: string | null;
  text: string | null;
  body: string | null;
  sms: SmsSegments | null;
}

export interface TemplateForm {
  name: string;
  channel: Channel;
  subject: string;
  html: string;
  text: string;
  body: string;
}

export const EMPTY_TEMPLATE: TemplateForm = { name: '', channel: 'email', subject: '', html: '', text: '', body: '' };

export function templateForm(t: MessageTemplate): TemplateForm {
  return {
    name: t.name,
    channel: t.channel,
    subject: t.subject ?? '',
    html: t.html ?? '',
    // A derived text part is shown as derived, not saved back as the operator's own.
    text: t.text_derived ? '' : (t.text ?? ''),
    body: t.body ?? '',
  };
}

/** The body POST/PUT /v1/message-templates takes: only the parts of the channel; an empty
 * text part is left out so the API derives it from the HTML. */
export function templateBody(f: TemplateForm, version?: number): Record<string, unknown> {
  const base: Record<string, unknown> = { name: f.name.trim(), channel: f.channel };
  if (version !== undefined) base.version = version;
  if (f.channel === 'sms') return { ...base, body: f.body };
  return {
    ...base,
    subject: f.subject,
    ...(f.html.trim() ? { html: f.html } : {}),
    ...(f.text.trim() ? { text: f.text } : {}),
  };
}

/** The template form's parts that a problem names (`errors[].location` `body.<part>`), and
 * what is left for the alert above the form. */
export function templateProblems(p: unknown): { fields: Partial<Record<keyof TemplateForm, string>>; rest: string | null } {
  if (!(p instanceof ApiProblem)) return { fields: {}, rest: String(p) };
  const fields: Partial<Record<keyof TemplateForm, string>> = {};
  for (const part of ['name', 'subject', 'html', 'text', 'body'] as const) {
    const message = p.forField(part);
    if (message) fields[part] = message;
  }
  return { fields, rest: Object.keys(fields).length ? null : p.readable() };
}

export function segmentsText(s: SmsSegments | null | undefined): string {
  if (!s) return '–';
  const unit = s.encoding === 'GSM-7' ? 'characters' : 'UTF-16 units';
  return `${s.segments} ${s.segments === 1 ? 'segment' : 'segments'} · ${s.units} ${unit} · ${s.encoding}`;
}

export type CampaignStatus = 'draft' | 'sending' | 'paused' | 'completed' | 'cancelled';
export type TriggerOn = 'manual' | 'list_ready' | 'now' | 'schedule';

export interface Filters {
  balance_min: string | null;
  balance_max: string | null;
  updated_since: string | null;
  postcode_prefix: string | null;
  consent: boolean;
}

export interface Campaign {
  id: string;
  name: string;
  channel: Channel;
  template_id: string;
  audience: { groups: string[]; tags: string[]; upload_id: string | null; filters: Partial<Filters> };
  trigger: { on: TriggerOn; at: string | null };
  status: CampaignStatus;
  send_rate: number;
  created_at: string;
  triggered_at: string | null;
  targeted_at: string | null;
  /** When its last message was settled (status completed). */
  finished_at?: string | null;
}

export interface CampaignStats {
  targeted: number;
  suppressed: Record<string, number>;
  deferred: number;
  pending: number;
  sent: number;
  delivered: number;
  failed: number;
  unsubscribed: number;
  /** Still open when the campaign was cancelled: never sent. */
  cancelled: number;
}

export interface CampaignForm {
  name: string;
  channel: Channel;
  templateId: string | null;
  groups: string[];
  tags: string[];
  uploadId: string;
  balanceMin: string;
  balanceMax: string;
  postcodePrefix: string;
  updatedSince: string;
  consentOnly: boolean;
  trigger: TriggerOn;
  /** A datetime-local value ("2026-03-01T09:00"), read in the browser's zone. */
  at: string;
  sendRate: number;
}

export const EMPTY_CAMPAIGN: CampaignForm = {
  name: '', channel: 'email', templateId: null, groups: [], tags: [], uploadId: '',
  balanceMin: '', balanceMax: '', postcodePrefix: '', updatedSince: '', consentOnly: false,
  trigger: 'manual', at: '', sendRate: 100,
};

/** A datetime-local value as an ISO instant with its offset (the API wants an aware time). */
function instant(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** "2026-03-01T09:00" in the browser's zone for an ISO instant (the datetime-local input). */
export function localInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function campaignForm(c: Campaign): CampaignForm {
  const f = c.audience.filters ?? {};
  return {
    name: c.name,
    channel: c.channel,
    templateId: c.template_id,
    groups: c.audience.groups,
    tags: c.audience.tags,
    uploadId: c.audience.upload_id ?? '',
    balanceMin: f.balance_min ?? '',
    balanceMax: f.balance_max ?? '',
    postcodePrefix: f.postcode_prefix ?? '',
    updatedSince: f.updated_since ? f.updated_since.slice(0, 10) : '',
    consentOnly: f.consent ?? false,
    trigger: c.trigger.on,
    at: localInput(c.trigger.at),
    sendRate: c.send_rate,
  };
}

/** What is wrong with the form before it is sent, by field (the API checks again). */
export function campaignFormProblems(f: CampaignForm): Partial<Record<keyof CampaignForm, string>> {
  const out: Partial<Record<keyof CampaignForm, string>> = {};
  if (!f.name.trim()) out.name = 'Give the campaign a name.';
  if (!f.templateId) out.templateId = 'Choose a template of this channel.';
  if (f.groups.length === 0 && !f.uploadId.trim()) out.groups = 'Name at least one group, or an upload.';
  if (f.trigger === 'schedule' && !instant(f.at)) out.at = 'Choose the day and time to send.';
  const money = /^-?\d+(\.\d{1,2})?$/;
  if (f.balanceMin && !money.test(f.balanceMin)) out.balanceMin = 'A number, such as 100 or 99.50.';
  if (f.balanceMax && !money.test(f.balanceMax)) out.balanceMax = 'A number, such as 100 or 99.50.';
  if (!out.balanceMin && !out.balanceMax && f.balanceMin && f.balanceMax && Number(f.balanceMin) > Number(f.balanceMax))
    out.balanceMax = 'At least the minimum.';
  if (!(f.sendRate > 0 && f.sendRate <= 10_000)) out.sendRate = 'Between 0.1 and 10,000 messages a second.';
  return out;
}

/** The body POST/PUT /v1/campaigns takes. */
export function campaignBody(f: CampaignForm): Record<string, unknown> {
  const filters: Record<string, unknown> = { consent: f.consentOnly };
  if (f.balanceMin) filters.balance_min = f.balanceMin;
  if (f.balanceMax) filters.balance_max = f.balanceMax;
  if (f.postcodePrefix.trim()) filters.postcode_prefix = f.postcodePrefix.trim();
  if (f.updatedSince) filters.updated_since = `${f.updatedSince}T00:00:00Z`;
  return {
    name: f.name.trim(),
    channel: f.channel,
    template_id: f.templateId,
    audience: {
      groups: f.groups,
      tags: f.tags,
      upload_id: f.uploadId.trim() || null,
      filters,
    },
    trigger: f.trigger === 'schedule' ? { on: 'schedule', at: instant(f.at) } : { on: f.trigger },
    send_rate: f.sendRate,
  };
}

// The API's field locations (body.audience.filters.balance_min) as the form's fields.
const CAMPAIGN_FIELDS: [string, keyof CampaignForm][] = [
  ['name', 'name'], ['template_id', 'templateId'], ['groups', 'groups'], ['tags', 'tags'],
  ['upload_id', 'uploadId'], ['balance_min', 'balanceMin'], ['balance_max', 'balanceMax'],
  ['postcode_prefix', 'postcodePrefix'], ['updated_since', 'updatedSince'], ['at', 'at'],
  ['send_rate', 'sendRate'], ['audience', 'groups'], ['trigger', 'at'],
];

export function campaignProblems(p: unknown): { fields: Partial<Record<keyof CampaignForm, string>>; rest: string | null } {
  if (!(p instanceof ApiProblem)) return { fields: {}, rest: String(p) };
  const fields: Partial<Record<keyof CampaignForm, string>> = {};
  for (const [api, form] of CAMPAIGN_FIELDS) {
    const message = p.forField(api);
    if (message) fields[form] = message;
  }
  // Use-case refusals name their field in the problem's `field` member, not in `errors`.
  const named = CAMPAIGN_FIELDS.find(([api]) => api === p.field);
  if (named && !fields[named[1]]) fields[named[1]] = p.detail ?? p.title;
  return { fields, rest: Object.keys(fields).length ? null : p.readable() };
}

/** Which commands a campaign in this status takes (the API's compare-and-set rules). */
export function commands(status: CampaignStatus): ('send' | 'pause' | 'resume' | 'cancel')[] {
  switch (status) {
    case 'draft':
      return ['send', 'cancel'];
    case 'sending':
      return ['pause', 'cancel'];
    case 'paused':
      return ['resume', 'cancel'];
    default:
      return [];
  }
}

export const SUPPRESSION_REASONS: Record<string, string> = {
  no_consent: 'No consent',
  unsubscribed: 'Unsubscribed',
  quiet_hours: 'Quiet hours',
  frequency_cap: 'Frequency cap',
  hard_bounce: 'Hard bounce',
  sms_opt_out: 'SMS opt-out',
  no_address: 'No address',
  held: 'Held (arrangement)',
};

export function reasonLabel(reason: string): string {
  return SUPPRESSION_REASONS[reason] ?? reason.replace(/_/g, ' ');
}

export function suppressedTotal(s: CampaignStats): number {
  return Object.values(s.suppressed).reduce((a, b) => a + b, 0);
}

/** Messages done with (suppressed, sent, failed or cancelled) out of those targeted, 0..100. */
export function progressPercent(s: CampaignStats): number {
  if (s.targeted <= 0) return 0;
  const done = suppressedTotal(s) + s.sent + s.failed + s.cancelled;
  return Math.min(100, Math.round((done / s.targeted) * 100));
}

/** Whether the figures add up as the API promises: targeted = suppressed + sent + failed +
 * pending + cancelled, deferred within pending, delivered within sent. */
export function statsAddUp(s: CampaignStats): boolean {
  return (
    s.targeted === suppressedTotal(s) + s.sent + s.failed + s.pending + s.cancelled &&
    s.deferred <= s.pending &&
    s.delivered <= s.sent
  );
}

/** Whether the detail page keeps refreshing: while it sends and messages are still open. */
export function stillSending(c: Campaign, s: CampaignStats | null): boolean {
  if (c.status === 'sending') return !s || !c.targeted_at || s.pending > 0;
  return false;
}

/** Where a campaign stands, in a few words, once it is not refreshing itself. */
export function statusSentence(c: Campaign, when: (iso: string) => string): string {
  switch (c.status) {
    case 'draft':
      return 'Not sent yet.';
    case 'sending':
      return 'Every message targeted is done with.';
    case 'paused':
      return 'Paused.';
    case 'completed':
      return c.finished_at ? `Completed ${when(c.finished_at)}: every message is settled.` : 'Completed: every message is settled.';
    default:
      return 'Cancelled.';
  }
}

export type MessageState =
  | 'pending' | 'deferred' | 'waiting_link' | 'sending' | 'sent' | 'delivered' | 'failed' | 'suppressed' | 'cancelled';

/** One entry of a campaign's ledger (GET /v1/campaigns/{id}/messages): no address, no body. */
export interface CampaignMessage {
  id: string;
  contact_id: string;
  channel: Channel;
  state: MessageState;
  reason: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  due_at: string;
  sent_at: string | null;
}

export const MESSAGE_STATES: Record<MessageState, string> = {
  pending: 'Pending',
  deferred: 'Deferred',
  waiting_link: 'Waiting for its portal link',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Failed',
  suppressed: 'Suppressed',
  cancelled: 'Cancelled',
};

/** Why a message is where it is: the suppression reason, the error, else nothing. */
export function messageWhy(m: CampaignMessage): string {
  if (m.state === 'suppressed' && m.reason) return reasonLabel(m.reason);
  return m.error ?? '';
}

/** Whether the page offers "Retry" on a message: only a failed one of a campaign that is
 * not cancelled (the API refuses the rest with a 409). */
export function canRetry(m: CampaignMessage, c: Campaign): boolean {
  return m.state === 'failed' && c.status !== 'cancelled';
}

/** The campaign file's path (its audience's customers with their portal URLs). */
export function campaignFilePath(id: string, format: 'csv' | 'xlsx'): string {
  return `/v1/campaigns/${encodeURIComponent(id)}/campaign-file.${format}`;
}

export interface CampaignSettings {
  quiet_hours_start: string;
  quiet_hours_end: string;
  frequency_cap_messages: number;
  frequency_cap_days: number;
  sms_help_text: string;
}

export function settingsProblems(s: CampaignSettings): Partial<Record<keyof CampaignSettings, string>> {
  const out: Partial<Record<keyof CampaignSettings, string>> = {};
  const clock = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
  if (!clock.test(s.quiet_hours_start)) out.quiet_hours_start = 'A time such as 08:00.';
  if (!clock.test(s.quiet_hours_end)) out.quiet_hours_end = 'A time such as 21:00.';
  if (!out.quiet_hours_start && !out.quiet_hours_end && s.quiet_hours_start >= s.quiet_hours_end)
    out.quiet_hours_end = 'Sending must close after it opens.';
  if (!(Number.isInteger(s.frequency_cap_messages) && s.frequency_cap_messages >= 1 && s.frequency_cap_messages <= 1000))
    out.frequency_cap_messages = 'From 1 to 1,000 messages.';
  if (!(Number.isInteger(s.frequency_cap_days) && s.frequency_cap_days >= 1 && s.frequency_cap_days <= 365))
    out.frequency_cap_days = 'From 1 to 365 days.';
  if (!s.sms_help_text.trim()) out.sms_help_text = 'Write the answer a HELP message gets.';
  return out;
}

export interface Suppression {
  channel: Channel;
  address: string;
  reason: string;
  at: string;
  by: string;
  campaign_id: string | null;
}

export interface SuppressionHistory {
  channel: Channel;
  address: string;
  changes: { action: 'suppressed' | 'lifted'; reason: string; at: string; by: string }[];
}

export type IdvFact = 'date_of_birth' | 'postcode' | 'account_last4' | 'national_id_last4';

export const IDV_FACTS: Record<IdvFact, string> = {
  date_of_birth: 'Date of birth',
  postcode: 'Postcode',
  account_last4: 'Last 4 digits of the account number',
  national_id_last4: 'Last 4 digits of the national id',
};

export interface PortalSettings {
  idv_fields: IdvFact[];
  max_attempts: number;
  lockout_minutes: number;
  promise_to_pay: boolean;
  payment_plans: boolean;
  link_expiry_days: number;
  session_idle_minutes: number;
  minimum_payment: string;
  promise_max_days: number;
  plan_instalments: number[];
  plan_frequencies: ('weekly' | 'fortnightly' | 'monthly')[];
  plan_min_instalment: string;
  hold_arrangements: boolean;
}

/** "3, 6, 12" as instalment counts; null when a value is not a whole number from 2 to 60. */
export function parseInstalments(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return null;
  const values = parts.map(Number);
  if (values.some((n) => !Number.isInteger(n) || n < 2 || n > 60)) return null;
  return [...new Set(values)].sort((a, b) => a - b);
}

export interface Payment {
  payment_id: string;
  contact_id: string;
  account_id: string;
  account_number: string;
  amount: string;
  currency: string;
  status: string;
  reason: string | null;
  created_at: string;
  settled_at: string | null;
  provider_reference: string | null;
}

export interface IdvAttempt {
  attempt_id: string;
  contact_id: string;
  link_id: string;
  at: string;
  outcome: string;
  address: string;
}

export interface Paged<T> {
  items: T[];
  next_cursor: string | null;
}

export function money(amount: string | number, currency: string): string {
  const n = Number(amount);
  if (!Number.isFinite(n)) return `${amount} ${currency}`;
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency}`;
  }
}

/** The parts of a contact (GET /v1/contacts) a template preview renders. */
export interface PreviewContact {
  id: string;
  data: {
    first_name?: string | null;
    last_name?: string | null;
    company_name?: string | null;
    customer_id?: string | null;
    external_id?: string | null;
    emails?: string[];
    phones?: { e164: string }[];
    address?: string | null;
    city?: string | null;
    state?: string | null;
    postcode?: string | null;
    country?: string | null;
    time_zone?: string | null;
    accounts?: { number: string; balance?: string | number | null; currency?: string | null }[];
  };
}

export function contactName(c: PreviewContact): string {
  const d = c.data;
  return [d.first_name, d.last_name].filter(Boolean).join(' ') || d.company_name || d.emails?.[0] || c.id;
}

/** The contact's fields as preview values over the sample contact (only those it has:
 * the sample's stand in for the rest, such as the portal link, which a preview never issues). */
export function previewValues(c: PreviewContact): Record<string, string> {
  const d = c.data;
  const account = d.accounts?.[0];
  const full = [d.first_name, d.last_name].filter(Boolean).join(' ');
  const values: Record<string, string | null | undefined> = {
    contact_id: c.id,
    first_name: d.first_name,
    last_name: d.last_name,
    full_name: full || d.company_name,
    company_name: d.company_name,
    customer_id: d.customer_id,
    external_id: d.external_id,
    email: d.emails?.[0],
    phone: d.phones?.[0]?.e164,
    address: d.address,
    city: d.city,
    state: d.state,
    postcode: d.postcode,
    country: d.country,
    time_zone: d.time_zone,
    account_number: account?.number,
    balance: account?.balance == null ? null : String(account.balance),
    currency: account?.currency,
  };
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
}

/** A problem's field messages for a form whose fields are named as the API names them; an
 * empty result means the problem is for the alert. */
export function fieldProblems<T extends object>(p: ApiProblem, form: T): Partial<Record<keyof T, string>> {
  const out: Partial<Record<keyof T, string>> = {};
  for (const k of Object.keys(form) as (keyof T & string)[]) {
    const m = p.forField(k);
    if (m) out[k] = m;
  }
  return out;
}

/** A NumberInput's value as a whole number (it gives a string while the field is empty). */
export function wholeNumber(v: string | number): number {
  return typeof v === 'number' ? v : Number.parseInt(v, 10) || 0;
}

/** The message for one field of a refusal, else the whole refusal as a sentence. */
export function fieldMessage(err: unknown, field: string): string {
  return err instanceof ApiProblem ? (err.forField(field) ?? err.readable()) : String(err);
}
