export {
  ACCEPTED_CONTAINERS,
  ALLOWED_DEMUXERS,
  containerRefusal,
  inputGuard,
  isAllowedContainer,
  refusedDemuxer,
  type MediaKind,
} from './container-policy.ts';
export {
  ffprobeComplaint,
  MediaProbeError,
  probeMedia,
  type ProbedMedia,
  type ProbedStream,
  type ProbeFailure,
  type ProbeOptions,
} from './probe-media.ts';
