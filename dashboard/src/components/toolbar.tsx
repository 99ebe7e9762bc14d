/**
 * The filters/search row above a list (issue 19): one flex row that wraps on a phone, each control with its label.
 *
 *   <Toolbar>
 *     <ToolbarField label={t('state')}><select …/></ToolbarField>
 *     <SearchField label={t('search')} value={q} onInput={setQ} />
 *     <ToolbarSpacer /><button …>↻</button>
 *   </Toolbar>
 */
import type { ComponentChildren } from 'preact';

export function Toolbar({ children, testId }: { children: ComponentChildren; testId?: string }) {
  return (
    <div class="filters toolbar" role="group" data-testid={testId}>
      {children}
    </div>
  );
}

/** One labelled control of the toolbar (a select, an input). */
export function ToolbarField({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
    </label>
  );
}

/** A search box: the value is reported as typed (the caller filters or debounces). */
export function SearchField({ label, value, onInput, placeholder, testId }: { label: string; value: string; onInput: (v: string) => void; placeholder?: string; testId?: string }) {
  return (
    <ToolbarField label={label}>
      <input type="search" value={value} placeholder={placeholder} data-testid={testId} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
    </ToolbarField>
  );
}

/** Pushes what follows to the end of the row (actions after the filters). */
export const ToolbarSpacer = () => <span class="toolbar-spacer" aria-hidden="true" />;
