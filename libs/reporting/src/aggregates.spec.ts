import { durationStats, nearestRank } from './aggregates';

describe('nearest-rank percentiles', () => {
  it('takes the sample of rank ceil(p/100 * n)', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(ten, 50)).toBe(5); // rank 5
    expect(nearestRank(ten, 90)).toBe(9); // rank 9
    expect(nearestRank(ten, 91)).toBe(10); // rank ceil(9.1) = 10
    expect(nearestRank(ten, 100)).toBe(10);
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([7], 90)).toBe(7);
    expect(nearestRank([1, 2], 50)).toBe(1); // rank 1: no interpolation
    expect(nearestRank([], 50)).toBeUndefined();
    expect(() => nearestRank([1], 0)).toThrow(RangeError);
  });

  it('durationStats: mean rounded to the millisecond, seconds out', () => {
    // 60 s, 60 s, 61.001 s: mean 181001 / 3 = 60333.667 ms -> 60.334 s
    expect(durationStats([60_000, 61_001, 60_000])).toEqual({ count: 3, meanSeconds: 60.334, p50Seconds: 60, p90Seconds: 61.001 });
    expect(durationStats([])).toEqual({ count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null });
  });
});
