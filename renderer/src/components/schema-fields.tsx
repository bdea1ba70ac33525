import type { GlossaryEntry } from '../../../engine/contract/glossary.ts';
import { fieldText, type SchemaField } from '../schema-form.ts';
import { HelpButton } from './glossary-entry.tsx';
import './fields.css';

/**
 * One labelled control per schema field, holding what was typed: a blank box shows the default
 * as its placeholder and means "the default" (formValues reads the boxes back). Enums and
 * booleans are choices. Ids are `${prefix}-${key}`, so a label or a test can find each box.
 * With `glossary`, a field that has an entry gets a "?" beside its name.
 */
export function SchemaFields({
  fields,
  values,
  onChange,
  prefix,
  glossary,
}: {
  fields: SchemaField[];
  values: Record<string, string>;
  onChange: (key: string, text: string) => void;
  prefix: string;
  glossary?: (key: string) => GlossaryEntry | undefined;
}) {
  return fields.map((f) => (
    <FieldInput
      key={f.key}
      field={f}
      prefix={prefix}
      value={values[f.key]}
      entry={glossary?.(f.key)}
      onChange={(text) => onChange(f.key, text)}
    />
  ));
}

function FieldInput({
  field,
  value,
  onChange,
  prefix,
  entry,
}: {
  field: SchemaField;
  value: string | undefined;
  onChange: (text: string) => void;
  prefix: string;
  entry: GlossaryEntry | undefined;
}) {
  const id = `${prefix}-${field.key}`;
  const shown = fieldText(field, field.default);
  return (
    <div className="field" title={field.help}>
      <div className="field-head">
        <label className="field-name" htmlFor={id}>
          {field.key}
        </label>
        <HelpButton entry={entry} label={field.key} />
      </div>
      {field.type === 'enum' || field.type === 'boolean' ? (
        <select id={id} value={value ?? shown} onChange={(e) => onChange(e.target.value)}>
          {(field.options ?? ['true', 'false']).map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          value={value ?? ''}
          placeholder={shown}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.help ? <span className="field-help">{field.help}</span> : null}
    </div>
  );
}
