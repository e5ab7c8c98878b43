/** The administration pages, in the order of their tabs: route id and label. */
export const TABS = [
  ['users', 'Users'],
  ['categories', 'Categories'],
  ['addins', 'Add-ins'],
  ['policies', 'Policies'],
  ['config', 'Configuration'],
  ['compliance', 'Compliance'],
  ['endpoints', 'Endpoints'],
  ['pool', 'Pool'],
] as const;
export type AdminTab = (typeof TABS)[number][0];
