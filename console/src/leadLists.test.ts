import { campaignSides, listNameProblem, type LeadList } from './leadLists';

const list = (over: Partial<LeadList> = {}): LeadList => ({
  id: 'l1', name: 'March', time_zone: 'UTC', owner: null, description: null,
  enabled: false, ready: true, campaign_ids: [], ...over,
});

describe('lead lists', () => {
  it('split campaigns into assigned and available, keeping an unknown assigned id', () => {
    const campaigns = [{ id: 'c2', name: 'Zeta' }, { id: 'c1', name: 'Alpha' }, { id: 'c3', name: 'Beta' }];
    const sides = campaignSides(list({ campaign_ids: ['c2', 'gone'] }), campaigns);
    expect(sides.assigned).toEqual([{ id: 'c2', name: 'Zeta' }, { id: 'gone', name: 'gone' }]);
    expect(sides.available.map((c) => c.name)).toEqual(['Alpha', 'Beta']);
  });

  it('refuse an empty, long or taken name but not the list keeping its own', () => {
    const lists = [list()];
    expect(listNameProblem('  ', lists)).toBe('Give the list a name.');
    expect(listNameProblem('x'.repeat(201), lists)).toMatch(/200/);
    expect(listNameProblem(' march ', lists)).toMatch(/exists already/);
    expect(listNameProblem('March', lists, 'l1')).toBeNull();
    expect(listNameProblem('April', lists)).toBeNull();
  });
});
