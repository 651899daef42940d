import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but when present it must pass its other rules. Unlike
 * class-validator's IsOptional, null is not "left out": `"presence": null` is refused with a
 * 400 naming the field instead of reaching a command.
 */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
