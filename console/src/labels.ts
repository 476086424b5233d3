// The groups and tags pages' words and paths: one page component serves both kinds.

export type LabelKind = 'group' | 'tag';

export interface LabelWords {
  one: string;
  title: string;
  path: string;
  about: string;
  empty: string;
  deleting: string;
  changed: string;
  renaming: string;
}

export const LABEL_KINDS: Record<LabelKind, LabelWords> = {
  group: {
    one: 'group',
    title: 'Groups',
    path: '/v1/groups',
    about: 'Groups hold contacts: an upload fills one, a campaign targets one, and its contacts can be exported.',
    empty: 'No groups yet. Create one here, or upload a list into a new group.',
    deleting: 'The group goes; its contacts stay, taken out of it. This cannot be undone.',
    changed: 'taken out of it',
    renaming:
      'Uploads name a group to fill it, so its name stays: to rename it, create a group with the new name and upload into it.',
  },
  tag: {
    one: 'tag',
    title: 'Tags',
    path: '/v1/tags',
    about: 'Contacts carry only tags defined here: uploads and the contact form refuse any other.',
    empty: 'No tags yet. Define one here before an upload or a contact uses it.',
    deleting: 'The tag goes and is taken off every contact that has it; the contacts stay. This cannot be undone.',
    changed: 'lost it',
    renaming: 'Files name tags in their cells, so a tag keeps its name: define a new one to use another name.',
  },
};

/** The contacts search a link from the groups or tags page opens: `?group=<id>` or `?tag=<name>`. */
export function searchFromQuery(query: string): { group: string | null; tag: string | null } {
  const q = new URLSearchParams(query);
  return { group: q.get('group') || null, tag: q.get('tag') || null };
}
