// What the lead lists page decides, as plain data: which campaigns a list can still be
// assigned to, and how a list's campaigns read.

export interface LeadList {
  id: string;
  name: string;
  time_zone: string;
  owner: string | null;
  description: string | null;
  enabled: boolean;
  ready: boolean;
  campaign_ids: string[];
}

export interface Campaign {
  id: string;
  name: string;
}

export interface LeadStats {
  total: number;
  new: number;
  queued: number;
  deferred: number;
  dialed: number;
  completed: number;
  dnc: number;
}

/** The list's campaigns split in two: assigned (in the list's order) and the others, by name.
 * An assigned id no campaign has any more is kept, named by its id, so it can be unassigned. */
export function campaignSides(list: LeadList, campaigns: Campaign[]): { assigned: Campaign[]; available: Campaign[] } {
  const byId = new Map(campaigns.map((c) => [c.id, c]));
  const assigned = list.campaign_ids.map((id) => byId.get(id) ?? { id, name: id });
  const taken = new Set(list.campaign_ids);
  const available = campaigns
    .filter((c) => !taken.has(c.id))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { assigned, available };
}

/** A readable name for a list's problem-free new name, or what is wrong with it. */
export function listNameProblem(name: string, lists: LeadList[], editing?: string): string | null {
  const clean = name.trim();
  if (!clean) return 'Give the list a name.';
  if (clean.length > 200) return 'At most 200 characters.';
  const clash = lists.find((l) => l.id !== editing && l.name.trim().toLowerCase() === clean.toLowerCase());
  return clash ? `A list named "${clash.name}" exists already.` : null;
}
