// Narrows a view to the photos of one person: a list of everyone found, "Everyone" to clear.
// Shown only once there are people; a person the link names but the list no longer holds (merged
// away meanwhile) still shows, as "someone no longer listed", so the filter is never invisible.
import type { PeopleView } from '../../shared/domain.ts';
import { formatCount } from '../format.ts';
import { personName } from '../hooks/people.ts';

export function PersonPicker({
  people,
  personId,
  onChange,
}: {
  people: PeopleView | null;
  personId: number | null;
  onChange(personId: number | null): void;
}) {
  const persons = people?.persons ?? [];
  if (persons.length === 0 && personId === null) return null;
  const known = persons.some((p) => p.id === personId);
  return (
    <label className="toolbar-field person-picker">
      <span>Person</span>
      <select
        value={personId === null ? '' : String(personId)}
        onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
        data-testid="person-picker"
      >
        <option value="">Everyone</option>
        {personId !== null && !known && (
          <option value={String(personId)}>
            {people ? 'Someone no longer listed' : 'Loading people…'}
          </option>
        )}
        {persons.map((person) => (
          <option key={person.id} value={String(person.id)}>
            {personName(person)} · {formatCount(person.photoCount)}{' '}
            {person.photoCount === 1 ? 'photo' : 'photos'}
          </option>
        ))}
      </select>
    </label>
  );
}
