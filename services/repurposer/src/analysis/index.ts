export type { Interval, LoudnessPoint, Signals } from './signals.ts';
export { measureSignals, type MeasureSignalsOptions } from './measure-signals.ts';
export { chooseSegments, type ChooseOptions, type ChosenSegment } from './choose-segments.ts';
