import { ApiProblem } from './api';
import { parseRoute } from './router';
import {
  EMPTY_CAMPAIGN, campaignBody, campaignFilePath, campaignFormProblems, campaignProblems, canRetry, commands,
  fieldProblems, messageWhy, parseInstalments, previewValues, progressPercent, segmentsText, settingsProblems,
  statsAddUp, statusSentence, stillSending, templateBody, templateForm, templateProblems,
  type Campaign, type CampaignMessage, type CampaignStats, type MessageTemplate,
} from './outreach';

const stats = (over: Partial<CampaignStats> = {}): CampaignStats => ({
  targeted: 10,
  suppressed: { no_consent: 2, unsubscribed: 1, quiet_hours: 0, frequency_cap: 0 },
  deferred: 1,
  pending: 3,
  sent: 3,
  delivered: 2,
  failed: 1,
  unsubscribed: 0,
  cancelled: 0,
  ...over,
});

const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  id: 'c1', name: 'March', channel: 'email', template_id: 't1',
  audience: { groups: ['March list'], tags: [], upload_id: null, filters: {} },
  trigger: { on: 'manual', at: null }, status: 'draft', send_rate: 100,
  created_at: '2026-03-01T09:00:00Z', triggered_at: null, targeted_at: null, ...over,
});

describe('message templates', () => {
  it('send only the parts of the channel, leaving an empty text part to be derived', () => {
    const form = { name: ' Reminder ', channel: 'email' as const, subject: 'Hi', html: '<p>x</p>', text: ' ', body: 'left over' };
    expect(templateBody(form)).toEqual({ name: 'Reminder', channel: 'email', subject: 'Hi', html: '<p>x</p>' });
    expect(templateBody({ ...form, channel: 'sms' }, 3)).toEqual({ name: 'Reminder', channel: 'sms', version: 3, body: 'left over' });
  });

  it('do not save a derived text part back as the operator’s own', () => {
    const t = { name: 'R', channel: 'email', subject: 'S', html: '<p>x</p>', text: 'x', text_derived: true, body: null } as MessageTemplate;
    expect(templateForm(t).text).toBe('');
    expect(templateForm({ ...t, text_derived: false }).text).toBe('x');
  });

  it('put the 422 for an unknown field next to the part that names it', () => {
    const p = new ApiProblem(422, 'Invalid template', "html: unknown field 'nick_name'", [
      { location: 'body.html', message: "unknown field 'nick_name'" },
    ], 'nick_name');
    expect(templateProblems(p)).toEqual({ fields: { html: "Unknown field 'nick_name'" }, rest: null });
    const other = new ApiProblem(409, 'Conflict', 'A newer version is stored.');
    expect(templateProblems(other)).toEqual({ fields: {}, rest: 'A newer version is stored.' });
  });

  it('read segments as a supervisor does', () => {
    expect(segmentsText({ encoding: 'GSM-7', units: 161, segments: 2 })).toBe('2 segments · 161 characters · GSM-7');
    expect(segmentsText({ encoding: 'UCS-2', units: 6, segments: 1 })).toBe('1 segment · 6 UTF-16 units · UCS-2');
    expect(segmentsText(null)).toBe('–');
  });

  it('preview with the chosen contact’s own fields, the sample’s for the rest', () => {
    const values = previewValues({
      id: 'k1',
      data: { first_name: 'Ana', last_name: null, emails: ['ana@x.es'], phones: [{ e164: '+34600111222' }], accounts: [{ number: 'A-9', balance: 12.5, currency: 'EUR' }] },
    });
    expect(values).toEqual({
      contact_id: 'k1', first_name: 'Ana', full_name: 'Ana', email: 'ana@x.es', phone: '+34600111222',
      account_number: 'A-9', balance: '12.5', currency: 'EUR',
    });
    expect(values).not.toHaveProperty('portal_url');
  });
});

describe('campaigns', () => {
  it('build the audience, filters, trigger and rate the API takes', () => {
    const body = campaignBody({
      ...EMPTY_CAMPAIGN, name: ' March ', templateId: 't1', groups: ['March list'], tags: ['vip'],
      balanceMin: '100', postcodePrefix: ' SW1 ', updatedSince: '2026-02-01', consentOnly: true,
      trigger: 'schedule', at: '2026-03-01T09:00', sendRate: 5,
    });
    expect(body).toMatchObject({
      name: 'March', channel: 'email', template_id: 't1', send_rate: 5,
      audience: { groups: ['March list'], tags: ['vip'], upload_id: null,
        filters: { consent: true, balance_min: '100', postcode_prefix: 'SW1', updated_since: '2026-02-01T00:00:00Z' } },
      trigger: { on: 'schedule', at: new Date('2026-03-01T09:00').toISOString() },
    });
    expect(campaignBody({ ...EMPTY_CAMPAIGN, trigger: 'list_ready' }).trigger).toEqual({ on: 'list_ready' });
  });

  it('stop a form without name, template, audience or time before sending it', () => {
    expect(campaignFormProblems({ ...EMPTY_CAMPAIGN, trigger: 'schedule', balanceMin: 'ten' })).toEqual({
      name: 'Give the campaign a name.', templateId: 'Choose a template of this channel.',
      groups: 'Name at least one group, or an upload.', at: 'Choose the day and time to send.',
      balanceMin: 'A number, such as 100 or 99.50.',
    });
    expect(campaignFormProblems({ ...EMPTY_CAMPAIGN, name: 'x', templateId: 't', uploadId: 'u1' })).toEqual({});
    expect(campaignFormProblems({ ...EMPTY_CAMPAIGN, name: 'x', templateId: 't', groups: ['g'], balanceMin: '9', balanceMax: '5' }))
      .toEqual({ balanceMax: 'At least the minimum.' });
  });

  it('place a refusal naming a field (the problem’s `field`) next to it', () => {
    const wrong = new ApiProblem(422, 'Unprocessable Content', 'The template is an SMS template.', [], 'template_id');
    expect(campaignProblems(wrong)).toEqual({ fields: { templateId: 'The template is an SMS template.' }, rest: null });
    const rate = new ApiProblem(422, 'Invalid request', 'x', [{ location: 'body.send_rate', message: 'Input should be greater than 0' }]);
    expect(campaignProblems(rate).fields).toEqual({ sendRate: 'Input should be greater than 0' });
  });

  it('offer only the commands the status takes', () => {
    expect(commands('draft')).toEqual(['send', 'cancel']);
    expect(commands('sending')).toEqual(['pause', 'cancel']);
    expect(commands('paused')).toEqual(['resume', 'cancel']);
    expect(commands('cancelled')).toEqual([]);
    expect(commands('completed')).toEqual([]);
  });

  it('count progress from the messages done with, and check the figures add up', () => {
    const s = stats();
    expect(statsAddUp(s)).toBe(true); // 10 = 3 suppressed + 3 sent + 1 failed + 3 pending
    expect(progressPercent(s)).toBe(70);
    expect(statsAddUp(stats({ targeted: 11 }))).toBe(false);
    expect(statsAddUp(stats({ deferred: 4 }))).toBe(false);
    expect(progressPercent(stats({ targeted: 0, sent: 0, failed: 0, pending: 0, suppressed: {} }))).toBe(0);
  });

  it('count cancelled messages among the targeted and the done with', () => {
    // 10 = 3 suppressed + 3 sent + 1 failed + 1 pending + 2 cancelled
    const s = stats({ pending: 1, deferred: 0, cancelled: 2 });
    expect(statsAddUp(s)).toBe(true);
    expect(progressPercent(s)).toBe(90);
    expect(statsAddUp(stats({ cancelled: 1 }))).toBe(false);
  });

  it('say when a completed campaign finished, and where the others stand', () => {
    const when = (iso: string) => `at ${iso}`;
    expect(statusSentence(campaign({ status: 'completed', finished_at: 'T' }), when)).toBe('Completed at T: every message is settled.');
    expect(statusSentence(campaign({ status: 'completed' }), when)).toBe('Completed: every message is settled.');
    expect(statusSentence(campaign({ status: 'cancelled' }), when)).toBe('Cancelled.');
    expect(statusSentence(campaign(), when)).toBe('Not sent yet.');
    expect(stillSending(campaign({ status: 'completed', targeted_at: 'x' }), stats())).toBe(false);
  });

  it('offer Retry on a failed message only, not once the campaign is cancelled', () => {
    const m = (over: Partial<CampaignMessage>): CampaignMessage => ({
      id: 'm1', contact_id: 'k1', channel: 'email', state: 'failed', reason: null, error: 'SMTPRecipientRefused',
      attempts: 1, created_at: 'x', due_at: 'x', sent_at: null, ...over,
    });
    expect(canRetry(m({}), campaign({ status: 'completed' }))).toBe(true);
    expect(canRetry(m({}), campaign({ status: 'paused' }))).toBe(true);
    expect(canRetry(m({}), campaign({ status: 'cancelled' }))).toBe(false);
    expect(canRetry(m({ state: 'sent' }), campaign({ status: 'sending' }))).toBe(false);
    expect(messageWhy(m({}))).toBe('SMTPRecipientRefused');
    expect(messageWhy(m({ state: 'suppressed', reason: 'no_consent', error: null }))).toBe('No consent');
    expect(messageWhy(m({ state: 'sent', error: null }))).toBe('');
  });

  it('ask for the campaign file by the campaign’s own id', () => {
    expect(campaignFilePath('c 1', 'csv')).toBe('/v1/campaigns/c%201/campaign-file.csv');
    expect(campaignFilePath('c1', 'xlsx')).toBe('/v1/campaigns/c1/campaign-file.xlsx');
  });

  it('keep refreshing while sending and messages are open, not once all are done', () => {
    expect(stillSending(campaign({ status: 'sending', targeted_at: null }), stats({ pending: 0 }))).toBe(true);
    expect(stillSending(campaign({ status: 'sending', targeted_at: 'x' }), stats())).toBe(true);
    expect(stillSending(campaign({ status: 'sending', targeted_at: 'x' }), stats({ pending: 0 }))).toBe(false);
    expect(stillSending(campaign({ status: 'paused' }), stats())).toBe(false);
  });

  it('refuse a sending window that closes before it opens, and caps out of range', () => {
    const ok = { quiet_hours_start: '08:00', quiet_hours_end: '21:00', frequency_cap_messages: 7, frequency_cap_days: 7, sms_help_text: 'Help' };
    expect(settingsProblems(ok)).toEqual({});
    expect(settingsProblems({ ...ok, quiet_hours_end: '07:00', frequency_cap_days: 0, sms_help_text: ' ' })).toEqual({
      quiet_hours_end: 'Sending must close after it opens.', frequency_cap_days: 'From 1 to 365 days.',
      sms_help_text: 'Write the answer a HELP message gets.',
    });
    const p = new ApiProblem(422, 'Invalid request', 'x', [{ location: 'body.sms_help_text', message: 'String should have at least 1 character' }]);
    expect(fieldProblems(p, ok)).toEqual({ sms_help_text: 'String should have at least 1 character' });
  });
});

describe('portal settings', () => {
  it('read plan lengths as sorted whole numbers from 2 to 60', () => {
    expect(parseInstalments('12, 3 6,3')).toEqual([3, 6, 12]);
    expect(parseInstalments('1, 3')).toBeNull();
    expect(parseInstalments('three')).toBeNull();
    expect(parseInstalments(' ')).toBeNull();
  });
});

describe('routes', () => {
  it('read the campaigns and portal paths', () => {
    expect(parseRoute('/campaigns')).toEqual({ page: 'campaigns' });
    expect(parseRoute('/campaigns/new')).toEqual({ page: 'campaign-new' });
    expect(parseRoute('/campaigns/abc_1/')).toEqual({ page: 'campaign-detail', id: 'abc_1' });
    expect(parseRoute('/message-templates')).toEqual({ page: 'message-templates' });
    expect(parseRoute('/portal/payments')).toEqual({ page: 'portal-activity' });
    expect(parseRoute('/portal/nope')).toEqual({ page: 'not-found', path: '/portal/nope' });
  });
});
