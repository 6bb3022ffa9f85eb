export type { Interval, LoudnessPoint, Signals } from './signals.ts';
export {
  buildSignalsCommand,
  measureSignals,
  type MeasureSignalsOptions,
  type SignalsCommandOptions,
} from './measure-signals.ts';
export { chooseSegments, type ChooseOptions, type ChosenSegment } from './choose-segments.ts';
