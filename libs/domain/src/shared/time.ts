/** Times travel as ISO-8601 strings so events serialise and replay without a clock. */
export type IsoTime = string;

export const millisBetween = (from: IsoTime, to: IsoTime): number => Date.parse(to) - Date.parse(from);
