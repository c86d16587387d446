import type { FormHTMLAttributes, ReactNode } from 'react';

/** One choice of a dropdown: a value shown as itself, or a value with its label. */
export type Choice = string | { value: string; label: string };

/** A filter's dropdown in its field: the label, the "all" choice (the empty value) first, then the choices. */
export function FilterSelect(props: { id: string; label: string; value: string; onChange: (value: string) => void; all: string; choices: readonly Choice[] }) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.all}</option>
        {props.choices.map((c) => {
          const { value, label } = typeof c === 'string' ? { value: c, label: c } : c;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </div>
  );
}

/** A table's only row when it has nothing to show: the message across all its columns. */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={columns}>{children}</td>
    </tr>
  );
}

/** A form the page handles itself: submitting runs `onSubmit` instead of loading another page. */
export function PageForm({ onSubmit, children, ...attributes }: Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'> & { onSubmit: () => unknown }) {
  return (
    <form
      {...attributes}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {children}
    </form>
  );
}
