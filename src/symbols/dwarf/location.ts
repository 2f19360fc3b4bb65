// Raw access to location-valued attributes (DW_AT_location, DW_AT_frame_base, DW_AT_data_member_location,
// ...): either a DWARF expression, or a reference to a location list with what is needed to decode it.

import { DW_AT, DW_FORM } from './constants';
import { isBlockForm } from './forms';
import { Die, Unit } from './unit';

export type LocationAttr =
  | { kind: 'expr'; expr: Buffer; unit: Unit }
  | {
      kind: 'loclist';
      /** .debug_loclists (DWARF 5) or .debug_loc (DWARF 2-4). */
      section: '.debug_loclists' | '.debug_loc';
      /** Offset of the list in that section (DW_FORM_loclistx already resolved through loclistsBase). */
      offset: number;
      /** DW_FORM_loclistx index, when the attribute used one. */
      index?: number;
      unit: Unit;
      /** Base address for offset entries: the unit's DW_AT_low_pc. */
      baseAddress: number;
    };

/**
 * Classify a location attribute. DWARF 5 uses DW_FORM_exprloc / sec_offset / loclistx; DWARF 2-3 use
 * blocks for expressions and data4/data8 for .debug_loc offsets.
 */
export function attributeLocation(die: Die, name: number = DW_AT.location): LocationAttr | undefined {
  const a = die.attr(name);
  if (!a) return undefined;
  const unit = die.unit;
  if (isBlockForm(a.form) && Buffer.isBuffer(a.value)) return { kind: 'expr', expr: a.value, unit };
  const listForm = a.form === DW_FORM.sec_offset || a.form === DW_FORM.loclistx || (unit.version <= 3 && (a.form === DW_FORM.data4 || a.form === DW_FORM.data8));
  if (!listForm || typeof a.value !== 'number') return undefined;
  const section = unit.version >= 5 ? '.debug_loclists' : '.debug_loc';
  if (a.form === DW_FORM.loclistx) return { kind: 'loclist', section, offset: unit.loclistOffset(a.value), index: a.value, unit, baseAddress: unit.lowPc };
  return { kind: 'loclist', section, offset: a.value, unit, baseAddress: unit.lowPc };
}
