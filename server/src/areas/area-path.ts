/**
 * Areas are stored with a materialised path of codes, "/01/004/00115/": a subtree is one prefix match and the
 * ancestors of a unit are its path's segments.
 */
export const areaPath = (parentPath: string | null, code: string): string => `${parentPath ?? '/'}${code}/`;

/** "/01/004/00115/" → ["01", "004", "00115"]: the unit and its ancestors, root first. */
export const areaCodesOf = (path: string): string[] => path.split('/').filter((c) => c.length > 0);
