import { ReportBuilder } from './report-builder';
import { AGGREGATE_COLUMNS, CONVERSATION_COLUMNS, csvField, formatCsv, toCsv, toJson } from './report-format';
import type { Report } from './report.types';
import { at } from './testing/history';
import { A, B, C, END, FORCE_CLOSE_REASON, syntheticHistory } from './testing/synthetic-history';

/** A minimal RFC 4180 reader, to check that what toCsv writes reads back field for field. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += ch;
  }
  if (field !== '' || record.length > 0) throw new Error('CSV does not end with CRLF');
  return records;
}

const report = (): Report => {
  const builder = new ReportBuilder();
  builder.applyAll(syntheticHistory().events);
  return builder.finish(at(END));
};

describe('csv fields (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rlf', '"cr\rlf"'],
    ['', ''],
  ])('%j -> %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it.each([
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+1+1', "'+1+1"],
    ['-1+1', "'-1+1"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\tx', "'\tx"],
    ['\r=1', `"'\r=1"`],
  ])('a text cell a spreadsheet would run as a formula, %j, is written as text: %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes negative numbers as numbers, not as escaped text', () => {
    expect([-5, -0.25].map(csvField)).toEqual(['-5', '-0.25']);
  });

  it('writes null as an empty field, numbers and booleans as text', () => {
    expect([null, undefined, 0, 94.286, true, false].map(csvField)).toEqual(['', '', '0', '94.286', 'true', 'false']);
  });

  it('ends every record with CRLF and reads back', () => {
    const text = formatCsv(
      ['a', 'b'],
      [
        ['x,y', 'he said "no"\r\nthen left'],
        [null, 3],
      ],
    );
    expect(text).toBe('a,b\r\n"x,y","he said ""no""\r\nthen left"\r\n,3\r\n');
    expect(parseCsv(text)).toEqual([
      ['a', 'b'],
      ['x,y', 'he said "no"\r\nthen left'],
      ['', '3'],
    ]);
  });
});

describe('toCsv', () => {
  it('given a close reason typed as a formula, when written, then it reads back as that text behind a quote mark', () => {
    const r = report();
    const formula = "=cmd|' /C calc'!A0";
    const withFormula: Report = {
      ...r,
      conversations: r.conversations.map((row, i) => (i === 0 ? { ...row, closeReason: formula } : row)),
    };
    const records = parseCsv(toCsv(withFormula));
    const column = records[0].indexOf('closeReason');
    expect(records[1][column]).toBe(`'${formula}`);
  });

  it('one record per conversation under a header of the JSON field names', () => {
    const r = report();
    const records = parseCsv(toCsv(r));
    expect(records[0]).toEqual([...CONVERSATION_COLUMNS]);
    expect(records).toHaveLength(1 + r.conversations.length);
    const c5 = Object.fromEntries(records[0].map((column, i) => [column, records[5][i]]));
    // the supervisor's free-text reason holds a comma, quotes and a newline: quoted, and reads back intact
    expect(c5).toMatchObject({
      conversationId: 'c5',
      closeReason: FORCE_CLOSE_REASON,
      closedByKind: 'supervisor',
      waitBeforeFirstAssignmentSeconds: '120',
      automaticClose: 'false',
      firstAcceptedAt: at(14),
    });
    const c2 = Object.fromEntries(records[0].map((column, i) => [column, records[3][i]]));
    expect(c2).toMatchObject({
      conversationId: 'c2',
      agentsInvolved: `${A};${C};${B}`,
      handleSecondsByAgent: `${A}=300;${B}=360;${C}=720`,
    });
    const c3 = Object.fromEntries(records[0].map((column, i) => [column, records[2][i]]));
    expect(c3).toMatchObject({ conversationId: 'c3', waitBeforeFirstAssignmentSeconds: '', handleSeconds: '', abandoned: 'true' });
  });

  it('aggregates as a second document with a group column', () => {
    const r = report();
    const records = parseCsv(toCsv(r, 'aggregates'));
    expect(records[0]).toEqual([...AGGREGATE_COLUMNS]);
    const groups = records.slice(1).map((record) => `${record[0]}:${record[1]}`);
    expect(groups).toEqual([
      'all:all',
      'queue:queue-a',
      'queue:queue-b',
      `agent:${A}`,
      `agent:${B}`,
      `agent:${C}`,
      'channel:live_chat',
      'channel:persistent_chat',
      'channel:record',
      'channel:sms',
      'channel:teams',
      'day:2026-03-01',
      'day:2026-03-02',
    ]);
    const all = Object.fromEntries(records[0].map((column, i) => [column, records[1][i]]));
    expect(all).toMatchObject({ conversations: '9', waitMeanSeconds: '94.286', atOrOverCapacitySeconds: '' });
    const agentA = Object.fromEntries(records[0].map((column, i) => [column, records[4][i]]));
    expect(agentA).toMatchObject({ key: A, atOrOverCapacitySeconds: '3480', handleTotalSeconds: '4320', consulted: '0' });
    const teams = Object.fromEntries(records[0].map((column, i) => [column, records[11][i]]));
    expect(teams).toMatchObject({ key: 'teams', abandonmentRate: '', autoCloseRate: '' });
  });

  it('refuses an unknown table', () => {
    expect(() => toCsv(report(), 'agents' as never)).toThrow(RangeError);
  });
});

describe('toJson', () => {
  it('round-trips to a deep-equal report', () => {
    const r = report();
    const text = toJson(r);
    expect(JSON.parse(text)).toEqual(r);
    expect(JSON.parse(text)).toStrictEqual(r);
    expect(text).toContain(JSON.stringify(FORCE_CLOSE_REASON));
  });
});
